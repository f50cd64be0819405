/**
 * A small `node:http` front for the sandbox's Hono app, used when the sandbox is started with
 * `connectionFaults: true`.
 *
 * `Deno.serve` always answers: a handler cannot close the connection without a response
 * (`Response.error()` is refused and a thrown error becomes HTTP 500). `node:http` can, with
 * `socket.destroy()`, which is what the `drop_before_read` and `drop_after_read` faults need.
 * The default stays `Deno.serve`, which is about 1.5x faster.
 *
 * @module
 */

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { closedEarly, writeBody } from "../http/mod.ts";

/** A running `node:http` front. */
export interface NodeFront {
  /** The port it listens on. */
  readonly port: number;
  /** Stops listening and closes every open connection. */
  close(): Promise<void>;
}

/** Options of {@linkcode serveOverNode}. */
export interface NodeFrontOptions {
  hostname: string;
  port: number;
  /** The web handler (the Hono app's `fetch`). */
  handler: (request: Request) => Response | Promise<Response>;
  /** Whether the handler asked to close the connection of `request` without an answer. */
  isDropped: (request: Request) => boolean;
}

/** Serves `handler` over `node:http`; resolves once listening (rejects if the port is busy). */
export function serveOverNode(options: NodeFrontOptions): Promise<NodeFront> {
  const server = createServer((req, res) => {
    respond(options, req, res).catch(() => res.socket?.destroy());
  });
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.hostname, () => {
      server.off("error", reject);
      const port = (server.address() as AddressInfo).port;
      let closed: Promise<void> | undefined;
      resolve({
        port,
        close: () => {
          closed ??= new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          });
          return closed;
        },
      });
    });
  });
}

async function respond(
  options: NodeFrontOptions,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  // Listened for before the handler runs: a client may hang up while a long poll is held.
  const gone = closedEarly(res);
  const request = toRequest(req, options);
  const response = await options.handler(request);
  if (options.isDropped(request)) {
    // Not a single response byte: the client sees the connection close.
    await response.body?.cancel();
    res.socket?.destroy();
    return;
  }
  res.statusCode = response.status;
  for (const [name, value] of response.headers) res.setHeader(name, value);
  if (!response.body) {
    res.end();
    return;
  }
  await writeBody(res, response.body, gone);
}

/** The web `Request` of an incoming request; its body is read only when the handler reads it. */
function toRequest(req: IncomingMessage, options: NodeFrontOptions): Request {
  // The path is appended to this server's own origin: `new URL("//ilink/…", base)` would read a
  // doubled slash as the start of a host name.
  const path = req.url?.startsWith("/") ? req.url : "/";
  const host = options.hostname.includes(":") ? `[${options.hostname}]` : options.hostname;
  const url = `http://${host}:${(req.socket.localPort ?? options.port)}${path}`;
  const headers = new Headers();
  for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) {
    try {
      headers.append(req.rawHeaders[i]!, req.rawHeaders[i + 1]!);
    } catch {
      // A header the web Headers class refuses is left out, as Deno.serve would.
    }
  }
  const method = req.method ?? "GET";
  if (method === "GET" || method === "HEAD") return new Request(url, { method, headers });
  const chunks = req[Symbol.asyncIterator]();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const { done, value } = await chunks.next();
      if (done) controller.close();
      else controller.enqueue(new Uint8Array(value as Uint8Array));
    },
    async cancel() {
      await chunks.return?.();
    },
  });
  return new Request(url, { method, headers, body, duplex: "half" } as RequestInit);
}
