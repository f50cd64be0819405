/**
 * The MCP server: the tool registry served with the official SDK over stdio, streamable HTTP
 * (`/mcp`) or the legacy HTTP+SSE transport (`/sse`, `/sse/messages/`).
 *
 * @module
 */

import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import type { CallToolResult } from "@modelcontextprotocol/sdk/types.js";
import type { Hono } from "hono";
import type { ToolRegistry } from "./tools.ts";
import { toToolError } from "./tool_errors.ts";

/** Name and version announced in `initialize`. */
export interface ServerInfo {
  /** Server name. */
  name: string;
  /** Server version. */
  version: string;
}

const INSTRUCTIONS = "WeiLink connects this agent to WeChat through a bot (iLink protocol). " +
  "If `sessions` shows no connected session, call `login` and show the returned qr_url to the " +
  "user, then call `login` again until it is confirmed. Use `recv` to wait for messages and " +
  "`send` to reply (only to users who wrote in the last 24 hours, at most 10 replies per " +
  "user message). `history` searches past messages; `download` saves received media.";

/** Build an MCP server exposing every tool of `registry`. One per connection (SDK rule). */
export function createMcpServer(registry: ToolRegistry, info: ServerInfo): McpServer {
  const server = new McpServer(info, {
    capabilities: { tools: {} },
    instructions: INSTRUCTIONS,
  });
  for (const tool of registry.tools) {
    server.registerTool(
      tool.name,
      {
        description: tool.description,
        inputSchema: tool.input,
        outputSchema: tool.output,
        annotations: {
          readOnlyHint: tool.readOnly,
          destructiveHint: tool.name === "logout",
          openWorldHint: !tool.readOnly,
        },
      },
      // The SDK has validated the arguments against `tool.input` already.
      async (args: unknown): Promise<CallToolResult> => {
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
      },
    );
  }
  return server;
}

/** A running stdio server. */
export interface StdioServing {
  /** Resolves when stdin ends or {@linkcode StdioServing.close} is called. */
  finished: Promise<void>;
  /** Disconnect. */
  close(): Promise<void>;
}

/**
 * Serve over stdin/stdout. Only JSON-RPC may reach stdout: callers route every log to stderr
 * (see `mod.ts`).
 */
export async function serveStdio(registry: ToolRegistry, info: ServerInfo): Promise<StdioServing> {
  const [{ StdioServerTransport }, { default: process }] = await Promise.all([
    import("@modelcontextprotocol/sdk/server/stdio.js"),
    import("node:process"),
  ]);
  const server = createMcpServer(registry, info);
  const transport = new StdioServerTransport();
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

/** The Hono routes of the HTTP transports, and a way to end their sessions. */
export interface McpHttpRoutes {
  /** Routes: `/mcp` (streamable HTTP) and `/sse`, `/sse/messages/` (legacy). */
  app: Hono;
  /** Close every open MCP session. */
  close(): Promise<void>;
}

/** Most concurrent sessions kept; the oldest is dropped beyond that. */
const MAX_SESSIONS = 64;

/**
 * Mount the MCP HTTP transports on a new Hono app. Security middleware (Host/Origin/token) is
 * added by the caller in front of these routes.
 */
export async function createMcpHttpRoutes(
  registry: ToolRegistry,
  info: ServerInfo,
  transport: "streamable-http" | "sse",
): Promise<McpHttpRoutes> {
  const { Hono } = await import("hono");
  const app = new Hono();
  const sessions = new Map<string, { close(): Promise<void> }>();
  const remember = (id: string, session: { close(): Promise<void> }) => {
    sessions.set(id, session);
    if (sessions.size > MAX_SESSIONS) {
      const [oldest] = sessions.keys();
      if (oldest !== undefined) {
        const victim = sessions.get(oldest);
        sessions.delete(oldest);
        void victim?.close();
      }
    }
  };

  if (transport === "streamable-http") {
    const { WebStandardStreamableHTTPServerTransport } = await import(
      "@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"
    );
    type Live = InstanceType<typeof WebStandardStreamableHTTPServerTransport>;
    const live = new Map<string, Live>();
    app.all("/mcp", async (c) => {
      const id = c.req.header("mcp-session-id");
      if (id) {
        const existing = live.get(id);
        if (!existing) {
          return c.json({
            jsonrpc: "2.0",
            error: { code: -32001, message: `Session "${id}" not found` },
            id: null,
          }, 404);
        }
        return existing.handleRequest(c.req.raw);
      }
      if (c.req.method !== "POST") {
        return c.json({
          jsonrpc: "2.0",
          error: { code: -32000, message: "Missing mcp-session-id header" },
          id: null,
        }, 400);
      }
      // A POST without a session id must be `initialize`; the transport rejects anything else.
      const server = createMcpServer(registry, info);
      const t: Live = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (sid: string) => {
          live.set(sid, t);
          remember(sid, { close: () => server.close() });
        },
        onsessionclosed: (sid: string) => {
          live.delete(sid);
          sessions.delete(sid);
        },
      });
      t.onclose = () => {
        if (t.sessionId) {
          live.delete(t.sessionId);
          sessions.delete(t.sessionId);
        }
      };
      await server.connect(t);
      const response = await t.handleRequest(c.req.raw);
      if (!t.sessionId) await server.close();
      return response;
    });
  } else {
    const { WebSseServerTransport } = await import("./sse_transport.ts");
    const live = new Map<string, InstanceType<typeof WebSseServerTransport>>();
    app.get("/sse", async () => {
      const t = new WebSseServerTransport("/sse/messages/");
      const server = createMcpServer(registry, info);
      live.set(t.sessionId, t);
      remember(t.sessionId, { close: () => server.close() });
      t.onclose = () => {
        live.delete(t.sessionId);
        sessions.delete(t.sessionId);
      };
      const response = t.response();
      await server.connect(t);
      return response;
    });
    app.post("/sse/messages/", (c) => {
      const id = c.req.query("sessionId") ?? "";
      const t = live.get(id);
      if (!t) return c.text(`Session "${id}" not found`, 404);
      return t.handlePost(c.req.raw);
    });
  }

  return {
    app,
    async close() {
      const all = [...sessions.values()];
      sessions.clear();
      await Promise.allSettled(all.map((s) => s.close()));
    },
  };
}
