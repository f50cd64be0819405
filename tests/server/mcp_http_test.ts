/**
 * The MCP server over streamable HTTP (and legacy SSE), driven by the SDK's own `Client`
 * against the sandbox.
 */
import assert from "node:assert/strict";
import { serveMcp } from "../../src/server/mod.ts";
import {
  callTool,
  connectHttp,
  eventually,
  loginThroughTool,
  md5,
  PNG_BYTES,
  serverOptions,
  startEnv,
} from "./harness.ts";

const TOOL_NAMES = [
  "download",
  "history",
  "login",
  "logout",
  "recv",
  "rename_session",
  "send",
  "send_typing",
  "sessions",
  "set_default",
];

Deno.test("mcp over streamable HTTP: tools, login, recv, send, download, history, errors", async (t) => {
  await using env = await startEnv();
  const server = await serveMcp({ ...serverOptions(env), transport: "http", port: 0 });
  const client = await connectHttp(server.url!);
  const call = (name: string, args: Record<string, unknown> = {}) => callTool(client, name, args);
  try {
    assert.match(server.url!, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);

    await t.step("lists every tool with input and output schemas", async () => {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((x: { name: string }) => x.name).sort(), TOOL_NAMES);
      for (const tool of tools) {
        assert.equal(tool.inputSchema.type, "object", tool.name);
        assert.equal(tool.outputSchema?.type, "object", tool.name);
        assert.ok(tool.description && tool.description.length > 10, tool.name);
      }
      const send = tools.find((x: { name: string }) => x.name === "send")!;
      assert.deepEqual(send.inputSchema.required, ["to"]);
      assert.ok("image_path" in (send.inputSchema.properties ?? {}));
    });

    await t.step("before login: no sessions, and sending is a clear tool error", async () => {
      const sessions = await call("sessions");
      assert.equal(sessions.isError, false);
      // The default session exists as a placeholder until a login.
      assert.deepEqual(sessions.structured.sessions, [
        { name: "default", bot_id: null, user_id: null, connected: false, is_default: true },
      ]);
      const send = await call("send", { to: "someone@im.wechat", text: "hi" });
      assert.equal(send.isError, true);
      assert.match(send.text, /not logged in/i);
    });

    let userId = "";
    let botId = "";
    await t.step("login: pending with a QR URL, then confirmed", async () => {
      ({ userId, botId } = await loginThroughTool(call, env.sandbox));
      const sessions = await call("sessions");
      const list = sessions.structured.sessions as Record<string, unknown>[];
      assert.equal(list.length, 1);
      assert.equal(list[0]!.bot_id, botId);
      assert.equal(list[0]!.connected, true);
      assert.equal(list[0]!.is_default, true);
      // A second login without force reports the existing login instead of a new code.
      const again = await call("login");
      assert.equal(again.structured.status, "confirmed");
      assert.equal(again.structured.bot_id, botId);
    });

    await t.step("recv returns injected messages with string ids", async () => {
      const injected = await env.sandbox.injectMessage({ text: "hello bot" });
      const got = await eventually(
        async () => {
          const r = await call("recv", { timeout: 2 });
          assert.equal(r.isError, false, r.text);
          const messages = r.structured.messages as Record<string, unknown>[];
          return messages.find((m) => m.text === "hello bot");
        },
        10_000,
        "the injected text",
      );
      assert.equal(got.message_id, injected.messageId);
      assert.equal(typeof got.message_id, "string");
      assert.equal(got.from_user, userId);
      assert.equal(got.msg_type, "TEXT");
      // The text block carries the same JSON as structuredContent.
      const r = await call("recv", { timeout: 0 });
      assert.deepEqual(JSON.parse(r.text), r.structured);
    });

    await t.step("send text and an image file", async () => {
      const text = await call("send", { to: userId, text: "hi from mcp" });
      assert.equal(text.isError, false, text.text);
      assert.equal(text.structured.success, true);
      assert.equal((text.structured.message_ids as string[]).length, 1);
      assert.equal(typeof text.structured.remaining, "number");

      const imagePath = `${env.files}/dot.png`;
      await Deno.writeFile(imagePath, PNG_BYTES);
      const image = await call("send", { to: userId, image_path: imagePath });
      assert.equal(image.isError, false, image.text);

      const sent = await env.sandbox.sent({ to: userId });
      assert.ok(sent.some((s) => s.type === 1 && s.text === "hi from mcp"));
      const img = sent.find((s) => s.type === 2);
      assert.ok(img?.media, "image record with media");
      assert.equal(img.media.md5, md5(PNG_BYTES));
    });

    await t.step("send errors: missing file, no content, text too long, bad args", async () => {
      const missing = await call("send", { to: userId, image_path: `${env.files}/nope.png` });
      assert.equal(missing.isError, true);
      assert.match(missing.text, /not found: ".*nope\.png"/);
      const empty = await call("send", { to: userId });
      assert.equal(empty.isError, true);
      assert.match(empty.text, /nothing to send/i);
      const long = await call("send", { to: userId, text: "x".repeat(20_000) });
      assert.equal(long.isError, true);
      assert.match(long.text, /exceed|too long/i);
      const bad = await call("send", { text: "no recipient" });
      assert.equal(bad.isError, true);
      assert.match(bad.text, /to/);
      const stranger = await call("send", { to: "stranger@im.wechat", text: "hi" });
      assert.equal(stranger.isError, true);
      assert.match(stranger.text, /stranger@im\.wechat/);
    });

    await t.step("download saves received media", async () => {
      const bytes = crypto.getRandomValues(new Uint8Array(3000));
      const injected = await env.sandbox.injectMessage({ file: bytes, fileName: "../../evil.txt" });
      await eventually(
        async () => {
          const r = await call("recv", { timeout: 2 });
          const messages = r.structured.messages as Record<string, unknown>[];
          return messages.find((m) => m.message_id === injected.messageId);
        },
        10_000,
        "the injected file",
      );
      const saveDir = `${env.files}/saved`;
      const first = await call("download", { message_id: injected.messageId, save_dir: saveDir });
      assert.equal(first.isError, false, first.text);
      // The sender's name is reduced to its last segment: nothing escapes save_dir.
      assert.equal(first.structured.path, `${saveDir}/evil.txt`);
      assert.equal(first.structured.size, 3000);
      assert.equal(md5(await Deno.readFile(`${saveDir}/evil.txt`)), md5(bytes));
      const second = await call("download", { message_id: injected.messageId, save_dir: saveDir });
      assert.equal(second.structured.path, `${saveDir}/evil (1).txt`, "never overwrites");

      const unknown = await call("download", { message_id: "123" });
      assert.equal(unknown.isError, true);
      assert.match(unknown.text, /"123" not found/);
    });

    await t.step("history: filters, string ids, direction, bad filters", async () => {
      const all = await call("history", {});
      assert.equal(all.isError, false, all.text);
      assert.ok((all.structured.total as number) >= 4, all.text);
      const messages = all.structured.messages as Record<string, unknown>[];
      for (const m of messages) {
        assert.equal(typeof m.message_id, "string");
        assert.ok(m.direction === "received" || m.direction === "sent");
      }
      const sent = await call("history", { direction: "sent", msg_type: "text" });
      const sentMessages = sent.structured.messages as Record<string, unknown>[];
      assert.ok(sentMessages.some((m) => m.text === "hi from mcp"));
      assert.ok(sentMessages.every((m) => m.direction === "sent" && m.msg_type === "TEXT"));
      const search = await call("history", { text_contains: "hello", limit: 1 });
      assert.equal(search.structured.total, 1);
      assert.equal(search.structured.limit, 1);

      const badType = await call("history", { msg_type: "STICKER" });
      assert.equal(badType.isError, true);
      assert.match(badType.text, /Unknown msg_type "STICKER"/);
      const badSince = await call("history", { since: "yesterday-ish" });
      assert.equal(badSince.isError, true);
      assert.match(badSince.text, /Invalid since/);
      const badLimit = await call("history", { limit: 1000 });
      assert.equal(badLimit.isError, true);
    });

    await t.step("send_typing", async () => {
      const on = await call("send_typing", { to: userId });
      assert.equal(on.isError, false, on.text);
      assert.equal(on.structured.typing, true);
      const off = await call("send_typing", { to: userId, cancel: true });
      assert.equal(off.structured.typing, false);
    });

    await t.step("quota exhaustion is a tool error", async () => {
      await env.sandbox.injectMessage({ text: "fresh quota" });
      await eventually(
        async () => {
          const r = await call("recv", { timeout: 2 });
          const messages = r.structured.messages as Record<string, unknown>[];
          return messages.find((m) => m.text === "fresh quota");
        },
        10_000,
        "the quota message",
      );
      let error = "";
      for (let i = 0; i < 12 && !error; i++) {
        const r = await call("send", { to: userId, text: `reply ${i}` });
        if (r.isError) error = r.text;
      }
      assert.match(error, /quota/i);
    });

    await t.step("an expired session is a tool error asking for a new login", async () => {
      // A fresh user message restores the reply quota, so only the expiry can fail the send.
      await env.sandbox.injectMessage({ text: "before expiry" });
      await eventually(
        async () => {
          const r = await call("recv", { timeout: 2 });
          const messages = r.structured.messages as Record<string, unknown>[];
          return messages.find((m) => m.text === "before expiry");
        },
        10_000,
        "the message before expiry",
      );
      await env.sandbox.expireSession(botId);
      const sent = await call("send", { to: userId, text: "after expiry" });
      assert.equal(sent.isError, true);
      // -14 on a send alone only says the context token was refused; getupdates decides. The
      // server polls in the background, so its poll may see -14 first: then the session is
      // expired already and the send says so.
      assert.match(sent.text, /refused the context token.*-14|expired|not logged in/i);
      const recv = await call("recv", { timeout: 1 });
      assert.equal(recv.isError, true);
      assert.match(recv.text, /expired|not logged in/i);
    });

    await t.step("rename, set default, logout", async () => {
      const renamed = await call("rename_session", { old_name: "default", new_name: "main" });
      assert.equal(renamed.isError, false, renamed.text);
      const setDefault = await call("set_default", { session_name: "main" });
      assert.equal(setDefault.isError, false, setDefault.text);
      const list = (await call("sessions")).structured.sessions as Record<string, unknown>[];
      assert.deepEqual(list.map((s) => [s.name, s.is_default]), [["main", true]]);
      const unknown = await call("set_default", { session_name: "nope" });
      assert.equal(unknown.isError, true);
      assert.match(unknown.text, /nope/);
      const out = await call("logout", { session_name: "main" });
      assert.equal(out.isError, false, out.text);
      assert.equal(out.structured.session, "main");
      const after = (await call("sessions")).structured.sessions as Record<string, unknown>[];
      assert.ok(after.every((s) => s.connected === false));
    });
  } finally {
    await client.close();
    await server.close();
  }
});

