/**
 * Keyset paging of the history (`cursor`, `beforeId`) against offset paging, with messages
 * stored between two page fetches: offset pages repeat a row, keyset pages neither repeat nor
 * skip one.
 */
import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import type { MessageStore } from "../../src/store/mod.ts";
import { compileFilter } from "../../src/store/query_filter.ts";
import { tempStoreDir, textMessage } from "./store_fixtures.ts";
import type { Message } from "../../src/models/mod.ts";

const T0 = 1_700_000_000_000;

/** Stores `count` received texts with ids from `first`, one second apart from `at`. */
function storeTexts(store: MessageStore, first: number, count: number, at: number): void {
  const messages: Message[] = [];
  for (let i = 0; i < count; i++) {
    messages.push(textMessage(first + i, `m${first + i}`, { create_time_ms: at + i * 1000 }));
  }
  store.store(messages);
}

const ids = (messages: Message[]) => messages.map((m) => m.messageId);

Deno.test("paging: a message stored between pages repeats a row by offset, none by cursor", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  storeTexts(store, 100, 10, T0); // ids 100..109, 109 newest

  const byOffset1 = store.query({ limit: 4 });
  const byCursor1 = store.queryPage({ limit: 4 });
  assert.deepEqual(ids(byOffset1), ["109", "108", "107", "106"]);
  assert.deepEqual(ids(byCursor1.messages), ids(byOffset1));
  assert.equal(typeof byCursor1.nextCursor, "string");

  // Two new messages arrive while the reader looks at page one.
  storeTexts(store, 200, 2, T0 + 60_000);

  const byOffset2 = store.query({ limit: 4, offset: 4 });
  assert.deepEqual(ids(byOffset2), ["107", "106", "105", "104"], "offset shifts by the new rows");
  const repeated = ids(byOffset2).filter((id) => ids(byOffset1).includes(id));
  assert.deepEqual(repeated, ["107", "106"]);

  const seen = [...ids(byCursor1.messages)];
  let cursor = byCursor1.nextCursor;
  while (cursor !== undefined) {
    const page = store.queryPage({ limit: 4, cursor });
    seen.push(...ids(page.messages));
    cursor = page.nextCursor;
    // Arrivals at any time, even of older timestamps than the cursor's, cannot shift a page.
    if (seen.length === 8) storeTexts(store, 300, 1, T0 + 120_000);
  }
  assert.deepEqual(seen, ["109", "108", "107", "106", "105", "104", "103", "102", "101", "100"]);
});

Deno.test("paging: equal timestamps are split by row id, filters and text search keep working", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  // Five messages in the same millisecond, then five one second apart.
  const same: Message[] = [];
  for (let i = 0; i < 5; i++) same.push(textMessage(100 + i, `same ${i}`, { create_time_ms: T0 }));
  store.store(same);
  storeTexts(store, 110, 5, T0 + 1000);

  const all = ids(store.query({ limit: 200 }));
  for (const limit of [1, 2, 3, 4, 7]) {
    const walked: (string | undefined)[] = [];
    let page = store.queryPage({ limit });
    walked.push(...ids(page.messages));
    while (page.nextCursor !== undefined) {
      page = store.queryPage({ limit, cursor: page.nextCursor });
      walked.push(...ids(page.messages));
    }
    assert.deepEqual(walked, all, `limit ${limit}`);
  }

  // With a filter, the cursor continues within the filter.
  const first = store.queryPage({ limit: 2, textContains: "same" });
  assert.deepEqual(ids(first.messages), ["104", "103"]);
  const next = store.queryPage({ limit: 10, textContains: "same", cursor: first.nextCursor });
  assert.deepEqual(ids(next.messages), ["102", "101", "100"]);
  assert.equal(next.nextCursor, undefined);
  assert.equal(store.count({ textContains: "same" }), 5, "count ignores the cursor");

  // An exact last page has no next cursor; an empty table neither.
  assert.equal(store.queryPage({ limit: 10 }).nextCursor, undefined);
  assert.notEqual(store.queryPage({ limit: 9 }).nextCursor, undefined);
});

Deno.test("paging: beforeId continues after a message, offset counts from it", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  storeTexts(store, 100, 6, T0);
  assert.deepEqual(ids(store.query({ beforeId: "103", limit: 10 })), ["102", "101", "100"]);
  assert.deepEqual(ids(store.query({ beforeId: "103", limit: 1, offset: 1 })), ["101"]);
  assert.deepEqual(ids(store.query({ beforeId: "100" })), []);
  // The same place as the cursor of the page that ends with that message.
  const page = store.queryPage({ limit: 2 });
  assert.deepEqual(ids(page.messages), ["105", "104"]);
  assert.deepEqual(
    ids(store.query({ cursor: page.nextCursor, limit: 10 })),
    ids(store.query({ beforeId: "104", limit: 10 })),
  );
  // "" means "not given", as for the filters.
  assert.equal(store.query({ cursor: "", beforeId: "" }).length, 6);
});

Deno.test("paging: bad cursors and ids throw TypeError or RangeError", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  storeTexts(store, 100, 3, T0);
  for (const cursor of ["abc", "1.2.3", "1.-2", "99999999999999999999.1", " 1.2", "1.2 "]) {
    assert.throws(() => store.query({ cursor }), RangeError, cursor);
  }
  assert.throws(() => store.query({ cursor: 5 as unknown as string }), TypeError);
  assert.throws(() => store.query({ beforeId: "999" }), /no stored message has the id "999"/);
  assert.throws(() => store.query({ beforeId: "x" }), TypeError);
  assert.throws(
    () => store.query({ cursor: "1.1", beforeId: "100" }),
    /give "cursor" or "beforeId", not both/,
  );
  // A well-formed cursor of a row that no longer exists still names a place in the order.
  assert.deepEqual(ids(store.query({ cursor: `${T0 + 1500}.1` })), ["101", "100"]);
});

Deno.test("paging: a keyset page searches the time indexes from its place", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  storeTexts(store, 1, 2_000, T0);
  let page = store.queryPage({ limit: 200 });
  const seen = new Set(ids(page.messages));
  while (page.nextCursor !== undefined) {
    page = store.queryPage({ limit: 200, cursor: page.nextCursor });
    for (const id of ids(page.messages)) seen.add(id);
  }
  assert.equal(seen.size, 2_000);

  // Offset paging reads and drops every skipped row; a keyset page starts inside the index.
  const db = new DatabaseSync(tmp.path, { readOnly: true });
  try {
    const before = { timestampMs: BigInt(T0 + 1_000_000), id: 1000n };
    for (
      const [filter, index] of [[{}, "idx_msg_ts"], [
        { userId: "alice@im.wechat" },
        "idx_msg_user_ts",
      ]] as const
    ) {
      const { where, params } = compileFilter(filter, false, before);
      const plan = db.prepare(
        `EXPLAIN QUERY PLAN SELECT id FROM messages${where} ORDER BY timestamp_ms DESC, id DESC`,
      ).all(...params).map((row) => String(row.detail)).join("; ");
      assert.match(
        plan,
        new RegExp(`SEARCH messages USING (?:COVERING )?INDEX ${index} \\(.*timestamp_ms<\\?\\)`),
        plan,
      );
    }
  } finally {
    db.close();
  }
});
