import assert from "node:assert/strict";
import { NotLoggedInError, type WeiLinkEvent } from "../../src/client/mod.ts";
import { SessionExpiredError } from "../../src/protocol/mod.ts";
import { readJson, startRig } from "./harness.ts";

Deno.test("sessions: recv returns every session's messages and send routes by context", async () => {
  const rig = await startRig();
  try {
    const a = await rig.login("a", undefined, "xavier@im.wechat");
    const b = await rig.login("b", undefined, "yvonne@im.wechat");
    assert.deepEqual(rig.wl.botIds, { a: a.botId, b: b.botId });
    await rig.sandbox.injectMessage({ botId: a.botId, from: "xavier@im.wechat", text: "to a" });
    await rig.sandbox.injectMessage({ botId: b.botId, from: "yvonne@im.wechat", text: "to b" });
    const msgs = await rig.wl.recv({ timeout: 2 });
    assert.deepEqual(
      msgs.map((m) => `${m.botId}:${m.text}`).sort(),
      [
        `${a.botId}:to a`,
        `${b.botId}:to b`,
      ].sort(),
    );

    assert.equal((await rig.wl.send("xavier@im.wechat", "via a")).success, true);
    assert.equal((await rig.wl.send("yvonne@im.wechat", "via b")).success, true);
    assert.equal((await rig.sandbox.sent({ botId: a.botId }))[0]?.to, "xavier@im.wechat");
    assert.equal((await rig.sandbox.sent({ botId: b.botId }))[0]?.to, "yvonne@im.wechat");

    // The session that most recently heard from the user wins.
    await rig.sandbox.injectMessage({ botId: b.botId, from: "xavier@im.wechat", text: "b too" });
    assert.equal((await rig.wl.recv({ timeout: 2 }))[0]?.botId, b.botId);
    await rig.wl.send("xavier@im.wechat", "now via b");
    assert.equal((await rig.sandbox.sent({ botId: b.botId, to: "xavier@im.wechat" })).length, 1);

    // Another client on the same folder knows the contexts (disk is the source of truth).
    const other = rig.client();
    assert.equal((await other.send("yvonne@im.wechat", { text: "from other" })).remaining, 8);
    assert.deepEqual(await rig.sandbox.violations(), []);
  } finally {
    await rig.close();
  }
});

Deno.test("sessions: recv honours the caller's timeout as an upper bound", async () => {
  const rig = await startRig({ longPollMs: 5000 });
  try {
    await rig.login();
    const started = Date.now();
    assert.deepEqual(await rig.wl.recv({ timeout: 0.3 }), []);
    const took = Date.now() - started;
    assert.ok(took >= 250 && took < 1500, `took ${took} ms`);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    await assert.rejects(rig.wl.recv({ timeout: 5, signal: controller.signal }));
  } finally {
    await rig.close();
  }
});

Deno.test("sessions: -14 pauses only that session and keeps its token, cursor and contexts", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, {
    onEvent: (e) => void events.push(e),
    // Probes far apart, so the expired state can be observed.
    retry: { shortMs: 50, longMs: 150, longAfter: 3, expiredFirstMs: 60_000, expiredMaxMs: 60_000 },
  });
  try {
    const a = await rig.login("a", undefined, "xavier@im.wechat");
    const b = await rig.login("b", undefined, "yvonne@im.wechat");
    await rig.sandbox.injectMessage({ botId: a.botId, text: "one" });
    assert.equal((await rig.wl.recv({ timeout: 2 })).length, 1);
    const cursor = (await readJson(`${rig.dir}/a/token.json`)).cursor;
    assert.notEqual(cursor, "");
    const contextsBefore = await readJson(`${rig.dir}/a/contexts.json`);

    await rig.sandbox.expireSession(a.botId, { field: "ret" });
    await rig.sandbox.injectMessage({ botId: b.botId, text: "still here" });
    const msgs = [];
    for (let i = 0; i < 3 && msgs.length === 0; i++) {
      msgs.push(...await rig.wl.recv({ timeout: 1 }));
    }
    assert.equal(msgs[0]?.text, "still here");
    assert.equal(rig.wl.sessions["a"]!.isExpired, true);
    assert.equal(rig.wl.sessions["a"]!.isConnected, false);
    assert.deepEqual(events.filter((e) => e.type === "session_expired"), [
      { type: "session_expired", session: "a", botId: a.botId },
    ]);
    // The token, its cursor and the context tokens stay (the official client keeps them too);
    // the expiry is recorded for other processes.
    const token = await readJson(`${rig.dir}/a/token.json`);
    assert.equal(token.cursor, cursor);
    assert.equal(token.token, a.token);
    assert.equal(typeof token.expired_at, "number");
    assert.deepEqual(await readJson(`${rig.dir}/a/contexts.json`), contextsBefore);

    await rig.sandbox.expireSession(b.botId);
    await assert.rejects(rig.wl.recv({ timeout: 1 }), SessionExpiredError);
    // Still expired, and no probe due: the next call says so at once.
    const started = Date.now();
    await assert.rejects(rig.wl.recv({ timeout: 5 }), SessionExpiredError);
    assert.ok(Date.now() - started < 1000);

    // A new login (no force needed for an expired session) brings it back, with a fresh cursor.
    const fresh = rig.wl.login({ name: "b", onQr: () => {} });
    await rig.sandbox.confirmLogin({ userId: "yvonne@im.wechat" });
    await fresh;
    assert.equal(rig.wl.sessions["b"]!.isConnected, true);
    const relogged = await readJson(`${rig.dir}/b/token.json`);
    assert.equal(relogged.cursor, "");
    assert.equal(relogged.expired_at, undefined);

    // Without any credentials, recv() says to log in.
    await rig.wl.logout("a");
    await rig.wl.logout("b");
    await assert.rejects(rig.wl.recv({ timeout: 0.2 }), NotLoggedInError);
  } finally {
    await rig.close();
  }
});

Deno.test("sessions: contacts list who wrote, when, and whether a reply is possible", async () => {
  const now = { ms: Date.now() };
  const rig = await startRig({}, { now: () => now.ms });
  try {
    const bot = await rig.login("a", undefined, "owner@im.wechat");
    assert.deepEqual(rig.wl.sessions["a"]!.contacts(), []);
    await rig.sandbox.injectMessage({ botId: bot.botId, from: "ann@im.wechat", text: "hi" });
    await rig.sandbox.injectMessage({ botId: bot.botId, from: "bob@im.wechat", text: "yo" });
    assert.equal((await rig.wl.recv({ timeout: 2 })).length, 2);
    await rig.wl.send("ann@im.wechat", "hello ann");
    const [ann, bob] = ["ann@im.wechat", "bob@im.wechat"].map((u) =>
      rig.wl.sessions["a"]!.contacts().find((c) => c.userId === u)!
    );
    assert.equal(ann!.canReply, true);
    assert.equal(ann!.repliesLeft, 9);
    assert.ok(ann!.lastSentAt instanceof Date);
    assert.ok(ann!.firstSeenAt instanceof Date);
    assert.equal(bob!.repliesLeft, 10);
    assert.equal(bob!.lastSentAt, undefined);
    // A day later the reply window has closed.
    now.ms += 24 * 3600_000 + 1000;
    const later = rig.wl.sessions["a"]!.contacts();
    assert.ok(later.every((c) => !c.canReply && c.repliesLeft === 0));
  } finally {
    await rig.close();
  }
});
