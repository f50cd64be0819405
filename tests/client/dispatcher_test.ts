import assert from "node:assert/strict";
import type { Message } from "../../src/models/mod.ts";
import type { WeiLinkEvent } from "../../src/client/mod.ts";
import { startRig } from "./harness.ts";
import { until } from "../until.ts";

Deno.test("dispatcher: handlers run in order, isolated, and feed recv()", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    const calls: string[] = [];
    rig.wl.onMessage((m) => {
      calls.push(`first:${m.text}`);
      throw new Error("boom");
    });
    const off = rig.wl.onMessage(async (m) => {
      await new Promise((r) => setTimeout(r, 5));
      calls.push(`second:${m.text}`);
    });
    await rig.wl.runBackground({ pollTimeout: 1 });
    assert.equal(rig.wl.isRunning, true);
    for (const t of ["a", "b", "c"]) await rig.sandbox.injectMessage({ text: t });
    await until(() => calls.length === 6);
    assert.deepEqual(calls, [
      "first:a",
      "second:a",
      "first:b",
      "second:b",
      "first:c",
      "second:c",
    ]);
    assert.ok(rig.logger.lines.some((l) => l.startsWith("ERROR") && l.includes("boom")));
    const queued = await rig.wl.recv({ timeout: 1 });
    assert.deepEqual(queued.map((m) => m.text), ["a", "b", "c"]);
    off();
    await rig.sandbox.injectMessage({ text: "d" });
    assert.deepEqual((await rig.wl.recv({ timeout: 2 })).map((m) => m.text), ["d"]);
    assert.equal(calls.length, 7);
    await rig.wl.stop();
    assert.equal(rig.wl.isRunning, false);
  } finally {
    await rig.close();
  }
});

Deno.test("dispatcher: a full queue drops the oldest messages and reports every one", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { queueMaxSize: 3, onEvent: (e) => void events.push(e) });
  try {
    await rig.login();
    const seen: Message[] = [];
    rig.wl.onMessage((m) => void seen.push(m));
    await rig.wl.runBackground({ pollTimeout: 1 });
    const total = 300;
    for (let i = 0; i < total; i++) await rig.sandbox.injectMessage({ text: `${i}` });
    await until(() => seen.length === total);
    assert.deepEqual(
      (await rig.wl.recv({ timeout: 1 })).map((m) => m.text),
      [`${total - 3}`, `${total - 2}`, `${total - 1}`],
    );
    await rig.wl.stop();
    // The first drop is reported at once, the rest summed up (here: when the dispatcher stops),
    // so the counts add up to every message the buffer lost.
    const dropped = events.flatMap((e) => e.type === "messages_dropped" ? [e.count] : []);
    assert.equal(dropped[0], 1);
    assert.equal(dropped.reduce((a, b) => a + b, 0), total - 3);
    const warnings = rig.logger.lines.filter((l) => l.startsWith("WARN") && l.includes("dropped"));
    assert.match(warnings.at(-1)!, new RegExp(`\\(${total - 3} since start\\)`));
  } finally {
    await rig.close();
  }
});

Deno.test("dispatcher: failed polls back off (doubling, then long from the 3rd) and recover", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { onEvent: (e) => void events.push(e) });
  try {
    await rig.login();
    await rig.sandbox.fail("getupdates", { kind: "http500", times: 4 });
    await rig.sandbox.injectMessage({ text: "after the storm" });
    await rig.wl.runBackground({ pollTimeout: 1 });
    const got = await rig.wl.recv({ timeout: 3 });
    assert.deepEqual(got.map((m) => m.text), ["after the storm"]);
    const delays = events.flatMap((e) => e.type === "poll_failed" ? [e.retryInMs] : []);
    assert.deepEqual(delays, [50, 100, 150, 150]);
  } finally {
    await rig.close();
  }
});

Deno.test("dispatcher: -14 pauses only that session, which resumes when the server accepts it again", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { onEvent: (e) => void events.push(e) });
  try {
    const a = await rig.login("a", undefined, "xavier@im.wechat");
    const b = await rig.login("b", undefined, "yvonne@im.wechat");
    const seen: string[] = [];
    rig.wl.onMessage((m) => void seen.push(`${m.botId}:${m.text}`));
    const running = rig.wl.runForever({ pollTimeout: 1 });
    await rig.sandbox.expireSession(a.botId, { reviveAfterMs: 600 });
    await until(() => events.some((e) => e.type === "session_expired"));
    await rig.sandbox.injectMessage({ botId: b.botId, text: "b lives" });
    await until(() => seen.length === 1);
    assert.deepEqual(seen, [`${b.botId}:b lives`]);
    assert.equal(rig.wl.sessions["a"]!.isExpired, true);
    // Every session expired does not end the dispatcher: it keeps probing with growing pauses.
    await rig.sandbox.expireSession(b.botId);
    await until(() => events.filter((e) => e.type === "session_expired").length === 2);
    // The server accepts a's token again: the probe finds out, and polling resumes.
    await rig.sandbox.injectMessage({ botId: a.botId, text: "a is back" });
    await until(() => seen.length === 2, 5000);
    assert.deepEqual(seen[1], `${a.botId}:a is back`);
    assert.ok(events.some((e) => e.type === "session_resumed" && e.session === "a"));
    assert.equal(rig.wl.sessions["a"]!.isExpired, false);
    assert.equal(rig.wl.isRunning, true);
    await rig.wl.stop();
    await running;
    assert.deepEqual(events.filter((e) => e.type === "dispatcher_stopped"), [
      { type: "dispatcher_stopped", reason: "stopped" },
    ]);
    assert.ok(rig.logger.lines.some((l) => l.includes(`Session "a" (bot ${a.botId}) expired`)));
  } finally {
    await rig.close();
  }
});

Deno.test("dispatcher: a backlog arrives once and in order, across a stop in the middle", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    // More than the dispatcher polls ahead (5,000), so the stop leaves some for the restart.
    const total = 6_000;
    for (let i = 0; i < total; i++) await rig.sandbox.injectMessage({ text: `m${i}` });
    const seen: string[] = [];
    let stopped: Promise<void> | undefined;
    rig.wl.onMessage((m) => {
      seen.push(m.text ?? "");
      // Stop in the middle of a batch, while later batches are polled ahead and waiting to be
      // committed: they are committed and handed out before the dispatcher ends, so the restart
      // neither repeats nor skips any.
      if (seen.length === 250) stopped = rig.wl.stop();
    });
    await rig.wl.runBackground({ pollTimeout: 1 });
    await until(() => stopped !== undefined);
    await stopped;
    const atStop = seen.length;
    await rig.wl.runBackground({ pollTimeout: 1 });
    await until(() => seen.length >= total);
    await new Promise((r) => setTimeout(r, 100)); // anything extra would show up by now
    await rig.wl.stop();
    assert.ok(atStop < total, `stopped after ${atStop} of ${total}`);
    assert.deepEqual(seen, Array.from({ length: total }, (_, i) => `m${i}`));
    // A fresh client on the same folder starts from the persisted cursor: nothing is left.
    const again = rig.client();
    assert.deepEqual(await again.recv({ timeout: 0.5 }), []);
  } finally {
    await rig.close();
  }
});
