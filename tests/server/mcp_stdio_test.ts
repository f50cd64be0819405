/**
 * The MCP server over stdio in a child process, driven by the SDK's `Client`, and a raw check
 * that stdout carries nothing but JSON-RPC.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import {
  callTool,
  initializeRequest,
  loginThroughTool,
  md5,
  PNG_BYTES,
  startEnv,
  type TestEnv,
} from "./harness.ts";

const ENTRY = new URL("./fixtures/mcp_stdio_entry.ts", import.meta.url).pathname;
const CLI = new URL("../../cli.ts", import.meta.url).pathname;

function childEnv(env: TestEnv, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: env.home,
    DENO_DIR: Deno.env.get("DENO_DIR") ?? "",
    WEILINK_HOME: env.home,
    WEILINK_BASE_URL: env.sandbox.baseUrl,
    WEILINK_CDN_BASE_URL: env.sandbox.cdnBaseUrl,
    NO_COLOR: "1",
    ...extra,
  };
}

/** The cache of the parent, so the child does not download npm packages again. */
function denoDirEnv(): Record<string, string> {
  const dir = Deno.env.get("DENO_DIR");
  if (dir) return { DENO_DIR: dir };
  const home = Deno.env.get("HOME");
  return home ? { DENO_DIR: `${home}/.cache/deno` } : {};
}

Deno.test("cli.ts mcp over stdio: SDK client lists tools, logs in, sends an image", async () => {
  await using env = await startEnv();
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "-A", CLI, "mcp", "--log-level", "ERROR"],
    env: childEnv(env, denoDirEnv()),
    // The working directory is readable by the tools by default.
    cwd: env.files,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk));
  const client = new Client({ name: "weilink-stdio-test", version: "0.0.0" });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.equal(tools.length, 10);
    assert.ok(
      tools.every((t: { outputSchema?: { type: string } }) => t.outputSchema?.type === "object"),
    );

    const call = (name: string, args: Record<string, unknown> = {}) => callTool(client, name, args);
    const { userId } = await loginThroughTool(call, env.sandbox);

    await env.sandbox.injectMessage({ text: "ping over stdio" });
    let seen = false;
    for (let i = 0; i < 10 && !seen; i++) {
      const r = await call("recv", { timeout: 2 });
      assert.equal(r.isError, false, r.text);
      seen = (r.structured.messages as Record<string, unknown>[])
        .some((m) => m.text === "ping over stdio");
    }
    assert.ok(seen, "received the injected message");

    const imagePath = "stdio.png";
    await Deno.writeFile(`${env.files}/${imagePath}`, PNG_BYTES);
    const sent = await call("send", { to: userId, text: "pong", image_path: imagePath });
    assert.equal(sent.isError, false, sent.text);
    assert.equal((sent.structured.message_ids as string[]).length, 2);
    const records = await env.sandbox.sent({ to: userId });
    assert.equal(records.find((r) => r.type === 2)?.media?.md5, md5(PNG_BYTES));

    const missing = await call("download", { message_id: "1" });
    assert.equal(missing.isError, true);
  } catch (error) {
    console.error(`Server stderr:\n${stderr}`);
    throw error;
  } finally {
    await client.close();
  }
});

Deno.test("mcp over stdio: stdout carries only JSON-RPC, logs go to stderr", async () => {
  await using env = await startEnv();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY],
    env: childEnv(env, { ...denoDirEnv(), FIXTURE_NOISE: "1", FIXTURE_BANNER: "1" }),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  const send = (message: unknown) =>
    writer.write(new TextEncoder().encode(JSON.stringify(message) + "\n"));
  await send(initializeRequest("raw"));
  await send({ jsonrpc: "2.0", method: "notifications/initialized" });
  await send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  await send({
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: { name: "sessions", arguments: {} },
  });
  // Read until the three answers are in, then end the server's input: it must exit by itself.
  const lines: string[] = [];
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  while (lines.length < 3) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
    const parts = buffer.split("\n");
    buffer = parts.pop()!;
    lines.push(...parts.filter((l) => l !== ""));
  }
  await writer.close();
  while (true) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value;
  }
  if (buffer.trim()) lines.push(...buffer.split("\n").filter((l) => l !== ""));
  const [status, stderr] = await Promise.all([
    child.status,
    new Response(child.stderr).arrayBuffer(),
  ]);
  assert.equal(status.code, 0);
  const ids = lines.map((line) => {
    const message = JSON.parse(line);
    assert.equal(message.jsonrpc, "2.0", line);
    return message.id;
  });
  assert.deepEqual(ids, [1, 2, 3]);
  const errText = new TextDecoder().decode(new Uint8Array(stderr));
  assert.match(errText, /stray console\.log output/);
  assert.match(errText, /WeiLink MCP server .* on stdio/);
});

Deno.test("mcp over stdio: an unreadable line gets a JSON-RPC error with id null", async () => {
  await using env = await startEnv();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ENTRY],
    env: childEnv(env, denoDirEnv()),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const encoder = new TextEncoder();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  /** The next line the server writes, parsed. */
  const answer = async (): Promise<Record<string, unknown>> => {
    while (!buffer.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`stdout ended; unread: ${JSON.stringify(buffer)}`);
      buffer += value;
    }
    const line = buffer.slice(0, buffer.indexOf("\n"));
    buffer = buffer.slice(line.length + 1);
    return JSON.parse(line);
  };
  const write = (bytes: Uint8Array | string) =>
    writer.write(typeof bytes === "string" ? encoder.encode(bytes) : bytes);
  try {
    await write(JSON.stringify(initializeRequest("raw")) + "\n");
    assert.equal((await answer()).id, 1);
    await write('{"jsonrpc":"2.0","method":"notifications/initialized"}\n');

    // Not JSON at all, then bytes that are not even UTF-8: parse errors.
    await write("this is not json\n");
    assert.deepEqual(await answer(), {
      jsonrpc: "2.0",
      id: null,
      error: { code: -32700, message: "Parse error: the line is not valid JSON" },
    });
    await write(Uint8Array.of(0xff, 0xfe, 0x7b, 0x0a));
    assert.deepEqual((await answer()).error, {
      code: -32700,
      message: "Parse error: the line is not valid JSON",
    });
    // A request cut short by a newline inside it: two unreadable lines, two answers.
    await write('{"jsonrpc":"2.0","id":7,\n"method":"tools/list"}\n');
    assert.equal(((await answer()).error as { code: number }).code, -32700);
    assert.equal(((await answer()).error as { code: number }).code, -32700);

    // JSON, but no JSON-RPC message: invalid request.
    for (const line of ['{"hello":"world"}', "[1,2]", "42"]) {
      await write(`${line}\n`);
      assert.deepEqual(await answer(), {
        jsonrpc: "2.0",
        id: null,
        error: { code: -32600, message: "Invalid Request: not a JSON-RPC 2.0 message" },
      }, line);
    }

    // The server reads on: the next good request is answered as usual.
    await write('{"jsonrpc":"2.0","id":2,"method":"tools/list"}\n');
    const listed = await answer();
    assert.equal(listed.id, 2);
    assert.equal((listed.result as { tools: unknown[] }).tools.length, 10);
  } finally {
    await writer.close();
    await reader.cancel();
    assert.equal((await child.status).code, 0);
  }
});
