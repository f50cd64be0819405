/**
 * The admin API against the sandbox over real HTTP: every route of the Python original's panel
 * with its JSON shape, every error, the event stream, and no secret in any answer.
 */
import assert from "node:assert/strict";
import { eventually, PNG_BYTES, startAdminEnv } from "./harness.ts";
import { VERSION } from "../../src/version.ts";
import { toBase64 } from "../../src/crypto/mod.ts";
import { LOGIN_LIFETIME_MS, QrLogins } from "../../src/admin/qr_logins.ts";

/** The sandbox's own QR code, from the login link the panel shows. */
function sandboxQrcode(qrUrl: unknown): string {
  return new URL(String(qrUrl)).searchParams.get("qrcode")!;
}

Deno.test({
  name: "admin api: status, QR login, sessions, messages, send, download, events",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using env = await startAdminEnv();
    /** Every answer body, to look for secrets at the end. */
    const seen: string[] = [];
    const json = async (path: string, init?: RequestInit & { json?: unknown }) => {
      const res = await env.call(path, init);
      const text = await res.text();
      seen.push(text);
      assert.equal(res.headers.get("access-control-allow-origin"), null);
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    };

    await t.step("GET /api/status before any login", async () => {
      const { status, body } = await json("/api/status");
      assert.equal(status, 200);
      assert.deepEqual(body, {
        version: VERSION,
        is_connected: false,
        session_count: 1,
        connected_count: 0,
      });
    });

    let botId = "";
    let owner = "";
    let botToken = "";
    await t.step("POST /api/sessions/login shows a QR code; the phone confirms", async () => {
      const start = await json("/api/sessions/login", { json: { name: "work" } });
      assert.equal(start.status, 200);
      assert.deepEqual(Object.keys(start.body).sort(), [
        "qr_svg",
        "qr_url",
        "qrcode",
        "session_name",
      ]);
      assert.equal(start.body.session_name, "work");
      assert.match(start.body.qr_url, /^http:\/\/127\.0\.0\.1:\d+\/phone\?qrcode=/);
      assert.match(start.body.qr_svg, /^data:image\/svg\+xml;base64,/);
      const svg = atob(start.body.qr_svg.split(",")[1]);
      assert.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      const waiting = await json(`/api/sessions/login/status?qrcode=${start.body.qrcode}`);
      assert.equal(waiting.body.status, "waiting");
      assert.equal(waiting.body.qr_url, start.body.qr_url);

      const scanned = await env.sandbox.confirmLogin({
        qrcode: sandboxQrcode(start.body.qr_url),
        scanOnly: true,
      });
      await eventually(async () =>
        (await json(`/api/sessions/login/status?qrcode=${start.body.qrcode}`)).body.status ===
          "scaned"
      );
      const confirmed = await env.sandbox.confirmLogin({
        qrcode: sandboxQrcode(start.body.qr_url),
        userId: scanned.userId,
      });
      [botId, owner, botToken] = [confirmed.botId, confirmed.userId, confirmed.token];
      const done = await eventually(async () => {
        const r = await json(`/api/sessions/login/status?qrcode=${start.body.qrcode}`);
        return r.body.status === "confirmed" && r.body;
      });
      assert.deepEqual(done, { status: "confirmed", bot_id: botId, session_name: "work" });
    });

    await t.step("a connected session cannot log in again (409)", async () => {
      const again = await json("/api/sessions/login", { json: { name: "work" } });
      assert.equal(again.status, 409);
      assert.match(again.body.error, /already connected/);
    });

    await t.step("login status: missing or unknown code, bad bodies", async () => {
      assert.equal((await json("/api/sessions/login/status")).status, 400);
      const unknown = await json("/api/sessions/login/status?qrcode=nope");
      assert.deepEqual(unknown, { status: 400, body: { error: "Invalid or expired QR code" } });
      assert.equal((await json("/api/sessions/login", { json: "{nope" })).status, 400);
      assert.equal((await json("/api/sessions/login", { json: { name: 5 } })).status, 400);
      const badName = await json("/api/sessions/login", { json: { name: "../x" } });
      assert.equal(badName.status, 400);
      assert.match(badName.body.error, /Invalid session name/);
    });

    await t.step(
      "GET /api/sessions lists the session and, once they write, its users",
      async () => {
        await env.sandbox.injectMessage({ text: "first" });
        const { body } = await eventually(async () => {
          const r = await json("/api/sessions");
          return r.body.sessions[0]?.user_count === 1 && r;
        });
        const [work] = body.sessions;
        assert.deepEqual(Object.keys(work).sort(), [
          "bot_id",
          "connected",
          "created_at",
          "expired",
          "is_default",
          "name",
          "user_count",
          "user_id",
          "users",
        ]);
        assert.equal(work.name, "work");
        assert.equal(work.bot_id, botId);
        assert.equal(work.user_id, owner);
        assert.equal(work.connected, true);
        assert.equal(work.expired, false);
        assert.equal(work.is_default, true);
        assert.ok(Math.abs(work.created_at - Date.now() / 1000) < 600);
        const [user] = work.users;
        assert.equal(user.user_id, owner);
        assert.equal(user.fresh, true);
        assert.equal(user.last_sent, 0);
        assert.ok(user.last_interaction > 0 && user.first_seen > 0);
        const status = await json("/api/status");
        assert.equal(status.body.is_connected, true);
        assert.equal(status.body.connected_count, 1);
      },
    );

    let imageId = "";
    await t.step("GET /api/messages: history with filters, ids as strings", async () => {
      await env.sandbox.injectMessage({ image: PNG_BYTES });
      await env.sandbox.injectMessage({
        text: "quoting",
        quote: { title: "first", text: "first" },
      });
      await env.sandbox.injectMessage({ voice: new Uint8Array([1, 2, 3]), voiceText: "spoken" });
      const all = await eventually(async () => {
        const r = await json(`/api/messages?user_id=${encodeURIComponent(owner)}`);
        return r.body.total === 4 && r.body;
      });
      assert.equal(all.messages.length, 4);
      for (const m of all.messages) {
        assert.equal(typeof m.message_id, "string");
        assert.equal(m.direction, "received");
        assert.equal(m.bot_id, botId);
      }
      // Newest first.
      assert.equal(all.messages[0].msg_type, "VOICE");
      assert.equal(all.messages[0].voice.text, "spoken");
      assert.equal(all.messages[1].ref_msg.text, "first");
      const images = await json(`/api/messages?msg_type=2&bot_id=${botId}`);
      assert.equal(images.body.total, 1);
      imageId = images.body.messages[0].message_id;
      assert.equal((await json("/api/messages?msg_type=IMAGE")).body.total, 1);
      assert.equal((await json("/api/messages?text_contains=QUOT")).body.total, 1);
      assert.equal((await json("/api/messages?direction=2")).body.total, 0);
      assert.equal((await json("/api/messages?direction=received")).body.total, 4);
      const page = await json("/api/messages?limit=2&offset=1");
      assert.equal(page.body.total, 4);
      assert.equal(page.body.messages.length, 2);
      assert.equal(page.body.messages[0].message_id, all.messages[1].message_id);
      assert.equal((await json("/api/messages?limit=1000")).body.messages.length, 4);
      assert.equal((await json("/api/messages?since=1h")).body.total, 4);
      assert.equal((await json("/api/messages?until=2000-01-01")).body.total, 0);
      assert.equal((await json("/api/messages?user_id=nobody@im.wechat")).body.total, 0);
    });

    await t.step("GET /api/messages: invalid parameters are 400", async () => {
      for (
        const query of [
          "limit=abc",
          "limit=-1",
          "offset=1.5",
          "msg_type=picture",
          "direction=3",
          "since=someday",
          "until=10000-01-01",
          "since=2h&until=3h",
        ]
      ) {
        const r = await json(`/api/messages?${query}`);
        assert.equal(r.status, 400, query);
        assert.equal(typeof r.body.error, "string", query);
      }
    });

    await t.step("GET /api/messages/{id}/download serves the media", async () => {
      const res = await env.call(`/api/messages/${imageId}/download`);
      assert.equal(res.status, 200);
      assert.equal(res.headers.get("content-type"), "image/png");
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(
        res.headers.get("content-disposition"),
        `attachment; filename="${imageId}.png"`,
      );
      assert.deepEqual(new Uint8Array(await res.arrayBuffer()), PNG_BYTES);

      const name = '报告 "final".pdf';
      await env.sandbox.injectMessage({ file: new TextEncoder().encode("%PDF-1"), fileName: name });
      const file = await eventually(async () =>
        (await json("/api/messages?msg_type=4")).body.messages[0]
      );
      const got = await env.call(`/api/messages/${file.message_id}/download`);
      assert.equal(got.headers.get("content-type"), "application/octet-stream");
      assert.equal(
        got.headers.get("content-disposition"),
        `attachment; filename="__ _final_.pdf"; filename*=UTF-8''%E6%8A%A5%E5%91%8A%20_final_.pdf`,
      );
      assert.equal(await got.text(), "%PDF-1");
    });

    await t.step("download errors: 400, 404, no media, CDN failure 502", async () => {
      assert.equal((await json("/api/messages/abc/download")).status, 400);
      assert.equal((await json("/api/messages/99999999999999999999/download")).status, 400);
      const missing = await json("/api/messages/123/download");
      assert.deepEqual(missing, { status: 404, body: { error: "Message 123 not found" } });
      const text = (await json("/api/messages?msg_type=1&text_contains=first")).body.messages[0];
      const noMedia = await json(`/api/messages/${text.message_id}/download`);
      assert.equal(noMedia.status, 400);
      await env.sandbox.fail("cdn_download", { kind: "http500" });
      const failed = await json(`/api/messages/${imageId}/download`);
      assert.equal(failed.status, 502);
      assert.match(failed.body.error, /^Download failed/);
    });

    await t.step("POST /api/send: text and base64 media reach the user", async () => {
      const before = (await env.sandbox.sent()).length;
      const text = await json("/api/send", { json: { to: owner, text: "hello from admin" } });
      assert.equal(text.status, 200);
      assert.equal(text.body.success, true);
      assert.equal(typeof text.body.remaining, "number");
      const doc = new TextEncoder().encode("a document");
      const media = await json("/api/send", {
        json: {
          to: owner,
          image: toBase64(PNG_BYTES),
          // As `base64` prints it: wrapped lines.
          file: toBase64(doc).replace(/(.{4})/g, "$1\n"),
          file_name: "doc.txt",
          session: "work",
        },
      });
      assert.equal(media.status, 200, JSON.stringify(media.body));
      assert.equal(media.body.success, true);
      const sent = (await env.sandbox.sent()).slice(before);
      assert.equal(sent.length, 3);
      assert.equal(sent[0]!.text, "hello from admin");
      assert.deepEqual(sent[1]!.media?.bytes, PNG_BYTES);
      assert.equal(sent[2]!.fileName, "doc.txt");
      assert.deepEqual(sent[2]!.media?.bytes, doc);
    });

    await t.step("POST /api/send: multipart with one file, kind from its type", async () => {
      const before = (await env.sandbox.sent()).length;
      const form = new FormData();
      form.append("to", owner);
      form.append("text", "see attached");
      form.append("file", new File([PNG_BYTES as BlobPart], "cat.png", { type: "image/png" }));
      const res = await env.call("/api/send", {
        method: "POST",
        body: form,
        headers: { origin: env.url },
      });
      assert.equal(res.status, 200, await res.clone().text());
      assert.equal((await res.json()).success, true);
      const notes = new FormData();
      notes.append("to", owner);
      notes.append("kind", "file");
      notes.append("file", new File(["plain notes"], "notes.md", { type: "text/markdown" }));
      const res2 = await env.call("/api/send", {
        method: "POST",
        body: notes,
        headers: { origin: env.url },
      });
      assert.equal(res2.status, 200, await res2.clone().text());
      const sent = (await env.sandbox.sent()).slice(before);
      assert.deepEqual(sent.map((s) => s.type), [1, 2, 4]);
      assert.deepEqual(sent[1]!.media?.bytes, PNG_BYTES);
      assert.equal(sent[2]!.fileName, "notes.md");
    });

    await t.step("POST /api/send: bad requests are 400, refusals 409", async () => {
      const cases: [unknown, number, RegExp][] = [
        ["{nope", 400, /Invalid JSON/],
        ["[1]", 400, /expected an object/],
        [{ text: "no recipient" }, 400, /'to'/],
        [{ to: owner }, 400, /At least 'text'/],
        [{ to: owner, text: 5 }, 400, /'text' must be a string/],
        [{ to: owner, image: "not base64!" }, 400, /Invalid base64 for 'image'/],
        [{ to: owner, file: toBase64(PNG_BYTES) }, 400, /"fileName" is required/],
        [{ to: "stranger@im.wechat", text: "hi" }, 409, /user must write first/],
      ];
      for (const [body, status, error] of cases) {
        const r = await json("/api/send", { json: body });
        assert.equal(r.status, status, JSON.stringify(body));
        assert.match(r.body.error, error);
      }
      const form = new FormData();
      form.append("to", owner);
      form.append("kind", "sticker");
      form.append("file", new File(["x"], "x.bin"));
      const badKind = await env.call("/api/send", {
        method: "POST",
        body: form,
        headers: { origin: env.url },
      });
      assert.equal(badKind.status, 400);
      assert.match((await badKind.json()).error, /Invalid kind 'sticker'/);
    });

    await t.step("POST /api/send: too long a text is 400, a used-up quota 429", async () => {
      const long = await json("/api/send", { json: { to: owner, text: "x".repeat(16_385) } });
      assert.equal(long.status, 400);
      assert.match(long.body.error, /exceed the limit/);
      await env.sandbox.injectMessage({ text: "a fresh context" });
      await eventually(async () =>
        (await json("/api/messages?text_contains=fresh%20context")).body.total === 1
      );
      let last = { status: 200, body: {} as Record<string, unknown> };
      for (let i = 0; i < 12 && last.status === 200; i++) {
        last = await json("/api/send", { json: { to: owner, text: `reply ${i}` } });
      }
      assert.equal(last.status, 429);
      assert.match(String(last.body.error), /0 of 10 replies left/);
    });

    await t.step("GET /api/events streams new rows, received and sent", async () => {
      const abort = new AbortController();
      const res = await env.call("/api/events", { signal: abort.signal });
      assert.equal(res.headers.get("content-type"), "text/event-stream; charset=utf-8");
      let reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
      let text = "";
      const events = () =>
        text.split("\n\n").filter((block) => block.includes("event: message")).map((block) => ({
          id: /^id: (\d+)$/m.exec(block)![1]!,
          data: JSON.parse(/^data: (.*)$/m.exec(block)![1]!),
        }));
      const readUntil = async (count: number) => {
        while (events().length < count) {
          const { value, done } = await reader.read();
          if (done) throw new Error("stream ended");
          text += value;
        }
      };
      await env.sandbox.injectMessage({ text: "live one" });
      await readUntil(1);
      await json("/api/send", { json: { to: owner, text: "live reply" } });
      await readUntil(2);
      const [received, sent] = events();
      assert.equal(received!.data.text, "live one");
      assert.equal(received!.data.direction, "received");
      assert.equal(typeof received!.data.message_id, "string");
      assert.equal(sent!.data.text, "live reply");
      assert.equal(sent!.data.direction, "sent");
      assert.equal(sent!.data.from_user, owner);
      assert.ok(Number(sent!.id) > Number(received!.id));
      seen.push(text);
      abort.abort();
      await reader.cancel().catch(() => {});

      // A reconnecting browser names the last event it saw and gets what followed.
      const again = await env.call("/api/events", { headers: { "last-event-id": received!.id } });
      reader = again.body!.pipeThrough(new TextDecoderStream()).getReader();
      text = "";
      await readUntil(1);
      assert.equal(events()[0]!.data.text, "live reply");
      await reader.cancel();
    });

    await t.step("no bot token, context token or AES key in any answer", async () => {
      const { contextToken } = await env.sandbox.injectMessage({ text: "secret check" });
      await eventually(async () =>
        (await json("/api/messages?text_contains=secret%20check")).body.total === 1
      );
      await json("/api/sessions");
      await json("/api/status");
      const keys = (await env.sandbox.sent()).flatMap((s) => {
        const item = JSON.stringify(s.item);
        return [...item.matchAll(/"aes_?key":"([^"]+)"/g)].map((m) => m[1]!);
      });
      assert.ok(keys.length > 0, "the sends above carried media keys");
      const all = seen.join("\n");
      for (const secret of [botToken, contextToken, ...keys]) {
        assert.ok(secret.length >= 16);
        assert.ok(!all.includes(secret), "a secret leaked into an answer");
      }
    });

    await t.step("rename, set default and log out", async () => {
      const renamed = await json("/api/sessions/work/rename", { json: { new_name: "job" } });
      assert.deepEqual(renamed, {
        status: 200,
        body: { success: true, message: 'Session renamed: "work" -> "job"' },
      });
      assert.equal((await json("/api/sessions")).body.sessions[0].name, "job");
      assert.equal((await json("/api/sessions/job/rename", { json: {} })).status, 400);
      assert.equal(
        (await json("/api/sessions/none/rename", { json: { new_name: "x" } })).status,
        404,
      );
      assert.equal(
        (await json("/api/sessions/job/rename", { json: { new_name: "a/b" } })).status,
        400,
      );

      // A second session, to move the default to.
      const second = await json("/api/sessions/login", { json: { name: "play" } });
      await env.sandbox.confirmLogin({ qrcode: sandboxQrcode(second.body.qr_url) });
      await eventually(async () =>
        (await json(`/api/sessions/login/status?qrcode=${second.body.qrcode}`)).body.status ===
          "confirmed"
      );
      const setDefault = await json("/api/set-default", { json: { name: "play" } });
      assert.deepEqual(setDefault.body, {
        success: true,
        message: 'Default session set to "play"',
      });
      const sessions = (await json("/api/sessions")).body.sessions;
      assert.deepEqual(
        sessions.map((s: { name: string; is_default: boolean }) => [s.name, s.is_default]).sort(),
        [["job", false], ["play", true]],
      );
      assert.equal((await json("/api/set-default", { json: {} })).status, 400);
      assert.equal((await json("/api/set-default", { json: { name: "none" } })).status, 404);

      const out = await json("/api/sessions/job/logout", { method: "POST", json: {} });
      assert.deepEqual(out.body, { success: true, message: 'Session "job" logged out' });
      assert.equal((await json("/api/sessions/job/logout", { json: {} })).status, 404);
      assert.deepEqual(
        (await json("/api/sessions")).body.sessions.map((s: { name: string }) => s.name),
        ["play"],
      );
    });

    await t.step("the page, its assets and the translations", async () => {
      const page = await env.call("/");
      assert.equal(page.status, 200);
      assert.match(page.headers.get("content-type")!, /^text\/html/);
      const policy = page.headers.get("content-security-policy")!;
      assert.match(policy, /script-src 'self'/);
      assert.match(policy, /frame-ancestors 'none'/);
      const html = await page.text();
      assert.match(html, /<script src="\/assets\/admin\.js" defer><\/script>/);
      assert.match(html, new RegExp(`v${VERSION.replaceAll(".", "\\.")}`));
      for (
        const [path, type] of [
          ["/assets/admin.js", "text/javascript"],
          ["/assets/login.js", "text/javascript"],
          ["/assets/admin.css", "text/css"],
        ]
      ) {
        const res = await env.call(path!);
        assert.equal(res.status, 200, path);
        assert.match(res.headers.get("content-type")!, new RegExp(`^${type}`));
        await res.body?.cancel();
      }
      // Without a token the sign-in page is not needed.
      const login = await env.call("/login", { redirect: "manual" });
      assert.equal(login.status, 303);
      assert.equal(login.headers.get("location"), "/");
      await login.body?.cancel();
      const en = await json("/locales/en.json");
      const zh = await json("/locales/zh.json");
      assert.equal(en.body["app.title"], "WeiLink Admin");
      assert.equal(zh.body["app.title"], "WeiLink 管理面板");
      assert.deepEqual(Object.keys(zh.body).sort(), Object.keys(en.body).sort());
      assert.equal((await json("/locales/fr.json")).status, 404);
      assert.equal((await json("/locales/..%2Fmod.json")).status, 404);
    });

    await t.step("unknown routes are 404 with {error}", async () => {
      assert.deepEqual(await json("/api/nope"), {
        status: 404,
        body: { error: "Not found: /api/nope" },
      });
      assert.equal((await json("/api/status", { method: "DELETE" })).status, 404);
    });
    assert.deepEqual(await env.sandbox.violations(), []);
  },
});

