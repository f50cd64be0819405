/**
 * The MCP server: the tool registry served with the official SDK over stdio. The HTTP transports
 * (`mcp_http.ts`) build on {@linkcode createMcpServer} from here.
 *
 * This module is on the cold-start path of `weilink mcp`: it imports only the SDK server, the
 * zod-free tool catalog and, when serving, the stdio transport. The HTTP transports, Hono, the
 * registry and the client are loaded elsewhere and later, so that they stay out of its module
 * graph.
 *
 * @module
 */

import { Server } from "@modelcontextprotocol/sdk/server/index.js";
import { getParseErrorMessage } from "@modelcontextprotocol/sdk/server/zod-compat.js";
import {
  type CallToolRequest,
  CallToolRequestSchema,
  type CallToolResult,
  ErrorCode,
  type JSONRPCMessage,
  ListToolsRequestSchema,
  McpError,
} from "@modelcontextprotocol/sdk/types.js";
import { AjvJsonSchemaValidator } from "@modelcontextprotocol/sdk/validation/ajv-provider.js";
import type {
  JsonSchemaType,
  jsonSchemaValidator,
} from "@modelcontextprotocol/sdk/validation/types.js";
import type { ToolDefinition, ToolRegistry } from "./tools.ts";
import { TOOL_LISTINGS, type ToolListing } from "./tool_catalog.ts";
import { toToolError } from "./tool_errors.ts";
import { startupMark, startupTracing } from "./startup_trace.ts";

/** Name and version announced in `initialize`. */
export interface ServerInfo {
  /** Server name. */
  name: string;
  /** Server version. */
  version: string;
}

/**
 * The tool registry, built on first need. Listing tools needs only the zod-free catalog; the
 * registry (and with it the zod schemas) is loaded by the first tool call.
 */
export type RegistrySource = () => Promise<ToolRegistry>;

const INSTRUCTIONS = "WeiLink connects this agent to WeChat through a bot (iLink protocol). " +
  "If `sessions` shows no connected session, call `login` and show the returned qr_url to the " +
  "user, then call `login` again until it is confirmed. Use `recv` to wait for messages and " +
  "`send` to reply (only to users who wrote in the last 24 hours, at most 10 replies per " +
  "user message). `history` searches past messages; `download` saves received media.";

const LISTINGS: ReadonlyMap<string, ToolListing> = new Map(TOOL_LISTINGS.map((t) => [t.name, t]));

let ajv: AjvJsonSchemaValidator | undefined;

/**
 * The SDK's JSON Schema validator, built on first use. The server only needs one for
 * elicitation, which these tools never use, and building Ajv costs several milliseconds per
 * server (one server per HTTP session).
 */
const lazyValidator: jsonSchemaValidator = {
  getValidator: (schema: JsonSchemaType) =>
    (ajv ??= new AjvJsonSchemaValidator()).getValidator(schema),
};

/**
 * Build an MCP server exposing every tool. One per connection (SDK rule).
 *
 * It answers like the SDK's `McpServer` with the tools registered from their zod schemas (same
 * capabilities, listing, validation and error texts), but lists the precomputed JSON Schemas of
 * `tool_catalog.ts` and validates with zod only once a tool is called, so that neither the zod
 * schemas nor their JSON Schema conversion are on the path of `initialize` and `tools/list`.
 */
export function createMcpServer(registry: RegistrySource, info: ServerInfo): Server {
  const server = new Server(info, {
    // McpServer announces `listChanged` for its tools; so does this server.
    capabilities: { tools: { listChanged: true } },
    instructions: INSTRUCTIONS,
    jsonSchemaValidator: lazyValidator,
  });
  server.setRequestHandler(ListToolsRequestSchema, () => ({ tools: [...TOOL_LISTINGS] }));
  server.setRequestHandler(
    CallToolRequestSchema,
    async (request: CallToolRequest): Promise<CallToolResult> => {
      const { name } = request.params;
      try {
        if (!LISTINGS.has(name)) {
          throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
        }
        const tool = (await registry()).get(name);
        if (!tool) throw new McpError(ErrorCode.InvalidParams, `Tool ${name} not found`);
        const args = await validate(tool, "input", request.params.arguments ?? {});
        const result = await runTool(tool, args);
        // A task-augmented request gets the result unchecked, as from McpServer.
        if (!request.params.task && !result.isError) {
          await validate(tool, "output", result.structuredContent);
        }
        return result;
      } catch (error) {
        return {
          content: [{ type: "text", text: error instanceof Error ? error.message : String(error) }],
          isError: true,
        };
      }
    },
  );
  return server;
}

