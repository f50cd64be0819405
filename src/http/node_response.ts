/**
 * A web `Response` body written to a `node:http` response: chunk by chunk as it is read, waiting
 * for the socket to drain, and given up (the body cancelled) once the connection is gone. Both
 * `node:http` fronts use it: the servers' listener (`server/http_listener.ts`) and the sandbox's
 * connection-fault front (`sandbox/node_server.ts`).
 *
 * @module
 */

import type { ServerResponse } from "node:http";

/** Aborts when the connection of `res` closes before the whole response was written. */
export function closedEarly(res: ServerResponse): AbortSignal {
  const gone = new AbortController();
  res.once("close", () => {
    if (!res.writableFinished) gone.abort();
  });
  return gone.signal;
}

/**
 * Writes `body` to `res` and ends it. Each chunk is flushed at once (event streams must reach the
 * client as they are written); a full socket buffer is waited out, so a large body is never held
 * twice in memory. Once `aborted` fires the body is cancelled and `res` left as it is.
 */
export async function writeBody(
  res: ServerResponse,
  body: ReadableStream<Uint8Array>,
  aborted: AbortSignal,
): Promise<void> {
  const reader = body.getReader();
  const stop = () => void reader.cancel().catch(() => {});
  // Gone while the handler ran: a write would fail and no "drain" or "close" would follow.
  if (aborted.aborted) return stop();
  aborted.addEventListener("abort", stop, { once: true });
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      if (!res.write(value)) await drained(res);
      if (aborted.aborted) return;
    }
    res.end();
  } finally {
    aborted.removeEventListener("abort", stop);
  }
}

/** Resolves when `res` can take more data, or when its connection is gone. */
function drained(res: ServerResponse): Promise<void> {
  if (res.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      res.off("drain", done);
      res.off("close", done);
      resolve();
    };
    res.on("drain", done);
    res.on("close", done);
  });
}
