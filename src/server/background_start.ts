/**
 * What a server starts after its first answers: the tool registry and the client (warm-up) and
 * the admin panel. Loading them keeps the main thread busy for tens of milliseconds; begun as
 * soon as a server listens, that work would hold up the first requests of a client that was
 * waiting for the server (measured by `bench/mcp_bench.ts`). So an HTTP server begins it once
 * its first answer is out, or after {@linkcode QUIET_START_MS} without a request, and the panel
 * reports its own URL once it serves.
 *
 * @module
 */

import type { AdminHandle } from "../admin/mod.ts";
import type { WebHandler } from "./http_listener.ts";

/** How long an HTTP server that has not been asked anything waits before loading the rest. */
export const QUIET_START_MS = 100;

/** The trigger of {@linkcode afterFirstAnswer}. */
export interface FirstAnswerTrigger {
  /** The handler, noting each answer. */
  fetch: WebHandler;
  /** Start the quiet-spell timer (once listening). */
  arm(): void;
  /** Never run the work (the server is closing). */
  cancel(): void;
}

/**
 * Runs `work` once: after the first answer of `fetch`, or {@linkcode QUIET_START_MS} after
 * `arm()` when no answer came first.
 */
export function afterFirstAnswer(fetch: WebHandler, work: () => void): FirstAnswerTrigger {
  let done = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const run = () => {
    if (done) return;
    done = true;
    clearTimeout(timer);
    work();
  };
  return {
    fetch: async (request) => {
      try {
        return await fetch(request);
      } finally {
        // On the next turn, once the listener has started writing the answer.
        if (!done) setTimeout(run, 0);
      }
    },
    arm() {
      if (!done) timer = setTimeout(run, QUIET_START_MS);
    },
    cancel() {
      done = true;
      clearTimeout(timer);
    },
  };
}

/** The admin panel beside a server: started once, in the background, and closed with it. */
export interface BackgroundAdmin {
  /** Start the panel, unless it is off, was started, or the server is closing. */
  start(): void;
  /** Its URL, once it serves. */
  readonly url: string | undefined;
  /** Its URL once it serves; `undefined` when it is off, failed, or was never started. */
  readonly ready: Promise<string | undefined>;
  /** Stop the panel (waiting for a start in progress), or make sure it never starts. */
  close(): Promise<void>;
}

/**
 * The panel, when `enabled`, opened by `open` on {@linkcode BackgroundAdmin.start}. `open`
 * resolves to `undefined` when the panel cannot start (it says why itself) and never rejects.
 */
export function backgroundAdmin(
  enabled: boolean | undefined,
  open: () => Promise<AdminHandle | undefined>,
): BackgroundAdmin {
  let started: Promise<AdminHandle | undefined> | undefined;
  let closing = false;
  let url: string | undefined;
  const ready = Promise.withResolvers<string | undefined>();
  if (!enabled) ready.resolve(undefined);
  return {
    start() {
      if (!enabled || started || closing) return;
      started = open().then((admin) => {
        url = admin?.url;
        ready.resolve(url);
        return admin;
      });
    },
    get url() {
      return url;
    },
    ready: ready.promise,
    async close() {
      closing = true;
      await (await started)?.close();
      ready.resolve(undefined);
    },
  };
}
