import assert from "node:assert/strict";
import { NoContextError, StaleContextError, type WeiLinkEvent } from "../../src/client/mod.ts";
import { md5Hex } from "../../src/crypto/mod.ts";
import { NetworkError } from "../../src/protocol/mod.ts";
import { startRig } from "./harness.ts";
import { until } from "../until.ts";

/** A `ref_msg` chain `depth` levels deep, as JSON text. */
function deepQuote(depth: number): string {
  let quote = '{"title":"bottom","message_item":{"type":1,"text_item":{"text":"bottom"}}}';
  for (let i = 0; i < depth; i++) {
    quote =
      `{"title":"q${i}","message_item":{"type":1,"text_item":{"text":"q"},"ref_msg":${quote}}}`;
  }
  return quote;
}

/** Hostile entries of `msgs`, as raw JSON: none of them may stop polling. */
function hostileEntries(from: string, bot: string): string[] {
  const base = `"from_user_id":"${from}","to_user_id":"${bot}","message_type":1`;
  return [
    "null",
    "42",
    '"text"',
    `{${base},"message_id":1e400,"item_list":[{"type":1,"text_item":{"text":"bad id"}}]}`,
    `{${base},"message_id":-5,"item_list":[{"type":1,"text_item":{"text":"negative id"}}]}`,
    // Kept, with warnings: a quote nested 20,000 levels, null items, a timestamp of 1e300.
    `{${base},"message_id":7300000000000000001,"context_token":"ctx-deep","item_list":[{"type":1,` +
    `"text_item":{"text":"deep quote"},"ref_msg":${deepQuote(20_000)}}]}`,
    `{${base},"message_id":7300000000000000003,"context_token":"ctx-null",` +
    `"item_list":[null,{"type":1,"text_item":{"text":"null item"}},7]}`,
    `{${base},"message_id":7300000000000000005,"create_time_ms":1e300,` +
    `"item_list":[{"type":99,"deep":${"[".repeat(5000)}${"]".repeat(5000)}}]}`,
  ];
}

Deno.test("recv: transient failures are retried within the timeout, never thrown", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { onEvent: (e) => void events.push(e) });
  try {
    await rig.login();
    // The README's loop: nothing here may throw.
    const faults = [
      { kind: "ret", ret: -1, errmsg: "system busy" },
      { kind: "http500" },
      { kind: "malformed_json" },
      { kind: "ret", errcode: -2, errmsg: "unknown error" },
    ] as const;
    for (const [i, fault] of faults.entries()) {
      await rig.sandbox.fail("getupdates", { ...fault, times: 2 });
      await rig.sandbox.injectMessage({ text: `after fault ${i}` });
      const got = [];
      for (let round = 0; round < 5 && got.length === 0; round++) {
        got.push(...await rig.wl.recv({ timeout: 1 }));
      }
      assert.deepEqual(got.map((m) => m.text), [`after fault ${i}`], `fault ${fault.kind}`);
    }
    const failed = events.filter((e) => e.type === "poll_failed");
    assert.equal(failed.length, faults.length * 2);
    assert.ok(
      failed.every((e) => e.type === "poll_failed" && e.error instanceof Error && e.retryInMs > 0),
    );
    assert.ok(rig.logger.lines.some((l) => l.includes("system busy") && l.startsWith("WARN")));
    // A timeout shorter than the backoff returns [] instead of throwing.
    await rig.sandbox.fail("getupdates", { kind: "http500", times: 10 });
    assert.deepEqual(await rig.wl.recv({ timeout: 0.2 }), []);
  } finally {
    await rig.close();
  }
});

Deno.test("recv: hostile entries are skipped or kept with warnings; every good message arrives", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { onEvent: (e) => void events.push(e) });
  try {
    const bot = await rig.login();
    for (const raw of hostileEntries(bot.ownerId, bot.botId)) {
      await rig.sandbox.injectRaw(raw, { botId: bot.botId });
    }
    const good = [];
    for (let i = 0; i < 5; i++) good.push(await rig.sandbox.injectMessage({ text: `good ${i}` }));
    const got = [];
    for (let round = 0; round < 10 && got.length < 8; round++) {
      got.push(...await rig.wl.recv({ timeout: 1 }));
    }
    assert.deepEqual(
      got.map((m) => m.text),
      ["deep quote", "null item", undefined, ...good.map((_, i) => `good ${i}`)],
    );
    const [deep, nulls, wide] = got;
    assert.match(deep!.warnings!.join(), /quote nested deeper than 8 levels/);
    assert.match(nulls!.warnings!.join(), /item 0 is not an object/);
    assert.equal(wide!.timestamp, 0);
    assert.match(wide!.warnings!.join(), /create_time_ms 1e\+300 is out of range/);
    assert.match(wide!.warnings!.join(), /nested deeper than 32 levels was cut/);
    const skipped = events.filter((e) => e.type === "message_skipped");
    assert.equal(skipped.length, 5);
    assert.ok(rig.logger.lines.some((l) => l.includes("1e400")));
    // The cursor moved past them: a new client gets nothing again.
    await rig.wl.close();
    assert.deepEqual(await rig.client().recv({ timeout: 0.3 }), []);
    // The message with the deep quote was stored and reads back.
    const stored = rig.client({ messageStore: true });
    await rig.sandbox.injectRaw(hostileEntries(bot.ownerId, bot.botId)[5]!.replace("001", "007"));
    const [again] = await stored.recv({ timeout: 2 });
    assert.equal(again?.text, "deep quote");
  } finally {
    await rig.close();
  }
});

