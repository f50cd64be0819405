import assert from "node:assert/strict";
import { RESTART_FRAMES } from "../../src/store/wal_checkpointer.ts";
import { tempStoreDir, textMessage } from "./store_fixtures.ts";
import { until } from "../until.ts";

const PAGE = 4096;

function sizeOf(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

Deno.test("wal: a small write reaches the database file in the background", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const before = sizeOf(tmp.path);
  // 100 rows are a few dozen pages: far below the writer's own threshold (4000 pages), so only
  // the background thread copies them into the database file while the store stays open.
  store.store(Array.from({ length: 100 }, (_, i) => textMessage(i + 1, `m${i}`)));
  await until(() => sizeOf(tmp.path) > before);
  assert.equal(store.count(), 100);
});

Deno.test("wal: the log starts over under sustained writes and is gone after close", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const wal = `${tmp.path}-wal`;
  // Back to back commits, so background checkpoints never catch up with the writer by
  // themselves: only the thread's restart keeps the log short. 60,000 rows write several times
  // RESTART_FRAMES pages of log.
  let id = 1;
  for (let b = 0; b < 600; b++) {
    store.store(
      Array.from({ length: 100 }, () => textMessage(id, `message ${id++} ${"x".repeat(200)}`)),
    );
  }
  const walBytes = sizeOf(wal);
  assert.ok(
    walBytes < 2 * RESTART_FRAMES * PAGE,
    `the log grew to ${(walBytes / 2 ** 20).toFixed(1)} MiB without starting over`,
  );
  assert.equal(store.count(), 60_000);
  store.close();
  assert.equal(sizeOf(wal), 0, "the WAL is removed when the last connection closes");
  const reopened = tmp.open();
  assert.equal(reopened.count(), 60_000);
});
