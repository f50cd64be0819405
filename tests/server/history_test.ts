/**
 * The `history` tool: rows in the Python original's shape (a sent row's `from_user` is the user,
 * `to_user` names the recipient) and the CLI's time forms for `since`/`until`.
 */
import assert from "node:assert/strict";
import { serveMcp, serveOpenApi } from "../../src/server/mod.ts";
import { MessageStore } from "../../src/store/mod.ts";
import { Message } from "../../src/models/mod.ts";
import {
  callTool,
  connectHttp,
  eventually,
  loginThroughTool,
  serverOptions,
  startEnv,
} from "./harness.ts";

Deno.test("mcp history: sent rows name the user in from_user and to_user; since accepts 2d", async () => {
  await using env = await startEnv();
  const server = await serveMcp({ ...serverOptions(env), transport: "http", port: 0 });
  const client = await connectHttp(server.url!);
  const call = (name: string, args: Record<string, unknown> = {}) => callTool(client, name, args);
  try {
    const { userId, botId } = await loginThroughTool(call, env.sandbox);
    await env.sandbox.injectMessage({ text: "question" });
    await eventually(
      async () => {
        const r = await call("recv", { timeout: 2 });
        return (r.structured.messages as { text?: string }[]).find((m) => m.text === "question");
      },
      10_000,
      "the injected message",
    );
    const sent = await call("send", { to: userId, text: "answer" });
    assert.equal(sent.isError, false, sent.text);

    const history = await call("history", { since: "2d" });
    assert.equal(history.isError, false, history.text);
    const rows = history.structured.messages as Record<string, unknown>[];
    const answer = rows.find((m) => m.text === "answer");
    const question = rows.find((m) => m.text === "question");
    assert.ok(answer && question, history.text);
    assert.equal(answer.direction, "sent");
    assert.equal(answer.from_user, userId, "sent rows: from_user is the recipient, as in Python");
    assert.equal(answer.to_user, userId);
    assert.equal(answer.bot_id, botId);
    assert.equal(question.direction, "received");
    assert.equal(question.from_user, userId);
    assert.equal(question.to_user, botId);
    // The keys of the original come first, in its order.
    assert.deepEqual(Object.keys(answer).slice(0, 5), [
      "message_id",
      "from_user",
      "msg_type",
      "timestamp",
      "bot_id",
    ]);

    const byUser = await call("history", { user_id: userId, since: "1h ago", until: "now" });
    assert.equal(byUser.structured.total, 2, byUser.text);
    assert.equal(byUser.structured.next_cursor, null, "one page holds both");
    const newest = await call("history", { user_id: userId, limit: 1 });
    const older = await call("history", {
      user_id: userId,
      limit: 1,
      cursor: newest.structured.next_cursor,
    });
    assert.deepEqual(
      [newest, older].map((r) => (r.structured.messages as { text: string }[])[0]?.text),
      ["answer", "question"],
    );
    const future = await call("history", { since: "9999-12-31" });
    assert.equal(future.structured.total, 0, future.text);
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("rest history: the CLI's time forms, absurd values refused with 400", async () => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0 });
  const history = async (args: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/tools/history`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(args),
    });
    return { status: res.status, json: await res.json() as Record<string, unknown> };
  };
  try {
    for (const since of ["2d", "30m", "1w ago", "yesterday", "2026-03-30", "1711800000000"]) {
      const ok = await history({ since });
      assert.equal(ok.status, 200, `${since}: ${JSON.stringify(ok.json)}`);
    }
    const cases: [Record<string, string>, RegExp][] = [
      [{ since: "1e300" }, /^Invalid since '1e300': expected ISO 8601/],
      [{ until: "99999999999999999999" }, /^Invalid until '9+': expected a time from 1970-01-01/],
      [{ since: "100000000w" }, /expected a time from 1970-01-01 to 9999-12-31/],
      [{ since: "2h", until: "3h" }, /since '2h' is after until '3h'/],
    ];
    for (const [args, pattern] of cases) {
      const bad = await history(args);
      assert.equal(bad.status, 400, JSON.stringify(args));
      assert.match(String(bad.json.error), pattern);
    }
  } finally {
    await server.close();
  }
});

Deno.test("rest history: next_cursor pages neither repeat nor skip while messages arrive", async () => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0 });
  const history = async (args: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/tools/history`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(args),
    });
    return { status: res.status, json: await res.json() as Record<string, unknown> };
  };
  // Another writer of the same store, as the polling client of another process would be.
  using writer = new MessageStore(`${env.home}/messages.db`);
  const T0 = Date.now() - 3_600_000;
  let nextId = 1000;
  const arrive = (count: number, at: number) => {
    const batch: Message[] = [];
    for (let i = 0; i < count; i++, nextId++) {
      batch.push(Message.fromWire({
        message_id: String(nextId),
        from_user_id: "reader@im.wechat",
        create_time_ms: at + i,
        item_list: [{ type: 1, text_item: { text: `m${nextId}` } }],
      }, "bot@im.bot"));
    }
    writer.store(batch);
  };
  const ids = (json: Record<string, unknown>) =>
    (json.messages as { message_id: string }[]).map((m) => m.message_id);
  try {
    arrive(7, T0); // 1000..1006
    const first = await history({ limit: 3 });
    assert.equal(first.status, 200, JSON.stringify(first.json));
    assert.deepEqual(ids(first.json), ["1006", "1005", "1004"]);
    assert.equal(first.json.total, 7);
    assert.equal(typeof first.json.next_cursor, "string");

    arrive(2, T0 + 60_000); // newer than everything: shifts offsets by two
    const byOffset = await history({ limit: 3, offset: 3 });
    assert.deepEqual(ids(byOffset.json), ["1005", "1004", "1003"], "offset repeats two rows");

    const walked = [...ids(first.json)];
    let cursor = first.json.next_cursor;
    while (cursor !== null) {
      const page = await history({ limit: 3, cursor });
      assert.equal(page.status, 200, JSON.stringify(page.json));
      walked.push(...ids(page.json));
      cursor = page.json.next_cursor;
      arrive(1, T0 + 120_000 + walked.length);
    }
    assert.deepEqual(walked, ["1006", "1005", "1004", "1003", "1002", "1001", "1000"]);

    const bad = await history({ cursor: "not a cursor" });
    assert.equal(bad.status, 400);
    assert.match(String(bad.json.error), /is not the next_cursor of a page/);
  } finally {
    await server.close();
  }
});
