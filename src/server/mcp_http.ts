/**
 * The MCP HTTP transports: streamable HTTP (`/mcp`) and the legacy HTTP+SSE transport (`/sse`,
 * `/sse/messages/`), mounted on Hono, each session served by its own {@linkcode createMcpServer}.
 *
 * @module
 */

import type { Hono } from "hono";
import { createMcpServer, type RegistrySource, type ServerInfo } from "./mcp.ts";

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
  registry: RegistrySource,
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
