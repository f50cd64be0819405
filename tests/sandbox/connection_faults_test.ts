import assert from "node:assert/strict";
import { FAULT_ENDPOINTS, type Sandbox, startSandbox } from "../../src/sandbox/mod.ts";
import {
  call,
  goodHeaders,
  type LoggedIn,
  login,
  poll,
  sendText,
  textReply,
} from "./raw_client.ts";

const encoder = new TextEncoder();

/** The body of a well-formed text reply. */
function replyBody(to: string, contextToken: string, text: string): string {
  return JSON.stringify({
    msg: textReply(to, contextToken, text),
    base_info: { channel_version: "1.0.0" },
  });
}

/**
 * Sends one HTTP/1.1 request over a fresh TCP connection and returns every byte the server sent
 * before the connection ended (an RST after an unread body also ends it).
 */
async function rawExchange(
  sandbox: Sandbox,
  bot: LoggedIn,
  path: string,
  body: string,
): Promise<Uint8Array> {
  const url = new URL(sandbox.baseUrl);
  const headers = {
    ...goodHeaders(bot.token),
    "Content-Length": String(encoder.encode(body).length),
  };
  const head = [`POST ${path} HTTP/1.1`, `Host: ${url.host}`, "Connection: keep-alive"]
    .concat(Object.entries(headers).map(([k, v]) => `${k}: ${v}`));
  const conn = await Deno.connect({ hostname: url.hostname, port: Number(url.port) });
  const received: number[] = [];
  try {
    await conn.write(encoder.encode(head.join("\r\n") + "\r\n\r\n" + body));
    const buf = new Uint8Array(4096);
    while (true) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      received.push(...buf.subarray(0, n));
    }
  } finally {
    conn.close();
  }
  return new Uint8Array(received);
}

Deno.test("malformed_json answers 200 with truncated JSON and does not process the call", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "hi" });
    await sandbox.fail("getupdates", { kind: "malformed_json" });
    await sandbox.fail("sendmessage", { kind: "malformed_json" });
    await sandbox.fail("getconfig", { kind: "malformed_json" });
    const a = await call(sandbox, bot.token, "getupdates", { get_updates_buf: "" });
    assert.deepEqual([a.status, a.text, a.json], [200, '{"ret":0,"msgs":[', undefined]);
    const b = await sendText(sandbox, bot.token, bot.userId, contextToken, "lost?");
    assert.deepEqual([b.status, b.text], [200, '{"ret":0,"message_id":']);
    const res = await fetch(`${sandbox.baseUrl}/ilink/bot/getconfig`, {
      method: "POST",
      headers: goodHeaders(bot.token),
      body: JSON.stringify({ ilink_user_id: bot.userId, base_info: {} }),
    });
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    await assert.rejects(res.json(), SyntaxError);
    assert.deepEqual(await sandbox.sent(), [], "the faulted send was not processed");
    const counts = await sandbox.requests();
    assert.deepEqual([counts.getupdates, counts.sendmessage, counts.getconfig], [1, 1, 1]);
    assert.equal((await poll(sandbox, bot.token)).msgs.length, 1, "the next call is normal");
  } finally {
    await sandbox.close();
  }
});

Deno.test("drop faults need connectionFaults: Deno.serve cannot close without answering", async () => {
  const sandbox = await startSandbox();
  try {
    assert.equal(sandbox.connectionFaults, false);
    for (const kind of ["drop_before_read", "drop_after_read"] as const) {
      await assert.rejects(
        sandbox.fail("sendmessage", { kind }),
        (e: Error) => e instanceof TypeError && /connectionFaults: true/.test(e.message),
      );
    }
    const res = await fetch(`${sandbox.controlUrl}/fail`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ endpoint: "getupdates", kind: "drop_after_read" }),
    });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /--connection-faults/);
    assert.deepEqual((await sandbox.state()).faults, []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("drop_before_read closes the connection unanswered, unread and uncounted", async () => {
  const sandbox = await startSandbox({ longPollMs: 50, connectionFaults: true });
  try {
    assert.equal(sandbox.connectionFaults, true);
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "hi" });
    await sandbox.fail("sendmessage", { kind: "drop_before_read" });
    const body = replyBody(bot.userId, contextToken, "never read");
    const bytes = await rawExchange(sandbox, bot, "/ilink/bot/sendmessage", body);
    assert.equal(bytes.length, 0, "not a single response byte");
    assert.deepEqual(await sandbox.sent(), []);
    assert.equal((await sandbox.requests()).sendmessage, 0);
    // The fault is used up: the same call goes through now.
    const again = await sendText(sandbox, bot.token, bot.userId, contextToken, "now");
    assert.equal(again.json.ret, 0);
    assert.equal((await sandbox.requests()).sendmessage, 1);
  } finally {
    await sandbox.close();
  }
});

