import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { call, login, poll, sendText } from "./raw_client.ts";

// deno-lint-ignore no-explicit-any
async function control(url: string, path: string, body: unknown): Promise<any> {
  const res = await fetch(`${url}${path}`, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(body),
  });
  return { status: res.status, json: await res.json() };
}

Deno.test("an expired session revives after reviveAfterMs by itself", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    await sandbox.expireSession(bot.botId, { reviveAfterMs: 200 });
    const during = await call(sandbox, bot.token, "getconfig", { ilink_user_id: bot.userId });
    assert.deepEqual(during.json, { errcode: -14, errmsg: "session timeout" });
    assert.equal((await sandbox.state()).bots[0]!.expired, true);
    await new Promise((r) => setTimeout(r, 250));
    const after = await call(sandbox, bot.token, "getconfig", { ilink_user_id: bot.userId });
    assert.equal(after.json.ret, 0);
    assert.equal((await sandbox.state()).bots[0]!.expired, false);
    await assert.rejects(sandbox.expireSession(bot.botId, { reviveAfterMs: -1 }), RangeError);
  } finally {
    await sandbox.close();
  }
});

Deno.test("reviveSession ends an expiry at once; a held poll of an expiring bot answers -14 at once", async () => {
  const sandbox = await startSandbox({ longPollMs: 3000 });
  try {
    const bot = await login(sandbox);
    const held = poll(sandbox, bot.token);
    await new Promise((r) => setTimeout(r, 50));
    const started = performance.now();
    await sandbox.expireSession(bot.botId, { field: "both", reviveAfterMs: 60_000 });
    assert.deepEqual((await held).json, { ret: -14, errcode: -14, errmsg: "session timeout" });
    assert.ok(performance.now() - started < 1000);
    await sandbox.reviveSession(bot.botId);
    const { contextToken } = await sandbox.injectMessage({ text: "back?" });
    const r = await poll(sandbox, bot.token);
    assert.equal(r.msgs.length, 1);
    assert.equal((await sendText(sandbox, bot.token, bot.userId, contextToken, "yes")).json.ret, 0);
    await assert.rejects(sandbox.reviveSession("nobody@im.bot"), /unknown bot/);
  } finally {
    await sandbox.close();
  }
});

Deno.test("expire with reviveAfterMs and revive over the control API", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    const ctl = sandbox.controlUrl;
    const bad = await control(ctl, "/expire", { botId: bot.botId, reviveAfterMs: "soon" });
    assert.equal(bad.status, 400);
    assert.deepEqual(
      (await control(ctl, "/expire", { botId: bot.botId, reviveAfterMs: 60_000 })).json,
      { ok: true },
    );
    assert.equal((await call(sandbox, bot.token, "msg/notifystart")).json.errcode, -14);
    assert.deepEqual((await control(ctl, "/revive", { botId: bot.botId })).json, { ok: true });
    assert.equal((await call(sandbox, bot.token, "msg/notifystart")).json.ret, 0);
    assert.equal((await control(ctl, "/revive", {})).status, 400);
    assert.equal((await control(ctl, "/revive", { botId: "x@im.bot" })).status, 404);
  } finally {
    await sandbox.close();
  }
});

Deno.test("a stale context token: sendmessage answers -14 while the session keeps working", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    const first = await sandbox.injectMessage({ text: "one" });
    const second = await sandbox.injectMessage({ text: "two" });
    const { cursor } = await poll(sandbox, bot.token);
    await sandbox.staleContext(bot.botId, bot.userId);

    for (const token of [first.contextToken, second.contextToken]) {
      const r = await sendText(sandbox, bot.token, bot.userId, token, "after a long idle");
      assert.deepEqual(r.json, { ret: -14, errcode: -14, errmsg: "session timeout" });
    }
    // Everything else still works: the bot session is fine.
    assert.equal((await poll(sandbox, bot.token, cursor)).json.ret, 0);
    const cfg = await call(sandbox, bot.token, "getconfig", { ilink_user_id: bot.userId });
    assert.equal(cfg.json.ret, 0);
    assert.equal((await sandbox.state()).bots[0]!.expired, false);

    // The user's next message brings a fresh, valid token.
    const third = await sandbox.injectMessage({ text: "three" });
    assert.equal(
      (await sendText(sandbox, bot.token, bot.userId, third.contextToken, "hi again")).json.ret,
      0,
    );
    const old = await sendText(sandbox, bot.token, bot.userId, second.contextToken, "still?");
    assert.equal(old.json.ret, -14, "tokens marked stale stay stale");
    assert.deepEqual((await sandbox.sent()).map((s) => s.text), ["hi again"]);
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("staleContext touches one user only, and is reachable over the control API", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox, "ann@im.wechat");
    const ann = await sandbox.injectMessage({ text: "a" });
    const bob = await sandbox.injectMessage({ text: "b", from: "bob@im.wechat" });
    const ctl = sandbox.controlUrl;
    const r = await control(ctl, "/stale_context", { botId: bot.botId, userId: "ann@im.wechat" });
    assert.deepEqual(r.json, { ok: true });
    assert.equal(
      (await sendText(sandbox, bot.token, "ann@im.wechat", ann.contextToken, "x")).json.ret,
      -14,
    );
    assert.equal(
      (await sendText(sandbox, bot.token, "bob@im.wechat", bob.contextToken, "y")).json.ret,
      0,
    );
    assert.equal((await control(ctl, "/stale_context", { botId: bot.botId })).status, 400);
    const never = await control(ctl, "/stale_context", {
      botId: bot.botId,
      userId: "cy@im.wechat",
    });
    assert.equal(never.status, 404);
    assert.match(never.json.error, /never wrote/);
    await assert.rejects(sandbox.staleContext("nobody@im.bot", "ann@im.wechat"), /unknown bot/);
  } finally {
    await sandbox.close();
  }
});
