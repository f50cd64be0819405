/**
 * Connections of the HTTP servers (served by node:http): half-open connections are closed,
 * complete requests may take as long as they need, IPv6 loopback binds work.
 */
import assert from "node:assert/strict";
import { serveMcp, serveOpenApi } from "../../src/server/mod.ts";
import { initializeRequest, serverOptions, startEnv } from "./harness.ts";

const encoder = new TextEncoder();

/**
 * Resolves with the milliseconds from `since` until the peer closes `conn` (reading and dropping
 * data), or `Infinity` when it is still open after 10 s: a server without timeouts fails the
 * test instead of hanging it.
 */
async function closedAfter(conn: Deno.Conn, since: number): Promise<number> {
  let gaveUp = false;
  const deadline = setTimeout(() => {
    gaveUp = true;
    conn.close();
  }, 10_000);
  const buf = new Uint8Array(1024);
  try {
    while ((await conn.read(buf)) !== null) { /* drop a 408 answer, if any */ }
  } catch {
    // Reset by the server: closed as well.
  } finally {
    clearTimeout(deadline);
  }
  return gaveUp ? Infinity : Date.now() - since;
}

Deno.test("1,000 half-open connections are closed after the header timeout; the server keeps answering", async () => {
  await using env = await startEnv();
  const headersMs = 1_500;
  const server = await serveOpenApi({
    ...serverOptions(env),
    port: 0,
    timeouts: { headersMs, requestMs: 5_000 },
  });
  const { hostname, port } = new URL(server.url!);
  const conns: Deno.Conn[] = [];
  try {
    const opened = Date.now();
    for (let i = 0; i < 1_000; i++) {
      const conn = await Deno.connect({ hostname, port: Number(port) });
      conns.push(conn);
      // Half a request line, then nothing.
      await conn.write(encoder.encode("GET /openapi.json HT"));
    }
    const closed = conns.map((conn) => closedAfter(conn, opened));
    const during = await fetch(`${server.url}/openapi.json`);
    assert.equal(during.status, 200, "answers while 1,000 connections hang");
    await during.body?.cancel();
    const last = Math.max(...await Promise.all(closed));
    assert.ok(last < headersMs + 3_000, `the last connection closed after ${last} ms`);
    const after = await fetch(`${server.url}/openapi.json`);
    assert.equal(after.status, 200);
    await after.body?.cancel();
  } finally {
    for (const conn of conns) {
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    }
    await server.close();
  }
});

Deno.test("a slow body and an idle kept-alive connection are closed too", async () => {
  await using env = await startEnv();
  const server = await serveOpenApi({
    ...serverOptions(env),
    port: 0,
    timeouts: { headersMs: 1_000, requestMs: 1_500, keepAliveMs: 500 },
  });
  const { hostname, port } = new URL(server.url!);
  try {
    const slow = await Deno.connect({ hostname, port: Number(port) });
    const idle = await Deno.connect({ hostname, port: Number(port) });
    const started = Date.now();
    await slow.write(encoder.encode(
      `POST /tools/sessions HTTP/1.1\r\nhost: ${hostname}:${port}\r\n` +
        "content-type: application/json\r\ncontent-length: 100\r\n\r\n{",
    ));
    await idle.write(encoder.encode(
      `GET /openapi.json HTTP/1.1\r\nhost: ${hostname}:${port}\r\n\r\n`,
    ));
    const [slowMs, idleMs] = await Promise.all([
      closedAfter(slow, started),
      closedAfter(idle, started),
    ]);
    for (const conn of [slow, idle]) {
      try {
        conn.close();
      } catch {
        // Closed at the deadline.
      }
    }
    assert.ok(slowMs >= 1_400 && slowMs < 4_000, `slow body closed after ${slowMs} ms`);
    assert.ok(idleMs < 3_000, `idle connection closed after ${idleMs} ms`);
  } finally {
    await server.close();
  }
});

Deno.test("an event stream outlives every timeout", async () => {
  await using env = await startEnv();
  const server = await serveMcp({
    ...serverOptions(env),
    transport: "sse",
    port: 0,
    timeouts: { headersMs: 300, requestMs: 500, keepAliveMs: 300 },
  });
  const abort = new AbortController();
  try {
    const stream = await fetch(server.url!, { signal: abort.signal });
    const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
    const postUrl = new URL(/data: (.*)/.exec(text)![1]!, server.url!);
    await new Promise((r) => setTimeout(r, 1_500));
    const posted = await fetch(postUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(initializeRequest("late")),
    });
    assert.equal(posted.status, 202);
    await posted.body?.cancel();
    text = "";
    while (!text.includes('"serverInfo"')) {
      const { value, done } = await reader.read();
      assert.ok(!done, "the stream is still open");
      text += value;
    }
  } finally {
    abort.abort();
    await server.close();
  }
});

Deno.test("an IPv6 loopback address is served, with or without brackets", async () => {
  await using env = await startEnv();
  for (const host of ["::1", "[::1]"]) {
    let server;
    try {
      server = await serveOpenApi({ ...serverOptions(env), host, port: 0 });
    } catch (error) {
      // No IPv6 on this machine: nothing to check.
      if ((error as { code?: string }).code === "EADDRNOTAVAIL") return;
      throw error;
    }
    try {
      assert.match(server.url!, /^http:\/\/\[::1\]:\d+$/);
      const res = await fetch(`${server.url}/openapi.json`);
      assert.equal(res.status, 200);
      await res.body?.cancel();
    } finally {
      await server.close();
    }
  }
});
