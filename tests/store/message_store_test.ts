import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { decodeMessageId, encodeMessageId } from "../../src/store/mod.ts";
import { Message, MessageDirection, MessageType } from "../../src/models/mod.ts";
import { tempStoreDir, textMessage } from "./store_fixtures.ts";

const MEDIA = {
  encrypt_query_param: "eqp",
  aes_key: "a2V5",
  encrypt_type: 1,
  full_url: "https://f",
};

Deno.test("store: a batch goes in and is idempotent on message_id", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const batch = Array.from({ length: 250 }, (_, i) => textMessage(1000 + i, `m${i}`));
  assert.equal(store.store(batch), 250);
  assert.equal(store.store(batch), 0);
  assert.equal(store.store([textMessage(1000, "changed"), textMessage(5000, "new")]), 1);
  assert.equal(store.count(), 251);
  assert.equal(store.getById("1000")?.text, "m0", "the first write wins");
  assert.equal(store.store([]), 0);
});

Deno.test("store: a batch with one invalid message stores nothing", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const bad = textMessage(2, "bad");
  bad.messageId = "12x";
  assert.throws(() => store.store([textMessage(1, "ok"), bad]), TypeError);
  assert.equal(store.count(), 0);
  store.store([textMessage(3, "later")]);
  assert.equal(store.count(), 1);
});

Deno.test("store: 64-bit ids round-trip exactly, including ids >= 2^63", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const ids = [
    "0",
    "1",
    "9007199254740993", // 2^53 + 1: the first id a JS number gets wrong
    "7300000000000000123",
    "9223372036854775807", // 2^63 - 1
    "9223372036854775808", // 2^63
    "18446744073709551615", // 2^64 - 1
  ];
  store.store(ids.map((id, i) => textMessage(id, `t${i}`, { create_time_ms: 1000 + i })));
  for (const [i, id] of ids.entries()) {
    const m = store.getById(id);
    assert.equal(m?.messageId, id);
    assert.equal(m?.text, `t${i}`);
  }
  assert.deepEqual(store.query({ limit: 10 }).map((m) => m.messageId), [...ids].reverse());
  assert.equal(store.getById("7300000000000000124"), undefined);
  // Neighbours that a lossy conversion would merge stay distinct.
  store.store([textMessage("7300000000000000122", "neighbour")]);
  assert.equal(store.getById("7300000000000000122")?.text, "neighbour");
  assert.equal(store.getById("7300000000000000123")?.text, "t3");
  // The column holds the signed two's complement, exactly.
  const db = new DatabaseSync(tmp.path, { readOnly: true });
  const stmt = db.prepare("SELECT message_id FROM messages WHERE text = ?");
  stmt.setReadBigInts(true);
  assert.equal(stmt.get("t4")?.message_id, 9223372036854775807n);
  assert.equal(stmt.get("t5")?.message_id, -9223372036854775808n);
  assert.equal(stmt.get("t6")?.message_id, -1n);
  db.close();
});

Deno.test("store: invalid message ids are rejected with a clear error", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  assert.throws(() => encodeMessageId("18446744073709551616"), RangeError);
  assert.throws(() => encodeMessageId("-1"), TypeError);
  assert.throws(() => encodeMessageId("1e5"), /Invalid message id "1e5"/);
  assert.throws(() => store.getById("abc"), TypeError);
  assert.throws(() => store.getById(123 as unknown as string), TypeError);
  const m = textMessage(1, "x");
  m.messageId = "99999999999999999999";
  assert.throws(() => store.store([m]), /exceeds the unsigned 64-bit range/);
  assert.equal(decodeMessageId(-2n), "18446744073709551614");
  assert.equal(decodeMessageId(null), undefined);
});