/** Parse with the tool's zod schema; failures read as McpServer's. */
async function validate(
  tool: ToolDefinition,
  io: "input" | "output",
  value: unknown,
): Promise<unknown> {
  const parsed = await tool[io].safeParseAsync(value);
  if (parsed.success) return parsed.data;
  const detail = getParseErrorMessage(parsed.error);
  throw new McpError(
    ErrorCode.InvalidParams,
    io === "input"
      ? `Input validation error: Invalid arguments for tool ${tool.name}: ${detail}`
      : `Output validation error: Invalid structured content for tool ${tool.name}: ${detail}`,
  );
}

async function runTool(tool: ToolDefinition, args: unknown): Promise<CallToolResult> {
  try {
    const output = await tool.run(args as never) as Record<string, unknown>;
    return {
      content: [{ type: "text", text: JSON.stringify(output) }],
      structuredContent: output,
    };
  } catch (error) {
    return {
      content: [{ type: "text", text: toToolError(error).message }],
      isError: true,
    };
  }
}

/** A running stdio server. */
export interface StdioServing {
  /** Resolves when stdin ends or {@linkcode StdioServing.close} is called. */
  finished: Promise<void>;
  /** Disconnect. */
  close(): Promise<void>;
}

/** Options of {@linkcode serveStdio}. */
export interface StdioOptions {
  /** Called once the client has finished the `initialize` handshake. */
  onInitialized?: () => void;
}

/**
 * Serve over stdin/stdout. Only JSON-RPC may reach stdout: callers route every log to stderr
 * (see `mod.ts`).
 */
export async function serveStdio(
  registry: RegistrySource,
  info: ServerInfo,
  options: StdioOptions = {},
): Promise<StdioServing> {
  const [{ StdioServerTransport }, { default: process }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/stdio.js"),
    import("node:process"),
  ]);
  const server = createMcpServer(registry, info);
  if (options.onInitialized) server.oninitialized = options.onInitialized;
  const transport = new StdioServerTransport();
  // Set before connecting: the server chains its own handler after this one.
  transport.onerror = (error: Error) => {
    const answer = unreadableLineAnswer(error);
    // The SDK's message type has no `id: null`, which JSON-RPC requires here.
    if (answer) void transport.send(answer as unknown as JSONRPCMessage).catch(() => {});
  };
  if (startupTracing()) traceAnswers(transport);
  const finished = Promise.withResolvers<void>();
  transport.onclose = () => finished.resolve();
  // The SDK transport does not watch for end of input; a client closing our stdin means it is gone.
  const onEnd = () => void server.close();
  process.stdin.once("end", onEnd);
  await server.connect(transport);
  return {
    finished: finished.promise,
    async close() {
      process.stdin.off("end", onEnd);
      await server.close();
      finished.resolve();
    },
  };
}

/** A JSON-RPC 2.0 error answer to a message nobody could read, so it has no id. */
export interface UnreadableLineAnswer {
  /** Always `"2.0"`. */
  jsonrpc: "2.0";
  /** Always `null`: the id of an unreadable message is unknown (JSON-RPC 2.0, section 5). */
  id: null;
  /** -32700 (not JSON) or -32600 (JSON, but not a JSON-RPC message). */
  error: { code: number; message: string };
}

/**
 * The answer to a stdin line that the SDK's stdio transport could not read, or `undefined` when
 * `error` is not about such a line (stdin failed, or the line passed the size limit).
 *
 * The transport drops a line that is not JSON (`JSON.parse` throws a `SyntaxError`) or not a
 * JSON-RPC message (its zod schema throws a `ZodError`), reports it to `onerror` only, and goes
 * on with the next line. Without an answer a client that wrote a broken request waits for ever;
 * JSON-RPC 2.0 wants error -32700 (parse error) or -32600 (invalid request) with id `null`.
 */
export function unreadableLineAnswer(error: unknown): UnreadableLineAnswer | undefined {
  const answer = (code: number, message: string): UnreadableLineAnswer => ({
    jsonrpc: "2.0",
    id: null,
    error: { code, message },
  });
  if (error instanceof SyntaxError) {
    return answer(ErrorCode.ParseError, "Parse error: the line is not valid JSON");
  }
  // The SDK's zod may be another copy than ours: recognise its error by name.
  if (error instanceof Error && error.name === "ZodError") {
    return answer(ErrorCode.InvalidRequest, "Invalid Request: not a JSON-RPC 2.0 message");
  }
  return undefined;
}

/** Start-up trace: mark each answer the server writes. */
function traceAnswers(transport: { send(message: object, options?: unknown): Promise<void> }) {
  const send = transport.send.bind(transport);
  transport.send = (message, options) => {
    if ("id" in message) startupMark(`answered request ${String(message.id)}`);
    return send(message, options);
  };
}
