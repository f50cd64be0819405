/**
 * Start-up timing marks for the servers: with `WEILINK_TRACE_STARTUP=1` in the environment, each
 * {@linkcode startupMark} prints `[startup] <ms since process start> <label>` to stderr. Off by
 * default; it exists so the cold start of `weilink mcp` and `weilink openapi` can be taken apart
 * without a profiler.
 *
 * @module
 */

import type { WebHandler } from "./http_listener.ts";

let enabled: boolean | undefined;

/** Whether `WEILINK_TRACE_STARTUP=1` is set. */
export function startupTracing(): boolean {
  return enabled ??= readFlag();
}

/** Print a timing mark to stderr when `WEILINK_TRACE_STARTUP=1`. */
export function startupMark(label: string): void {
  if (!startupTracing()) return;
  // performance.now() counts from process start, so marks line up across modules.
  const line = `[startup] ${performance.now().toFixed(1).padStart(7)} ms  ${label}\n`;
  Deno.stderr.writeSync(new TextEncoder().encode(line));
}

/** `fetch`, marking each answer it gives (`answered GET /tools`). */
export function traceHttpAnswers(fetch: WebHandler): WebHandler {
  return async (request) => {
    const response = await fetch(request);
    startupMark(`answered ${request.method} ${new URL(request.url).pathname}`);
    return response;
  };
}

function readFlag(): boolean {
  try {
    return Deno.env.get("WEILINK_TRACE_STARTUP") === "1";
  } catch {
    return false;
  }
}
