/**
 * Write-behind commits of what polls received: each session's cursor (in `token.json`) and the
 * context tokens of its new messages (in `contexts.json`).
 *
 * A batch is stored (when the message store is on) and handed out first; its cursor and context
 * tokens are queued here and written by one background commit at a time, under `.data.lock`, with
 * every batch that arrived meanwhile merged into it. A commit costs about the same for one batch
 * as for a hundred (two small files written, fsynced in parallel, renamed), so polling never
 * waits for the disk and the disk sees one commit per fsync, not one per poll.
 *
 * What a crash can do (documented in the README, "Durability"):
 * - Nothing is lost. A cursor reaches `token.json` only after the context tokens of every message
 *   before it reached `contexts.json` (renamed in that order, each fsynced first), and after those
 *   messages reached the store.
 * - Batches handed out after the last commit finished are fetched again after a restart (the
 *   cursor on disk is older): `recv()` and handlers may see them again. A commit runs as soon as
 *   the previous one ends, so that is the last few milliseconds of traffic. Named consumers
 *   (`wl.consumer(name)`, `recv --consumer`) read the store by row, and never see a message twice.
 *
 * Readers of `contexts.json` in this process call {@linkcode Committer.flush} first, so a reply
 * always finds the token of the message it answers.
 *
 * @module
 */

import type { Message } from "../models/mod.ts";
import { recordInboundBatch } from "./context_state.ts";
import {
  commitInOrder,
  type ContextsFile,
  errorText,
  fileStamps,
  type PreparedWrite,
  type TokenFile,
} from "./data_dir.ts";
import type { ClientContext } from "./client_context.ts";
import type { Credentials, SessionState } from "./session_registry.ts";

/** Context tokens of one batch: `(user, token)` pairs in arrival order, and when they came. */
interface InboundTokens {
  pairs: (readonly [user: string, token: string])[];
  nowSec: number;
}

/** What one session waits to have written. */
interface Pending {
  /** The credentials the batches were polled with: nothing is written beside another token. */
  cred: Credentials;
  /** The newest cursor (`""`: none yet). */
  cursor: string;
  /** Context tokens, oldest batch first. */
  tokens: InboundTokens[];
}

/** A caller of `flush()`: settled by a commit numbered `round` or later. */
interface Waiter {
  resolve: () => void;
  reject: (err: unknown) => void;
  round: number;
}

/** Queues and writes cursors and context tokens of received batches. */
export class Committer {
  readonly #ctx: ClientContext;
  #pending = new Map<SessionState, Pending>();
  /** What the running commit is writing. */
  #inFlight = new Map<SessionState, Pending>();
  /** The commit loop while it runs. */
  #running: Promise<void> | undefined;
  /** Waiters of {@linkcode Committer.flush}: each needs a commit numbered `round` or later. */
  #waiters: Waiter[] = [];
  /** Commits started so far. */
  #round = 0;
  /** Consecutive failed commits, for the retry pause. */
  #failures = 0;
  /** Ends the retry pause early (on close). */
  #wake: (() => void) | undefined;
  #closing = false;

