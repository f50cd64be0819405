import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { call, login, poll, sendText } from "./raw_client.ts";

Deno.test("getupdates holds for longPollMs when idle and announces the hold", async () => {
  const sandbox = await startSandbox({ longPollMs: 300 });
  try {
    const bot = await login(sandbox);
    const started = performance.now();
    const r = await poll(sandbox, bot.token);
    const took = performance.now() - started;
    assert.ok(took >= 280, `held ${took} ms`);
    assert.ok(took < 2000, `held ${took} ms`);
    assert.equal(r.json.ret, 0);
    assert.deepEqual(r.msgs, []);
    assert.equal(r.json.longpolling_timeout_ms, 300);
    assert.equal(typeof r.cursor, "string");
    assert.notEqual(r.cursor, "");
  } finally {
    await sandbox.close();
  }
});

Deno.test("getupdates returns early when a message arrives", async () => {
  const sandbox = await startSandbox({ longPollMs: 5000 });
  try {
    const bot = await login(sandbox, "carol@im.wechat");
    const started = performance.now();
    const pending = poll(sandbox, bot.token);
    await new Promise((r) => setTimeout(r, 100));
    const { messageId, contextToken } = await sandbox.injectMessage({ text: "hello" });
    const r = await pending;
    assert.ok(performance.now() - started < 2000);
    assert.equal(r.msgs.length, 1);
    const m = r.msgs[0];
    assert.equal(m.from_user_id, "carol@im.wechat");
    assert.equal(m.to_user_id, bot.botId);
    assert.equal(m.message_type, 1);
    assert.equal(m.message_state, 2);
    assert.equal(m.context_token, contextToken);
    assert.equal(typeof m.seq, "number");
    assert.equal(typeof m.create_time_ms, "number");
    assert.deepEqual(m.item_list, [{ type: 1, text_item: { text: "hello" } }]);
    assert.ok(r.text.includes(`"message_id":${messageId}`), "message_id is a bare JSON number");
  } finally {
    await sandbox.close();
  }
});

Deno.test("message_id is a JSON number above 2^53 whose digits survive only in the raw text", async () => {
  const sandbox = await startSandbox({ longPollMs: 200 });
  try {
    const bot = await login(sandbox);
    const { messageId } = await sandbox.injectMessage({ text: "id" });
    assert.ok(BigInt(messageId) > 2n ** 53n);
    const r = await poll(sandbox, bot.token);
    const raw = /"message_id":(\d+)/.exec(r.text)?.[1];
    assert.equal(raw, messageId);
    assert.notEqual(String(r.msgs[0].message_id), messageId, "a float parse loses digits");
    const sent = await sendText(sandbox, bot.token, bot.userId, r.msgs[0].context_token, "ok");
    const sentId = /"message_id":(\d+)/.exec(sent.text)?.[1];
    assert.ok(sentId !== undefined && BigInt(sentId) > 2n ** 53n);
    assert.equal((await sandbox.sent())[0]?.messageId, sentId);
  } finally {
    await sandbox.close();
  }
});

