import assert from "node:assert/strict";
import { describeSandbox, startSandbox } from "../../src/sandbox/mod.ts";
import {
  call,
  createQr,
  GET_HEADERS,
  goodHeaders,
  poll,
  qrStatus,
  sendText,
} from "./raw_client.ts";

// deno-lint-ignore no-explicit-any
async function control(url: string, path: string, body?: unknown): Promise<any> {
  const res = await fetch(
    `${url}${path}`,
    body === undefined ? {} : {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    },
  );
  const json = await res.json();
  return { status: res.status, json };
}

const b64 = (bytes: Uint8Array) => btoa(String.fromCharCode(...bytes));

Deno.test("the control API mirrors every method over HTTP", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  const ctl = sandbox.controlUrl;
  try {
    const { qrcode } = await createQr(sandbox);
    const state0 = await control(ctl, "/state");
    assert.equal(state0.json.pendingLogins[0].qrcode, qrcode);

    const confirmed = await control(ctl, "/confirm", { qrcode, userId: "fay@im.wechat" });
    assert.equal(confirmed.status, 200);
    assert.equal(confirmed.json.userId, "fay@im.wechat");
    const status = await qrStatus(sandbox, qrcode);
    assert.equal(status.bot_token, confirmed.json.token);

    const file = new TextEncoder().encode("a file from the phone");
    const inj = await control(ctl, "/inject", {
      file: b64(file),
      fileName: "note.txt",
      text: "see attached",
    });
    assert.equal(inj.status, 200);
    assert.match(inj.json.messageId, /^\d+$/);
    const { msgs } = await poll(sandbox, confirmed.json.token);
    assert.deepEqual(msgs[0].item_list.map((i: { type: number }) => i.type), [1, 4]);
    const inboundMedia = await fetch(`${ctl}/media/${inj.json.messageId}?download=1`);
    assert.match(inboundMedia.headers.get("content-disposition") ?? "", /note\.txt/);
    assert.deepEqual(new Uint8Array(await inboundMedia.arrayBuffer()), file);

    await sendText(sandbox, confirmed.json.token, "fay@im.wechat", inj.json.contextToken, "thanks");
    const sent = await control(ctl, `/sent?botId=${encodeURIComponent(confirmed.json.botId)}`);
    assert.equal(sent.json.length, 1);
    assert.equal(sent.json[0].text, "thanks");
    assert.equal(typeof sent.json[0].messageId, "string");

    const chat = await control(ctl, `/chat?botId=${encodeURIComponent(confirmed.json.botId)}`);
    assert.deepEqual(chat.json.events.map((e: { direction: string }) => e.direction), [
      "in",
      "out",
    ]);

    assert.deepEqual(
      (await control(ctl, "/fail", { endpoint: "getupdates", kind: "http500" })).json,
      {
        ok: true,
      },
    );
    const failed = await call(sandbox, confirmed.json.token, "getupdates", { get_updates_buf: "" });
    assert.equal(failed.status, 500);
    const badFault = await control(ctl, "/fail", { endpoint: "bogus", kind: "http500" });
    assert.equal(badFault.status, 400);
    assert.match(badFault.json.error, /unknown endpoint "bogus"/);

    await call(sandbox, confirmed.json.token, "getupdates", {}, {
      headers: { ...goodHeaders(confirmed.json.token), "AuthorizationType": "nope" },
    });
    const violations = await control(ctl, "/violations");
    assert.deepEqual(violations.json.map((v: { rule: string }) => v.rule), [
      "missing_authorization_type",
    ]);

    await control(ctl, "/expire", { botId: confirmed.json.botId, field: "both" });
    const expired = await call(sandbox, confirmed.json.token, "getconfig", { ilink_user_id: "x" });
    assert.equal(expired.json.ret, -14);

    assert.equal((await control(ctl, "/inject", { botId: "nope@im.bot", text: "x" })).status, 404);
    assert.equal((await control(ctl, "/inject", { text: 5 })).status, 400);

    await control(ctl, "/reset", {});
    assert.deepEqual((await control(ctl, "/state")).json.bots, []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("sent media are served decrypted for the phone page", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    await createQr(sandbox);
    const bot = await sandbox.confirmLogin();
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3]);
    const { messageId } = await sandbox.injectMessage({ image: png });
    const res = await fetch(`${sandbox.controlUrl}/media/${messageId}`);
    assert.equal(res.headers.get("content-type"), "image/png");
    assert.deepEqual(new Uint8Array(await res.arrayBuffer()), png);
    const missing = await fetch(`${sandbox.controlUrl}/media/123`);
    await missing.body?.cancel();
    assert.equal(missing.status, 404);
    assert.ok(bot.botId);
  } finally {
    await sandbox.close();
  }
});

Deno.test("unknown control routes and methods answer a JSON error, like every control error", async () => {
  // Found by the fuzzer: GET /_control/media/ (no id) got the sandbox's plain-text 404.
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const cases: [string, string][] = [["GET", "/media/"], ["POST", "/state"], ["GET", "/nope"]];
    for (const [method, path] of cases) {
      const res = await fetch(`${sandbox.controlUrl}${path}`, { method });
      assert.equal(res.status, 404);
      assert.equal(res.headers.get("content-type"), "application/json");
      assert.deepEqual(await res.json(), {
        error: `No control route for ${method} /_control${path}`,
      });
    }
  } finally {
    await sandbox.close();
  }
});

