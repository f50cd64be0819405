import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import {
  ILinkApi,
  ILinkError,
  InvalidResponseError,
  NetworkError,
  QuotaExhaustedError,
  SessionExpiredError,
  TEXT_BYTE_LIMIT,
  TextTooLongError,
} from "../../src/protocol/mod.ts";
import { Message, MessageType } from "../../src/models/mod.ts";
import { loginBot, userWrites, withBot } from "./sandbox_fixture.ts";

const TWO_POW_53 = 2n ** 53n;

Deno.test("QR login: wait, scaned, confirmed with every credential field", async () => {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  try {
    const api = new ILinkApi({ qrBaseUrl: sandbox.baseUrl });
    const { qrcode, qrcodeUrl } = await api.getBotQrcode(["old-token"]);
    assert.ok(qrcode.length > 0);
    assert.match(qrcodeUrl, /^https?:\/\//);
    assert.equal((await api.getQrcodeStatus(qrcode, { timeoutMs: 2000 })).status, "wait");
    await sandbox.confirmLogin({ qrcode, scanOnly: true });
    assert.equal((await api.getQrcodeStatus(qrcode, { timeoutMs: 2000 })).status, "scaned");
    const login = await sandbox.confirmLogin({ qrcode, userId: "alice@im.wechat" });
    const s = await api.getQrcodeStatus(qrcode, { timeoutMs: 2000 });
    assert.equal(s.status, "confirmed");
    assert.equal(s.ilink_bot_id, login.botId);
    assert.equal(s.bot_token, login.token);
    assert.equal(s.ilink_user_id, "alice@im.wechat");
    assert.ok(s.baseurl?.startsWith("http://127.0.0.1:"));
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("QR login follows scaned_but_redirect to the bare redirect_host over http", async () => {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true, redirect: true });
  try {
    const api = new ILinkApi({ qrBaseUrl: sandbox.baseUrl });
    const { qrcode } = await api.getBotQrcode();
    await sandbox.confirmLogin({ qrcode, scanOnly: true });
    const r = await api.getQrcodeStatus(qrcode, { timeoutMs: 2000 });
    assert.equal(r.status, "scaned_but_redirect");
    assert.ok(r.redirect_host);
    assert.doesNotMatch(r.redirect_host, /^\w+:\/\//, "redirect_host is a bare host");
    await sandbox.confirmLogin({ qrcode });
    const s = await api.getQrcodeStatus(qrcode, { host: r.redirect_host, timeoutMs: 2000 });
    assert.equal(s.status, "confirmed");
    // The full helper path works too.
    const bot = await loginBot(sandbox);
    await bot.api.notifyStart();
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("QR login reports expired codes", async () => {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true, qrTtlMs: 150 });
  try {
    const api = new ILinkApi({ qrBaseUrl: sandbox.baseUrl });
    const { qrcode } = await api.getBotQrcode();
    await new Promise((r) => setTimeout(r, 300));
    assert.equal((await api.getQrcodeStatus(qrcode, { timeoutMs: 2000 })).status, "expired");
  } finally {
    await sandbox.close();
  }
});

Deno.test("QR status: HTTP 500 and unreachable hosts count as wait; get_bot_qrcode falls back to GET", async () => {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  try {
    const api = new ILinkApi({ qrBaseUrl: sandbox.baseUrl });
    const { qrcode } = await api.getBotQrcode();
    await sandbox.fail("get_qrcode_status", { kind: "http500" });
    assert.equal((await api.getQrcodeStatus(qrcode, { timeoutMs: 2000 })).status, "wait");
    await sandbox.fail("get_qrcode_status", { kind: "hang" });
    assert.equal((await api.getQrcodeStatus(qrcode, { timeoutMs: 100 })).status, "wait");
    const closed = closedPort();
    const s = await api.getQrcodeStatus(qrcode, { host: `127.0.0.1:${closed}`, timeoutMs: 2000 });
    assert.equal(s.status, "wait");
    // The POST is answered with HTTP 500 once: the GET form must still produce a code.
    await sandbox.fail("get_bot_qrcode", { kind: "http500" });
    const again = await api.getBotQrcode();
    assert.ok(again.qrcode.length > 0 && again.qrcode !== qrcode);
  } finally {
    await sandbox.close();
  }
});

Deno.test("getupdates delivers 64-bit ids exactly and honours the cursor", async () => {
  await withBot(async ({ sandbox, api, botId }) => {
    const a = await sandbox.injectMessage({ botId, text: "one" });
    const b = await sandbox.injectMessage({ botId, text: "two" });
    assert.ok(BigInt(a.messageId) > TWO_POW_53, "the sandbox exercises ids above 2^53");
    const first = await api.getUpdates("", { timeoutMs: 3000 });
    assert.equal(first.ret, 0);
    assert.deepEqual(first.msgs?.map((m) => m.message_id), [a.messageId, b.messageId]);
    assert.equal(typeof first.msgs?.[0]?.message_id, "string");
    const cursor = first.get_updates_buf!;
    assert.ok(cursor.length > 0);

    // Nothing new: the long poll ends (300 ms) with no messages; the cursor stays usable.
    const t0 = Date.now();
    const idle = await api.getUpdates(cursor, { timeoutMs: 3000 });
    assert.ok(Date.now() - t0 >= 200, "the server held the poll");
    assert.deepEqual(idle.msgs, []);
    assert.ok(idle.get_updates_buf);

    // Replaying the old cursor re-delivers; the new cursor only gets what came after.
    const c = await sandbox.injectMessage({ botId, text: "three" });
    const replay = await api.getUpdates("", { timeoutMs: 3000 });
    assert.deepEqual(replay.msgs?.map((m) => m.message_id), [
      a.messageId,
      b.messageId,
      c.messageId,
    ]);
    const next = await api.getUpdates(idle.get_updates_buf!, { timeoutMs: 3000 });
    assert.deepEqual(next.msgs?.map((m) => m.message_id), [c.messageId]);
    const msg = Message.fromWire(next.msgs![0]!, botId);
    assert.equal(msg.messageId, c.messageId);
    assert.equal(msg.text, "three");
    assert.deepEqual(await sandbox.violations(), []);
  });
});

Deno.test("getupdates: a client timeout yields an empty result with the cursor unchanged", async () => {
  await withBot(async ({ sandbox, api }) => {
    const t0 = Date.now();
    const res = await api.getUpdates("CURSOR-X", { timeoutMs: 80 });
    assert.ok(Date.now() - t0 < 250, "the caller's timeout is an upper bound");
    assert.deepEqual(res, { ret: 0, msgs: [], get_updates_buf: "CURSOR-X" });
    await sandbox.fail("getupdates", { kind: "hang" });
    const hung = await api.getUpdates("CURSOR-Y", { timeoutMs: 150 });
    assert.deepEqual(hung, { ret: 0, msgs: [], get_updates_buf: "CURSOR-Y" });
  }, { longPollMs: 1500 });
});

Deno.test("getupdates: a caller abort rejects with the caller's reason", async () => {
  await withBot(async ({ api }) => {
    const controller = new AbortController();
    const p = api.getUpdates("", { timeoutMs: 5000, signal: controller.signal });
    setTimeout(() => controller.abort(new Error("stop polling")), 50);
    await assert.rejects(p, /stop polling/);
  }, { longPollMs: 1500 });
});

Deno.test("every inbound item type is parsed from the sandbox", async () => {
  await withBot(async ({ sandbox, api, botId }) => {
    const image = crypto.getRandomValues(new Uint8Array(100));
    const voice = crypto.getRandomValues(new Uint8Array(33));
    const file = crypto.getRandomValues(new Uint8Array(16));
    const video = crypto.getRandomValues(new Uint8Array(70));
    const ids = [
      await sandbox.injectMessage({ botId, text: "plain" }),
      await sandbox.injectMessage({ botId, image }),
      await sandbox.injectMessage({ botId, voice, voiceText: "transcribed" }),
      await sandbox.injectMessage({ botId, file, fileName: "notes.txt" }),
      await sandbox.injectMessage({ botId, video }),
      await sandbox.injectMessage({
        botId,
        text: "replying",
        quote: { title: "earlier", text: "quoted words", svrId: "9223372036854775807" },
      }),
      await sandbox.injectMessage({
        botId,
        text: "with extras",
        items: [{ type: 11, tool_call_start_item: { tool_name: "t" } }],
      }),
    ].map((r) => r.messageId);
    const res = await api.getUpdates("", { timeoutMs: 3000 });
    const msgs = res.msgs!.map((m) => Message.fromWire(m, botId));
    assert.deepEqual(msgs.map((m) => m.messageId), ids);
    const [text, img, vc, fl, vd, quote, extra] = msgs;
    assert.equal(text?.msgType, MessageType.TEXT);
    assert.equal(text?.text, "plain");

    assert.equal(img?.msgType, MessageType.IMAGE);
    assert.match(img!.image!.aesKeyHex, /^[0-9a-f]{32}$/);
    assert.equal(atob(img!.image!.media.aesKey).length, 16, "image aes_key is Format A");
    assert.ok(img!.image!.media.fullUrl, "full_url is kept next to aeskey");
    assert.ok(img!.image!.media.encryptQueryParam);

    assert.equal(vc?.msgType, MessageType.VOICE);
    assert.equal(vc?.voice?.text, "transcribed");
    assert.equal(atob(vc!.voice!.media.aesKey).length, 32, "voice aes_key is Format B");

    assert.equal(fl?.msgType, MessageType.FILE);
    assert.equal(fl?.file?.fileName, "notes.txt");
    assert.equal(fl?.file?.fileSize, "16");

    assert.equal(vd?.msgType, MessageType.VIDEO);
    assert.ok(vd?.video?.media.encryptQueryParam);

    assert.equal(quote?.text, "replying");
    assert.equal(quote?.refMsg?.svrId, "9223372036854775807");
    assert.equal(quote?.refMsg?.title, "earlier");
    assert.equal(quote?.refMsg?.text, "quoted words");

    assert.equal(extra?.items.length, 2);
    assert.equal(extra?.items[1]?.type, 11);
    assert.ok(extra?.items[1]?.raw);
    for (const m of msgs) assert.ok(m.contextToken.length > 0);
  });
});

Deno.test("sendmessage: text round trip, unique client ids, 64-bit response id", async () => {
  await withBot(async ({ sandbox, api, botId, userId }) => {
    const ctx = await userWrites({ sandbox, api, botId, userId, token: "" });
    const r1 = await api.sendText(userId, "hello 世界", ctx);
    const r2 = await api.sendText(userId, "again", ctx);
    assert.equal(typeof r1.message_id, "string");
    assert.ok(BigInt(r1.message_id!) > TWO_POW_53);
    const sent = await sandbox.sent({ botId });
    assert.deepEqual(sent.map((s) => s.text), ["hello 世界", "again"]);
    assert.deepEqual(sent.map((s) => s.messageId), [r1.message_id, r2.message_id]);
    assert.notEqual(sent[0]!.clientId, sent[1]!.clientId);
    assert.equal(sent[0]!.to, userId);
    assert.deepEqual(await sandbox.violations(), []);
  });
});

Deno.test("sendmessage: more than one item is refused before any request", async () => {
  await withBot(async ({ sandbox, api, userId }) => {
    await assert.rejects(
      api.sendMessage({
        to_user_id: userId,
        context_token: "x",
        item_list: [{ type: 1, text_item: { text: "a" } }, { type: 1, text_item: { text: "b" } }],
      }),
      RangeError,
    );
    await assert.rejects(api.sendMessage({ to_user_id: userId, item_list: [] }), RangeError);
    assert.deepEqual(await sandbox.sent(), []);
    assert.deepEqual(await sandbox.violations(), []);
  });
});

Deno.test("text above 16384 UTF-8 bytes throws TextTooLongError before any request", async () => {
  await withBot(async ({ sandbox, api, botId, userId }) => {
    const ctx = await userWrites({ sandbox, api, botId, userId, token: "" });
    // Armed fault: if the oversize sends reached the server they would consume it.
    await sandbox.fail("sendmessage", { kind: "http500" });
    const ascii = "a".repeat(TEXT_BYTE_LIMIT + 1);
    const cjk = "字".repeat(Math.floor(TEXT_BYTE_LIMIT / 3) + 1); // 5462 chars, 16386 bytes
    for (const text of [ascii, cjk]) {
      const err = await api.sendText(userId, text, ctx).catch((e) => e);
      assert.ok(err instanceof TextTooLongError, String(err));
      assert.ok(err instanceof ILinkError);
      assert.ok(err.byteLength > TEXT_BYTE_LIMIT);
      assert.equal(err.endpoint, "sendmessage");
    }
    // The fault is still armed, so this request is the first to reach the server.
    const err = await api.sendText(userId, "ok", ctx).catch((e) => e);
    assert.ok(err instanceof NetworkError && err.status === 500, String(err));
    // Exactly at the limit is accepted (emoji: 4 bytes each).
    const atLimit = "😀".repeat(TEXT_BYTE_LIMIT / 4);
    await api.sendText(userId, atLimit, ctx);
    assert.equal((await sandbox.sent({ botId })).length, 1);
  });
});

Deno.test("text that is not well-formed UTF-16 is refused before any request", async () => {
  await withBot(async ({ sandbox, api, botId, userId }) => {
    const ctx = await userWrites({ sandbox, api, botId, userId, token: "" });
    for (const text of ["abc\uD800def", "\uDC00", "end\uD83D"]) {
      await assert.rejects(api.sendText(userId, text, ctx), /not well-formed UTF-16/);
    }
    assert.equal((await sandbox.requests()).sendmessage, 0);
    await api.sendText(userId, "pair \uD83D\uDE00 ok", ctx);
    assert.equal((await sandbox.sent({ botId }))[0]?.text, "pair 😀 ok");
  });
});

Deno.test("sendmessage: quota exhaustion and stale context tokens are typed", async () => {
  await withBot(async ({ sandbox, api, botId, userId }) => {
    const ctx = await userWrites({ sandbox, api, botId, userId, token: "" });
    await api.sendText(userId, "1", ctx);
    await api.sendText(userId, "2", ctx);
    const quota = await api.sendText(userId, "3", ctx).catch((e) => e);
    assert.ok(quota instanceof QuotaExhaustedError, String(quota));
    assert.equal(quota.ret, -2);
    const stale = await api.sendText(userId, "x", "not-a-token").catch((e) => e);
    assert.ok(stale instanceof ILinkError && !(stale instanceof QuotaExhaustedError));
    assert.equal(stale.ret, -2);
    assert.match(stale.message, /sendmessage/);
  }, { quota: 2 });
});

Deno.test("getconfig, sendtyping, notifystart and notifystop", async () => {
  await withBot(async ({ sandbox, api, botId, userId }) => {
    const ctx = await userWrites({ sandbox, api, botId, userId, token: "" });
    await api.notifyStart();
    const config = await api.getConfig(userId, ctx);
    assert.equal(config.ret, 0);
    assert.ok(config.typing_ticket.length > 0);
    assert.ok((await api.getConfig(userId)).typing_ticket.length > 0);
    await api.sendTyping(userId, config.typing_ticket, 1);
    await api.sendTyping(userId, config.typing_ticket, 2);
    const bad = await api.sendTyping(userId, "bogus-ticket", 1).catch((e) => e);
    assert.ok(bad instanceof ILinkError && bad.endpoint === "sendtyping", String(bad));
    await api.notifyStop();
    // Only the deliberately bogus ticket is a violation; everything the client did on its own is clean.
    assert.deepEqual((await sandbox.violations()).map((v) => v.rule), ["bad_typing_ticket"]);
  });
});

Deno.test("faults: HTTP 500, ret errors, -14 in ret only and in errcode only", async () => {
  await withBot(async ({ sandbox, api, userId }) => {
    await sandbox.fail("getconfig", { kind: "http500" });
    const e500 = await api.getConfig(userId).catch((e) => e);
    assert.ok(e500 instanceof NetworkError, String(e500));
    assert.equal(e500.status, 500);
    assert.equal(e500.endpoint, "getconfig");
    assert.match(e500.message, /getconfig.*HTTP 500/);

    await sandbox.fail("notifystart", { kind: "ret", ret: -3, errmsg: "boom" });
    const eRet = await api.notifyStart().catch((e) => e);
    assert.ok(eRet instanceof ILinkError && !(eRet instanceof SessionExpiredError));
    assert.deepEqual([eRet.endpoint, eRet.ret, eRet.errmsg], ["msg/notifystart", -3, "boom"]);
    assert.match(eRet.message, /notifystart.*-3.*"boom"/);

    await sandbox.fail("getupdates", { kind: "ret", ret: -14 });
    const eR = await api.getUpdates("", { timeoutMs: 2000 }).catch((e) => e);
    assert.ok(eR instanceof SessionExpiredError, String(eR));
    assert.equal(eR.ret, -14);

    await sandbox.fail("getupdates", { kind: "ret", errcode: -14, errmsg: "session timeout" });
    const eE = await api.getUpdates("", { timeoutMs: 2000 }).catch((e) => e);
    assert.ok(eE instanceof SessionExpiredError, String(eE));
    assert.equal(eE.errcode, -14);
    assert.equal(eE.endpoint, "getupdates");
  });
});

for (const field of ["ret", "errcode", "both"] as const) {
  Deno.test(`an expired session (-14 in ${field}) raises SessionExpiredError everywhere`, async () => {
    await withBot(async ({ sandbox, api, botId, userId }) => {
      await sandbox.expireSession(botId, { field });
      await assert.rejects(api.getUpdates("", { timeoutMs: 2000 }), SessionExpiredError);
      await assert.rejects(api.sendText(userId, "x", "ctx"), SessionExpiredError);
      await assert.rejects(api.notifyStart(), SessionExpiredError);
    });
  });
}

Deno.test("a wrong token is a session error, a closed port a NetworkError", async () => {
  await withBot(async ({ sandbox }) => {
    const wrong = new ILinkApi({ baseUrl: sandbox.baseUrl, token: "nope" });
    await assert.rejects(wrong.getUpdates("", { timeoutMs: 2000 }), SessionExpiredError);
    const port = closedPort();
    const dead = new ILinkApi({ baseUrl: `http://127.0.0.1:${port}`, token: "t" });
    const err = await dead.getConfig("u").catch((e) => e);
    assert.ok(err instanceof NetworkError && err.status === undefined && !err.timedOut);
    assert.match(err.message, /getconfig/);
  });
});

Deno.test("bad JSON or a non-object body from the server is an InvalidResponseError", async () => {
  const bodies = ["<html>gateway</html>", "[1,2]", '{"ret":0,'];
  let i = 0;
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(bodies[i++ % bodies.length], { headers: { "content-type": "text/html" } }),
  );
  try {
    const api = new ILinkApi({ baseUrl: `http://127.0.0.1:${server.addr.port}`, token: "t" });
    for (const _ of bodies) {
      const err = await api.getConfig("u").catch((e) => e);
      assert.ok(err instanceof InvalidResponseError, String(err));
      assert.ok(err instanceof NetworkError);
      assert.equal(err.endpoint, "getconfig");
      assert.match(err.message, /^iLink getconfig returned/);
    }
  } finally {
    await server.shutdown();
  }
});

Deno.test("an empty 200 body counts as {} (older servers)", async () => {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen: () => {} },
    () => new Response(""),
  );
  try {
    const api = new ILinkApi({ baseUrl: `http://127.0.0.1:${server.addr.port}`, token: "t" });
    assert.deepEqual(await api.sendText("u", "x", "c"), {});
  } finally {
    await server.shutdown();
  }
});

function closedPort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}