Deno.test("dispatcher: hostile entries neither wedge nor spin it", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { onEvent: (e) => void events.push(e) });
  try {
    const bot = await rig.login();
    const seen: string[] = [];
    rig.wl.onMessage((m) => void seen.push(m.text ?? "?"));
    await rig.wl.runBackground({ pollTimeout: 1 });
    for (const raw of hostileEntries(bot.ownerId, bot.botId)) {
      await rig.sandbox.injectRaw(raw, { botId: bot.botId });
    }
    for (let i = 0; i < 3; i++) await rig.sandbox.injectMessage({ text: `good ${i}` });
    await until(() => seen.length === 6);
    assert.deepEqual(seen, ["deep quote", "null item", "?", "good 0", "good 1", "good 2"]);
    const before = (await rig.sandbox.requests()).getupdates!;
    await new Promise((r) => setTimeout(r, 1000));
    const polls = (await rig.sandbox.requests()).getupdates! - before;
    // Long polls of 300 ms: a handful per second, not thousands.
    assert.ok(polls <= 8, `${polls} getupdates in 1 s`);
    // A failed poll is followed by a pause, not by an immediate retry.
    await rig.sandbox.fail("getupdates", { kind: "http500", times: 1000 });
    const start = (await rig.sandbox.requests()).getupdates!;
    await new Promise((r) => setTimeout(r, 1000));
    const failing = (await rig.sandbox.requests()).getupdates! - start;
    assert.ok(failing <= 10, `${failing} failing getupdates in 1 s`);
  } finally {
    await rig.close();
  }
});

Deno.test("dispatcher: stop() from a handler returns and runForever resolves", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    const log: string[] = [];
    rig.wl.onMessage(async (m) => {
      log.push(`got ${m.text}`);
      if (m.text === "/quit") {
        await rig.wl.stop();
        log.push("stop returned");
      }
    });
    const running = rig.wl.runForever({ pollTimeout: 1 });
    await rig.sandbox.injectMessage({ text: "hello" });
    await rig.sandbox.injectMessage({ text: "/quit" });
    const outcome = await Promise.race([
      running.then(() => "resolved"),
      new Promise((r) => setTimeout(() => r("hung"), 5000)),
    ]);
    assert.equal(outcome, "resolved");
    assert.deepEqual(log, ["got hello", "got /quit", "stop returned"]);
    assert.equal(rig.wl.isRunning, false);
  } finally {
    await rig.close();
  }
});

Deno.test("dispatcher: close() from a handler also ends runForever", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    rig.wl.onMessage(async () => await rig.wl.close());
    const running = rig.wl.runForever({ pollTimeout: 1 });
    await rig.sandbox.injectMessage({ text: "bye" });
    const outcome = await Promise.race([
      running.then(() => "resolved"),
      new Promise((r) => setTimeout(() => r("hung"), 5000)),
    ]);
    assert.equal(outcome, "resolved");
    await assert.rejects(rig.wl.recv({ timeout: 0 }), /closed/);
  } finally {
    await rig.close();
  }
});

Deno.test("dispatcher: onError receives handler failures", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { onEvent: (e) => void events.push(e) });
  try {
    await rig.login();
    const caught: string[] = [];
    rig.wl.onMessage((m) => {
      if (m.text === "bad") throw new Error("handler broke");
    });
    rig.wl.onError((error, message) => caught.push(`${message.text}: ${error.message}`));
    await rig.wl.runBackground({ pollTimeout: 1 });
    for (const t of ["ok", "bad", "ok again"]) await rig.sandbox.injectMessage({ text: t });
    await until(() => events.filter((e) => e.type === "handler_failed").length === 1);
    assert.deepEqual(caught, ["bad: handler broke"]);
    assert.deepEqual(
      (await rig.wl.recv({ timeout: 1 })).map((m) => m.text),
      ["ok", "bad", "ok again"],
    );
    // With an error handler, the failure is not also logged as an error.
    assert.ok(!rig.logger.lines.some((l) => l.startsWith("ERROR") && l.includes("handler broke")));
  } finally {
    await rig.close();
  }
});

