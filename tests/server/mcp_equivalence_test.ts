/**
 * The MCP server is built on the SDK's low-level `Server` with precomputed tool listings and
 * zod validation on call. These tests hold it to what the SDK's `McpServer` answers when the
 * same tools are registered from their zod schemas: the same JSON-RPC answers, byte for byte,
 * for the handshake, the listing, successful calls and every kind of failure. Both servers run
 * over the real client against the sandbox.
 */
import assert from "node:assert/strict";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { InMemoryTransport } from "@modelcontextprotocol/sdk/inMemory.js";
import type { CallToolResult, JSONRPCMessage } from "@modelcontextprotocol/sdk/types.js";
import { openWeiLinkBackend, type WeiLinkBackend } from "../../src/server/backend.ts";
import { createMcpServer } from "../../src/server/mcp.ts";
import { createToolRegistry, type ToolRegistry, toToolError } from "../../src/server/tools.ts";
import { toolAnnotations } from "../../src/server/tool_catalog.ts";
import { FileAccessPolicy } from "../../src/input/mod.ts";
import { initializeRequest, startEnv } from "./harness.ts";

const INFO = { name: "weilink", version: "0.0.0-test" };

/** The tools registered on `McpServer` from their zod schemas (how the server used to be built). */
function referenceServer(registry: ToolRegistry, instructions: string): McpServer {
  const server = new McpServer(INFO, { capabilities: { tools: {} }, instructions });
  for (const tool of registry.tools) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: toolAnnotations(tool.name),
      },
      async (args: unknown): Promise<CallToolResult> => {
        try {
          const output = await tool.run(args as never) as Record<string, unknown>;
          return {
            content: [{ type: "text", text: JSON.stringify(output) }],
            structuredContent: output,
          };
        } catch (error) {
          return { content: [{ type: "text", text: toToolError(error).message }], isError: true };
        }
      },
    );
  }
  return server;
}

/** Send raw JSON-RPC messages one by one and collect the answers, in order. */
async function exchange(
  server: { connect(t: InMemoryTransport): Promise<void>; close(): Promise<void> },
  messages: JSONRPCMessage[],
): Promise<string[]> {
  const [client, serverSide] = InMemoryTransport.createLinkedPair();
  const answers: string[] = [];
  let waiting: PromiseWithResolvers<void> | undefined;
  client.onmessage = (message: JSONRPCMessage) => {
    answers.push(JSON.stringify(message));
    waiting?.resolve();
  };
  await server.connect(serverSide);
  await client.start();
  try {
    for (const message of messages) {
      const expected = answers.length + ("id" in message ? 1 : 0);
      await client.send(message);
      while (answers.length < expected) {
        waiting = Promise.withResolvers<void>();
        await waiting.promise;
      }
    }
  } finally {
    await client.close();
    await server.close();
  }
  return answers;
}

const call = (id: number, name: string, args?: unknown): JSONRPCMessage => ({
  jsonrpc: "2.0",
  id,
  method: "tools/call",
  params: args === undefined ? { name } : { name, arguments: args },
} as JSONRPCMessage);

const REQUESTS: JSONRPCMessage[] = [
  initializeRequest("equivalence-test") as JSONRPCMessage,
  { jsonrpc: "2.0", method: "notifications/initialized" },
  { jsonrpc: "2.0", id: 2, method: "tools/list" },
  call(3, "sessions", {}),
  call(4, "nope", {}),
  call(5, "history", { limit: "x", offset: -1 }),
  call(6, "send", { to: "someone@im.wechat" }),
  call(7, "send"),
  call(8, "recv", { timeout: 500 }),
  call(9, "history", {}),
  call(10, "download", { message_id: "1" }),
  call(11, "sessions", { extra: 1 }),
  call(12, "sessions", []),
  call(13, "set_default", { session_name: "" }),
  call(14, "send", { to: "someone@im.wechat", text: "hi" }),
  call(15, "recv", { timeout: 0 }),
  { jsonrpc: "2.0", id: 16, method: "ping" },
  { jsonrpc: "2.0", id: 17, method: "resources/list" },
] as JSONRPCMessage[];

Deno.test("low-level MCP server answers exactly like McpServer with the zod schemas", async () => {
  await using env = await startEnv();
  let backend: Promise<WeiLinkBackend> | undefined;
  const registry = createToolRegistry({
    backend: () =>
      backend ??= openWeiLinkBackend({
        basePath: env.home,
        baseUrl: env.sandbox.baseUrl,
        cdnBaseUrl: env.sandbox.cdnBaseUrl,
        logLevel: "silent",
      }),
    files: new FileAccessPolicy({ dataDir: env.home, cwd: env.home }),
  });
  try {
    const ours = await exchange(createMcpServer(() => Promise.resolve(registry), INFO), REQUESTS);
    const instructions = JSON.parse(ours[0]!).result.instructions as string;
    const reference = await exchange(referenceServer(registry, instructions), REQUESTS);
    assert.equal(ours.length, REQUESTS.length - 1);
    for (const [i, answer] of reference.entries()) assert.equal(ours[i], answer);
  } finally {
    registry.dispose();
    if (backend) await (await backend).close();
  }
});
