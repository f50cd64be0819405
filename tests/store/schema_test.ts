import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { MessageStore, SCHEMA_VERSION } from "../../src/store/mod.ts";
import { Message, MessageDirection, MessageType } from "../../src/models/mod.ts";
import { createPythonDb, tempStoreDir, textMessage } from "./store_fixtures.ts";

type Row = Record<string, unknown>;

/** Everything about a schema that both implementations must agree on. */
function describeSchema(path: string): Row {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const all = (sql: string) => db.prepare(sql).all().map((r) => ({ ...r }));
    const indexes = all("PRAGMA index_list(messages)").sort((a, b) =>
      String(a.name).localeCompare(String(b.name))
    );
    return {
      master: all(
        "SELECT type, name, tbl_name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_stat%' " +
          "ORDER BY type, name",
      ),
      columns: all("PRAGMA table_info(messages)"),
      indexes: indexes.map((ix) => ({
        ...ix,
        columns: all(`PRAGMA index_xinfo(${JSON.stringify(ix.name)})`),
      })),
      userVersion: db.prepare("PRAGMA user_version").get()?.user_version,
    };
  } finally {
    db.close();
  }
}

Deno.test("schema: a new store is identical to one created from the Python DDL", async () => {
  await using tmp = await tempStoreDir();
  tmp.open().close();
  const fixturePath = `${tmp.dir}/python.db`;
  createPythonDb(fixturePath).close();

  const ours = describeSchema(tmp.path);
  const theirs = describeSchema(fixturePath);
  assert.deepEqual(ours, theirs);
  assert.equal(ours.userVersion, SCHEMA_VERSION);
  const names = (ours.master as Row[]).map((r) => r.name);
  for (const name of ["messages", "idx_msg_user_ts", "idx_msg_bot_ts", "idx_msg_ts"]) {
    assert.ok(names.includes(name), `missing ${name}`);
  }
  assert.ok(names.includes("idx_msg_direction"));
  assert.equal((ours.columns as Row[]).length, 11);
});

Deno.test("schema: WAL mode is on", async () => {
  await using tmp = await tempStoreDir();
  tmp.open({ busyTimeoutMs: 1234, maxAgeDays: null, maxCount: null }).close();
  const db = new DatabaseSync(tmp.path);
  try {
    assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
  } finally {
    db.close();
  }
});

Deno.test("schema: a database with a newer user_version is refused", async () => {
  await using tmp = await tempStoreDir();
  const db = createPythonDb(tmp.path);
  db.exec("PRAGMA user_version = 2");
  db.close();
  assert.throws(
    () => new MessageStore(tmp.path),
    (e: Error) =>
      /schema version 2 is newer than the supported version 1/.test(e.message) &&
      e.message.includes(tmp.path),
  );
});

Deno.test("schema: reopening keeps rows and does not touch the schema", async () => {
  await using tmp = await tempStoreDir();
  const first = tmp.open();
  first.store([textMessage(42, "hello")]);
  first.close();
  const before = describeSchema(tmp.path);
  const second = tmp.open();
  assert.equal(second.getById("42")?.text, "hello");
  second.close();
  assert.deepEqual(describeSchema(tmp.path), before);
});

/** Rows exactly as the Python original's `store()` / `store_sent()` write them. */
function insertPythonRows(db: DatabaseSync): void {
  const insert = db.prepare(
    "INSERT INTO messages (message_id, user_id, bot_id, msg_type, direction, text, " +
      "timestamp_ms, context_token, data, stored_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
  );
  const now = Date.now() / 1000;
  // Python's json.dumps(ensure_ascii=False) with its default ", " / ": " separators.
  insert.run(
    7300000000000000123n,
    "alice@im.wechat",
    "bot1@im.bot",
    1,
    1,
    "hello 你好",
    1700000000000,
    "ctx-a",
    '{"from_user": "alice@im.wechat", "msg_type": 1, "timestamp": 1700000000000, ' +
      '"message_id": 7300000000000000123, "context_token": "ctx-a", "bot_id": "bot1@im.bot", ' +
      '"text": "hello 你好", "ref_msg": {"msg_type": 1, "text": "quoted"}}',
    now,
  );
  insert.run(
    200,
    "bob@im.wechat",
    "bot1@im.bot",
    2,
    1,
    null,
    1700000001000,
    "ctx-b",
    '{"from_user": "bob@im.wechat", "msg_type": 2, "timestamp": 1700000001000, ' +
      '"message_id": 200, "context_token": "ctx-b", "bot_id": "bot1@im.bot", "image": ' +
      '{"media": {"encrypt_query_param": "param=abc", "aes_key": "deadbeef", ' +
      '"encrypt_type": 1, "full_url": "https://cdn.example/c2c/download?param=abc"}, ' +
      '"url": "", "thumb_width": 100, "thumb_height": 200, "hd_size": 5000}}',
    now,
  );
  insert.run(
    300,
    "bob@im.wechat",
    "bot1@im.bot",
    4,
    1,
    null,
    1700000002000,
    "",
    '{"from_user": "bob@im.wechat", "msg_type": 4, "timestamp": 1700000002000, ' +
      '"message_id": 300, "context_token": "", "bot_id": "bot1@im.bot", "file": {"media": ' +
      '{"encrypt_query_param": "fq", "aes_key": "filekey"}, "file_name": "doc.pdf", ' +
      '"file_size": "12345", "md5": "abc123"}}',
    now,
  );
  // store_sent(): no message id, from_user = the recipient, empty context token.
  insert.run(
    null,
    "alice@im.wechat",
    "bot1@im.bot",
    1,
    2,
    "reply",
    1700000003000,
    "",
    '{"from_user": "alice@im.wechat", "msg_type": 1, "timestamp": 1700000003000, ' +
      '"message_id": null, "context_token": "", "bot_id": "bot1@im.bot", "text": "reply"}',
    now,
  );
}

