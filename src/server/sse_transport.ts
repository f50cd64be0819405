/**
 * The legacy MCP "HTTP+SSE" transport (protocol 2024-11-05) on web-standard `Request`/`Response`.
 *
 * The SDK's own `SSEServerTransport` writes to a Node `ServerResponse`; this one produces a
 * `ReadableStream`, so it runs behind Hono on `Deno.serve` like the streamable transport. The
 * client opens `GET <ssePath>`, receives an `endpoint` event naming the message URL (with its
 * session id), and POSTs each JSON-RPC message there; replies arrive as `message` events.
 *
 * @module
 */

import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import { type JSONRPCMessage, JSONRPCMessageSchema } from "@modelcontextprotocol/sdk/types.js";

/** Comment frames keep proxies from closing an idle stream. */
const KEEP_ALIVE_MS = 15_000;

/** One SSE connection, implementing the SDK's `Transport` interface. */
export class WebSseServerTransport implements Transport {
  /** Random id that ties POSTed messages to this stream. */
  readonly sessionId: string = crypto.randomUUID();
  /** See `Transport.onclose`. */
  onclose?: () => void;
  /** See `Transport.onerror`. */
  onerror?: (error: Error) => void;
  /** See `Transport.onmessage`. */
  onmessage?: (message: JSONRPCMessage) => void;

  #endpoint: string;
  #controller?: ReadableStreamDefaultController<Uint8Array>;
  #encoder = new TextEncoder();
  #keepAlive?: ReturnType<typeof setInterval>;
  #closed = false;

  /** @param messagePath Path the client POSTs to; `?sessionId=` is appended. */
  constructor(messagePath: string) {
    this.#endpoint = `${messagePath}?sessionId=${encodeURIComponent(this.sessionId)}`;
  }

  /** The `text/event-stream` response to answer the client's GET with. */
  response(): Response {
    const stream = new ReadableStream<Uint8Array>({
      start: (controller) => {
        this.#controller = controller;
        this.#write(`event: endpoint\ndata: ${this.#endpoint}\n\n`);
        this.#keepAlive = setInterval(() => this.#write(": keep-alive\n\n"), KEEP_ALIVE_MS);
      },
      cancel: () => {
        // The client went away.
        this.#finish();
      },
    });
    return new Response(stream, {
      headers: {
        "content-type": "text/event-stream",
        "cache-control": "no-cache, no-transform",
        "x-accel-buffering": "no",
      },
    });
  }

  /** Handle a POSTed JSON-RPC message for this session. */
  async handlePost(request: Request): Promise<Response> {
    if (this.#closed) return new Response("Session closed", { status: 404 });
    // The Content-Type and the size of the body are checked by the guard (http_guard.ts); the
    // media type is checked again here because this class does not know it is behind one.
    const essence = (request.headers.get("content-type") ?? "").split(";")[0]!.trim();
    if (essence.toLowerCase() !== "application/json") {
      return new Response("Content-Type must be application/json", { status: 415 });
    }
    let message: JSONRPCMessage;
    try {
      const text = await request.text();
      message = JSONRPCMessageSchema.parse(JSON.parse(text));
    } catch (error) {
      this.onerror?.(error instanceof Error ? error : new Error(String(error)));
      return new Response("Invalid JSON-RPC message", { status: 400 });
    }
    this.onmessage?.(message);
    return new Response("Accepted", { status: 202 });
  }

  /** See `Transport.start`: the stream is already set up by {@linkcode response}. */
  start(): Promise<void> {
    return Promise.resolve();
  }

  /** See `Transport.send`. */
  send(message: JSONRPCMessage): Promise<void> {
    if (this.#closed) return Promise.reject(new Error("Cannot send: the SSE stream is closed"));
    this.#write(`event: message\ndata: ${JSON.stringify(message)}\n\n`);
    return Promise.resolve();
  }

  /** See `Transport.close`. */
  close(): Promise<void> {
    if (!this.#closed) {
      try {
        this.#controller?.close();
      } catch {
        // Already closed by the client.
      }
    }
    this.#finish();
    return Promise.resolve();
  }

  #write(frame: string): void {
    if (this.#closed || !this.#controller) return;
    try {
      this.#controller.enqueue(this.#encoder.encode(frame));
    } catch {
      this.#finish();
    }
  }

  #finish(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#keepAlive);
    this.onclose?.();
  }
}
