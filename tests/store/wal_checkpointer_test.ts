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

Deno.test("wal: a few rows start no thread; from 1,000 rows on, checkpoints run in the background", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const rows = (from: number, n: number) =>
    Array.from({ length: n }, (_, i) => textMessage(from + i, `m${from + i}`));
  const before = sizeOf(tmp.path);
  // 999 rows are a few hundred pages, far below the writer's own threshold (4000 pages): with no
  // thread they stay in the log.
  store.store(rows(1, 999));
  await new Promise((r) => setTimeout(r, 150));
  assert.equal(sizeOf(tmp.path), before, "nothing was checkpointed");
  // The 1,000th row starts the thread, which copies the log into the database file.
  store.store(rows(1000, 1));
  await until(() => sizeOf(tmp.path) > before);
  assert.equal(store.count(), 1000);
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