Deno.test("drop_after_read processes the call, then closes the connection unanswered", async () => {
  const sandbox = await startSandbox({ longPollMs: 50, connectionFaults: true });
  try {
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "hi" });
    await sandbox.fail("sendmessage", { kind: "drop_after_read" });
    const body = replyBody(bot.userId, contextToken, "accepted, unanswered");
    const bytes = await rawExchange(sandbox, bot, "/ilink/bot/sendmessage", body);
    assert.equal(bytes.length, 0, "not a single response byte");
    assert.deepEqual((await sandbox.sent()).map((s) => s.text), ["accepted, unanswered"]);
    assert.equal((await sandbox.requests()).sendmessage, 1);
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("drop_after_read exposes an HTTP stack that re-sends a POST on its own", async () => {
  const sandbox = await startSandbox({ longPollMs: 50, connectionFaults: true });
  try {
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "hi" });
    // A first call leaves a keep-alive connection in fetch's pool.
    assert.equal((await call(sandbox, bot.token, "msg/notifystart")).json.ret, 0);
    await sandbox.fail("sendmessage", { kind: "drop_after_read" });
    const outcome = await sendText(sandbox, bot.token, bot.userId, contextToken, "once?")
      .then((a) => a.json.ret as number, () => "rejected");
    const seen = (await sandbox.requests()).sendmessage;
    const sent = await sandbox.sent();
    if (outcome === "rejected") {
      // A careful stack reports the lost answer: the sandbox saw the send exactly once.
      assert.equal(seen, 1);
      assert.equal(sent.length, 1);
    } else {
      // Deno's fetch re-sends the POST on a fresh connection and shows only the second answer:
      // the user got the message twice, which only the request count reveals.
      assert.equal(outcome, 0);
      assert.equal(seen, 2);
      assert.deepEqual(sent.map((s) => s.text), ["once?", "once?"]);
      assert.equal(sent[0]!.clientId, sent[1]!.clientId, "the very same request, sent twice");
    }
  } finally {
    await sandbox.close();
  }
});

Deno.test("over node:http the whole protocol works: login, poll, media, faults, hang, close", async () => {
  const sandbox = await startSandbox({ longPollMs: 100, connectionFaults: true });
  const bot = await login(sandbox);
  const sizable = new Uint8Array(3 * 1024 * 1024).map((_, i) => i % 251);
  const { contextToken } = await sandbox.injectMessage({ text: "files", file: sizable });
  const r = await poll(sandbox, bot.token);
  const media = r.msgs[0].item_list[1].file_item.media;
  const download = await fetch(media.full_url);
  assert.equal(download.status, 200);
  assert.equal((await download.arrayBuffer()).byteLength, 3 * 1024 * 1024 + 16);
  assert.equal((await sendText(sandbox, bot.token, bot.userId, contextToken, "ok")).json.ret, 0);
  await sandbox.fail("getconfig", { kind: "http500" });
  assert.equal(
    (await call(sandbox, bot.token, "getconfig", { ilink_user_id: bot.userId })).status,
    500,
  );
  const viaDoubleSlash = await fetch(`${sandbox.baseUrl}//ilink/bot/msg/notifystop`, {
    method: "POST",
    headers: goodHeaders(bot.token),
    body: JSON.stringify({ base_info: { channel_version: "1" } }),
  });
  assert.equal((await viaDoubleSlash.json()).ret, 0);
  assert.deepEqual((await sandbox.violations()).map((v) => v.rule), ["double_slash_path"]);

  await sandbox.fail("getupdates", { kind: "hang" });
  const before = (await sandbox.requests()).getupdates!;
  const pending = call(sandbox, bot.token, "getupdates", { get_updates_buf: "" })
    .catch(() => undefined);
  // Close only once the held request has reached the sandbox.
  while ((await sandbox.requests()).getupdates === before) {
    await new Promise((r) => setTimeout(r, 10));
  }
  const started = performance.now();
  await sandbox.close();
  assert.ok(performance.now() - started < 1000, "close() does not wait for held requests");
  const answer = await pending;
  assert.ok(answer === undefined || answer.status !== 200);
});

Deno.test("requests() lists every endpoint and counts what was read", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const zero = await sandbox.requests();
    assert.deepEqual(Object.keys(zero), [...FAULT_ENDPOINTS]);
    assert.ok(Object.values(zero).every((n) => n === 0));
    const bot = await login(sandbox); // get_bot_qrcode + get_qrcode_status
    await sandbox.fail("getupdates", { kind: "http500" });
    await call(sandbox, bot.token, "getupdates", { get_updates_buf: "" });
    await call(sandbox, "unknown-token", "getupdates", { get_updates_buf: "" });
    await call(sandbox, bot.token, "getupdates", { get_updates_buf: "" });
    const counts = await sandbox.requests();
    assert.equal(counts.get_bot_qrcode, 1);
    assert.equal(counts.get_qrcode_status, 1);
    assert.equal(counts.getupdates, 3, "faulted and refused calls count too");
    assert.equal(counts.sendmessage, 0);
    const overHttp = await (await fetch(`${sandbox.controlUrl}/requests`)).json();
    assert.deepEqual(overHttp, counts);
    await sandbox.reset();
    assert.equal((await sandbox.requests()).getupdates, 0);
  } finally {
    await sandbox.close();
  }
});
