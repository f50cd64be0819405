/**
 * The MCP HTTP transports: streamable HTTP (`/mcp`) and the legacy HTTP+SSE transport (`/sse`,
 * `/sse/messages/`), mounted on Hono, each session served by its own {@linkcode createMcpServer}.
 *
 * @module
 */

import type { Context, Hono } from "hono";
import { createMcpServer, type RegistrySource, type ServerInfo } from "./mcp.ts";
import { type SessionLimits, SessionTable } from "./mcp_sessions.ts";

/** The Hono routes of the HTTP transports, and a way to end their sessions. */
export interface McpHttpRoutes {
  /** Routes: `/mcp` (streamable HTTP) and `/sse`, `/sse/messages/` (legacy). */
  app: Hono;
  /** The open sessions. */
  sessions: SessionTable;
  /** Close every open MCP session. */
  close(): Promise<void>;
}

/**
 * Mount the MCP HTTP transports on a new Hono app. Security middleware (Host/Origin/token/body
 * limit) is added by the caller in front of these routes.
 */
export async function createMcpHttpRoutes(
  registry: RegistrySource,
  info: ServerInfo,
  transport: "streamable-http" | "sse",
  limits: SessionLimits = {},
): Promise<McpHttpRoutes> {
  const { Hono } = await import("hono");
  const app = new Hono();
  const sessions = new SessionTable(limits);
  const full = (c: Context) => {
    c.header("Retry-After", String(sessions.retryAfterSeconds()));
    return c.json({
      jsonrpc: "2.0",
      error: {
        code: -32000,
        message: `Too many MCP sessions: all ${sessions.maxSessions} are in use. Sessions idle ` +
          `for ${Math.round(sessions.idleTimeoutMs / 1000)} s are closed; retry later, or raise ` +
          "the limit with --max-sessions.",
      },
      id: null,
    }, 503);
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
        return await sessions.serve(id, () => existing.handleRequest(c.req.raw));
      }
      if (c.req.method !== "POST") {
        return c.json({
          jsonrpc: "2.0",
          error: { code: -32000, message: "Missing mcp-session-id header" },
          id: null,
        }, 400);
      }
      // A POST without a session id must be `initialize`; the transport rejects anything else.
      if (!sessions.reserve()) return full(c);
      const server = createMcpServer(registry, info);
      const t: Live = new WebStandardStreamableHTTPServerTransport({
        sessionIdGenerator: () => crypto.randomUUID(),
        onsessioninitialized: (sid: string) => {
          live.set(sid, t);
          sessions.add(sid, () => server.close());
        },
        onsessionclosed: (sid: string) => {
          live.delete(sid);
          sessions.remove(sid);
        },
      });
      t.onclose = () => {
        if (t.sessionId) {
          live.delete(t.sessionId);
          sessions.remove(t.sessionId);
        }
      };
      try {
        await server.connect(t);
        const response = await t.handleRequest(c.req.raw);
        if (!t.sessionId) await server.close();
        return response;
      } finally {
        if (!t.sessionId || !sessions.has(t.sessionId)) sessions.release();
      }
    });
  } else {
    const { WebSseServerTransport } = await import("./sse_transport.ts");
    const live = new Map<string, InstanceType<typeof WebSseServerTransport>>();
    app.get("/sse", async (c) => {
      if (!sessions.reserve()) return full(c);
      const t = new WebSseServerTransport("/sse/messages/");
      const server = createMcpServer(registry, info);
      live.set(t.sessionId, t);
      sessions.add(t.sessionId, () => server.close());
      t.onclose = () => {
        live.delete(t.sessionId);
        sessions.remove(t.sessionId);
      };
      const response = t.response();
      await server.connect(t);
      // The stream is the session: it is in use for as long as the stream is open.
      return await sessions.serve(t.sessionId, () => Promise.resolve(response));
    });
    app.post("/sse/messages/", async (c) => {
      const id = c.req.query("sessionId") ?? "";
      const t = live.get(id);
      if (!t) return c.text(`Session "${id}" not found`, 404);
      return await sessions.serve(id, () => t.handlePost(c.req.raw));
    });
  }

  return {
    app,
    sessions,
    close: () => sessions.closeAll(),
  };
}
