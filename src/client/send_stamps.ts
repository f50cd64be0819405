/**
 * The `send_ts` of successful sends, written behind them.
 *
 * A send that went through completely changes nothing in `contexts.json` but the time of the last
 * send to that user (the reply count was reserved before the request). That time is recorded here
 * and written with the next write of the file by a send, or by a write of its own a second after
 * the last send (and at `close()`), so a burst of replies costs one file write per reply instead
 * of two and the stamps never compete with the burst for the data lock. A crash before they are
 * written loses only those time stamps.
 *
 * @module
 */

import type { ContextsFile } from "./data_dir.ts";
import type { ClientContext } from "./client_context.ts";
import type { SessionState } from "./session_registry.ts";

/** Quiet time after the last send before its stamp is written on its own. */
const FLUSH_DELAY_MS = 1000;

/** Pending `send_ts` values by session and user. */
export class SendStamps {
  readonly #ctx: ClientContext;
  #pending = new Map<SessionState, Map<string, number>>();
  #flushing: Promise<void> | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  /** Creates the stamps of a client. */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /** A send to `user` of `s` went through at `nowSec`: write its time soon. */
  record(s: SessionState, user: string, nowSec: number): void {
    let users = this.#pending.get(s);
    if (!users) this.#pending.set(s, users = new Map());
    users.set(user, nowSec);
    if (s.contexts[user]) s.contexts[user].send_ts = nowSec;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      this.#flushing ??= this.#flush();
    }, FLUSH_DELAY_MS);
    // Stamps alone never keep a process alive; close() writes them.
    Deno.unrefTimer(this.#timer);
  }

  /** Put the pending stamps of `s` into `contexts`, about to be written by the caller. */
  applyTo(s: SessionState, contexts: ContextsFile): void {
    this.view(s, contexts);
    this.#pending.delete(s);
  }

  /** `contexts` (as read from disk) with the pending stamps of `s` applied; nothing is taken. */
  view(s: SessionState, contexts: ContextsFile): ContextsFile {
    for (const [user, ts] of this.#pending.get(s) ?? []) {
      const entry = contexts[user];
      if (entry && (entry.send_ts ?? 0) < ts) entry.send_ts = ts;
    }
    return contexts;
  }

  /** Write every stamp recorded so far now; resolves once written (or found unwritable). */
  async flush(): Promise<void> {
    clearTimeout(this.#timer);
    this.#timer = undefined;
    if (this.#pending.size > 0) this.#flushing ??= this.#flush();
    while (this.#flushing) await this.#flushing;
  }

  async #flush(): Promise<void> {
    const { dir, dataLock, logger } = this.#ctx;
    try {
      while (this.#pending.size > 0 && !this.#ctx.closed) {
        await dataLock.withLock(() => {
          for (const s of [...this.#pending.keys()]) {
            if (s.removed) {
              this.#pending.delete(s);
              continue;
            }
            const contexts = dir.readContexts(s.name);
            this.applyTo(s, contexts);
            dir.updateContexts(s.name, contexts);
            s.contexts = contexts;
          }
        });
      }
    } catch (err) {
      logger.warn(`Cannot record the time of the last sends: ${String(err)}`);
      this.#pending.clear();
    } finally {
      this.#flushing = undefined;
    }
  }
}