Deno.test("a message is delivered once per cursor; replaying an old cursor re-delivers", async () => {
  const sandbox = await startSandbox({ longPollMs: 150 });
  try {
    const bot = await login(sandbox);
    await sandbox.injectMessage({ text: "one" });
    await sandbox.injectMessage({ text: "two" });
    const first = await poll(sandbox, bot.token, "");
    assert.deepEqual(first.msgs.map((m) => m.item_list[0].text_item.text), ["one", "two"]);
    const second = await poll(sandbox, bot.token, first.cursor);
    assert.deepEqual(second.msgs, [], "nothing new after the cursor");
    assert.equal(second.cursor, first.cursor);

    await sandbox.injectMessage({ text: "three" });
    const third = await poll(sandbox, bot.token, first.cursor);
    assert.deepEqual(third.msgs.map((m) => m.item_list[0].text_item.text), ["three"]);
    const replay = await poll(sandbox, bot.token, first.cursor);
    assert.deepEqual(replay.msgs.map((m) => m.item_list[0].text_item.text), ["three"]);
    const all = await poll(sandbox, bot.token, "");
    assert.equal(all.msgs.length, 3);
    assert.ok(all.msgs[0].seq < all.msgs[1].seq && all.msgs[1].seq < all.msgs[2].seq);
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("an altered cursor is a violation", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    await poll(sandbox, bot.token, "not-a-cursor");
    assert.deepEqual((await sandbox.violations()).map((v) => v.rule), ["altered_cursor"]);
  } finally {
    await sandbox.close();
  }
});

Deno.test("sendmessage answers ret 0 and sent() records the text", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox, "dave@im.wechat");
    const { contextToken } = await sandbox.injectMessage({ text: "hi" });
    const a = await sendText(sandbox, bot.token, bot.userId, contextToken, "hello dave");
    assert.equal(a.status, 200);
    assert.equal(a.json.ret, 0);
    const sent = await sandbox.sent({ to: "dave@im.wechat" });
    assert.equal(sent.length, 1);
    assert.equal(sent[0]!.text, "hello dave");
    assert.equal(sent[0]!.type, 1);
    assert.equal(sent[0]!.botId, bot.botId);
    assert.deepEqual(await sandbox.sent({ botId: "other@im.bot" }), []);
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("context rules: unknown token, a quota per token, a new message brings its own", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    const first = await sandbox.injectMessage({ text: "first" });
    const bad = await sendText(sandbox, bot.token, bot.userId, "bogus", "x");
    assert.deepEqual(bad.json, { ret: -2, errmsg: "prepare failed" });

    for (let i = 0; i < 10; i++) {
      const a = await sendText(sandbox, bot.token, bot.userId, first.contextToken, `r${i}`);
      assert.equal(a.json.ret, 0, `reply ${i + 1}`);
    }
    const eleventh = await sendText(sandbox, bot.token, bot.userId, first.contextToken, "r10");
    assert.deepEqual(eleventh.json, { ret: -2, errmsg: "rate limited" });

    const second = await sandbox.injectMessage({ text: "second" });
    const spent = await sendText(sandbox, bot.token, bot.userId, first.contextToken, "old");
    assert.deepEqual(
      spent.json,
      { ret: -2, errmsg: "rate limited" },
      "a new message does not refill an old token",
    );
    const fresh = await sendText(sandbox, bot.token, bot.userId, second.contextToken, "new");
    assert.equal(fresh.json.ret, 0, "the new token has its own quota");
    assert.equal((await sandbox.sent()).length, 11);
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("context rules: two quick messages, a reply to each with its own token", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    await sandbox.injectMessage({ text: "first" });
    await sandbox.injectMessage({ text: "second" });
    const { msgs } = await poll(sandbox, bot.token);
    assert.equal(msgs.length, 2);
    const [t1, t2] = msgs.map((m) => m.context_token as string);
    assert.notEqual(t1, t2);
    // The bot answers in order: the first reply carries the older token.
    assert.equal((await sendText(sandbox, bot.token, bot.userId, t1!, "to first")).json.ret, 0);
    assert.equal((await sendText(sandbox, bot.token, bot.userId, t2!, "to second")).json.ret, 0);
    assert.deepEqual((await sandbox.sent()).map((r) => r.text), ["to first", "to second"]);
    assert.deepEqual(await sandbox.violations(), []);
    const notes = await sandbox.notes();
    assert.deepEqual(notes.map((n) => [n.rule, n.endpoint, n.botId]), [
      ["older_context_token", "sendmessage", bot.botId],
    ]);
    assert.ok(!notes[0]!.detail.includes(t1!), "notes never carry tokens");
    assert.equal((await sandbox.state()).notes, 1);
  } finally {
    await sandbox.close();
  }
});

