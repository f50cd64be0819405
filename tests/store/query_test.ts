import assert from "node:assert/strict";
import { type MessageStore } from "../../src/store/mod.ts";
import { MessageDirection, MessageType } from "../../src/models/mod.ts";
import { Message } from "../../src/models/mod.ts";
import { tempStoreDir, textMessage } from "./store_fixtures.ts";

const T0 = 1_700_000_000_000;

/** 12 messages: 3 users x 2 bots, text and image, received and sent, one a second apart. */
function seed(store: MessageStore): void {
  const users = ["alice@im.wechat", "bob@im.wechat", "carol@im.wechat"];
  const messages: Message[] = [];
  for (let i = 0; i < 12; i++) {
    const botId = i % 2 === 0 ? "botA@im.bot" : "botB@im.bot";
    const user = users[i % 3]!;
    const m = i % 4 === 3
      ? Message.fromWire({
        message_id: String(100 + i),
        from_user_id: user,
        create_time_ms: T0 + i * 1000,
        item_list: [{ type: 2, image_item: { media: { encrypt_query_param: `img${i}` } } }],
      }, botId)
      : textMessage(100 + i, `text ${i} ${i % 2 ? "odd" : "even"}`, {
        from_user_id: user,
        create_time_ms: T0 + i * 1000,
      }, botId);
    messages.push(m);
  }
  store.store(messages);
  store.storeSent({
    userId: "alice@im.wechat",
    botId: "botA@im.bot",
    text: "sent one",
    timestamp: T0 + 500,
  });
}

const ids = (ms: Message[]) => ms.map((m) => m.messageId ?? "-");

Deno.test("query: newest first, each filter alone", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  seed(store);
  assert.equal(store.count(), 13);
  const all = store.query();
  assert.equal(all.length, 13);
  assert.deepEqual(
    all.map((m) => m.timestamp),
    [...all.map((m) => m.timestamp)].sort((a, b) => b - a),
  );
  assert.equal(all[0]?.messageId, "111");

  assert.deepEqual(ids(store.query({ userId: "bob@im.wechat" })), ["110", "107", "104", "101"]);
  assert.equal(store.count({ botId: "botB@im.bot" }), 6);
  assert.equal(store.count({ botId: "botA@im.bot" }), 7);
  assert.deepEqual(ids(store.query({ msgType: MessageType.IMAGE })), ["111", "107", "103"]);
  assert.deepEqual(ids(store.query({ direction: MessageDirection.SENT })), ["-"]);
  assert.equal(store.count({ direction: MessageDirection.RECEIVED }), 12);
  assert.deepEqual(ids(store.query({ since: T0 + 9000 })), ["111", "110", "109"]);
  assert.deepEqual(ids(store.query({ until: T0 + 1000 })), ["101", "-", "100"]);
  assert.deepEqual(ids(store.query({ since: T0 + 2000, until: T0 + 4000 })), ["104", "103", "102"]);
  assert.deepEqual(ids(store.query({ since: new Date(T0 + 10_000) })), ["111", "110"]);
  assert.deepEqual(ids(store.query({ textContains: "odd" })), ["109", "105", "101"]);
  assert.equal(store.count({ textContains: "TEXT" }), 9, "ASCII case-insensitive");
  // Empty strings mean "no filter", as in the original.
  assert.equal(store.count({ userId: "", botId: "", textContains: "" }), 13);
});

Deno.test("query: filters combine with AND, count agrees with query", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  seed(store);
  const cases = [
    { userId: "alice@im.wechat", botId: "botA@im.bot" },
    { userId: "alice@im.wechat", direction: MessageDirection.SENT },
    { botId: "botA@im.bot", msgType: MessageType.TEXT, since: T0 + 3000 },
    { userId: "carol@im.wechat", textContains: "even", until: T0 + 8000 },
    { botId: "botB@im.bot", msgType: MessageType.IMAGE, direction: MessageDirection.RECEIVED },
  ];
  const expected = [["106", "-", "100"], ["-"], ["110", "108", "106", "104"], ["108", "102"], [
    "111",
    "107",
    "103",
  ]];
  for (const [i, filter] of cases.entries()) {
    assert.deepEqual(ids(store.query(filter)), expected[i], JSON.stringify(filter));
    assert.equal(store.count(filter), expected[i]!.length);
  }
});

Deno.test("query: textContains matches %, _ and \\ literally", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const texts = [
    "100% sure",
    "100 percent",
    "snake_case",
    "snakeXcase",
    "back\\slash",
    "backslash",
    "a%b_c\\d",
  ];
  store.store(texts.map((t, i) => textMessage(i + 1, t, { create_time_ms: T0 + i })));
  const found = (needle: string) => store.query({ textContains: needle }).map((m) => m.text);
  assert.deepEqual(found("%"), ["a%b_c\\d", "100% sure"]);
  assert.deepEqual(found("0%"), ["100% sure"]);
  assert.deepEqual(found("_"), ["a%b_c\\d", "snake_case"]);
  assert.deepEqual(found("e_c"), ["snake_case"]);
  assert.deepEqual(found("\\"), ["a%b_c\\d", "back\\slash"]);
  assert.deepEqual(found("%b_c\\"), ["a%b_c\\d"]);
  assert.equal(store.count({ textContains: "%" }), 2);
});

