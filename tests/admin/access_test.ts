/**
 * Who may reach the admin panel: loopback only without a token; with one, the sign-in page, the
 * session cookie and bearer scripts; the guard's Host, Origin, body type and size rules; busy
 * ports; shutdown.
 */
import assert from "node:assert/strict";
import { WeiLink } from "../../src/client/mod.ts";
import { serveAdmin } from "../../src/admin/mod.ts";
import { PNG_BYTES, startAdminEnv } from "./harness.ts";

const TOKEN = "admin-token-0123456789abcdef";

/** The status of a GET with a `Host` header of our choosing (`fetch` always sends the real one). */
async function statusWithHost(base: string, path: string, host: string): Promise<number> {
  const { hostname, port } = new URL(base);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  try {
    const head = `GET ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`;
    await conn.write(new TextEncoder().encode(head));
    const buf = new Uint8Array(256);
    const n = await conn.read(buf);
    const line = new TextDecoder().decode(buf.subarray(0, n ?? 0));
    return Number(/^HTTP\/1\.1 (\d{3})/.exec(line)?.[1]);
  } finally {
    conn.close();
  }
}

Deno.test("admin access: a non-loopback bind needs a strong token", async (t) => {
  const home = await Deno.makeTempDir({ prefix: "weilink_admin_access_" });
  const client = new WeiLink({ basePath: home, logger: "silent" });
  const serve = (options: Parameters<typeof serveAdmin>[1]) =>
    serveAdmin(client, { port: 0, banner: false, logLevel: "silent", ...options });
  try {
    await t.step("no token: refused on 0.0.0.0 and ::", async () => {
      for (const host of ["0.0.0.0", "::", "192.168.1.10"]) {
        await assert.rejects(
          serve({ host }),
          /Refusing to serve the admin panel on .* without a token/,
        );
      }
    });
    await t.step("weak tokens are refused", async () => {
      await assert.rejects(serve({ token: "short" }), /fewer than 16/);
      await assert.rejects(serve({ token: "has spaces in it, sixteen+" }), /whitespace/);
      await assert.rejects(serve({ token: TOKEN, tokenFile: "/x" }), TypeError);
    });
    await t.step("a token file every user may read is refused; a private one works", async () => {
      const file = `${home}/token`;
      await Deno.writeTextFile(file, `${TOKEN}\n`, { mode: 0o644 });
      await Deno.chmod(file, 0o644);
      await assert.rejects(serve({ tokenFile: file }), /every user of this machine can read it/);
      await Deno.chmod(file, 0o600);
      const admin = await serve({ tokenFile: file });
      try {
        assert.equal((await fetch(`${admin.url}/api/status`)).status, 401);
        const ok = await fetch(`${admin.url}/api/status`, {
          headers: { authorization: `Bearer ${TOKEN}` },
        });
        assert.equal(ok.status, 200);
        await ok.body?.cancel();
      } finally {
        await admin.close();
      }
      await assert.rejects(serve({ tokenFile: `${home}/missing` }), /Cannot read the token file/);
    });
    await t.step("the token can come from WEILINK_ADMIN_TOKEN", async () => {
      Deno.env.set("WEILINK_ADMIN_TOKEN", TOKEN);
      try {
        const admin = await serve({});
        try {
          const res = await fetch(`${admin.url}/api/status`);
          assert.equal(res.status, 401);
          await res.body?.cancel();
        } finally {
          await admin.close();
        }
      } finally {
        Deno.env.delete("WEILINK_ADMIN_TOKEN");
      }
    });
    await t.step("a busy port gives the next free one; 0 gives any", async () => {
      const busy = Deno.listen({ hostname: "127.0.0.1", port: 0 });
      const port = (busy.addr as Deno.NetAddr).port;
      try {
        const admin = await serve({ port });
        try {
          assert.ok(admin.port > port && admin.port < port + 100, `${admin.port}`);
          assert.equal(admin.url, `http://127.0.0.1:${admin.port}`);
        } finally {
          await admin.close();
        }
      } finally {
        busy.close();
      }
      await assert.rejects(serve({ port: 70000 }), RangeError);
    });
  } finally {
    await client.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test({
  name: "admin access: sign-in page, session cookie, bearer token",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using env = await startAdminEnv({ admin: { token: TOKEN }, run: false });
    const url = env.url;

    await t.step("without credentials: 401 for the API, a redirect for pages", async () => {
      const api = await fetch(`${url}/api/status`);
      assert.equal(api.status, 401);
      assert.equal(api.headers.get("www-authenticate"), 'Bearer realm="weilink-admin"');
      assert.match((await api.json()).error, /Sign in first/);
      const page = await fetch(`${url}/`, { redirect: "manual", headers: { accept: "text/html" } });
      assert.equal(page.status, 303);
      assert.equal(page.headers.get("location"), "/login");
      await page.body?.cancel();
      for (
        const path of ["/api/sessions", "/api/events", "/api/messages", "/api/messages/1/download"]
      ) {
        const res = await fetch(`${url}${path}`);
        assert.equal(res.status, 401, path);
        await res.body?.cancel();
      }
      const send = await env.call("/api/send", { json: { to: "u@im.wechat", text: "hi" } });
      assert.equal(send.status, 401);
      await send.body?.cancel();
    });

    await t.step("the sign-in page and its assets are public", async () => {
      for (const path of ["/login", "/assets/login.js", "/assets/admin.css", "/locales/zh.json"]) {
        const res = await fetch(`${url}${path}`);
        assert.equal(res.status, 200, path);
        await res.body?.cancel();
      }
    });

    await t.step("a wrong token is refused, in the body and as a bearer", async () => {
      const wrong = await env.call("/login", { json: { token: `${TOKEN}x` } });
      assert.equal(wrong.status, 401);
      assert.equal(wrong.headers.get("set-cookie"), null);
      assert.deepEqual(await wrong.json(), { error: "Wrong token" });
      const empty = await env.call("/login", { json: {} });
      assert.equal(empty.status, 400);
      await empty.body?.cancel();
      const bearer = await fetch(`${url}/api/status`, {
        headers: { authorization: `Bearer ${TOKEN.slice(0, -1)}` },
      });
      assert.equal(bearer.status, 401);
      await bearer.body?.cancel();
    });

    await t.step("sign-in needs JSON from the panel's own origin", async () => {
      const form = await fetch(`${url}/login`, {
        method: "POST",
        headers: { "content-type": "application/x-www-form-urlencoded" },
        body: `token=${TOKEN}`,
      });
      assert.equal(form.status, 415);
      await form.body?.cancel();
      const foreign = await env.call("/login", {
        json: { token: TOKEN },
        headers: { origin: "http://127.0.0.1:1" },
      });
      assert.equal(foreign.status, 403);
      await foreign.body?.cancel();
    });

    let cookie = "";
    await t.step("the right token sets an HttpOnly, SameSite=Strict session cookie", async () => {
      const res = await env.call("/login", { json: { token: TOKEN }, headers: { origin: url } });
      assert.equal(res.status, 200);
      assert.deepEqual(await res.json(), { success: true });
      const set = res.headers.get("set-cookie")!;
      const parts = set.split(";").map((p) => p.trim());
      const [pair, ...attributes] = parts;
      const [name, value] = pair!.split("=");
      assert.equal(name, `weilink_admin_${env.admin.port}`);
      assert.ok(value!.length >= 40);
      assert.ok(!set.includes(TOKEN), "the cookie must not hold the token");
      assert.ok(attributes.includes("HttpOnly"), set);
      assert.ok(attributes.includes("SameSite=Strict"), set);
      assert.ok(attributes.includes("Path=/"), set);
      cookie = pair!;
    });

    await t.step("the cookie opens the page and the API", async () => {
      const page = await fetch(`${url}/`, { headers: { cookie } });
      assert.equal(page.status, 200);
      const html = await page.text();
      assert.match(html, /<meta name="weilink-auth" content="token">/);
      assert.match(page.headers.get("content-security-policy")!, /script-src 'self'/);
      const status = await fetch(`${url}/api/status`, { headers: { cookie } });
      assert.equal(status.status, 200);
      await status.body?.cancel();
      const forged = await fetch(`${url}/api/status`, { headers: { cookie: `${cookie}x` } });
      assert.equal(forged.status, 401);
      await forged.body?.cancel();
      const bearer = await fetch(`${url}/api/status`, {
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      assert.equal(bearer.status, 200);
      await bearer.body?.cancel();
    });

    await t.step("a multipart send with the bearer token needs no Origin", async () => {
      const form = new FormData();
      form.append("to", "u@im.wechat");
      form.append("file", new File([PNG_BYTES as BlobPart], "a.png", { type: "image/png" }));
      const res = await fetch(`${url}/api/send`, {
        method: "POST",
        body: form,
        headers: { authorization: `Bearer ${TOKEN}` },
      });
      // Past the access rules, the client refuses: nobody is logged in.
      assert.equal(res.status, 409);
      await res.body?.cancel();
      const withCookie = await fetch(`${url}/api/send`, {
        method: "POST",
        body: form,
        headers: { cookie },
      });
      assert.equal(withCookie.status, 403);
      assert.match((await withCookie.json()).error, /needs the Origin header/);
    });

    await t.step("signing out ends the session", async () => {
      const out = await env.call("/logout", { json: {}, headers: { cookie } });
      assert.equal(out.status, 200);
      assert.match(out.headers.get("set-cookie")!, /Max-Age=0/);
      await out.body?.cancel();
      const after = await fetch(`${url}/api/status`, { headers: { cookie } });
      assert.equal(after.status, 401);
      await after.body?.cancel();
    });
  },
});

Deno.test({
  name: "admin access: Host, Origin, content type, body size, CORS",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    await using env = await startAdminEnv({ admin: { maxBodyBytes: 64 * 1024 }, run: false });
    const url = env.url;

    await t.step("a foreign Host (DNS rebinding) is refused", async () => {
      assert.equal(await statusWithHost(url, "/api/status", "evil.example"), 403);
      assert.equal(await statusWithHost(url, "/", `evil.example:${env.admin.port}`), 403);
      assert.equal(await statusWithHost(url, "/api/status", `localhost:${env.admin.port}`), 200);
    });
    await t.step("writes from another origin are refused", async () => {
      for (const origin of ["http://127.0.0.1:1", "null", "http://evil.example"]) {
        const res = await env.call("/api/set-default", {
          json: { name: "x" },
          headers: { origin },
        });
        assert.equal(res.status, 403, origin);
        await res.body?.cancel();
      }
      const site = await env.call("/api/set-default", {
        json: { name: "x" },
        headers: { "sec-fetch-site": "same-site" },
      });
      assert.equal(site.status, 403);
      await site.body?.cancel();
    });
    await t.step("writes must be JSON or multipart; multipart must show its Origin", async () => {
      for (const type of ["text/plain", "application/x-www-form-urlencoded"]) {
        const res = await fetch(`${url}/api/send`, {
          method: "POST",
          headers: { "content-type": type },
          body: '{"to":"u@im.wechat","text":"hi"}',
        });
        assert.equal(res.status, 415, type);
        await res.body?.cancel();
      }
      const form = new FormData();
      form.append("to", "u@im.wechat");
      form.append("text", "hi");
      const bare = await fetch(`${url}/api/send`, { method: "POST", body: form });
      assert.equal(bare.status, 403);
      await bare.body?.cancel();
      const foreign = await fetch(`${url}/api/send`, {
        method: "POST",
        body: form,
        headers: { origin: "http://127.0.0.1:1" },
      });
      assert.equal(foreign.status, 403);
      await foreign.body?.cancel();
      const own = await fetch(`${url}/api/send`, {
        method: "POST",
        body: form,
        headers: { origin: url },
      });
      assert.equal(own.status, 409, "past the rules, the client refuses: nobody is logged in");
      await own.body?.cancel();
    });
    await t.step("preflights are refused without CORS headers", async () => {
      const res = await fetch(`${url}/api/send`, {
        method: "OPTIONS",
        headers: { origin: "http://127.0.0.1:1", "access-control-request-method": "POST" },
      });
      assert.equal(res.status, 403);
      assert.equal(res.headers.get("access-control-allow-origin"), null);
      await res.body?.cancel();
    });
    await t.step("bodies over the limits get 413", async () => {
      const big = "x".repeat(70 * 1024);
      const send = await env.call("/api/send", { json: { to: "u@im.wechat", text: big } });
      assert.equal(send.status, 413);
      await send.body?.cancel();
      const form = new FormData();
      form.append("to", "u@im.wechat");
      form.append("file", new File([big], "big.txt"));
      const multipart = await fetch(`${url}/api/send`, {
        method: "POST",
        body: form,
        headers: { origin: url },
      });
      assert.equal(multipart.status, 413);
      await multipart.body?.cancel();
      const other = await env.call("/api/set-default", {
        json: { name: "x".repeat(1024 * 1024 + 10) },
      });
      assert.equal(other.status, 413);
      await other.body?.cancel();
    });
  },
});

Deno.test({
  name: "admin access: closing the panel ends event streams and keeps the client",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using env = await startAdminEnv({ run: false });
    const res = await fetch(`${env.url}/api/events`);
    const reader = res.body!.getReader();
    await reader.read();
    const ended = (async () => {
      for (;;) if ((await reader.read()).done) return true;
    })();
    await env.admin.close();
    assert.equal(await ended, true);
    await env.admin.finished;
    assert.equal(env.client.sessions.default?.name, "default");
    await assert.rejects(fetch(`${env.url}/api/status`));
  },
});