Deno.test("context rules: an image and a file sent together from the phone page, each answered", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    // The phone page posts one /inject per attached file, back to back.
    const inject = (body: Record<string, unknown>) =>
      fetch(`${sandbox.controlUrl}/inject`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ botId: bot.botId, ...body }),
      }).then((r) => r.json());
    const image = await inject({ image: btoa("\x89PNG fake") });
    const file = await inject({ file: btoa("a report"), fileName: "report.txt" });
    const { msgs } = await poll(sandbox, bot.token);
    assert.deepEqual(msgs.map((m) => m.item_list[0].type), [2, 4]);
    assert.deepEqual(msgs.map((m) => m.context_token), [image.contextToken, file.contextToken]);
    const a = await sendText(sandbox, bot.token, bot.userId, image.contextToken, "nice picture");
    const b = await sendText(sandbox, bot.token, bot.userId, file.contextToken, "got the file");
    assert.deepEqual([a.json.ret, b.json.ret], [0, 0]);
    assert.deepEqual(await sandbox.violations(), []);
    assert.deepEqual((await sandbox.notes()).map((n) => n.rule), ["older_context_token"]);
  } finally {
    await sandbox.close();
  }
});

Deno.test("context rules: each token's window counts from its own message", async () => {
  const sandbox = await startSandbox({ longPollMs: 100, windowMs: 300 });
  try {
    const bot = await login(sandbox);
    const first = await sandbox.injectMessage({ text: "one" });
    await new Promise((r) => setTimeout(r, 200));
    const second = await sandbox.injectMessage({ text: "two" });
    await new Promise((r) => setTimeout(r, 200));
    // 400 ms after the first message, 200 ms after the second.
    const late = await sendText(sandbox, bot.token, bot.userId, first.contextToken, "late");
    assert.deepEqual(late.json, { ret: -2, errmsg: "prepare failed" });
    const inTime = await sendText(sandbox, bot.token, bot.userId, second.contextToken, "ok");
    assert.equal(inTime.json.ret, 0);
  } finally {
    await sandbox.close();
  }
});

Deno.test("context rules: quota option and reply window", async () => {
  const sandbox = await startSandbox({ longPollMs: 100, quota: 2, windowMs: 150 });
  try {
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "q" });
    assert.equal((await sendText(sandbox, bot.token, bot.userId, contextToken, "1")).json.ret, 0);
    assert.equal((await sendText(sandbox, bot.token, bot.userId, contextToken, "2")).json.ret, 0);
    assert.equal((await sendText(sandbox, bot.token, bot.userId, contextToken, "3")).json.ret, -2);

    const again = await sandbox.injectMessage({ text: "q2" });
    await new Promise((r) => setTimeout(r, 250));
    const late = await sendText(sandbox, bot.token, bot.userId, again.contextToken, "late");
    assert.deepEqual(late.json, { ret: -2, errmsg: "prepare failed" });
  } finally {
    await sandbox.close();
  }
});

Deno.test("text above 16384 UTF-8 bytes is refused with ret -2; at the limit it passes", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "long?" });
    const atLimit = "中".repeat(5461) + "a"; // 16383 + 1 bytes
    assert.equal(new TextEncoder().encode(atLimit).length, 16384);
    assert.equal(
      (await sendText(sandbox, bot.token, bot.userId, contextToken, atLimit)).json.ret,
      0,
    );
    const over = await sendText(sandbox, bot.token, bot.userId, contextToken, atLimit + "b");
    assert.equal(over.json.ret, -2);
    assert.deepEqual((await sandbox.violations()).map((v) => v.rule), ["text_too_long"]);
  } finally {
    await sandbox.close();
  }
});