  /** Creates the committer of a client. */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
  }

  /** Whether anything waits to be written or is being written. */
  get busy(): boolean {
    return this.#pending.size > 0 || this.#running !== undefined;
  }

  /**
   * Queue a batch's cursor and context tokens, and apply the tokens to the session's in-memory
   * contexts at once. The commit starts now unless one is running.
   */
  enqueue(s: SessionState, cred: Credentials, cursor: string, messages: readonly Message[]): void {
    const pairs: (readonly [string, string])[] = [];
    for (const m of messages) if (m.contextToken) pairs.push([m.fromUser, m.contextToken]);
    if (!cursor && pairs.length === 0) return;
    let p = this.#pending.get(s);
    if (!p || p.cred !== cred) {
      // A batch of newer credentials replaces what the old ones left: it must not be written.
      p = { cred, cursor: "", tokens: [] };
      this.#pending.set(s, p);
    }
    if (cursor) p.cursor = cursor;
    if (pairs.length) {
      const tokens = { pairs, nowSec: this.#ctx.now() / 1000 };
      p.tokens.push(tokens);
      if (s.contexts) recordInboundBatch(s.contexts, tokens.pairs, tokens.nowSec);
    }
    this.#start();
  }

  /**
   * Resolves once everything queued before the call is written; rejects with the error of the
   * commit that failed to write it (the queue is kept and retried in the background).
   */
  flush(): Promise<void> {
    if (!this.busy) return Promise.resolve();
    return new Promise((resolve, reject) => {
      // The commit running now may have taken its work before this call's batches were queued:
      // the next one surely covers them.
      this.#waiters.push({ resolve, reject, round: this.#round + 1 });
      this.#start();
    });
  }

  /**
   * `contexts` (as just read from disk) with the context tokens of the session that are queued or
   * being written applied: what the file will hold once the commits land.
   */
  view(s: SessionState, contexts: ContextsFile): ContextsFile {
    const queued = [this.#inFlight.get(s), this.#pending.get(s)].flatMap((p) => p?.tokens ?? []);
    for (const t of queued) recordInboundBatch(contexts, t.pairs, t.nowSec);
    return contexts;
  }

  /**
   * Write what is queued, once (no retry after a failure), and stop. What could not be written
   * is reported: those batches are fetched again by the next client, never lost.
   */
  async close(): Promise<void> {
    this.#closing = true;
    this.#wake?.();
    if (this.#pending.size > 0) this.#start();
    await this.#running;
    if (this.#pending.size > 0) {
      const names = [...this.#pending.keys()].map((s) => `"${s.name}"`).join(", ");
      this.#ctx.logger.warn(
        `Closing without saving the latest cursor of session(s) ${names}: their last messages ` +
          "will be received again",
      );
      this.#pending.clear();
    }
  }

  #start(): void {
    if (this.#running) return;
    this.#running = this.#loop().finally(() => {
      this.#running = undefined;
      if (this.#pending.size === 0) this.#settle(Infinity, undefined);
      else if (this.#closing) this.#settle(Infinity, new Error("The client was closed"));
      else this.#start();
    });
  }

  async #loop(): Promise<void> {
    while (this.#pending.size > 0) {
      const work = this.#pending;
      this.#pending = new Map();
      this.#inFlight = work;
      const round = ++this.#round;
      try {
        await this.#commit(work);
        this.#inFlight = new Map();
        this.#failures = 0;
        this.#settle(round, undefined);
      } catch (err) {
        this.#inFlight = new Map();
        this.#restore(work);
        this.#settle(round, err);
        if (this.#closing) return;
        await this.#pause(work, err);
      }
    }
  }

  /** Settle the waiters that a commit numbered `round` covered. */
  #settle(round: number, err: unknown): void {
    const still: Waiter[] = [];
    for (const w of this.#waiters) {
      if (w.round > round) still.push(w);
      else if (err === undefined) w.resolve();
      else w.reject(err);
    }
    this.#waiters = still;
  }

  /** Put work that failed back in front of what was queued meanwhile. */
  #restore(work: Map<SessionState, Pending>): void {
    for (const [s, old] of work) {
      const newer = this.#pending.get(s);
      if (!newer) this.#pending.set(s, old);
      else if (newer.cred === old.cred) {
        newer.tokens = [...old.tokens, ...newer.tokens];
        newer.cursor ||= old.cursor;
      }
    }
  }

  /** A commit failed: report it per session and wait before the next attempt. */
  async #pause(work: Map<SessionState, Pending>, err: unknown): Promise<void> {
    const { retry, logger } = this.#ctx;
    this.#failures++;
    const delay = Math.min(retry.shortMs * 2 ** (this.#failures - 1), retry.longMs);
    const error = err instanceof Error ? err : new Error(String(err));
    for (const s of work.keys()) {
      logger.warn(
        `Cannot save the cursor and context tokens of session "${s.name}" (${this.#failures} ` +
          `failure(s) in a row), retrying in ${Math.round(delay / 100) / 10} s: ${errorText(err)}`,
      );
      this.#ctx.emit({ type: "poll_failed", session: s.name, error, retryInMs: delay });
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }

  /**
   * One commit of every waiting session, in one data-lock section: context files first, then
   * token files, all fsynced in parallel and renamed in that order.
   */
  async #commit(work: Map<SessionState, Pending>): Promise<void> {
    const { dir, dataLock } = this.#ctx;
    await dataLock.withLock(async () => {
      const contextWrites: Promise<PreparedWrite>[] = [];
      const tokenWrites: Promise<PreparedWrite>[] = [];
      const done: (() => void)[] = [];
      const wroteToken: SessionState[] = [];
      for (const [s, p] of work) {
        const disk = dir.readToken(s.name);
        // Logged out, or logged in again, while the batches were out: their cursor and tokens
        // belong to a token that is gone, and are never written beside another one.
        if (!disk || disk.token !== p.cred.bot.token) continue;
        let contexts: ContextsFile | undefined;
        if (p.tokens.length) {
          contexts = dir.readContexts(s.name);
          for (const t of p.tokens) recordInboundBatch(contexts, t.pairs, t.nowSec);
          contextWrites.push(dir.prepareContexts(s.name, contexts));
        }
        const cursor = p.cursor;
        if (cursor && cursor !== disk.cursor) {
          const next: TokenFile = { ...disk, cursor };
          tokenWrites.push(dir.prepareToken(s.name, next));
          wroteToken.push(s);
          // The registry must not take this cursor, once on disk, for another process's.
          p.cred.writingCursor = cursor;
        }
        done.push(() => {
          if (cursor) p.cred.committedCursor = cursor;
          if (contexts) s.contexts = this.#withPending(s, contexts);
        });
      }
      try {
        await commitInOrder([...contextWrites, ...tokenWrites]);
      } finally {
        for (const p of work.values()) p.cred.writingCursor = undefined;
      }
      for (const f of done) f();
      // The registry need not read back what was just written (nobody else writes while the
      // data lock is held).
      for (const s of wroteToken) s.ownStamp = fileStamps(dir.tokenPath(s.name))?.raw;
    });
  }

  /** `contexts` as just written, plus the tokens queued since (the in-memory view). */
  #withPending(s: SessionState, contexts: ContextsFile): ContextsFile {
    for (const t of this.#pending.get(s)?.tokens ?? []) {
      recordInboundBatch(contexts, t.pairs, t.nowSec);
    }
    return contexts;
  }
}
