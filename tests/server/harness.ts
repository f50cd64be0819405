/**
 * Shared set-up of the server tests: a sandbox, a temporary data directory, and MCP client
 * helpers.
 */
import { createHash } from "node:crypto";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import { type Sandbox, startSandbox } from "../../src/sandbox/mod.ts";
import type { ServeOptions } from "../../src/server/mod.ts";

/** A sandbox plus an empty data directory and a folder for files, removed on dispose. */
export interface TestEnv extends AsyncDisposable {
  sandbox: Sandbox;
  /** The data directory. */
  home: string;
  /**
   * A folder outside the data directory that {@linkcode serverOptions} lets the tools read and
   * write (files in the data directory, other than its downloads, are never readable).
   */
  files: string;
}

/** Start a quiet, fast-polling sandbox and make a temp data directory and files folder. */
export async function startEnv(): Promise<TestEnv> {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  const home = await Deno.makeTempDir({ prefix: "weilink_server_test_" });
  const files = await Deno.makeTempDir({ prefix: "weilink_server_files_" });
  return {
    sandbox,
    home,
    files,
    async [Symbol.asyncDispose]() {
      await sandbox.close();
      await Deno.remove(home, { recursive: true });
      await Deno.remove(files, { recursive: true });
    },
  };
}

/** Server options pointing at the sandbox, with `env.files` readable and writable. */
export function serverOptions(env: TestEnv): ServeOptions {
  return {
    basePath: env.home,
    baseUrl: env.sandbox.baseUrl,
    cdnBaseUrl: env.sandbox.cdnBaseUrl,
    allowRead: [env.files],
    allowWrite: [env.files],
    banner: false,
    logLevel: "silent",
  };
}

/** Connect an SDK client over streamable HTTP. */
export async function connectHttp(url: string, token?: string): Promise<Client> {
  const client = new Client({ name: "weilink-test", version: "0.0.0" });
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    ...(token ? { requestInit: { headers: { authorization: `Bearer ${token}` } } } : {}),
  });
  await client.connect(transport);
  return client;
}

/** What a tool call gave back. */
export interface ToolCall {
  isError: boolean;
  text: string;
  structured: Record<string, unknown>;
}

/** Call a tool and unpack its result. */
export async function callTool(
  client: Client,
  name: string,
  args: Record<string, unknown> = {},
): Promise<ToolCall> {
  const result = await client.callTool({ name, arguments: args }, undefined, {
    timeout: 30_000,
  }) as CallToolResult;
  const first = result.content[0];
  return {
    isError: result.isError === true,
    text: first?.type === "text" ? first.text : "",
    structured: (result.structuredContent ?? {}) as Record<string, unknown>,
  };
}

/** Lowercase hex MD5. */
export function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** A small valid PNG (1×1, red). */
export const PNG_BYTES: Uint8Array = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** Poll `check` until it returns a value, or fail after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  ms = 10_000,
  what = "condition",
): Promise<T> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const value = await check();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`Timed out waiting for ${what}`);
}

/** Log in through the `login` tool: pending with a QR URL, confirm in the sandbox, confirmed. */
export async function loginThroughTool(
  call: (name: string, args?: Record<string, unknown>) => Promise<ToolCall>,
  sandbox: Sandbox,
  sessionName = "",
): Promise<{ botId: string; userId: string }> {
  const first = await call("login", sessionName ? { session_name: sessionName } : {});
  if (first.isError) throw new Error(`login failed: ${first.text}`);
  if (first.structured.status !== "pending" || typeof first.structured.qr_url !== "string") {
    throw new Error(`unexpected first login answer: ${first.text}`);
  }
  const confirmed = await sandbox.confirmLogin();
  const second = await call("login", { timeout: 10 });
  if (second.structured.status !== "confirmed") {
    throw new Error(`unexpected second login answer: ${second.text}`);
  }
  return { botId: confirmed.botId, userId: confirmed.userId };
}

/**
 * Send one raw HTTP/1.1 request and return the status code. `fetch` does not let a caller set
 * `Host`, which the DNS-rebinding tests must forge.
 */
export async function rawStatus(
  url: string,
  init: {
    method?: string;
    host: string;
    headers?: Record<string, string>;
    body?: string;
    timeoutMs?: number;
  },
): Promise<number> {
  const target = new URL(url);
  const conn = await Deno.connect({ hostname: target.hostname, port: Number(target.port) });
  // A server that never answers fails the read below instead of hanging the test.
  const deadline = setTimeout(() => conn.close(), init.timeoutMs ?? 10_000);
  try {
    const body = init.body ?? "";
    const headers = {
      host: init.host,
      connection: "close",
      "content-length": String(new TextEncoder().encode(body).length),
      ...init.headers,
    };
    const head = `${init.method ?? "GET"} ${target.pathname}${target.search} HTTP/1.1\r\n` +
      Object.entries(headers).map(([k, v]) => `${k}: ${v}\r\n`).join("") + "\r\n";
    await conn.write(new TextEncoder().encode(head + body));
    const buf = new Uint8Array(1024);
    let text = "";
    while (!text.includes("\r\n")) {
      const n = await conn.read(buf).catch(() => null);
      if (n === null) break;
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    const status = /^HTTP\/1\.1 (\d{3})/.exec(text);
    if (!status) throw new Error(`No HTTP status line in ${JSON.stringify(text.slice(0, 80))}`);
    return Number(status[1]);
  } finally {
    clearTimeout(deadline);
    try {
      conn.close();
    } catch {
      // Closed by the deadline.
    }
  }
}

/** The JSON-RPC `initialize` request (id 1) a raw MCP client sends first. */
export function initializeRequest(clientName: string): {
  jsonrpc: "2.0";
  id: number;
  method: "initialize";
  params: Record<string, unknown>;
} {
  return {
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: clientName, version: "0" },
    },
  };
}