Deno.test("the phone page is served with its login list, chat view and composer", async () => {
  const sandbox = await startSandbox();
  try {
    const res = await fetch(sandbox.phoneUrl);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /text\/html/);
    const html = await res.text();
    for (const id of ["logins", "bots", "messages", "text", "send", "attach", "file", "from"]) {
      assert.ok(html.includes(`id="${id}"`), `element #${id}`);
    }
    assert.ok(html.includes("/_control"), "talks to the control API");
    assert.ok(!/<(script|link)[^>]+(src|href)=["']https?:/.test(html), "no external assets");
    const root = await fetch(sandbox.baseUrl, { redirect: "manual" });
    await root.body?.cancel();
    assert.equal(root.headers.get("location"), "/phone");
  } finally {
    await sandbox.close();
  }
});

Deno.test("a deliberately bad client collects one violation per broken rule", async () => {
  const sandbox = await startSandbox({ longPollMs: 50 });
  try {
    // QR creation with GET headers missing and no bot_type.
    const qr = await (await fetch(`${sandbox.baseUrl}/ilink/bot/get_bot_qrcode`, {
      method: "POST",
      body: "{}",
    })).json();
    await sandbox.confirmLogin({ qrcode: qr.qrcode });
    const status = await qrStatus(sandbox, qr.qrcode);
    const token = status.bot_token;
    const rules = async () => (await sandbox.violations()).map((v) => v.rule);
    assert.deepEqual(await rules(), [
      "bot_type",
      "missing_app_id",
      "missing_client_version",
      "content_type",
      "missing_authorization_type",
      "missing_wechat_uin",
      "missing_local_token_list",
    ]);
    await sandbox.reset();

    const { qrcode } = await createQr(sandbox);
    await sandbox.confirmLogin({ qrcode, userId: "gus@im.wechat" });
    const s2 = await qrStatus(sandbox, qrcode);
    const t2 = s2.bot_token;
    assert.notEqual(t2, token);

    // No base_info, a non-numeric UIN, then the same UIN twice.
    const headers = { ...goodHeaders(t2), "X-WECHAT-UIN": btoa("abc") };
    await fetch(`${sandbox.baseUrl}/ilink/bot/getupdates`, {
      method: "POST",
      headers,
      body: JSON.stringify({ get_updates_buf: "" }),
    }).then((r) => r.body?.cancel());
    const same = goodHeaders(t2);
    await call(sandbox, t2, "msg/notifystart", {}, { headers: same });
    await call(sandbox, t2, "msg/notifystop", {}, { headers: same });
    assert.deepEqual(await rules(), ["bad_wechat_uin", "missing_base_info", "reused_wechat_uin"]);
    await sandbox.reset();

    // Outbound message shape errors.
    const { qrcode: q3 } = await createQr(sandbox);
    const login3 = await sandbox.confirmLogin({ qrcode: q3 });
    const { contextToken } = await sandbox.injectMessage({ text: "hi" });
    await call(sandbox, login3.token, "sendmessage", {
      msg: {
        from_user_id: "someone@im.bot",
        to_user_id: login3.userId,
        message_type: 1,
        message_state: 2,
        context_token: contextToken,
        item_list: [{ type: 1, text_item: { text: "x" } }],
      },
    });
    assert.deepEqual(await rules(), ["message_type", "missing_client_id", "from_user_id"]);
    const v = await sandbox.violations();
    assert.ok(v.every((x) => x.botId === login3.botId && x.endpoint === "sendmessage"));
    assert.ok(v.every((x) => !x.detail.includes(login3.token) && !x.detail.includes(contextToken)));

    // The QR GET itself is checked for the app headers only.
    await sandbox.reset();
    const { qrcode: q4 } = await createQr(sandbox);
    await fetch(`${sandbox.baseUrl}/ilink/bot/get_qrcode_status?qrcode=${q4}`, {
      headers: GET_HEADERS,
    }).then((r) => r.body?.cancel());
    assert.deepEqual(await rules(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("describeSandbox names the URLs and the environment that points WeiLink at them", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const out = describeSandbox(sandbox).join("\n");
    assert.ok(out.includes(sandbox.baseUrl) && out.includes(sandbox.phoneUrl));
    assert.ok(out.includes(`WEILINK_BASE_URL=${sandbox.baseUrl}`));
    assert.ok(out.includes(`WEILINK_CDN_BASE_URL=${sandbox.cdnBaseUrl}`));
    assert.ok(!out.includes("control token"), "no token to mention on loopback without one");
    assert.ok(!out.includes("Connection faults"));
  } finally {
    await sandbox.close();
  }
  const overNode = await startSandbox({ connectionFaults: true });
  try {
    assert.ok(describeSandbox(overNode).includes("  Connection faults: on (served by node:http)"));
  } finally {
    await overNode.close();
  }
});

Deno.test("startSandbox rejects bad options and a busy port", async () => {
  await assert.rejects(startSandbox({ longPollMs: -1 }), RangeError);
  const first = await startSandbox();
  try {
    const port = Number(new URL(first.baseUrl).port);
    await assert.rejects(startSandbox({ port }), Deno.errors.AddrInUse);
  } finally {
    await first.close();
  }
});