Deno.test({
  name: "admin api: not logged in, two logins at once, a refreshed QR code",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using env = await startAdminEnv({ sandbox: { qrTtlMs: 1500 } });

    await t.step("sending without a session is 409", async () => {
      const r = await env.json("/api/send", { json: { to: "u@im.wechat", text: "hi" } });
      assert.equal(r.status, 409);
      assert.match(String(r.body.error), /Not logged in/);
    });

    await t.step("logins of two sessions run side by side", async () => {
      const a = await env.json("/api/sessions/login", { json: { name: "a" } });
      const b = await env.json("/api/sessions/login", { json: { name: "b" } });
      assert.notEqual(a.body.qrcode, b.body.qrcode);
      await env.sandbox.confirmLogin({ qrcode: sandboxQrcode(b.body.qr_url) });
      await env.sandbox.confirmLogin({ qrcode: sandboxQrcode(a.body.qr_url) });
      for (const login of [a, b]) {
        const done = await eventually(async () => {
          const r = await env.json(`/api/sessions/login/status?qrcode=${login.body.qrcode}`);
          return r.body.status === "confirmed" && r.body;
        });
        assert.equal(done.session_name, login.body.session_name);
      }
      const status = await env.json("/api/status");
      assert.equal(status.body.connected_count, 2);
    });

    await t.step("no QR code from the server is 502", async () => {
      // Both forms of the request (POST, then the older servers' GET) fail.
      await env.sandbox.fail("get_bot_qrcode", { kind: "http500", times: 2 });
      const r = await env.json("/api/sessions/login", { json: { name: "broken" } });
      assert.equal(r.status, 502);
      assert.match(String(r.body.error), /^Failed to get a QR code/);
    });

    await t.step("a new login of the same session replaces the pending one", async () => {
      const first = await env.json("/api/sessions/login", { json: { name: "c" } });
      const second = await env.json("/api/sessions/login", { json: { name: "c" } });
      const old = await env.json(`/api/sessions/login/status?qrcode=${first.body.qrcode}`);
      assert.equal(old.status, 400);
      const current = await env.json(`/api/sessions/login/status?qrcode=${second.body.qrcode}`);
      assert.equal(current.body.status, "waiting");
    });

    await t.step("an expired code is replaced and the new one reaches the page", async () => {
      const start = await env.json("/api/sessions/login", { json: {} });
      assert.equal(start.body.session_name, "default");
      const refreshed = await eventually(async () => {
        const r = await env.json(`/api/sessions/login/status?qrcode=${start.body.qrcode}`);
        return r.body.attempt === 2 && r.body;
      }, 15_000);
      assert.equal(refreshed.status, "waiting");
      assert.notEqual(refreshed.qr_url, start.body.qr_url);
      assert.notEqual(refreshed.qr_svg, start.body.qr_svg);
      await env.sandbox.confirmLogin({ qrcode: sandboxQrcode(refreshed.qr_url) });
      const done = await eventually(async () => {
        const r = await env.json(`/api/sessions/login/status?qrcode=${start.body.qrcode}`);
        return r.body.status === "confirmed" && r.body;
      });
      assert.equal(done.session_name, "default");
    });

    await t.step("three expired codes end the login as expired", async () => {
      const start = await env.json("/api/sessions/login", { json: { name: "late" } });
      const end = await eventually(async () => {
        const r = await env.json(`/api/sessions/login/status?qrcode=${start.body.qrcode}`);
        return r.body.status === "expired" && r.body;
      }, 20_000);
      assert.match(String(end.error), /expired/);
    });
  },
});

Deno.test({
  name: "admin api: pending logins are dropped, and cancelled, after 5 minutes",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using env = await startAdminEnv({ run: false });
    let now = Date.now();
    const logins = new QrLogins(env.client, () => now);
    const login = await logins.start("later");
    assert.equal(logins.status(login.qrcode)?.status, "waiting");
    now += LOGIN_LIFETIME_MS - 1;
    assert.equal(logins.status(login.qrcode)?.status, "waiting");
    now += 2;
    assert.equal(logins.status(login.qrcode), undefined);
    // The client's login was aborted: the code is never confirmed into a session.
    const qrcode = new URL(login.qrUrl).searchParams.get("qrcode")!;
    await env.sandbox.confirmLogin({ qrcode }).catch(() => {});
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(env.client.sessions.later, undefined);
    logins.close();
  },
});
