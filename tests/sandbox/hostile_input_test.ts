import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { call, createQr, goodHeaders, login, poll, qrStatus, sendText } from "./raw_client.ts";

Deno.test("base URLs carry no trailing slash, in the API, the QR status and media URLs", async () => {
  const sandbox = await startSandbox({ longPollMs: 50, uploadFullUrl: true });
  try {
    const origin = new URL(sandbox.baseUrl).origin;
    assert.equal(sandbox.baseUrl, origin);
    assert.equal(sandbox.cdnBaseUrl, `${origin}/c2c`);
    assert.equal(sandbox.controlUrl, `${origin}/_control`);
    assert.equal(sandbox.phoneUrl, `${origin}/phone`);
    const { qrcode, url } = await createQr(sandbox);
    assert.ok(url.startsWith(`${origin}/phone?qrcode=`), url);
    await sandbox.confirmLogin({ qrcode });
    const status = await qrStatus(sandbox, qrcode);
    assert.equal(status.baseurl, origin, "baseurl as the real server sends it");
    await sandbox.injectMessage({ file: new Uint8Array([1, 2, 3]) });
    const { msgs } = await poll(sandbox, status.bot_token);
    const fullUrl: string = msgs[0].item_list[0].file_item.media.full_url;
    assert.ok(fullUrl.startsWith(`${origin}/c2c/download?`), fullUrl);
    assert.ok(!/[^:]\/\//.test(fullUrl), "no doubled slash");
    assert.deepEqual((await sandbox.state()).baseUrl, origin);
  } finally {
    await sandbox.close();
  }
});

Deno.test("a doubled slash in the path is served, and recorded as double_slash_path", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    await sandbox.injectMessage({ text: "hi" });
    // What a client that joins `baseurl + "/ilink/..."` to a base with a trailing slash calls.
    const res = await fetch(`${sandbox.baseUrl}//ilink/bot/getupdates`, {
      method: "POST",
      headers: goodHeaders(bot.token),
      body: JSON.stringify({ get_updates_buf: "", base_info: { channel_version: "1.0.0" } }),
    });
    assert.equal(res.status, 200);
    const json = await res.json();
    assert.equal(json.msgs[0].item_list[0].text_item.text, "hi");
    const cdn = await fetch(`${sandbox.baseUrl}///c2c//download?encrypted_query_param=x`);
    await cdn.body?.cancel();
    assert.equal(cdn.status, 404, "served by the CDN route (unknown media), not a missing route");
    assert.deepEqual(
      (await sandbox.violations()).map((v) => [v.rule, v.endpoint]),
      [["double_slash_path", "getupdates"], ["double_slash_path", "cdn_download"]],
    );
    assert.equal((await sandbox.requests()).getupdates, 1);
  } finally {
    await sandbox.close();
  }
});

/** `{"ref_msg": … }` nested `depth` levels around a text item, as JSON text. */
function deepRef(depth: number): string {
  return '{"type":1,"text_item":{"text":"deep"},"ref_msg":'.repeat(1) +
    '{"message_item":'.repeat(depth) + '{"type":1}' + "}".repeat(depth) + "}";
}

Deno.test("injectRaw delivers the JSON text verbatim as msgs entries, with a seq of its own", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    await sandbox.injectMessage({ text: "before" });
    const hostile = [
      "null",
      "42",
      '{"message_type":1,"item_list":[null]}',
      `{"message_type":1,"item_list":[${deepRef(20_000)}]}`,
      '{ "spaced" : [ 1 , 2 ] }',
    ];
    for (const json of hostile) await sandbox.injectRaw(json);
    await sandbox.injectMessage({ text: "after" });
    const r = await poll(sandbox, bot.token);
    for (const json of hostile) {
      assert.ok(r.text.includes(`,${json},`), `verbatim: ${json.slice(0, 40)}`);
    }
    assert.equal(r.msgs.length, 7);
    assert.equal(r.msgs[0].item_list[0].text_item.text, "before");
    assert.equal(r.msgs[6].item_list[0].text_item.text, "after");
    assert.equal(r.msgs[6].seq - r.msgs[0].seq, 6, "every raw entry took a seq");
    const next = await poll(sandbox, bot.token, r.cursor);
    assert.deepEqual(next.msgs, [], "the cursor moved past the raw entries");
    // The bot keeps working after hostile input.
    const { contextToken } = await sandbox.injectMessage({ text: "still there?" });
    assert.equal((await sendText(sandbox, bot.token, bot.userId, contextToken, "yes")).json.ret, 0);
  } finally {
    await sandbox.close();
  }
});