Deno.test("two items in one message are invalid arguments and a violation", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "x" });
    const a = await call(sandbox, bot.token, "sendmessage", {
      msg: {
        from_user_id: "",
        to_user_id: bot.userId,
        client_id: "c1",
        message_type: 2,
        message_state: 2,
        context_token: contextToken,
        item_list: [{ type: 1, text_item: { text: "a" } }, { type: 1, text_item: { text: "b" } }],
      },
    });
    assert.equal(a.json.errmsg, "invalid arguments");
    assert.notEqual(a.json.ret, 0);
    assert.deepEqual((await sandbox.violations()).map((v) => v.rule), ["multiple_items"]);
    assert.deepEqual(await sandbox.sent(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("sending to a user who never wrote is refused and recorded", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    const a = await sendText(sandbox, bot.token, bot.userId, "", "unsolicited");
    assert.deepEqual(a.json, { ret: -2, errmsg: "prepare failed" });
    const v = await sandbox.violations();
    assert.deepEqual(v.map((x) => x.rule), ["send_to_unknown_user"]);
    assert.equal(v[0]!.botId, bot.botId);
    assert.equal(v[0]!.endpoint, "sendmessage");
  } finally {
    await sandbox.close();
  }
});

Deno.test("unknown or missing bearer tokens answer -14 with HTTP 200", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const a = await call(sandbox, "not-a-token", "getupdates", { get_updates_buf: "" });
    assert.equal(a.status, 200);
    assert.deepEqual(a.json, { ret: -14, errcode: -14, errmsg: "session timeout" });
    const b = await call(sandbox, undefined, "getupdates", { get_updates_buf: "" });
    assert.equal(b.json.errcode, -14);
    assert.deepEqual((await sandbox.violations()).map((v) => v.rule), ["missing_authorization"]);
  } finally {
    await sandbox.close();
  }
});

Deno.test("getconfig issues a per-user typing ticket that sendtyping validates", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    const { contextToken } = await sandbox.injectMessage({ text: "t" });
    const cfg = await call(sandbox, bot.token, "getconfig", {
      ilink_user_id: bot.userId,
      context_token: contextToken,
    });
    assert.equal(cfg.json.ret, 0);
    assert.equal(typeof cfg.json.typing_ticket, "string");
    const again = await call(sandbox, bot.token, "getconfig", { ilink_user_id: bot.userId });
    assert.equal(again.json.typing_ticket, cfg.json.typing_ticket);

    const ok = await call(sandbox, bot.token, "sendtyping", {
      ilink_user_id: bot.userId,
      typing_ticket: cfg.json.typing_ticket,
      status: 1,
    });
    assert.equal(ok.json.ret, 0);
    const bad = await call(sandbox, bot.token, "sendtyping", {
      ilink_user_id: bot.userId,
      typing_ticket: "forged",
      status: 2,
    });
    assert.notEqual(bad.json.ret, 0);
    assert.deepEqual((await sandbox.violations()).map((v) => v.rule), ["bad_typing_ticket"]);

    assert.equal((await call(sandbox, bot.token, "msg/notifystart")).json.ret, 0);
    assert.equal((await sandbox.state()).bots[0]!.online, true);
    assert.equal((await call(sandbox, bot.token, "msg/notifystop")).json.ret, 0);
    assert.equal((await sandbox.state()).bots[0]!.online, false);
  } finally {
    await sandbox.close();
  }
});

Deno.test("getupdates answers at most updatesBatch messages; context tokens have a real token's length", async () => {
  const sandbox = await startSandbox({ longPollMs: 200, updatesBatch: 3 });
  try {
    const bot = await login(sandbox);
    const tokens: string[] = [];
    for (let i = 0; i < 7; i++) {
      tokens.push((await sandbox.injectMessage({ text: `m${i}` })).contextToken);
    }
    const sizes: number[] = [];
    let cursor = "";
    for (let i = 0; i < 3; i++) {
      const r = await poll(sandbox, bot.token, cursor);
      sizes.push(r.msgs.length);
      cursor = r.cursor;
    }
    assert.deepEqual(sizes, [3, 3, 1]);
    for (const t of tokens) assert.equal(t.length, 85);
    assert.equal(new Set(tokens).size, 7);
    await assert.rejects(startSandbox({ updatesBatch: 0 }), RangeError);
    await assert.rejects(startSandbox({ updatesBatch: 1.5 }), RangeError);
  } finally {
    await sandbox.close();
  }
});
