import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { call, createQr, login, poll, qrStatus, sendText } from "./raw_client.ts";

Deno.test("http500 faults fail the next N calls, then the endpoint recovers", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    await sandbox.fail("getupdates", { kind: "http500", times: 2 });
    assert.equal((await sandbox.state()).faults[0]?.remaining, 2);
    const a = await call(sandbox, bot.token, "getupdates", { get_updates_buf: "" });
    const b = await call(sandbox, bot.token, "getupdates", { get_updates_buf: "" });
    const c = await call(sandbox, bot.token, "getupdates", { get_updates_buf: "" });
    assert.deepEqual([a.status, b.status, c.status], [500, 500, 200]);
    assert.equal(c.json.ret, 0);
    assert.deepEqual((await sandbox.state()).faults, []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("ret faults answer HTTP 200 with the error body", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "x" });
    await sandbox.fail("sendmessage", { kind: "ret", ret: -2, errmsg: "rate limited" });
    const a = await sendText(sandbox, bot.token, bot.userId, contextToken, "y");
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, { ret: -2, errmsg: "rate limited" });
    await sandbox.fail("getconfig", { kind: "ret" });
    const b = await call(sandbox, bot.token, "getconfig", { ilink_user_id: bot.userId });
    assert.deepEqual(b.json, { ret: -1, errmsg: "injected fault" });
    await sandbox.fail("getuploadurl", { kind: "ret", errcode: -5 });
    const c = await call(sandbox, bot.token, "getuploadurl", {});
    assert.deepEqual(c.json, { errcode: -5, errmsg: "injected fault" });
    assert.equal(
      (await sendText(sandbox, bot.token, bot.userId, contextToken, "z")).json.ret,
      0,
      "the fault did not use up the quota",
    );
  } finally {
    await sandbox.close();
  }
});

Deno.test("QR and CDN endpoints take faults too", async () => {
  const sandbox = await startSandbox();
  try {
    await sandbox.fail("get_bot_qrcode", { kind: "http500" });
    const r1 = await fetch(`${sandbox.baseUrl}/ilink/bot/get_bot_qrcode?bot_type=3`);
    await r1.body?.cancel();
    assert.equal(r1.status, 500);
    const { qrcode } = await createQr(sandbox);
    await sandbox.fail("get_qrcode_status", { kind: "ret", ret: -1, errmsg: "busy" });
    assert.deepEqual(await qrStatus(sandbox, qrcode), { ret: -1, errmsg: "busy" });
    assert.equal((await qrStatus(sandbox, qrcode)).status, "wait");

    await sandbox.fail("cdn_download", { kind: "ret", errmsg: "blocked" });
    const r2 = await fetch(`${sandbox.cdnBaseUrl}/download?encrypted_query_param=x`);
    await r2.body?.cancel();
    assert.equal(r2.status, 400);
    assert.equal(r2.headers.get("x-error-message"), "blocked");
    await sandbox.fail("cdn_upload", { kind: "http500" });
    const r3 = await fetch(`${sandbox.cdnBaseUrl}/upload?encrypted_query_param=x`, {
      method: "POST",
      body: new Uint8Array(16),
    });
    await r3.body?.cancel();
    assert.equal(r3.status, 500);
  } finally {
    await sandbox.close();
  }
});

Deno.test("bad fault requests are refused", async () => {
  const sandbox = await startSandbox();
  try {
    // deno-lint-ignore no-explicit-any
    await assert.rejects(sandbox.fail("nope" as any, { kind: "http500" }), TypeError);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(sandbox.fail("getupdates", { kind: "boom" as any }), TypeError);
    await assert.rejects(sandbox.fail("getupdates", { kind: "ret", times: 0 }), RangeError);
  } finally {
    await sandbox.close();
  }
});

Deno.test("a hang holds the request until the client gives up; close() releases it", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  const bot = await login(sandbox);
  await sandbox.fail("sendmessage", { kind: "hang" });
  await sandbox.fail("getupdates", { kind: "hang" });
  const aborted = await call(sandbox, bot.token, "sendmessage", {}, {
    signal: AbortSignal.timeout(150),
  }).then(() => false, (e) => e.name === "TimeoutError");
  assert.ok(aborted, "the client timed out");

  // A second hung request is still pending when the sandbox closes.
  const pending = call(sandbox, bot.token, "getupdates", { get_updates_buf: "" })
    .catch(() => undefined);
  while ((await sandbox.requests()).getupdates === 0) await new Promise((r) => setTimeout(r, 10));
  const started = performance.now();
  await sandbox.close();
  assert.ok(performance.now() - started < 1000, "close() does not wait for hung requests");
  const answer = await pending;
  assert.ok(answer === undefined || answer.status !== 200);
});

Deno.test("expireSession answers -14 in errcode, ret or both, and wakes a held poll", async () => {
  const sandbox = await startSandbox({ longPollMs: 3000 });
  try {
    const a = await login(sandbox);
    const b = await login(sandbox);
    const c = await login(sandbox);

    const held = poll(sandbox, a.token);
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await sandbox.expireSession(a.botId);
    const r = await held;
    assert.ok(performance.now() - started < 1000);
    assert.deepEqual(r.json, { errcode: -14, errmsg: "session timeout" });
    assert.equal(
      (await call(sandbox, a.token, "getconfig", { ilink_user_id: a.userId })).json.errcode,
      -14,
    );

    await sandbox.expireSession(b.botId, { field: "ret" });
    const rb = await call(sandbox, b.token, "sendmessage", {});
    assert.deepEqual(rb.json, { ret: -14, errmsg: "session timeout" });

    await sandbox.expireSession(c.botId, { field: "both" });
    const rc = await call(sandbox, c.token, "msg/notifystart", {});
    assert.deepEqual(rc.json, { ret: -14, errcode: -14, errmsg: "session timeout" });
    assert.equal(rc.status, 200);

    assert.equal((await sandbox.state()).bots.filter((x) => x.expired).length, 3);
    await assert.rejects(sandbox.expireSession("unknown@im.bot"), /unknown bot/);
  } finally {
    await sandbox.close();
  }
});

Deno.test("reset forgets bots, messages, violations and faults", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    await sandbox.injectMessage({ text: "x" });
    await call(sandbox, bot.token, "getupdates", { get_updates_buf: "garbage" });
    await sandbox.fail("sendmessage", { kind: "http500" });
    await sandbox.reset();
    const s = await sandbox.state();
    assert.deepEqual(s.bots, []);
    assert.deepEqual(s.faults, []);
    assert.equal(s.violations, 0);
    assert.deepEqual(await sandbox.sent(), []);
    const after = await call(sandbox, bot.token, "getupdates", { get_updates_buf: "" });
    assert.equal(after.json.errcode, -14, "old tokens are unknown after a reset");
  } finally {
    await sandbox.close();
  }
});