Deno.test("mcp over legacy SSE: endpoint event, initialize, tools/list, tools/call", async () => {
  await using env = await startEnv();
  const server = await serveMcp({ ...serverOptions(env), transport: "sse", port: 0 });
  const abort = new AbortController();
  try {
    assert.match(server.url!, /\/sse$/);
    const stream = await fetch(server.url!, {
      headers: { accept: "text/event-stream" },
      signal: abort.signal,
    });
    assert.equal(stream.headers.get("content-type"), "text/event-stream");
    const events = sseEvents(stream.body!);
    const endpoint = await events.next();
    assert.equal(endpoint.value?.event, "endpoint");
    const postUrl = new URL(endpoint.value!.data, server.url!);
    assert.equal(postUrl.pathname, "/sse/messages/");

    const rpc = async (id: number, method: string, params: unknown = {}) => {
      const res = await fetch(postUrl, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ jsonrpc: "2.0", id, method, params }),
      });
      assert.equal(res.status, 202);
      await res.body?.cancel();
      const reply = await events.next();
      assert.equal(reply.value?.event, "message");
      const message = JSON.parse(reply.value!.data);
      assert.equal(message.id, id);
      return message.result;
    };
    const init = await rpc(1, "initialize", {
      protocolVersion: "2024-11-05",
      capabilities: {},
      clientInfo: { name: "sse-test", version: "0" },
    });
    assert.equal(init.serverInfo.name, "weilink");
    const notified = await fetch(postUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }),
    });
    await notified.body?.cancel();
    const list = await rpc(2, "tools/list");
    assert.equal(list.tools.length, TOOL_NAMES.length);
    const call = await rpc(3, "tools/call", { name: "sessions", arguments: {} });
    assert.equal(call.isError, undefined);
    assert.equal(call.structuredContent.sessions[0].connected, false);

    const unknown = await fetch(new URL("/sse/messages/?sessionId=nope", server.url!), {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
  } finally {
    abort.abort();
    await server.close();
  }
});

/** Parse a `text/event-stream` body into `{event, data}` records. */
async function* sseEvents(
  body: ReadableStream<Uint8Array>,
): AsyncGenerator<{ event: string; data: string }> {
  const reader = body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    while (true) {
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        let event = "message";
        const data: string[] = [];
        for (const line of block.split("\n")) {
          if (line.startsWith("event: ")) event = line.slice(7);
          else if (line.startsWith("data: ")) data.push(line.slice(6));
        }
        if (data.length) yield { event, data: data.join("\n") };
      }
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
}
