/**
 * What a browser (or any local program) can make the HTTP servers do: only the server's own
 * origin passes, tool calls and MCP messages must be JSON, bodies are limited.
 */
import assert from "node:assert/strict";
import { serveMcp, serveOpenApi, type ServerHandle } from "../../src/server/mod.ts";
import { initializeRequest, rawStatus, serverOptions, startEnv, type TestEnv } from "./harness.ts";

const INIT = JSON.stringify(initializeRequest("guard-test"));
const MCP_ACCEPT = "application/json, text/event-stream";

async function status(response: Response): Promise<number> {
  await response.body?.cancel();
  return response.status;
}

/** Log in through the REST API and have the user write, so a send would succeed. */
async function loggedInUser(env: TestEnv, base: string): Promise<string> {
  const post = (name: string, body: unknown) =>
    fetch(`${base}/tools/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    }).then((r) => r.json());
  await post("login", {});
  const { userId } = await env.sandbox.confirmLogin();
  assert.equal((await post("login", { timeout: 10 })).status, "confirmed");
  await env.sandbox.injectMessage({ text: "hi" });
  for (let i = 0; i < 20; i++) {
    if ((await post("recv", { timeout: 1 })).count > 0) break;
  }
  return userId;
}

Deno.test("openapi: a local web page cannot make the server send a file", async () => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0 });
  try {
    const base = server.url!;
    const port = new URL(base).port;
    const userId = await loggedInUser(env, base);
    await Deno.writeTextFile(`${env.files}/secret.txt`, "secret");
    const body = JSON.stringify({ to: userId, file_path: `${env.files}/secret.txt` });
    const send = (headers: Record<string, string>) =>
      fetch(`${base}/tools/send`, { method: "POST", headers, body });

    // The reported attack: text/plain (no preflight) from a page on another local port.
    assert.equal(
      await status(await send({ "content-type": "text/plain", origin: "http://localhost:9999" })),
      403,
    );
    // Each rule holds on its own: a foreign origin, even with JSON ...
    for (
      const origin of [
        "http://localhost:9999",
        `https://127.0.0.1:${port}`,
        `http://127.0.0.1:${Number(port) + 1}`,
        "http://127.0.0.1",
        "null",
        "http://evil.example",
      ]
    ) {
      const r = await send({ "content-type": "application/json", origin });
      assert.equal(r.status, 403, origin);
      assert.match((await r.json()).error, /Origin ".*" is not allowed/);
    }
    // ... and a body that is not JSON, even without any Origin.
    for (
      const type of [
        "text/plain",
        "text/plain; charset=application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/jsonx",
      ]
    ) {
      const r = await send({ "content-type": type });
      assert.equal(r.status, 415, type);
      assert.deepEqual(await r.json(), { error: "Content-Type must be application/json" });
    }
    assert.equal(await status(await send({})), 415, "no Content-Type");
    assert.equal(
      await status(
        await send({ "content-type": "application/json", "sec-fetch-site": "cross-site" }),
      ),
      403,
    );
    assert.equal(
      await status(
        await send({ "content-type": "application/json", "sec-fetch-site": "same-site" }),
      ),
      403,
    );
    assert.deepEqual(await env.sandbox.sent(), [], "nothing was sent");

    // The server's own origin (a page it serves, such as /docs) may call it.
    for (const origin of [`http://127.0.0.1:${port}`, `http://localhost:${port}`]) {
      const ok = await send({
        "content-type": "application/json; charset=utf-8",
        origin,
        "sec-fetch-site": "same-origin",
      });
      assert.equal(ok.status, 200, await ok.text());
    }
    // A cross-site navigation to the docs is still a page view.
    const docs = await fetch(`${base}/docs`, {
      headers: { "sec-fetch-site": "cross-site", "sec-fetch-mode": "navigate" },
    });
    assert.equal(await status(docs), 200);
  } finally {
    await server.close();
  }
});

Deno.test("mcp streamable HTTP and SSE: same origin and JSON rules", async () => {
  await using env = await startEnv();
  for (const transport of ["http", "sse"] as const) {
    const server: ServerHandle = await serveMcp({ ...serverOptions(env), transport, port: 0 });
    const abort = new AbortController();
    try {
      const url = new URL(server.url!);
      let postUrl = url;
      if (transport === "sse") {
        const stream = await fetch(url, { signal: abort.signal });
        const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
        let text = "";
        while (!text.includes("\n\n")) text += (await reader.read()).value ?? "";
        postUrl = new URL(/data: (.*)/.exec(text)![1]!, url);
      }
      const post = (headers: Record<string, string>) =>
        fetch(postUrl, { method: "POST", headers: { accept: MCP_ACCEPT, ...headers }, body: INIT });
      assert.equal(
        await status(await post({ "content-type": "text/plain", origin: "http://localhost:9999" })),
        403,
      );
      assert.equal(
        await status(
          await post({ "content-type": "application/json", origin: "http://localhost:9999" }),
        ),
        403,
      );
      for (
        const type of [
          "text/plain",
          "text/plain;a=application/json",
          "application/x-www-form-urlencoded",
        ]
      ) {
        assert.equal(
          await status(await post({ "content-type": type })),
          415,
          `${transport} ${type}`,
        );
      }
      const ok = await post({ "content-type": "application/json", origin: url.origin });
      assert.equal(ok.status, transport === "sse" ? 202 : 200, await ok.text());
      // The event stream itself is refused to other origins too.
      const foreignStream = await fetch(url, {
        headers: { origin: "http://localhost:9999", accept: MCP_ACCEPT },
      });
      assert.equal(await status(foreignStream), 403);
    } finally {
      abort.abort();
      await server.close();
    }
  }
});

