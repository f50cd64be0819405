import assert from "node:assert/strict";
import { LoginError, type LoginStatus, type QrCodeEvent } from "../../src/client/mod.ts";
import { modeOf, readJson, startRig } from "./harness.ts";

Deno.test("login: confirm stores the original's token.json and reuses it after a restart", async () => {
  const rig = await startRig();
  try {
    const qrs: QrCodeEvent[] = [];
    const pending = rig.wl.login({ onQr: (e) => void qrs.push(e) });
    const confirmed = await rig.sandbox.confirmLogin();
    const bot = await pending;
    assert.equal(bot.botId, confirmed.botId);
    assert.equal(bot.userId, confirmed.userId);
    assert.equal(qrs.length, 1);
    assert.equal(qrs[0]!.session, "default");
    assert.match(qrs[0]!.url, /^http/);
    const token = await readJson(`${rig.dir}/default/token.json`);
    assert.deepEqual(Object.keys(token), [
      "bot_id",
      "base_url",
      "token",
      "user_id",
      "cursor",
      "created_at",
    ]);
    assert.equal(token.bot_id, bot.botId);
    assert.equal(token.cursor, "");
    assert.equal(typeof token.created_at, "number");
    if (Deno.build.os !== "windows") {
      assert.equal(await modeOf(`${rig.dir}/default/token.json`), 0o600);
    }
    assert.ok(!rig.logger.lines.join("\n").includes(confirmed.token), "no token in logs");

    // A second client on the same folder reuses the credentials: no QR code.
    const again = rig.client();
    let shown = 0;
    const reused = await again.login({ onQr: () => void shown++ });
    assert.equal(shown, 0);
    assert.equal(reused.botId, bot.botId);
    await rig.sandbox.injectMessage({ text: "after restart" });
    const msgs = await again.recv({ timeout: 2 });
    assert.equal(msgs[0]?.text, "after restart");
  } finally {
    await rig.close();
  }
});

Deno.test("login: an expired QR code is refreshed, at most 3 codes", async () => {
  const rig = await startRig({ qrTtlMs: 150 });
  try {
    const qrs: QrCodeEvent[] = [];
    const statuses: LoginStatus[] = [];
    const pending = rig.wl.login({
      onQr: (e) => void qrs.push(e),
      onStatus: (s) => void statuses.push(s),
    });
    while (qrs.length < 2) await new Promise((r) => setTimeout(r, 20));
    await rig.sandbox.confirmLogin();
    await pending;
    assert.ok(statuses.includes("expired"));
    assert.equal(qrs[1]!.attempt, 2);

    // Never confirmed: three codes expire, then the login fails.
    const failing = rig.client();
    const seen: QrCodeEvent[] = [];
    await assert.rejects(
      failing.login({ name: "other", onQr: (e) => void seen.push(e) }),
      (err: unknown) => err instanceof LoginError && err.reason === "expired",
    );
    assert.equal(seen.length, 3);
  } finally {
    await rig.close();
  }
});

Deno.test("login: scaned_but_redirect is followed to the redirect host", async () => {
  const rig = await startRig({ redirect: true });
  try {
    const statuses: LoginStatus[] = [];
    const pending = rig.wl.login({ onQr: () => {}, onStatus: (s) => void statuses.push(s) });
    await rig.sandbox.confirmLogin();
    const bot = await pending;
    assert.ok(statuses.includes("redirect"), statuses.join(","));
    assert.match(bot.botId, /@im\.bot$/);
    assert.deepEqual(await rig.sandbox.violations(), []);
  } finally {
    await rig.close();
  }
});

Deno.test("login: times out, and can be aborted", async () => {
  const rig = await startRig();
  try {
    const started = Date.now();
    await assert.rejects(
      rig.wl.login({ onQr: () => {}, timeoutMs: 250 }),
      (err: unknown) => err instanceof LoginError && err.reason === "timeout",
    );
    assert.ok(Date.now() - started < 2000);
    const controller = new AbortController();
    const pending = rig.wl.login({ onQr: () => controller.abort(), signal: controller.signal });
    await assert.rejects(pending);
    assert.equal(rig.wl.isConnected, false);
  } finally {
    await rig.close();
  }
});

Deno.test("login: a named session becomes the default instead of an empty placeholder", async () => {
  const rig = await startRig();
  try {
    assert.deepEqual(Object.keys(rig.wl.sessions), ["default"]);
    const bot = await rig.login("work");
    assert.deepEqual(Object.keys(rig.wl.sessions), ["work"]);
    assert.equal(rig.wl.defaultSessionName, "work");
    assert.equal(rig.wl.botId, bot.botId);
    assert.equal((await Deno.readTextFile(`${rig.dir}/.default_session`)).trim(), "work");
    const s = rig.wl.sessions["work"]!;
    assert.equal(s.isDefault, true);
    assert.equal(s.isConnected, true);
    assert.ok(s.createdAt instanceof Date);
  } finally {
    await rig.close();
  }
});
