/**
 * The HTTP listener of the servers: a web-standard handler (`Request` → `Response`) served by
 * `node:http`, for its connection timeouts.
 *
 * `Deno.serve` has no header, request or idle timeout: a client that connects and sends half a
 * request line holds its connection (and a file descriptor) for as long as it likes, so a
 * thousand such clients exhaust the server. `node:http` closes them: `headersTimeout` bounds the
 * time to receive the request head, `requestTimeout` the whole request (head and body),
 * `keepAliveTimeout` an idle kept-alive connection. Responses are not bounded: a long poll or an
 * event stream may stay open as long as it needs.
 *
 * Request bodies are streamed with backpressure, never buffered here: the body limit is enforced
 * by the guard (`http_guard.ts`), which stops reading once it is exceeded. A response sent before
 * its request body was read in full (a 413, say) is followed by a lingering close: the rest of
 * the body is read and dropped for up to {@linkcode LINGER_MS} and {@linkcode LINGER_BYTES},
 * never kept in memory, and only then is the connection closed. Closing at once would make a
 * client that is still sending see a connection reset instead of the answer (RFC 9112 §9.6):
 * a fetch posting 8 MiB to a 1 MiB limit never saw its 413.
 *
 * @module
 */

import type { AddressInfo, Socket } from "node:net";
import type { IncomingMessage, Server, ServerResponse } from "node:http";
import { closedEarly, writeBody } from "../http/mod.ts";

/** Connection timeouts, in milliseconds. */
export interface HttpTimeouts {
  /** Time allowed to receive the request line and headers (default 10,000). */
  headersMs?: number;
  /** Time allowed to receive a whole request, body included (default 30,000). */
  requestMs?: number;
  /** Time an idle kept-alive connection stays open between requests (default 5,000). */
  keepAliveMs?: number;
}

/** Defaults of {@linkcode HttpTimeouts}. */
export const DEFAULT_TIMEOUTS: Required<HttpTimeouts> = {
  headersMs: 10_000,
  requestMs: 30_000,
  keepAliveMs: 5_000,
};

/** Options of {@linkcode listenHttp}. */
export interface ListenOptions {
  /** Address to bind. */
  hostname: string;
  /** Port to bind (`0`: any free port). */
  port: number;
  /** Connection timeouts. */
  timeouts?: HttpTimeouts;
}

/** A running listener. */
export interface HttpListener {
  /** The port it listens on. */
  readonly port: number;
  /** Resolves once the listener has stopped. */
  readonly finished: Promise<void>;
  /**
   * Stop accepting connections, give requests in progress up to `graceMs` to finish, then close
   * every connection (event streams included).
   */
  close(graceMs?: number): Promise<void>;
}

/** A web handler, e.g. a Hono app's `fetch`. */
export type WebHandler = (request: Request) => Response | Promise<Response>;

/**
 * Serve `handler` on `hostname:port`.
 *
 * @throws {Error} when the port is in use (the message names it), or binding fails otherwise.
 */
