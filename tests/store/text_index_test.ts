import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { createPythonDb, tempStoreDir, textMessage } from "./store_fixtures.ts";
import { chatText, prng } from "../../bench/traffic.ts";

/** What the plain `LIKE` scan answers, straight from SQLite: the reference for the index. */
function likeIds(path: string, needle: string): string[] {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const escaped = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    const stmt = db.prepare(
      "SELECT message_id FROM messages WHERE text LIKE ? ESCAPE '\\' " +
        "ORDER BY timestamp_ms DESC, id DESC LIMIT 200",
    );
    stmt.setReadBigInts(true);
    return stmt.all(escaped).map((r) => String(r.message_id));
  } finally {
    db.close();
  }
}

function indexRows(path: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    return Number(db.prepare("SELECT COUNT(*) AS n FROM messages_fts_docsize").get()?.n ?? 0);
  } finally {
    db.close();
  }
}

const SPECIAL = [
  'say "hi" now',
  "100% sure_thing",
  "back\\slash path",
  "Mixed CASE Hello",
  "天气不错 today",
  "emoji 😀😀 row",
  "short",
];

Deno.test("text index: searches answer exactly what the LIKE scan answers, rare and common needles alike", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  const random = prng(11);
  const batch = [];
  for (let i = 0; i < 3000; i++) {
    const text = i % 50 === 0 ? SPECIAL[(i / 50) % SPECIAL.length]! : `msg ${chatText(random)}`;
    batch.push(textMessage(String(7300000000000000001n + BigInt(i * 2)), text, {
      create_time_ms: 1_700_000_000_000 + (i % 7) * 1000 + i,
    }));
  }
  store.store(batch);
  const needles = [
    "天气不",
    "你好今天",
    "辛苦了",
    "客户报价",
    "不存在的词",
    "meeting",
    "MEETING",
    "zzqx",
    '"hi"',
    "100%",
    "sure_thing",
    "_th",
    "back\\sl",
    "hello",
    "😀😀",
    'ay "h',
    "合同",
    "a",
  ];
  for (const needle of needles) {
    const reference = likeIds(tmp.path, needle);
    const got = store.query({ textContains: needle, limit: 200 }).map((m) => m.messageId);
    assert.deepEqual(got, reference, `query ${JSON.stringify(needle)}`);
    assert.equal(store.count({ textContains: needle }), countLike(tmp.path, needle), needle);
  }
  assert.ok(indexRows(tmp.path) > 0, "the index was built");
  // "msg" is in nearly every row: that page comes from the newest-first scan, not the index.
  assert.ok(store.count({ textContains: "msg" }) > 1000);
});

function countLike(path: string, needle: string): number {
  const db = new DatabaseSync(path, { readOnly: true });
  try {
    const escaped = `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
    return Number(
      db.prepare("SELECT COUNT(*) AS n FROM messages WHERE text LIKE ? ESCAPE '\\'").get(escaped)
        ?.n,
    );
  } finally {
    db.close();
  }
}

Deno.test("text index: rows written after a search, by this store or another writer, are found by the next", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open();
  store.store([textMessage(11, "first 周报已经发送")]);
  assert.equal(store.count({ textContains: "周报已" }), 1);
  store.store([textMessage(13, "second 周报已经发送")]);
  // Another connection (another process, or the Python original) inserts a row directly.
  const other = new DatabaseSync(tmp.path);
  other.prepare(
    "INSERT INTO messages (message_id, user_id, bot_id, msg_type, direction, text, timestamp_ms, " +
      "context_token, data, stored_at) VALUES (15, 'bob@im.wechat', 'bot1@im.bot', 1, 1, ?, 1, '', '{}', 0)",
  ).run("third 周报已经发送");
  other.close();
  assert.deepEqual(
    store.query({ textContains: "周报已" }).map((m) => m.messageId).sort(),
    ["11", "13", "15"],
  );
});

Deno.test("text index: pruned rows leave the index; an emptied table is indexed afresh", async () => {
  await using tmp = await tempStoreDir();
  const store = tmp.open({ maxAgeDays: null, maxCount: 100 });
  const batch = Array.from(
    { length: 150 },
    (_, i) =>
      textMessage(1001 + i * 2, `row ${i} 项目进度`, { create_time_ms: 1_700_000_000_000 + i }),
  );
  store.store(batch.slice(0, 80));
  assert.equal(store.count({ textContains: "项目进" }), 80);
  store.store(batch.slice(80));
  store.prune();
  assert.equal(store.count({ textContains: "项目进" }), 100);
  assert.equal(store.count({ textContains: "项目进" }), countLike(tmp.path, "项目进"));
  assert.ok(indexRows(tmp.path) <= 100 + 80, "entries of pruned rows are dropped");

  const db = new DatabaseSync(tmp.path);
  db.exec("DELETE FROM messages; DELETE FROM sqlite_sequence;");
  db.close();
  assert.equal(store.count({ textContains: "项目进" }), 0);
  store.store([textMessage(5, "new 项目进度 again")]);
  assert.deepEqual(store.query({ textContains: "项目进" }).map((m) => m.messageId), ["5"]);
});

const python = await new Deno.Command("python3", { args: ["-c", "import sqlite3"] }).output()
  .then((o) => o.success, () => false);

Deno.test({
  name:
    "text index: a database the original's schema created stays readable and writable by Python's sqlite3",
  ignore: !python,
  async fn() {
    await using tmp = await tempStoreDir();
    createPythonDb(tmp.path).close();
    const store = tmp.open();
    store.store([textMessage(21, "from deno 会议纪要")]);
    assert.equal(store.count({ textContains: "会议纪" }), 1);
    // Python inserts and reads the way the original does, with the index tables present.
    const script = `
import sqlite3, sys, time
db = sqlite3.connect(sys.argv[1])
db.execute("INSERT INTO messages (message_id, user_id, bot_id, msg_type, direction, text, "
           "timestamp_ms, context_token, data, stored_at) VALUES (?,?,?,?,?,?,?,?,?,?)",
           (23, "carol@im.wechat", "bot1@im.bot", 1, 1, "from python 会议纪要", 2, "", "{}", time.time()))
db.commit()
print(db.execute("SELECT COUNT(*) FROM messages WHERE text LIKE '%会议纪%'").fetchone()[0])
db.execute("DELETE FROM messages WHERE message_id = 21")
db.commit()
db.close()
`;
    const out = await new Deno.Command("python3", { args: ["-c", script, tmp.path] }).output();
    assert.ok(out.success, new TextDecoder().decode(out.stderr));
    assert.equal(new TextDecoder().decode(out.stdout).trim(), "2");
    assert.deepEqual(store.query({ textContains: "会议纪" }).map((m) => m.messageId), ["23"]);
  },
});