Deno.test("store: every item, media reference and quote survives a round trip", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const original = Message.fromWire({
    message_id: "7300000000000000999",
    from_user_id: "alice@im.wechat",
    to_user_id: "bot1@im.bot",
    create_time_ms: 1_700_000_000_000,
    context_token: "ctx",
    item_list: [
      {
        type: 2,
        msg_id: "7300000000000000998",
        image_item: {
          media: MEDIA,
          aeskey: "00112233445566778899aabbccddeeff",
          mid_size: 1,
          thumb_size: 2,
          hd_size: 3,
          thumb_width: 4,
          thumb_height: 5,
        },
        ref_msg: {
          title: "quoted title",
          svr_id: "7300000000000000001",
          message_item: { type: 4, file_item: { media: MEDIA, file_name: "a.pdf", len: "7" } },
        },
      },
      { type: 1, text_item: { text: "caption" } },
      {
        type: 3,
        voice_item: { media: MEDIA, playtime: 3000, text: "said", encode_type: 6, sample_rate: 8 },
      },
      {
        type: 5,
        video_item: {
          media: MEDIA,
          thumb_media: { ...MEDIA, full_url: "https://thumb" },
          play_length: 9,
          video_md5: "vm",
          video_size: 10,
          thumb_size: 11,
        },
      },
      { type: 4, file_item: { media: MEDIA, file_name: "b.txt", len: "12", md5: "fm" } },
      { type: 11, tool_call: { name: "x", id: 7 } },
    ],
  }, "bot1@im.bot");
  store.store([original]);
  const back = store.getById("7300000000000000999");
  assert.ok(back);
  // Same fields as the parsed original (undefined-valued keys aside).
  assert.deepEqual(JSON.parse(JSON.stringify(back)), JSON.parse(JSON.stringify(original)));
  assert.deepEqual({ ...back.items[0]?.refMsg }, { ...original.items[0]?.refMsg });
  assert.deepEqual(back.items, original.items);
  assert.deepEqual(back.image, original.image);
  assert.deepEqual(back.voice, original.voice);
  assert.deepEqual(back.video, original.video);
  assert.deepEqual(back.file, original.file);
  assert.equal(back.refMsg?.svrId, "7300000000000000001");
  assert.equal(back.refMsg?.title, "quoted title");
  assert.equal(back.items[0]?.msgId, "7300000000000000998");
  assert.deepEqual(back.items[5]?.raw, { type: 11, tool_call: { name: "x", id: 7 } });
  assert.equal(back.toUser, "bot1@im.bot");
  assert.equal(back.contextToken, "ctx");
  assert.equal(back.msgType, MessageType.IMAGE);
});

Deno.test("store: a quote of type 0 reads back as 0; a quote stored without a type reads as TEXT", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const quoted = Message.fromWire({
    message_id: "41",
    from_user_id: "alice@im.wechat",
    item_list: [{ type: 1, text_item: { text: "re" }, ref_msg: { message_item: {} } }],
  }, "bot1@im.bot");
  assert.equal(quoted.refMsg?.msgType, 0);
  store.store([quoted]);
  assert.equal(store.getById("41")?.refMsg?.msgType, 0);

  // A row as the Python original may hold it: a quote with no msg_type at all.
  const db = new DatabaseSync(tmp.path);
  const row = db.prepare("SELECT data FROM messages WHERE message_id = 41").get();
  const data = JSON.parse(String(row?.data));
  const quote = data.ref_msg ?? data.items?.[0]?.ref_msg;
  assert.ok(quote, "the stored document holds the quote");
  delete quote.msg_type;
  db.prepare("UPDATE messages SET data = ? WHERE message_id = 41").run(JSON.stringify(data));
  db.close();
  assert.equal(store.getById("41")?.refMsg?.msgType, MessageType.TEXT);
});

Deno.test("store: a single-item message is stored compactly and rebuilt whole", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const m = textMessage(77, "short");
  store.store([m]);
  const back = store.getById("77");
  assert.deepEqual(back?.items, m.items);
  const db = new DatabaseSync(tmp.path, { readOnly: true });
  const data = JSON.parse(String(db.prepare("SELECT data FROM messages").get()?.data));
  db.close();
  assert.equal(data.items, undefined);
  assert.equal(data.text, "short");
});

Deno.test("storeSent: text and media sends are recorded as sent, with download references", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const text = store.storeSent({
    userId: "alice@im.wechat",
    botId: "bot1@im.bot",
    text: "hi there",
    messageId: "7300000000000005000",
    timestamp: 1234,
  });
  assert.ok(text);
  assert.equal(text.rowid, 1);
  const image = store.storeSent({
    userId: "alice@im.wechat",
    botId: "bot1@im.bot",
    msgType: MessageType.IMAGE,
    media: {
      downloadParam: "dl-param",
      aesKeyHex: "00112233445566778899aabbccddeeff",
      cipherSize: 48,
      fileSize: 40,
    },
  });
  const file = store.storeSent({
    userId: "bob@im.wechat",
    botId: "bot1@im.bot",
    msgType: MessageType.FILE,
    text: "the report",
    media: { fileName: "report.pdf", fileSize: 12345, md5: "abc", downloadParam: "fp" },
  });
  assert.ok(image && file);

  const sent = store.query({ direction: MessageDirection.SENT, limit: 10 });
  assert.equal(sent.length, 3);
  const back = store.getById("7300000000000005000");
  assert.equal(back?.direction, MessageDirection.SENT);
  assert.equal(back?.fromUser, "bot1@im.bot");
  assert.equal(back?.toUser, "alice@im.wechat");
  assert.equal(back?.timestamp, 1234);

  const [row] = store.querySince(image.rowid - 1, { limit: 1 });
  const img = row?.message.image;
  assert.equal(img?.media.encryptQueryParam, "dl-param");
  assert.equal(img?.aesKeyHex, "00112233445566778899aabbccddeeff");
  assert.equal(atob(img?.media.aesKey ?? ""), "00112233445566778899aabbccddeeff");
  assert.equal(img?.midSize, 48);
  assert.equal(row?.message.msgType, MessageType.IMAGE);

  const [f] = store.query({ userId: "bob@im.wechat" });
  assert.equal(f?.file?.fileName, "report.pdf");
  assert.equal(f?.file?.fileSize, "12345");
  assert.equal(f?.text, "the report");
  assert.deepEqual(f?.items.map((i) => i.type), [MessageType.FILE, MessageType.TEXT]);
  assert.equal(store.count({ userId: "alice@im.wechat", direction: MessageDirection.SENT }), 2);

  // The same server id twice is recorded once.
  assert.equal(
    store.storeSent({ userId: "alice@im.wechat", botId: "b", messageId: "7300000000000005000" }),
    undefined,
  );
});

