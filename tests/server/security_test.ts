/**
 * Access rules of the HTTP servers: bearer token, Host/Origin allow-list, closed CORS, and no
 * non-loopback bind without a token.
 */
import assert from "node:assert/strict";
import { serveMcp, serveOpenApi } from "../../src/server/mod.ts";
import { allowedHostNames, isLoopbackHost, timingSafeEqual } from "../../src/server/http_guard.ts";
import {
  callTool,
  connectHttp,
  initializeRequest,
  rawStatus,
  serverOptions,
  startEnv,
} from "./harness.ts";

const INIT = initializeRequest("raw");
const WILDCARD_TOKEN = "wildcard-token-0123456789";
const REST_TOKEN = "rest-token-0123456789";

function post(url: string, headers: Record<string, string> = {}, body: unknown = INIT) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify(body),
  });
}

Deno.test("mcp http: token required, Host and Origin checked, CORS closed", async () => {
  await using env = await startEnv();
  const token = "s3cret-token-0123456789";
  const server = await serveMcp({ ...serverOptions(env), transport: "http", port: 0, token });
  try {
    const url = server.url!;

    const none = await post(url);
    assert.equal(none.status, 401);
    assert.match(none.headers.get("www-authenticate") ?? "", /^Bearer/);
    await none.body?.cancel();

    const wrong = await post(url, { authorization: "Bearer s3cret-token-012345678X" });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();

    const evilHost = await rawStatus(url, {
      method: "POST",
      host: "evil.example",
      headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
      body: JSON.stringify(INIT),
    });
    assert.equal(evilHost, 403);
    const port = new URL(url).port;
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`]) {
      const status = await rawStatus(url, { method: "GET", host });
      // Allowed names pass the Host check and reach the token check.
      assert.equal(status, 401, host);
    }

    const evilOrigin = await post(url, {
      authorization: `Bearer ${token}`,
      origin: "http://evil.example",
    });
    assert.equal(evilOrigin.status, 403);
    await evilOrigin.body?.cancel();

    const preflight = await fetch(url, {
      method: "OPTIONS",
      headers: { origin: "http://evil.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.headers.get("access-control-allow-origin"), null);
    await preflight.body?.cancel();

    // A page on localhost itself is allowed; the response still carries no CORS header.
    const ok = await post(url, {
      authorization: `Bearer ${token}`,
      origin: new URL(url).origin,
    });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers.get("access-control-allow-origin"), null);
    await ok.body?.cancel();

    // Paths outside the MCP endpoints answer a plain 404, token or not.
    const probe = await fetch(new URL("/.well-known/oauth-authorization-server", url));
    assert.equal(probe.status, 404);
    await probe.body?.cancel();

    // And the SDK client works with the token.
    const client = await connectHttp(url, token);
    try {
      const r = await callTool(client, "sessions");
      assert.equal(r.isError, false, r.text);
    } finally {
      await client.close();
    }
  } finally {
    await server.close();
  }
});

Deno.test("http servers refuse a non-loopback host without a token", async () => {
  for (const host of ["0.0.0.0", "192.168.1.10", "::"]) {
    await assert.rejects(
      serveMcp({ transport: "http", host, port: 0, banner: false, token: "" }),
      /Refusing to listen on ".*" without a token/,
    );
    await assert.rejects(
      serveOpenApi({ host, port: 0, banner: false, token: "" }),
      /Refusing to listen/,
    );
  }
});

Deno.test("a wildcard bind with a token accepts loopback Host names", async () => {
  await using env = await startEnv();
  const server = await serveMcp({
    ...serverOptions(env),
    transport: "http",
    host: "0.0.0.0",
    port: 0,
    token: WILDCARD_TOKEN,
  });
  try {
    const port = new URL(server.url!).port;
    const res = await post(`http://127.0.0.1:${port}/mcp`, {
      authorization: `Bearer ${WILDCARD_TOKEN}`,
    });
    assert.equal(res.status, 200);
    await res.body?.cancel();
    const evil = await rawStatus(`http://127.0.0.1:${port}/mcp`, {
      method: "POST",
      host: "evil.example",
      headers: { authorization: `Bearer ${WILDCARD_TOKEN}` },
    });
    assert.equal(evil, 403);
  } finally {
    await server.close();
  }
});

Deno.test("openapi server honours the token and the Host check", async () => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0, token: REST_TOKEN });
  try {
    const url = server.url!;
    const denied = await fetch(`${url}/tools/sessions`, { method: "POST", body: "{}" });
    assert.equal(denied.status, 401);
    assert.deepEqual(await denied.json(), { error: "Missing or invalid bearer token" });
    const allowed = await fetch(`${url}/tools/sessions`, {
      method: "POST",
      headers: { authorization: `Bearer ${REST_TOKEN}`, "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(allowed.status, 200);
    const sessions = (await allowed.json()).sessions;
    assert.deepEqual(sessions.map((s: { connected: boolean }) => s.connected), [false]);
    const listDenied = await fetch(`${url}/tools`);
    assert.equal(listDenied.status, 401);
    await listDenied.body?.cancel();
    // The document itself is public, and declares the bearer scheme.
    const doc = await (await fetch(`${url}/openapi.json`)).json();
    assert.deepEqual(doc.security, [{ bearerAuth: [] }]);
    assert.equal(await rawStatus(`${url}/openapi.json`, { host: "evil.example" }), 403);
    assert.equal(await rawStatus(`${url}/openapi.json`, { host: new URL(url).host }), 200);
  } finally {
    await server.close();
  }
});

Deno.test("guard building blocks", () => {
  assert.equal(isLoopbackHost("127.0.0.1"), true);
  assert.equal(isLoopbackHost("127.8.9.10"), true);
  assert.equal(isLoopbackHost("[::1]"), true);
  assert.equal(isLoopbackHost("localhost"), true);
  assert.equal(isLoopbackHost("0.0.0.0"), false);
  assert.equal(isLoopbackHost("10.0.0.1"), false);
  assert.equal(isLoopbackHost("localhost.evil.example"), false);
  const hosts = allowedHostNames("127.0.0.1");
  assert.ok(hosts.has("localhost") && hosts.has("127.0.0.1") && hosts.has("::1"));
  assert.ok(!hosts.has("evil.example"));
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 2])), true);
  assert.equal(timingSafeEqual(new Uint8Array([1, 2]), new Uint8Array([1, 3])), false);
  assert.equal(timingSafeEqual(new Uint8Array([1]), new Uint8Array([1, 2])), false);
});
