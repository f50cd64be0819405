/**
 * Progress bars for CDN transfers, hooked in through the client's `fetch`
 * option (the client offers no progress callback of its own).
 *
 * Downloads are measured exactly, by counting the response body as it
 * streams. Uploads cannot be: sending the body as a stream would switch the
 * request to chunked encoding, which the CDN does not expect. So an upload
 * bar shows the size, the elapsed time while the request is in flight, and
 * the achieved rate when it completes — never invented intermediate numbers.
 *
 * @module
 */

import { countingStream, PROGRESS_THRESHOLD_BYTES, ProgressBar } from "./progress_bar.ts";

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
    const ticker = setInterval(() => bar.update(0), 500);
    try {
      const response = await baseFetch(input, init);
      bar.update(size);
      bar.finish();
      return response;
    } catch (error) {
      bar.finish();
      throw error;
    } finally {
      clearInterval(ticker);
    }
  };
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