Deno.test("injectRaw validates JSON text only, and goes through the control API too", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    await assert.rejects(sandbox.injectRaw("{not json"), TypeError);
    // deno-lint-ignore no-explicit-any
    await assert.rejects(sandbox.injectRaw({ a: 1 } as any), TypeError);
    await assert.rejects(sandbox.injectRaw("1"), /no bot has logged in/);
    const bot = await login(sandbox);
    const post = (body: unknown) =>
      fetch(`${sandbox.controlUrl}/inject_raw`, {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
      });
    const ok = await post({ json: "[1,[2,[3]]]", botId: bot.botId });
    assert.deepEqual([ok.status, await ok.json()], [200, { ok: true }]);
    const bad = await post({ json: "[1," });
    assert.equal(bad.status, 400);
    assert.match((await bad.json()).error, /not valid JSON/);
    const missing = await post({});
    assert.equal(missing.status, 400);
    await missing.body?.cancel();
    const unknown = await post({ json: "1", botId: "nobody@im.bot" });
    assert.equal(unknown.status, 404);
    await unknown.body?.cancel();
    const r = await poll(sandbox, bot.token);
    assert.ok(r.text.includes('"msgs":[[1,[2,[3]]]]'), r.text);
  } finally {
    await sandbox.close();
  }
});

/** An item whose `ref_msg.message_item` chain is `depth` levels deep. */
function nestedItem(depth: number): Record<string, unknown> {
  let item: Record<string, unknown> = { type: 1, text_item: { text: "leaf" } };
  for (let i = 0; i < depth; i++) item = { type: 1, ref_msg: { message_item: item } };
  return item;
}

Deno.test("nesting deeper than 64 levels is refused by injectMessage and /inject", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const bot = await login(sandbox);
    await assert.rejects(
      sandbox.injectMessage({ text: "x", items: [nestedItem(3000)] }),
      (e: Error) => e instanceof RangeError && /64 levels/.test(e.message),
    );
    const res = await fetch(`${sandbox.controlUrl}/inject`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ text: "x", items: [nestedItem(3000)] }),
    });
    assert.equal(res.status, 400);
    assert.match((await res.json()).error, /nested more than 64 levels/);
    // The bot's queue is untouched: polls keep answering.
    const r = await poll(sandbox, bot.token);
    assert.equal(r.json.ret, 0);
    assert.deepEqual(r.msgs, []);

    // Counted from the items array: [ item { ref_msg { message_item … text_item {} } } ] is
    // 3 + 2 × depth levels, so 30 is the deepest chain inside the limit.
    await sandbox.injectMessage({ text: "ok", items: [nestedItem(30)] });
    await assert.rejects(
      sandbox.injectMessage({ text: "no", items: [nestedItem(31)] }),
      RangeError,
    );
    const fine = await poll(sandbox, bot.token, r.cursor);
    assert.equal(fine.msgs.length, 1);
  } finally {
    await sandbox.close();
  }
});

Deno.test("a getupdates with hostile raw entries still answers quickly for other bots", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    const a = await login(sandbox);
    const b = await login(sandbox);
    await sandbox.injectRaw(`{"item_list":[${deepRef(20_000)}]}`, { botId: a.botId });
    await sandbox.injectMessage({ botId: b.botId, text: "normal" });
    const rb = await call(sandbox, b.token, "getupdates", { get_updates_buf: "" });
    assert.equal(rb.json.msgs.length, 1);
    const ra = await call(sandbox, a.token, "getupdates", { get_updates_buf: "" });
    assert.equal(ra.status, 200);
    assert.ok(ra.text.length > 20_000 * 16);
  } finally {
    await sandbox.close();
  }
});