export async function listenHttp(
  handler: WebHandler,
  options: ListenOptions,
): Promise<HttpListener> {
  const { createServer } = await import("node:http");
  const timeouts = { ...DEFAULT_TIMEOUTS, ...options.timeouts };
  const server: Server = createServer({
    headersTimeout: timeouts.headersMs,
    requestTimeout: timeouts.requestMs,
    keepAliveTimeout: timeouts.keepAliveMs,
    // How often the timeouts above are checked (Node's default is every 30 s).
    connectionsCheckingInterval: Math.max(100, Math.min(1_000, timeouts.headersMs / 4)),
  });
  // No inactivity timeout on the socket itself: a long poll may be silent for minutes.
  server.timeout = 0;
  // `[::1]` names the address `::1`; URLs need the brackets, listen() must not get them.
  const address = options.hostname.replace(/^\[|\]$/g, "");
  const hostPart = address.includes(":") ? `[${address}]` : address;
  let base = "";
  // Requests in progress per connection. Tracked here rather than with closeIdleConnections(),
  // which misses a kept-alive connection after a chunked response in Deno's node:http.
  const connections = new Map<Socket, number>();
  let closing: Promise<void> | undefined;
  server.on("connection", (socket: Socket) => {
    connections.set(socket, 0);
    socket.once("close", () => connections.delete(socket));
  });
  server.on("request", (req: IncomingMessage, res: ServerResponse) => {
    const socket = req.socket;
    connections.set(socket, (connections.get(socket) ?? 0) + 1);
    res.once("close", () => {
      const requests = connections.get(socket);
      if (requests === undefined) return;
      const left = requests - 1;
      connections.set(socket, left);
      // Once closing, a connection goes as soon as its last request is answered.
      if (closing && left === 0) socket.destroy();
    });
    void serveOne(handler, base, req, res);
  });
  const finished = Promise.withResolvers<void>();
  server.on("close", () => finished.resolve());
  await new Promise<void>((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      if (error.code === "EADDRINUSE") {
        reject(
          new Error(`Cannot listen on "${options.hostname}:${options.port}": the port is in use`, {
            cause: error,
          }),
        );
      } else {
        reject(error);
      }
    };
    server.once("error", onError);
    server.listen(options.port, address, () => {
      server.off("error", onError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  base = `http://${hostPart}:${port}`;
  return {
    port,
    finished: finished.promise,
    close(graceMs = 2_000) {
      return closing ??= (async () => {
        const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
        for (const [socket, requests] of connections) if (requests === 0) socket.destroy();
        let timer: ReturnType<typeof setTimeout> | undefined;
        const grace = new Promise<void>((resolve) => timer = setTimeout(resolve, graceMs));
        await Promise.race([stopped, grace]);
        clearTimeout(timer);
        for (const socket of connections.keys()) socket.destroy();
        await stopped;
      })();
    },
  };
}

/** Answer one request; never throws. */
async function serveOne(
  handler: WebHandler,
  base: string,
  req: IncomingMessage,
  res: ServerResponse,
): Promise<void> {
  const aborted = closedEarly(res);
  let request: Request;
  try {
    request = toRequest(req, base, aborted);
  } catch {
    // An absolute-form target, or a header value the Fetch API refuses.
    return plain(res, 400, "Bad request");
  }
  let response: Response;
  try {
    response = await handler(request);
  } catch {
    return plain(res, 500, "Internal server error");
  }
  await writeResponse(req, res, response, aborted).catch(() => res.destroy());
}

function toRequest(req: IncomingMessage, base: string, signal: AbortSignal): Request {
  const target = req.url ?? "/";
  if (!target.startsWith("/")) throw new TypeError("Only origin-form request targets are served");
  const headers = new Headers();
  const raw = req.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) headers.append(raw[i]!, raw[i + 1]!);
  const method = req.method ?? "GET";
  const init: RequestInit & { duplex?: "half" } = { method, headers, signal };
  if (method !== "GET" && method !== "HEAD") {
    init.body = bodyStream(req);
    init.duplex = "half";
  }
  return new Request(base + target, init);
}

/** The request body as a byte stream that reads from the socket only as fast as it is consumed. */
function bodyStream(req: IncomingMessage): ReadableStream<Uint8Array> {
  // Once the stream is cancelled, closed or errored, events of `req` must not reach it.
  let open = true;
  let onData: ((chunk: Uint8Array) => void) | undefined;
  return new ReadableStream<Uint8Array>({
    start(controller) {
      const finish = (error?: Error) => {
        if (!open) return;
        open = false;
        if (error) controller.error(error);
        else controller.close();
      };
      onData = (chunk) => {
        if (!open) return;
        controller.enqueue(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength));
        if ((controller.desiredSize ?? 0) <= 0) req.pause();
      };
      req.on("data", onData);
      req.once("end", () => finish());
      req.once("error", (error) => finish(error));
      req.once("aborted", () => finish(new Error("The client aborted the request")));
      req.pause();
    },
    pull() {
      req.resume();
    },
    cancel() {
      open = false;
      if (onData) req.off("data", onData);
      discardBody(req);
    },
  }, new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }));
}

/**
 * Read the rest of a body nobody wants and drop it, so that the connection can end (or serve
 * its next request). Nothing is kept: memory stays flat whatever the size, and the request
 * timeout bounds how long a client may keep sending.
 */
function discardBody(req: IncomingMessage): void {
  if (req.readableEnded || req.listenerCount("data") > 0) return;
  req.on("data", () => {});
  req.resume();
}

/** Longest time the rest of an unread request body is read and dropped after the answer. */
export const LINGER_MS = 2_000;
/** Most bytes of an unread request body read and dropped after the answer. */
export const LINGER_BYTES: number = 64 * 1024 * 1024;

/**
 * Reads and drops what is left of a request body after its answer went out, then lets the
 * connection serve its next request; a client still sending after {@linkcode LINGER_MS} or
 * {@linkcode LINGER_BYTES} has its connection closed.
 */
function lingeringClose(req: IncomingMessage): void {
  let dropped = 0;
  const close = () => {
    clearTimeout(timer);
    req.socket.destroy();
  };
  const timer = setTimeout(close, LINGER_MS);
  req.once("end", () => clearTimeout(timer));
  req.once("close", () => clearTimeout(timer));
  req.removeAllListeners("data");
  req.on("data", (chunk: Uint8Array) => {
    dropped += chunk.byteLength;
    if (dropped > LINGER_BYTES) close();
  });
  req.resume();
}

async function writeResponse(
  req: IncomingMessage,
  res: ServerResponse,
  response: Response,
  aborted: AbortSignal,
): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name !== "set-cookie") headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers["set-cookie"] = cookies;
  res.writeHead(response.status, response.statusText || undefined, headers);
  // A body the handler did not read (a refusal before reading it) is dropped once answered.
  res.once("finish", () => {
    if (!req.readableEnded) lingeringClose(req);
  });
  if (!response.body || req.method === "HEAD") {
    await response.body?.cancel();
    res.end();
    return;
  }
  await writeBody(res, response.body, aborted);
}

function plain(res: ServerResponse, status: number, text: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: "close" });
  res.end(text);
}