Deno.test("storeSent: bad records are rejected", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  assert.throws(() => store.storeSent({ userId: "", botId: "b" }), /"userId"/);
  assert.throws(
    () => store.storeSent({ userId: "u", botId: "b", media: { fileName: "x" } }),
    /not a media type/,
  );
  assert.throws(() => store.storeSent({ userId: "u", botId: "b", messageId: "x" }), TypeError);
  assert.equal(store.count(), 0);
});

Deno.test("store: a row whose data is not JSON still reads from its columns", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  store.store([textMessage(5, "fine")]);
  const db = new DatabaseSync(tmp.path);
  db.exec("UPDATE messages SET data = '{broken' WHERE message_id = 5");
  db.close();
  const m = store.getById("5");
  assert.equal(m?.text, "fine");
  assert.equal(m?.fromUser, "alice@im.wechat");
  assert.equal(m?.messageId, "5");
});

Deno.test("store: a closed store refuses calls; close is idempotent; using disposes", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  store.close();
  store.close();
  assert.equal(store.closed, true);
  assert.throws(() => store.count(), /is closed/);
  assert.throws(() => store.store([textMessage(1, "x")]), /is closed/);
  let kept;
  {
    using scoped = tmp.open();
    kept = scoped;
    scoped.store([textMessage(1, "x")]);
  }
  assert.equal(kept.closed, true);
});

Deno.test("store: the data column escapes strings exactly as JSON.stringify does", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const odd = [
    'quote " inside',
    "back\\slash",
    "controls \u0000\u0001\n\t\u001f",
    "lone \ud800 surrogate",
    "pair 😀 and 中文",
    "line \u2028 separator, del \u007f",
    "plain ascii",
  ];
  store.store(odd.map((text, i) =>
    textMessage(100 + i, text, {
      from_user_id: `from ${text}`,
      to_user_id: `to ${text}`,
      context_token: `ctx ${text}`,
    })
  ));
  const db = new DatabaseSync(tmp.path, { readOnly: true });
  const rows = db.prepare("SELECT message_id, data FROM messages ORDER BY id").all() as {
    message_id: number;
    data: string;
  }[];
  db.close();
  assert.equal(rows.length, odd.length);
  for (const [i, row] of rows.entries()) {
    const text = odd[i]!;
    // Small ids stay exact through a JS number, so the document must be JSON.stringify's own
    // rendering of what it parses to, byte for byte.
    const parsed = JSON.parse(row.data);
    assert.equal(row.data, JSON.stringify(parsed));
    assert.equal(parsed.message_id, 100 + i);
    assert.equal(parsed.text, text);
    assert.equal(parsed.from_user, `from ${text}`);
    assert.equal(parsed.to_user, `to ${text}`);
    assert.equal(parsed.context_token, `ctx ${text}`);
    assert.equal(store.getById(String(100 + i))?.text, text);
  }
});

Deno.test({
  name: "store: the database and its WAL are private (0600), a looser file is tightened",
  ignore: Deno.build.os === "windows",
  async fn() {
    await using tmp = await tempStoreDir();
    const store = tmp.open();
    store.store([textMessage(1, "secret")]);
    assert.equal(Deno.statSync(tmp.path).mode! & 0o777, 0o600);
    assert.equal(Deno.statSync(`${tmp.path}-wal`).mode! & 0o777, 0o600);
    store.close();

    // A file written with the umask (as the Python original does) is tightened on open.
    Deno.chmodSync(tmp.path, 0o644);
    tmp.open().close();
    assert.equal(Deno.statSync(tmp.path).mode! & 0o777, 0o600);
  },
});
