/**
 * Progress bars for CDN transfers, hooked in through the client's `fetch`
 * option (the client offers no progress callback of its own).
 *
 * Downloads are measured exactly, by counting the response body as it
 * streams. Uploads cannot go through `fetch` for this: a streamed body switches
 * the request to chunked encoding (Deno drops the Content-Length), which the
 * CDN does not expect. So a large upload is sent with `node:http`, with its
 * Content-Length, in pieces whose hand-over to the socket moves the bar.
 *
 * @module
 */

import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { countingStream, PROGRESS_THRESHOLD_BYTES, ProgressBar } from "./progress_bar.ts";

/** Bytes handed to the socket at a time; each piece moves the upload bar. */
const UPLOAD_PIECE = 64 * 1024;

/** Where and whether to draw. */
export interface ProgressTarget {
  /** `--quiet` hides every bar. */
  quiet: boolean;
  /** Writes to stderr. */
  write: (text: string) => void;
  /** Whether stderr is a terminal; default `Deno.stderr.isTerminal()`. */
  isTerminal?: boolean;
}

/** Whether a transfer of `total` bytes gets a bar: large, on a terminal, not `--quiet`. */
export function progressEnabled(target: ProgressTarget, total: number): boolean {
  const isTerminal = target.isTerminal ?? Deno.stderr.isTerminal();
  return !target.quiet && isTerminal && total > PROGRESS_THRESHOLD_BYTES;
}

/** AES-128 with PKCS#7 padding: the ciphertext size the CDN receives for `n` plain bytes. */
function paddedSize(n: number): number {
  return (Math.floor(n / 16) + 1) * 16;
}

/**
 * A `fetch` drawing an upload bar for each large binary POST (the CDN upload).
 * `labels` maps plaintext sizes to names, so retries and the order of parts do
 * not matter.
 */
export function uploadProgressFetch(
  target: ProgressTarget,
  labels: ReadonlyArray<{ label: string; size: number }>,
  baseFetch: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const body = init?.body;
    const size = body instanceof Uint8Array ? body.byteLength : 0;
    if ((init?.method ?? "GET").toUpperCase() !== "POST" || !progressEnabled(target, size)) {
      return await baseFetch(input, init);
    }
    const label = labels.find((l) => paddedSize(l.size) === size)?.label ?? "Uploading";
    const bar = new ProgressBar({ label, total: size, write: target.write });
    bar.update(0);
    try {
      const url = input instanceof Request ? input.url : String(input);
      const response = await postWithProgress(url, body as Uint8Array, init, (sent) => {
        bar.update(sent);
      });
      bar.update(size);
      return response;
    } finally {
      bar.finish();
    }
  };
}

/**
 * POST `body` with `node:http(s)`, with an exact Content-Length, calling `onSent` as pieces are
 * taken by the socket (waiting for it to drain, so the count follows the network). Answers like
 * `fetch`: any HTTP status resolves, network failures and aborts reject.
 */
export function postWithProgress(
  url: string,
  body: Uint8Array,
  init: RequestInit | undefined,
  onSent: (bytes: number) => void,
): Promise<Response> {
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((value, key) => headers[key] = value);
  headers["content-length"] = String(body.byteLength);
  const send = new URL(url).protocol === "https:" ? httpsRequest : httpRequest;
  return new Promise<Response>((resolve, reject) => {
    const req = send(url, { method: "POST", headers }, (res) => {
      const chunks: Uint8Array<ArrayBuffer>[] = [];
      res.on("data", (chunk: Uint8Array<ArrayBuffer>) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const out = new Headers();
        for (const [key, value] of Object.entries(res.headers)) {
          if (value !== undefined) out.set(key, Array.isArray(value) ? value.join(", ") : value);
        }
        const status = res.statusCode ?? 0;
        const text = status === 204 || status === 304 ? null : new Blob(chunks);
        resolve(new Response(text, { status, statusText: res.statusMessage ?? "", headers: out }));
      });
    });
    req.on("error", reject);
    const signal = init?.signal;
    if (signal) {
      if (signal.aborted) return req.destroy(signal.reason);
      signal.addEventListener("abort", () => req.destroy(signal.reason), { once: true });
    }
    let sent = 0;
    const pump = () => {
      while (sent < body.byteLength) {
        const piece = body.subarray(sent, sent + UPLOAD_PIECE);
        sent += piece.byteLength;
        const more = req.write(piece);
        onSent(sent);
        if (!more) return void req.once("drain", pump);
      }
      req.end();
    };
    pump();
  });
}

/** A `fetch` drawing an exact download bar for each large response body. */
export function downloadProgressFetch(
  target: ProgressTarget,
  label: string | (() => string),
  baseFetch: typeof fetch = fetch,
): typeof fetch {
  return async (input, init) => {
    const response = await baseFetch(input, init);
    const total = Number(response.headers.get("content-length") ?? "0");
    if (!response.body || !response.ok || !progressEnabled(target, total)) return response;
    const text = typeof label === "string" ? label : label();
    const bar = new ProgressBar({ label: text, total, write: target.write });
    const body = response.body.pipeThrough(countingStream((done) => {
      bar.update(done);
      if (done >= total) bar.finish();
    }));
    return new Response(body, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers,
    });
  };
}