Deno.test("query: limit defaults to 50, is capped at 200, offset pages", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  store.store(
    Array.from({ length: 260 }, (_, i) => textMessage(i + 1, `m${i}`, { create_time_ms: T0 + i })),
  );
  assert.equal(store.query().length, 50);
  assert.equal(store.query({ limit: 1000 }).length, 200);
  assert.equal(store.query({ limit: 0 }).length, 0);
  const page1 = store.query({ limit: 3 });
  const page2 = store.query({ limit: 3, offset: 3 });
  assert.deepEqual(ids(page1), ["260", "259", "258"]);
  assert.deepEqual(ids(page2), ["257", "256", "255"]);
  assert.equal(store.query({ offset: 250 }).length, 10);
  assert.equal(store.count(), 260);
});

Deno.test("query: equal timestamps are ordered by row id, newest first", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  store.store([textMessage(1, "a"), textMessage(2, "b"), textMessage(3, "c")]);
  assert.deepEqual(ids(store.query()), ["3", "2", "1"]);
});

Deno.test("query: bad filter values throw TypeError or RangeError", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const bad = (v: unknown) => v as never;
  assert.throws(() => store.query({ limit: -1 }), RangeError);
  assert.throws(() => store.query({ limit: 1.5 }), RangeError);
  assert.throws(() => store.query({ limit: bad("10") }), TypeError);
  assert.throws(() => store.query({ offset: -5 }), /"offset"/);
  assert.throws(
    () => store.query({ userId: bad(5) }),
    /Invalid filter "userId": expected a string/,
  );
  assert.throws(() => store.query({ direction: bad(3) }), RangeError);
  assert.throws(() => store.count({ msgType: bad("1") }), TypeError);
  assert.throws(() => store.count({ since: Number.NaN }), RangeError);
  assert.throws(() => store.count({ since: new Date("nope") }), RangeError);
  assert.throws(() => store.count({ since: 10, until: 5 }), /later than "until"/);
  assert.throws(() => store.count({ textContains: bad({}) }), TypeError);
  assert.throws(() => store.count(bad("x")), TypeError);
  assert.throws(() => store.querySince(-1), RangeError);
  assert.throws(() => store.querySince(bad(undefined)), TypeError);
  assert.throws(() => store.queryRecent(bad({})), /"sinceMs"/);
});

Deno.test("querySince: ascending from a row id, by direction, paged", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  assert.equal(store.maxRowId(), 0);
  assert.deepEqual(store.querySince(0), []);
  store.store([textMessage(1, "r1"), textMessage(2, "r2")]);
  const mark = store.maxRowId();
  assert.equal(mark, 2);
  store.storeSent({ userId: "alice@im.wechat", botId: "bot1@im.bot", text: "s1" });
  store.store([textMessage(3, "r3"), textMessage(4, "r4"), textMessage(5, "r5")]);

  const after = store.querySince(mark);
  assert.deepEqual(after.map((r) => [r.rowid, r.message.text]), [[3, "s1"], [4, "r3"], [5, "r4"], [
    6,
    "r5",
  ]]);
  const received = store.querySince(mark, { direction: MessageDirection.RECEIVED });
  assert.deepEqual(received.map((r) => r.message.text), ["r3", "r4", "r5"]);
  const page = store.querySince(mark, { direction: MessageDirection.RECEIVED, limit: 2 });
  assert.deepEqual(page.map((r) => r.message.text), ["r3", "r4"]);
  const rest = store.querySince(page.at(-1)!.rowid, { direction: MessageDirection.RECEIVED });
  assert.deepEqual(rest.map((r) => r.message.text), ["r5"]);
  assert.deepEqual(store.querySince(store.maxRowId()), []);
});

Deno.test("queryRecent: rows stored inside the window, received by default, by bot", async () => {
  await using tmp = await tempStoreDir();
  let now = T0;
  const store = tmp.open({ maxAgeDays: null, maxCount: null, now: () => now });
  store.store([textMessage(1, "old")]);
  now += 120_000;
  store.store([textMessage(2, "a1"), textMessage(3, "b1", {}, "bot2@im.bot")]);
  store.storeSent({ userId: "alice@im.wechat", botId: "bot1@im.bot", text: "reply" });
  now += 1_000;
  store.store([textMessage(4, "a2")]);

  const recent = store.queryRecent({ sinceMs: now - 60_000 });
  assert.deepEqual(recent.map((r) => r.message.text), ["a1", "b1", "a2"]);
  assert.deepEqual(recent.map((r) => r.rowid), [2, 3, 5]);
  const bot1 = store.queryRecent({ botId: "bot1@im.bot", sinceMs: now - 60_000 });
  assert.deepEqual(bot1.map((r) => r.message.text), ["a1", "a2"]);
  const sent = store.queryRecent({ sinceMs: now - 60_000, direction: MessageDirection.SENT });
  assert.deepEqual(sent.map((r) => r.message.text), ["reply"]);
  assert.deepEqual(store.queryRecent({ sinceMs: now + 1 }), []);
  assert.deepEqual(store.queryRecent({ sinceMs: 0, limit: 2 }).map((r) => r.message.text), [
    "old",
    "a1",
  ]);
});
