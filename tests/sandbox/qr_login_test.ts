import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { createQr, GET_HEADERS, qrStatus } from "./raw_client.ts";

Deno.test("QR login goes wait, scaned, confirmed with credentials (POST)", async () => {
  const sandbox = await startSandbox();
  try {
    const { qrcode, url } = await createQr(sandbox);
    assert.match(qrcode, /^[0-9a-f]{32}$/);
    assert.ok(url.startsWith(sandbox.phoneUrl), "the QR content opens the phone page");

    assert.equal((await qrStatus(sandbox, qrcode)).status, "wait");
    const scanned = await sandbox.confirmLogin({ qrcode, scanOnly: true });
    const s1 = await qrStatus(sandbox, qrcode);
    assert.deepEqual(s1, { ret: 0, status: "scaned" });

    const confirmed = await sandbox.confirmLogin({ qrcode, userId: "alice@im.wechat" });
    assert.equal(confirmed.botId, scanned.botId);
    const s2 = await qrStatus(sandbox, qrcode);
    assert.equal(s2.ret, 0);
    assert.equal(s2.status, "confirmed");
    assert.match(s2.ilink_bot_id, /^[0-9a-f]{12}@im\.bot$/);
    assert.equal(s2.ilink_bot_id, confirmed.botId);
    assert.equal(s2.bot_token, confirmed.token);
    assert.equal(s2.baseurl, sandbox.baseUrl);
    assert.equal(s2.ilink_user_id, "alice@im.wechat");
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("get_bot_qrcode also answers the old GET form", async () => {
  const sandbox = await startSandbox();
  try {
    const res = await fetch(`${sandbox.baseUrl}/ilink/bot/get_bot_qrcode?bot_type=3`, {
      headers: GET_HEADERS,
    });
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.ret, 0);
    assert.equal(typeof json.qrcode, "string");
    assert.equal(typeof json.qrcode_img_content, "string");
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("confirmLogin without a qrcode waits for the next QR login", async () => {
  const sandbox = await startSandbox();
  try {
    const pending = sandbox.confirmLogin({ userId: "bob@im.wechat" });
    await new Promise((r) => setTimeout(r, 50));
    const { qrcode } = await createQr(sandbox);
    const login = await pending;
    const s = await qrStatus(sandbox, qrcode);
    assert.equal(s.status, "confirmed");
    assert.equal(s.ilink_user_id, "bob@im.wechat");
    assert.equal(s.bot_token, login.token);
  } finally {
    await sandbox.close();
  }
});

Deno.test("redirect option answers scaned_but_redirect once, then the real status", async () => {
  const sandbox = await startSandbox({ redirect: true });
  try {
    const { qrcode } = await createQr(sandbox);
    assert.equal((await qrStatus(sandbox, qrcode)).status, "wait");
    await sandbox.confirmLogin({ qrcode, scanOnly: true });
    const r = await qrStatus(sandbox, qrcode);
    assert.equal(r.status, "scaned_but_redirect");
    const host = new URL(sandbox.baseUrl).host;
    assert.equal(r.redirect_host, host, "a bare host:port, no scheme");
    assert.ok(!r.redirect_host.includes("/"));
    assert.equal((await qrStatus(sandbox, qrcode, r.redirect_host)).status, "scaned");
    await sandbox.confirmLogin({ qrcode });
    assert.equal((await qrStatus(sandbox, qrcode, r.redirect_host)).status, "confirmed");
  } finally {
    await sandbox.close();
  }
});

Deno.test("redirect is issued even when the login was confirmed before any poll", async () => {
  const sandbox = await startSandbox({ redirect: true });
  try {
    const { qrcode } = await createQr(sandbox);
    await sandbox.confirmLogin({ qrcode });
    assert.equal((await qrStatus(sandbox, qrcode)).status, "scaned_but_redirect");
    assert.equal((await qrStatus(sandbox, qrcode)).status, "confirmed");
  } finally {
    await sandbox.close();
  }
});

Deno.test("QR codes expire after qrTtlMs and cannot be confirmed", async () => {
  const sandbox = await startSandbox({ qrTtlMs: 60 });
  try {
    const { qrcode } = await createQr(sandbox);
    assert.equal((await qrStatus(sandbox, qrcode)).status, "wait");
    await new Promise((r) => setTimeout(r, 120));
    assert.equal((await qrStatus(sandbox, qrcode)).status, "expired");
    await assert.rejects(sandbox.confirmLogin({ qrcode }), /has expired/);
    assert.equal((await sandbox.state()).pendingLogins.length, 0);
  } finally {
    await sandbox.close();
  }
});

Deno.test("an unknown qrcode reads as expired", async () => {
  const sandbox = await startSandbox();
  try {
    assert.equal((await qrStatus(sandbox, "nope")).status, "expired");
  } finally {
    await sandbox.close();
  }
});

Deno.test("a pairing code gates the login: need_verifycode until the right code", async () => {
  const sandbox = await startSandbox();
  try {
    const { qrcode } = await createQr(sandbox);
    await sandbox.confirmLogin({ qrcode, verifyCode: "4711" });
    const poll = async (code?: string) => {
      const q = code === undefined ? "" : `&verify_code=${code}`;
      const res = await fetch(
        `${sandbox.baseUrl}/ilink/bot/get_qrcode_status?qrcode=${qrcode}${q}`,
        { headers: GET_HEADERS },
      );
      return (await res.json()).status;
    };
    assert.equal(await poll(), "need_verifycode");
    assert.equal(await poll("1234"), "need_verifycode", "a wrong code asks again");
    assert.equal(await poll("4711"), "confirmed");
    assert.equal(await poll(), "confirmed");
  } finally {
    await sandbox.close();
  }
});

Deno.test("three wrong pairing codes answer verify_code_blocked", async () => {
  const sandbox = await startSandbox();
  try {
    const { qrcode } = await createQr(sandbox);
    await sandbox.confirmLogin({ qrcode, verifyCode: "11", scanOnly: true });
    const poll = async (code: string) =>
      (await (await fetch(
        `${sandbox.baseUrl}/ilink/bot/get_qrcode_status?qrcode=${qrcode}&verify_code=${code}`,
        { headers: GET_HEADERS },
      )).json()).status;
    assert.equal(await poll("1"), "need_verifycode");
    assert.equal(await poll("2"), "need_verifycode");
    assert.equal(await poll("3"), "verify_code_blocked");
    assert.equal(await poll("11"), "verify_code_blocked", "blocked for good");
  } finally {
    await sandbox.close();
  }
});

Deno.test("a still-valid token in local_token_list of the same user gives binded_redirect", async () => {
  const sandbox = await startSandbox();
  try {
    const first = await createQr(sandbox);
    const bot = await sandbox.confirmLogin({ qrcode: first.qrcode, userId: "hal@im.wechat" });
    const qrWith = async (tokens: string[]) => {
      const res = await fetch(`${sandbox.baseUrl}/ilink/bot/get_bot_qrcode?bot_type=3`, {
        method: "POST",
        headers: { ...GET_HEADERS, "Content-Type": "application/json" },
        body: JSON.stringify({ local_token_list: tokens }),
      });
      return (await res.json()).qrcode as string;
    };
    const again = await qrWith([bot.token]);
    const rebound = await sandbox.confirmLogin({ qrcode: again, userId: "hal@im.wechat" });
    assert.deepEqual(rebound, bot, "the existing bot, no duplicate");
    assert.deepEqual(await qrStatus(sandbox, again), { ret: 0, status: "binded_redirect" });
    assert.equal((await sandbox.state()).bots.length, 1);

    const other = await qrWith([bot.token]);
    await sandbox.confirmLogin({ qrcode: other, userId: "ivy@im.wechat" });
    assert.equal((await qrStatus(sandbox, other)).status, "confirmed", "another user binds anew");

    await sandbox.expireSession(bot.botId);
    const afterExpiry = await qrWith([bot.token]);
    await sandbox.confirmLogin({ qrcode: afterExpiry, userId: "hal@im.wechat" });
    assert.equal((await qrStatus(sandbox, afterExpiry)).status, "confirmed");
  } finally {
    await sandbox.close();
  }
});
