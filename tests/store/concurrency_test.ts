import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MessageStore } from "../../src/store/mod.ts";
import { MessageDirection } from "../../src/models/mod.ts";
import { tempStoreDir, textMessage } from "./store_fixtures.ts";

Deno.test("concurrency: two stores on one file see each other's rows", async () => {
  await using tmp = await tempStoreDir();
  const a = tmp.open();
  const b = tmp.open();
  const mark = b.maxRowId();
  for (let i = 0; i < 50; i++) {
    a.store([textMessage(2 * i + 1, `a${i}`)]);
    b.store([textMessage(2 * i + 2, `b${i}`)]);
    // The same message stored by both (two clients polling the same bot) lands once.
    (i % 2 ? a : b).store([textMessage(1_000 + i, "shared")]);
    a.store([textMessage(1_000 + i, "shared")]);
  }
  b.storeSent({ userId: "alice@im.wechat", botId: "bot1@im.bot", text: "from b" });
  assert.equal(a.count(), 151);
  assert.equal(b.count(), 151);
  const seenByB = b.querySince(mark, { direction: MessageDirection.RECEIVED, limit: 10_000 });
  assert.equal(seenByB.length, 150);
  assert.deepEqual(
    seenByB.map((r) => r.rowid),
    [...seenByB.map((r) => r.rowid)].sort((x, y) => x - y),
  );
  assert.equal(a.query({ direction: MessageDirection.SENT })[0]?.text, "from b");
});

Deno.test("concurrency: a writer waits for another connection's lock, then fails cleanly", async () => {
  await using tmp = await tempStoreDir();
  const patient = tmp.open();
  const impatient = tmp.open({ maxAgeDays: null, maxCount: null, busyTimeoutMs: 50 });
  const holder = new DatabaseSync(tmp.path);
  try {
    holder.exec("BEGIN IMMEDIATE");
    const t = performance.now();
    assert.throws(() => impatient.store([textMessage(1, "x")]), /locked|busy/i);
    assert.ok(performance.now() - t >= 40, "waited for the busy timeout");
    // Readers are not blocked by the writer in WAL mode.
    assert.equal(patient.count(), 0);
    holder.exec("COMMIT");
    // The failed batch rolled back: the store is usable, nothing half-written.
    assert.equal(impatient.store([textMessage(1, "x")]), 1);
    assert.equal(patient.count(), 1);
  } finally {
    holder.close();
  }
});

Deno.test("concurrency: another process writes while this one writes and prunes", async () => {
  await using tmp = await tempStoreDir();
  const store = new MessageStore(tmp.path, { maxAgeDays: null, maxCount: null });
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./store_writer.ts", import.meta.url).pathname,
        tmp.path,
        "1000000",
        "2000",
      ],
      stdout: "null",
      stderr: "piped",
    }).spawn();
    let done = false;
    const output = child.output().finally(() => done = true);
    let written = 0;
    let overlapped = false;
    while (!done || written < 2000) {
      if (written < 20_000) {
        store.store(
          Array.from(
            { length: 20 },
            (_, j) => textMessage(written + j + 1, `parent ${written + j}`),
          ),
        );
        written += 20;
      }
      store.prune();
      const childRows = store.count({ userId: "child@im.wechat" });
      if (childRows > 0 && childRows < 2000) overlapped = true;
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    const { code, stderr } = await output;
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    assert.ok(overlapped, "both processes were writing at the same time");
    assert.equal(store.count(), 2000 + written);
    assert.equal(store.count({ userId: "child@im.wechat" }), 2000);
    assert.equal(store.getById("1001999")?.text, "child 1999");
  } finally {
    store.close();
  }
});
