import assert from "node:assert/strict";
import { ILinkApi } from "../../src/protocol/mod.ts";
import { VERSION } from "../../src/version.ts";

// A recording HTTP server on 127.0.0.1: checks the exact headers and bodies our client puts on
// the wire (spec §1.3, §1.4, §3.4), which the sandbox only logs as violations.

interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: Headers;
  body: string;
}

async function withRecorder(
  fn: (base: string, seen: Seen[]) => Promise<void>,
  answer: (req: Seen) => Response = () => Response.json({ ret: 0 }),
): Promise<void> {
  const seen: Seen[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const s = {
      method: req.method,
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: await req.text(),
    };
    seen.push(s);
    return answer(s);
  });
  try {
    await fn(`http://127.0.0.1:${server.addr.port}/prefix`, seen);
  } finally {
    await server.shutdown();
  }
}

Deno.test("bot POSTs carry the spec headers, base_info and a fresh X-WECHAT-UIN", async () => {
  await withRecorder(async (base, seen) => {
    const api = new ILinkApi({ baseUrl: base, token: "  tok-123 \n", routeTag: "rt-7" });
    await api.getUpdates("cur", { timeoutMs: 2000 });
    await api.sendText("u@im.wechat", "hi", "ctx-1");
    await api.getUploadUrl({
      filekey: "k",
      media_type: 1,
      to_user_id: "u",
      rawsize: 5,
      rawfilemd5: "m",
      filesize: 16,
      aeskey: "a",
    }).catch(() => {}); // the recorder's answer has no upload URL
    await api.getConfig("u", "ctx-2");
    await api.sendTyping("u", "ticket", 2);
    await api.notifyStart();
    await api.notifyStop();
    assert.deepEqual(seen.map((s) => s.path), [
      "/prefix/ilink/bot/getupdates",
      "/prefix/ilink/bot/sendmessage",
      "/prefix/ilink/bot/getuploadurl",
      "/prefix/ilink/bot/getconfig",
      "/prefix/ilink/bot/sendtyping",
      "/prefix/ilink/bot/msg/notifystart",
      "/prefix/ilink/bot/msg/notifystop",
    ]);
    const uins = new Set<string>();
    for (const s of seen) {
      assert.equal(s.method, "POST");
      assert.equal(s.headers.get("content-type"), "application/json");
      assert.equal(s.headers.get("authorizationtype"), "ilink_bot_token");
      assert.equal(s.headers.get("authorization"), "Bearer tok-123");
      assert.equal(s.headers.get("ilink-app-id"), "bot");
      assert.equal(s.headers.get("ilink-app-clientversion"), "256"); // 0.1.0
      assert.equal(s.headers.get("skroutetag"), "rt-7");
      const uin = s.headers.get("x-wechat-uin")!;
      assert.match(atob(uin), /^\d{1,10}$/);
      uins.add(uin);
      const body = JSON.parse(s.body);
      assert.equal(body.base_info.channel_version, VERSION);
      assert.equal(body.base_info.bot_agent, `WeiLink/${VERSION}`);
    }
    assert.ok(uins.size >= seen.length - 1, "X-WECHAT-UIN is new per request");
    const [updates, send, upload, config, typing] = seen.map((s) => JSON.parse(s.body));
    assert.equal(updates.get_updates_buf, "cur");
    assert.equal(send.msg.from_user_id, "");
    assert.equal(send.msg.to_user_id, "u@im.wechat");
    assert.equal(send.msg.message_type, 2);
    assert.equal(send.msg.message_state, 2);
    assert.equal(send.msg.context_token, "ctx-1");
    assert.match(send.msg.client_id, /^weilink:\d{13}-[0-9a-f]{16}$/);
    assert.deepEqual(send.msg.item_list, [{ type: 1, text_item: { text: "hi" } }]);
    assert.equal(upload.aeskey, "a");
    assert.deepEqual([config.ilink_user_id, config.context_token], ["u", "ctx-2"]);
    assert.deepEqual([typing.ilink_user_id, typing.typing_ticket, typing.status], [
      "u",
      "ticket",
      2,
    ]);
  });
});

