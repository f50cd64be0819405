/**
 * The `history` tool: rows in the Python original's shape (a sent row's `from_user` is the user,
 * `to_user` names the recipient) and the CLI's time forms for `since`/`until`.
 */
import assert from "node:assert/strict";
import { serveMcp, serveOpenApi } from "../../src/server/mod.ts";
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