Deno.test("send: -14 on sendmessage is a stale context token, not an expired session", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { onEvent: (e) => void events.push(e) });
  try {
    const bot = await rig.login();
    const [m] = await (async () => {
      await rig.sandbox.injectMessage({ text: "hi" });
      return await rig.wl.recv({ timeout: 2 });
    })();
    await rig.sandbox.staleContext(bot.botId, m!.fromUser);
    const result = await rig.wl.send(m!.fromUser, "late reply");
    assert.equal(result.success, false);
    assert.ok(result.cause instanceof StaleContextError);
    assert.equal(result.remaining, 0);
    assert.equal(result.maybeDelivered, undefined);
    // The session still works: nothing expired, and the probe found the token valid.
    assert.equal(rig.wl.sessions["default"]!.isConnected, true);
    assert.ok(!events.some((e) => e.type === "session_expired"));
    // The stale context token is gone: the next send fails before any request.
    await assert.rejects(rig.wl.send(m!.fromUser, "again"), NoContextError);
    // The user writes again: a fresh token, and sending works.
    await rig.sandbox.injectMessage({ text: "back" });
    assert.equal((await rig.wl.recv({ timeout: 2 })).length, 1);
    assert.equal((await rig.wl.send(m!.fromUser, "welcome back")).success, true);
    const texts = (await rig.sandbox.sent()).map((r) => r.text);
    assert.deepEqual(texts, ["welcome back"]);
  } finally {
    await rig.close();
  }
});

Deno.test("send: a connection dropped after the server read the request is not sent twice", async () => {
  const rig = await startRig({ connectionFaults: true });
  try {
    await rig.login();
    await rig.sandbox.injectMessage({ text: "hi" });
    const [m] = await rig.wl.recv({ timeout: 2 });
    // A first send opens connections the way a long-running bot has them.
    assert.equal((await rig.wl.send(m!.fromUser, "one")).success, true);
    await rig.sandbox.fail("sendmessage", { kind: "drop_after_read" });
    const before = (await rig.sandbox.requests()).sendmessage!;
    const result = await rig.wl.send(m!.fromUser, "two");
    assert.equal((await rig.sandbox.requests()).sendmessage! - before, 1);
    assert.equal(result.success, false);
    assert.equal(result.maybeDelivered, true);
    assert.ok(result.cause instanceof NetworkError);
    assert.match(result.error!, /sendmessage/);
    // The server did take it: the outcome report is honest, and the quota counts it.
    assert.deepEqual((await rig.sandbox.sent()).map((r) => r.text), ["one", "two"]);
    assert.equal(result.remaining, 8);

    // Dropped before the server read it: not delivered, still not repeated.
    await rig.sandbox.fail("sendmessage", { kind: "drop_before_read" });
    const again = await rig.wl.send(m!.fromUser, "three");
    assert.equal(again.success, false);
    assert.deepEqual((await rig.sandbox.sent()).map((r) => r.text), ["one", "two"]);
    assert.deepEqual(await rig.sandbox.violations(), []);
  } finally {
    await rig.close();
  }
});

Deno.test("send: an empty file is sent and received", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    await rig.sandbox.injectMessage({ file: new Uint8Array(0), fileName: "empty.txt" });
    const [m] = await rig.wl.recv({ timeout: 2 });
    assert.equal(m!.file?.fileSize, "0");
    assert.equal((await rig.wl.download(m!)).length, 0);
    const result = await rig.wl.send(m!.fromUser, {
      file: new Uint8Array(0),
      fileName: "nothing.bin",
    });
    assert.equal(result.success, true, result.error);
    const [sent] = await rig.sandbox.sent();
    assert.equal(sent?.fileName, "nothing.bin");
    assert.equal(sent?.media?.size, 0);
    assert.equal(sent?.media?.md5, md5Hex(new Uint8Array(0)));
    assert.deepEqual(await rig.sandbox.violations(), []);
  } finally {
    await rig.close();
  }
});

Deno.test("send: text with a lone surrogate is refused before any request", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    await rig.sandbox.injectMessage({ text: "hi" });
    const [m] = await rig.wl.recv({ timeout: 2 });
    const before = (await rig.sandbox.requests()).sendmessage;
    await assert.rejects(
      rig.wl.send(m!.fromUser, "abc\uD800def"),
      (e: Error) => e instanceof TypeError && /lone surrogate at index 3/.test(e.message),
    );
    await assert.rejects(rig.wl.send(m!.fromUser, "\uDE00 cut emoji"), TypeError);
    await assert.rejects(
      rig.wl.send(m!.fromUser, { file: new Uint8Array(1), fileName: "a\uD83D.txt" }),
      TypeError,
    );
    assert.equal((await rig.sandbox.requests()).sendmessage, before);
    // A whole emoji (a surrogate pair) is fine, and the quota was not touched by the refusals.
    const ok = await rig.wl.send(m!.fromUser, "party 🎉");
    assert.equal(ok.success, true);
    assert.equal(ok.remaining, 9);
    assert.equal((await rig.sandbox.sent())[0]?.text, "party 🎉");
  } finally {
    await rig.close();
  }
});
