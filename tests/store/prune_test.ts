import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MessageStore } from "../../src/store/mod.ts";
import { tempStoreDir, textMessage } from "./store_fixtures.ts";

const DAY = 86_400_000;
const T0 = 1_700_000_000_000;

/** Proves no write transaction is left open: another connection can write without waiting. */
function assertWritable(path: string): void {
  const other = new DatabaseSync(path, { timeout: 0 });
  try {
    other.exec("BEGIN IMMEDIATE");
    other.exec("ROLLBACK");
  } finally {
    other.close();
  }
}

Deno.test("prune: by age uses stored_at and the injected clock", async () => {
  await using tmp = await tempStoreDir();
  let now = T0;
  const store = tmp.open({ maxAgeDays: 30, maxCount: null, now: () => now });
  store.store([textMessage(1, "old"), textMessage(2, "old too")]);
  now += 10 * DAY;
  store.store([textMessage(3, "newer")]);
  now += 21 * DAY; // rows 1-2 are 31 days old, row 3 is 21 days old
  assert.equal(store.prune(), 2);
  assert.deepEqual(store.query().map((m) => m.messageId), ["3"]);
  assert.equal(store.prune(), 0);
  assertWritable(tmp.path);
});

Deno.test("prune: by count keeps the newest by creation time", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open({ maxAgeDays: null, maxCount: 3 });
  // Inserted out of creation order: the rule is by timestamp, not by row id.
  const stamps = [5, 1, 4, 2, 3];
  store.store(stamps.map((s) => textMessage(s, `t${s}`, { create_time_ms: T0 + s * 1000 })));
  assert.equal(store.prune(), 2);
  assert.deepEqual(store.query().map((m) => m.messageId), ["5", "4", "3"]);
  assertWritable(tmp.path);
});

Deno.test("prune: runs on open, and both rules combine", async () => {
  await using tmp = await tempStoreDir();
  let now = T0;
  const first = tmp.open({ maxAgeDays: null, maxCount: null, now: () => now });
  first.store(
    Array.from({ length: 10 }, (_, i) => textMessage(i + 1, `m${i}`, { create_time_ms: T0 + i })),
  );
  now += 2 * DAY;
  first.store(
    Array.from(
      { length: 10 },
      (_, i) => textMessage(i + 11, `n${i}`, { create_time_ms: T0 + 100 + i }),
    ),
  );
  first.close();
  const second = new MessageStore(tmp.path, { maxAgeDays: 1, maxCount: 4, now: () => now });
  try {
    assert.deepEqual(second.query().map((m) => m.messageId), ["20", "19", "18", "17"]);
  } finally {
    second.close();
  }
});

Deno.test("prune: automatic every 100 inserted rows, exact within 1% of maxCount", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open({ maxAgeDays: null, maxCount: 50 });
  const batch = (b: number) =>
    store.store(Array.from({ length: 40 }, (_, i) => {
      const n = b * 40 + i;
      return textMessage(n + 1, `m${n}`, { create_time_ms: T0 + n });
    }));
  batch(0);
  batch(1);
  assert.equal(store.count(), 80, "no run before 100 inserted rows");
  batch(2);
  assert.equal(store.count(), 50, "a run after 120 rows");
  batch(3);
  batch(4);
  assert.equal(store.count(), 130, "80 rows since the last run");
  batch(5);
  assert.equal(store.count(), 50);
  assert.equal(store.query({ limit: 1 })[0]?.messageId, "240");
  assert.equal(store.query({ offset: 49, limit: 1 })[0]?.messageId, "191");

  await using big = await tempStoreDir();
  const large = big.open({ maxAgeDays: null, maxCount: 1000 });
  const rows = (from: number, n: number) =>
    Array.from(
      { length: n },
      (_, i) => textMessage(from + i, "x", { create_time_ms: T0 + from + i }),
    );
  large.store(rows(1, 1005));
  assert.equal(large.count(), 1005, "within the 1% slack");
  large.store(rows(2000, 100));
  assert.equal(large.count(), 1000);
  assert.equal(large.prune(), 0);
});

Deno.test("prune: ties at the cut and a large surplus are pruned exactly in chunks", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open({ maxAgeDays: null, maxCount: 7_000 });
  const db = new DatabaseSync(tmp.path);
  const insert = db.prepare(
    "INSERT INTO messages (message_id, user_id, timestamp_ms, data, stored_at) VALUES (?, 'u', ?, '{}', ?)",
  );
  db.exec("BEGIN");
  // 20,000 rows, many sharing a timestamp, so the cut falls inside a group of equals.
  for (let i = 0; i < 20_000; i++) insert.run(i + 1, T0 + Math.floor(i / 7), Date.now() / 1000);
  db.exec("COMMIT");
  db.close();
  assert.equal(store.prune(), 13_000);
  assert.equal(store.count(), 7_000);
  const oldest = store.query({ offset: 6_999, limit: 1 })[0]!;
  assert.ok(oldest.timestamp >= T0 + Math.floor(13_000 / 7));
  assertWritable(tmp.path);
});

Deno.test("prune: maxCount 0 empties the table; option validation", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open({ maxAgeDays: null, maxCount: 0 });
  store.store([textMessage(1, "a"), textMessage(2, "b")]);
  store.prune();
  assert.equal(store.count(), 0);
  assert.throws(() => new MessageStore(tmp.path, { maxCount: -1 }), RangeError);
  assert.throws(() => new MessageStore(tmp.path, { maxAgeDays: Number.NaN }), RangeError);
  assert.throws(() => new MessageStore(tmp.path, { busyTimeoutMs: -1 }), RangeError);
});