Deno.test("bodies over the limit get 413 without being read", async () => {
  await using env = await startEnv();
  const rest = await serveOpenApi({ ...serverOptions(env), port: 0 });
  const mcp = await serveMcp({
    ...serverOptions(env),
    transport: "http",
    port: 0,
    maxBodyBytes: 4096,
  });
  try {
    const sessions = `${rest.url}/tools/sessions`;
    // A declared 1 GiB body is refused from the headers alone (no byte of it is ever sent).
    for (const url of [sessions, mcp.url!]) {
      const started = Date.now();
      const declared = await rawStatus(url, {
        timeoutMs: 3_000,
        method: "POST",
        host: new URL(url).host,
        headers: { "content-type": "application/json", "content-length": String(2 ** 30) },
      });
      assert.equal(declared, 413, url);
      assert.ok(Date.now() - started < 2_000);
    }
    // A chunked body is counted as it arrives and refused once past the limit (1 MiB by
    // default), long before its end.
    const chunked = await streamChunked(sessions, 256 * 1024 * 1024);
    assert.equal(chunked.status, 413);
    assert.ok(chunked.sent < 64 * 1024 * 1024, `sent ${chunked.sent} bytes before the answer`);
    const mcpChunked = await streamChunked(mcp.url!, 64 * 1024 * 1024);
    assert.equal(mcpChunked.status, 413);

    // The limit is configurable, and bodies within it work.
    // The client name pads the request to just under and just over 4096 bytes.
    const padded = (n: number) => JSON.stringify(initializeRequest("x".repeat(n)));
    const [small, big] = [padded(3800), padded(4100)];
    const send = (body: string) =>
      fetch(mcp.url!, {
        method: "POST",
        headers: { "content-type": "application/json", accept: MCP_ACCEPT },
        body,
      });
    assert.equal(await status(await send(big)), 413);
    assert.equal(await status(await send(small)), 200);
    const r = await fetch(sessions, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(await status(r), 200);
  } finally {
    await rest.close();
    await mcp.close();
  }
});

Deno.test("a client still sending a body far over the limit receives its 413", async () => {
  // Found by the fuzzer: the server answered 413 and closed the connection at once, and a fetch
  // still sending its 8 MiB body saw "error reading a body from connection" instead.
  await using env = await startEnv();
  const rest = await serveOpenApi({ ...serverOptions(env), port: 0 });
  try {
    const body = `{"text":"${"a".repeat(8 * 1024 * 1024)}"}`;
    for (let i = 0; i < 5; i++) {
      const res = await fetch(`${rest.url}/tools/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      assert.equal(res.status, 413);
      assert.match((await res.json()).error, /^Request body too large/);
    }
  } finally {
    await rest.close();
  }
});

/**
 * POST a chunked JSON body of up to `total` bytes over a raw connection, stopping as soon as the
 * server answers. Returns the status and how many body bytes were sent by then.
 */
async function streamChunked(
  url: string,
  total: number,
): Promise<{ status: number; sent: number }> {
  const target = new URL(url);
  const conn = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
  const encoder = new TextEncoder();
  let answer = "";
  let sent = 0;
  const reading = (async () => {
    const buf = new Uint8Array(4096);
    while (!answer.includes("\r\n")) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      answer += new TextDecoder().decode(buf.subarray(0, n));
    }
  })();
  try {
    await conn.write(encoder.encode(
      `POST ${target.pathname} HTTP/1.1\r\nhost: ${target.host}\r\n` +
        "content-type: application/json\r\naccept: application/json, text/event-stream\r\n" +
        "transfer-encoding: chunked\r\n\r\n",
    ));
    const chunk = encoder.encode(`10000\r\n${" ".repeat(0x10000)}\r\n`);
    while (sent < total && !answer) {
      try {
        await conn.write(chunk);
      } catch {
        break; // the server closed the connection after answering
      }
      sent += 0x10000;
    }
    await reading;
    const status = /^HTTP\/1\.1 (\d{3})/.exec(answer);
    if (!status) throw new Error(`No answer after ${sent} bytes: ${JSON.stringify(answer)}`);
    return { status: Number(status[1]), sent };
  } finally {
    conn.close();
  }
}
