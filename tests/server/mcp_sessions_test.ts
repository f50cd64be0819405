/**
 * MCP HTTP sessions: a cap without evicting sessions in use. 100 concurrent SDK clients against
 * a cap of 64: 64 work throughout, 36 get a clear 503, nobody loses a session. Idle sessions are
 * closed to make room; busy or recently used ones never are.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { serveMcp } from "../../src/server/mod.ts";
import { callTool, initializeRequest, serverOptions, startEnv } from "./harness.ts";

interface Connected {
  client: Client;
  transport: StreamableHTTPClientTransport;
}

async function connect(url: string): Promise<Connected> {
  const client = new Client({ name: "weilink-sessions-test", version: "0.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url));
  try {
    await client.connect(transport);
  } catch (error) {
    await client.close().catch(() => {});
    throw error;
  }
  return { client, transport };
}

Deno.test({
  name: "100 concurrent SDK clients, cap 64: 64 keep working, 36 get a clear 503",
  async fn() {
    await using env = await startEnv();
    const server = await serveMcp({
      ...serverOptions(env),
      transport: "http",
      port: 0,
      maxSessions: 64,
    });
    const url = server.url!;
    const admitted: Connected[] = [];
    try {
      const attempts = await Promise.allSettled(Array.from({ length: 100 }, () => connect(url)));
      const refused: { code?: number; message: string }[] = [];
      for (const attempt of attempts) {
        if (attempt.status === "fulfilled") admitted.push(attempt.value);
        else refused.push(attempt.reason);
      }
      assert.equal(admitted.length, 64);
      assert.equal(refused.length, 36);
      for (const error of refused) {
        // The SDK's StreamableHTTPError carries the HTTP status as its code.
        assert.equal(error.code, 503, error.message);
        assert.match(error.message, /Too many MCP sessions: all 64 are in use/);
      }

      // The 64 work in several rounds while the refused clients keep knocking.
      const knocking = Promise.allSettled(Array.from({ length: 36 }, () => connect(url)));
      for (let round = 0; round < 3; round++) {
        const results = await Promise.all(admitted.map((c) => callTool(c.client, "sessions")));
        for (const result of results) assert.equal(result.isError, false, result.text);
      }
      const retried = await knocking;
      assert.ok(retried.every((r) => r.status === "rejected"), "still full");

      // A client that ends its session frees its place at once.
      const leaving = admitted.pop()!;
      await leaving.transport.terminateSession();
      await leaving.client.close();
      const newcomer = await connect(url);
      admitted.push(newcomer);
      assert.equal((await callTool(newcomer.client, "sessions")).isError, false);
      const again = await Promise.all(admitted.map((c) => callTool(c.client, "sessions")));
      assert.ok(again.every((r) => !r.isError), "no client lost its session");
    } finally {
      await Promise.all(admitted.map((c) => c.client.close().catch(() => {})));
      await server.close();
    }
  },
});

const HEADERS = {
  "content-type": "application/json",
  accept: "application/json, text/event-stream",
};

/** `initialize` over raw HTTP: the session id, or the refusal. */
async function openSession(url: string) {
  const res = await fetch(url, {
    method: "POST",
    headers: HEADERS,
    body: JSON.stringify(initializeRequest("raw")),
  });
  const text = await res.text();
  const id = res.headers.get("mcp-session-id") ?? undefined;
  if (id) {
    const note = await rpc(url, id, { jsonrpc: "2.0", method: "notifications/initialized" });
    assert.equal(note.status, 202);
  }
  return { status: res.status, id, text, retryAfter: res.headers.get("retry-after") };
}

async function rpc(url: string, id: string, message: Record<string, unknown>) {
  const res = await fetch(url, {
    method: "POST",
    headers: { ...HEADERS, "mcp-session-id": id, "mcp-protocol-version": "2025-06-18" },
    body: JSON.stringify(message),
  });
  return { status: res.status, text: await res.text() };
}

Deno.test("idle sessions make room; busy and recently used ones never do", async () => {
  await using env = await startEnv();
  const server = await serveMcp({
    ...serverOptions(env),
    transport: "http",
    port: 0,
    maxSessions: 1,
    sessionIdleTimeoutMs: 400,
  });
  const url = server.url!;
  try {
    const a = await openSession(url);
    assert.equal(a.status, 200, a.text);

    // Used a moment ago: kept, the newcomer is refused with a JSON-RPC error.
    const early = await openSession(url);
    assert.equal(early.status, 503);
    const body = JSON.parse(early.text);
    assert.equal(body.jsonrpc, "2.0");
    assert.equal(body.error.code, -32000);
    assert.match(body.error.message, /Too many MCP sessions: all 1 are in use.*--max-sessions/);
    assert.ok(Number(early.retryAfter) >= 1);

    // A request in flight for longer than the idle timeout keeps the session.
    const started = await rpc(url, a.id!, {
      jsonrpc: "2.0",
      id: 2,
      method: "tools/call",
      params: { name: "login", arguments: {} },
    });
    assert.match(started.text, /"pending"/);
    const waiting = rpc(url, a.id!, {
      jsonrpc: "2.0",
      id: 3,
      method: "tools/call",
      params: { name: "login", arguments: { timeout: 1.5 } },
    });
    await new Promise((r) => setTimeout(r, 900));
    assert.equal((await openSession(url)).status, 503, "busy session kept");
    const answered = await waiting;
    assert.equal(answered.status, 200);
    assert.match(answered.text, /"pending"/);

    // Idle past the timeout: closed to make room.
    await new Promise((r) => setTimeout(r, 700));
    const b = await openSession(url);
    assert.equal(b.status, 200, b.text);
    const gone = await rpc(url, a.id!, { jsonrpc: "2.0", id: 4, method: "ping" });
    assert.equal(gone.status, 404);
    assert.equal(JSON.parse(gone.text).error.message, `Session "${a.id}" not found`);
    const alive = await rpc(url, b.id!, { jsonrpc: "2.0", id: 5, method: "ping" });
    assert.equal(alive.status, 200, alive.text);
  } finally {
    await server.close();
  }
});