Deno.test("QR endpoints: POST without token or base_info; status GET with only app headers", async () => {
  await withRecorder(
    async (base, seen) => {
      const api = new ILinkApi({ qrBaseUrl: base, baseUrl: "http://127.0.0.1:9", token: "t" });
      const qr = await api.getBotQrcode(["a", "b"]);
      assert.deepEqual(qr, { qrcode: "Q+/=", qrcodeUrl: "https://x/q" });
      await api.getQrcodeStatus("Q+/=", { verifyCode: "12 34", timeoutMs: 2000 });
      const [post, get] = seen;
      assert.equal(post?.method, "POST");
      assert.equal(post?.path, "/prefix/ilink/bot/get_bot_qrcode");
      assert.equal(post?.query.get("bot_type"), "3");
      assert.deepEqual(JSON.parse(post!.body), { local_token_list: ["a", "b"] });
      assert.equal(post?.headers.get("authorization"), null);
      assert.equal(post?.headers.get("content-type"), "application/json");
      assert.ok(post?.headers.get("x-wechat-uin"));

      assert.equal(get?.method, "GET");
      assert.equal(get?.path, "/prefix/ilink/bot/get_qrcode_status");
      assert.equal(get?.query.get("qrcode"), "Q+/=");
      assert.equal(get?.query.get("verify_code"), "12 34");
      assert.equal(get?.query.get("bot_type"), null);
      for (const h of ["authorization", "content-type", "authorizationtype", "x-wechat-uin"]) {
        assert.equal(get?.headers.get(h), null, `no ${h} on the status GET`);
      }
      assert.equal(get?.headers.get("ilink-app-id"), "bot");
      assert.equal(get?.headers.get("ilink-app-clientversion"), "256");
    },
    (req) =>
      req.path.endsWith("get_bot_qrcode")
        ? Response.json({ qrcode: "Q+/=", qrcode_img_content: "https://x/q", ret: 0 })
        : Response.json({ status: "wait" }),
  );
});

Deno.test("get_bot_qrcode falls back to GET only when the POST is rejected", async () => {
  await withRecorder(
    async (base, seen) => {
      const api = new ILinkApi({ qrBaseUrl: base });
      assert.equal((await api.getBotQrcode()).qrcode, "from-get");
      assert.deepEqual(seen.map((s) => s.method), ["POST", "GET"]);
      assert.equal(seen[1]?.body, "");
    },
    (req) =>
      req.method === "POST"
        ? new Response("method not allowed", { status: 405 })
        : Response.json({ qrcode: "from-get" }),
  );
});

Deno.test("a bare redirect_host reuses the scheme of qrBaseUrl; a full URL is used as is", async () => {
  await withRecorder(async (base, seen) => {
    const host = new URL(base).host;
    // qrBaseUrl points to a closed port: only the redirect host can answer.
    const api = new ILinkApi({ qrBaseUrl: "http://127.0.0.1:9/" });
    const s = await api.getQrcodeStatus("q", { host, timeoutMs: 2000 });
    assert.equal(s.status, "confirmed");
    assert.equal(seen[0]?.path, "/ilink/bot/get_qrcode_status");
    await api.getQrcodeStatus("q", { host: `${base}/`, timeoutMs: 2000 });
    assert.equal(seen[1]?.path, "/prefix/ilink/bot/get_qrcode_status");
  }, () => Response.json({ status: "confirmed", ret: 0 }));
});

Deno.test("non-2xx answers carry the status and a body excerpt", async () => {
  await withRecorder(
    async (base) => {
      const api = new ILinkApi({ baseUrl: base, token: "t" });
      const err = await api.notifyStart().catch((e) => e);
      assert.equal(err.name, "NetworkError");
      assert.equal(err.status, 502);
      assert.equal(err.endpoint, "msg/notifystart");
      assert.match(err.message, /HTTP 502: "upstream down"/);
    },
    () => new Response("upstream\n down", { status: 502 }),
  );
});