Deno.test("compat: rows written by the Python original read back as full messages", async () => {
  await using tmp = await tempStoreDir();
  const db = createPythonDb(tmp.path);
  insertPythonRows(db);
  db.close();
  const store = tmp.open();

  const text = store.getById("7300000000000000123");
  assert.ok(text instanceof Message);
  assert.equal(text.messageId, "7300000000000000123");
  assert.equal(text.text, "hello 你好");
  assert.equal(text.fromUser, "alice@im.wechat");
  assert.equal(text.contextToken, "ctx-a");
  assert.equal(text.botId, "bot1@im.bot");
  assert.equal(text.direction, MessageDirection.RECEIVED);
  assert.equal(text.refMsg?.text, "quoted");
  assert.deepEqual(text.items.map((i) => [i.type, i.text]), [[1, "hello 你好"]]);
  assert.equal(text.items[0]?.refMsg?.text, "quoted");

  const image = store.getById("200");
  assert.equal(image?.msgType, MessageType.IMAGE);
  assert.deepEqual(image?.image?.media, {
    encryptQueryParam: "param=abc",
    aesKey: "deadbeef",
    encryptType: 1,
    fullUrl: "https://cdn.example/c2c/download?param=abc",
  });
  assert.equal(image?.image?.hdSize, 5000);
  assert.equal(image?.image?.aesKeyHex, "", "absent extension keys get defaults");
  assert.equal(image?.items[0]?.image, image?.image);

  const file = store.getById("300");
  assert.equal(file?.file?.fileName, "doc.pdf");
  assert.equal(file?.file?.media.fullUrl, "", "legacy media without full_url");
  assert.equal(file?.file?.media.encryptQueryParam, "fq");

  const [sent] = store.query({ direction: MessageDirection.SENT });
  assert.equal(sent?.direction, MessageDirection.SENT);
  assert.equal(sent?.fromUser, "bot1@im.bot");
  assert.equal(sent?.toUser, "alice@im.wechat");
  assert.equal(sent?.messageId, undefined);
  assert.equal(sent?.text, "reply");

  assert.equal(store.count(), 4);
  assert.equal(store.count({ userId: "alice@im.wechat" }), 2);
  // New rows continue the same table.
  store.store([textMessage(301, "after")]);
  assert.equal(store.maxRowId(), 5);
});

Deno.test("compat: rows written here carry the Python reader's keys and types", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  store.store([
    Message.fromWire({
      message_id: "18446744073709551615",
      from_user_id: "alice@im.wechat",
      to_user_id: "bot1@im.bot",
      create_time_ms: 1700000000000,
      context_token: "ctx",
      item_list: [{
        type: 2,
        image_item: {
          media: { encrypt_query_param: "p", aes_key: "k", encrypt_type: 1, full_url: "u" },
          aeskey: "00112233445566778899aabbccddeeff",
          hd_size: 9,
        },
      }],
    }, "bot1@im.bot"),
  ]);
  store.close();
  const db = new DatabaseSync(tmp.path, { readOnly: true });
  const row = db.prepare("SELECT message_id, data FROM messages").get() as {
    message_id: number;
    data: string;
  };
  db.close();
  // 2^64 - 1 is stored as its two's complement -1; the JSON keeps the real value as an integer.
  assert.equal(row.message_id, -1);
  assert.match(row.data, /"message_id":18446744073709551615[,}]/);
  const d = JSON.parse(row.data);
  assert.deepEqual(
    Object.keys(d).slice(0, 6),
    ["from_user", "msg_type", "timestamp", "message_id", "context_token", "bot_id"],
  );
  assert.equal(d.msg_type, 2);
  assert.equal(d.timestamp, 1700000000000);
  assert.deepEqual(d.image.media, {
    encrypt_query_param: "p",
    aes_key: "k",
    encrypt_type: 1,
    full_url: "u",
  });
  for (const key of ["url", "thumb_width", "thumb_height", "hd_size"]) assert.ok(key in d.image);
  assert.equal(d.image.aes_key_hex, "00112233445566778899aabbccddeeff");
});
