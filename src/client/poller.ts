/**
 * Receiving: long polls of every session, cursor and context-token commits, failure accounting,
 * duplicate filtering, and the cooperative fallback that reads the message store while another
 * process holds the poll lock.
 *
 * Nothing that goes wrong with one poll or one message stops receiving: a failed poll (network,
 * HTTP status, an API error) is logged, reported as a `poll_failed` event and retried after a
 * growing pause; an entry of `msgs` that cannot become a message is logged, reported as
 * `message_skipped` and passed over, and the cursor moves past it; a batch that cannot be stored
 * or committed is fetched again later from the last committed cursor. Only `-14` (expired token)
 * changes a session's state, and even then the token is probed again with growing pauses.
 *
 * Durability: a batch is written to the message store (when enabled) before it is handed out;
 * its cursor and context tokens are then written in the background (see `committer.ts`). A crash
 * before that commit makes the server send the batch again; the store absorbs the repeat, and
 * named consumers never see it twice.
 *
 * @module
 */

import { SessionExpiredError } from "../protocol/mod.ts";
import { InvalidMessageError, Message } from "../models/mod.ts";
import { isObject } from "../models/wire_fields.ts";
import type { Committer } from "./committer.ts";
import { errorText } from "./data_dir.ts";
import { NotLoggedInError } from "./errors.ts";
import { sleep } from "../protocol/sleep.ts";
import type { ClientContext } from "./client_context.ts";
import {
  type Credentials,
  isUsable,
  type SessionRegistry,
  type SessionState,
} from "./session_registry.ts";
import type { StoreBinding } from "./store_binding.ts";
import { recordInboundBatch } from "./context_state.ts";

/** One `getupdates` answer, parsed, waiting to be committed. */
export interface PolledBatch {
  /** The token it was polled with. */
  cred: Credentials;
  /** The cursor it was polled with. */
  from: string;
  /** The next cursor (`""` when the server sent none). */
  cursor: string;
  /** Inbound user messages, in order. */
  messages: Message[];
}

/** How long `recv()` waits for other sessions once one session returned messages. */
const EARLY_RETURN_GRACE_MS = 50;

/** Thrown into pending polls when `recv()` already has messages from another session. */
class EarlyReturn extends Error {}

/** Polls sessions and commits what they return. */
export class Poller {
  readonly #ctx: ClientContext;
  readonly #registry: SessionRegistry;
  readonly #committer: Committer;

  /** Creates the poller of a client. */
  constructor(ctx: ClientContext, registry: SessionRegistry, committer: Committer) {
    this.#ctx = ctx;
    this.#registry = registry;
    this.#committer = committer;
  }

  /**
   * `recv()` without the dispatcher: poll every session under the poll lock, or read what another
   * process stored while it holds the lock. Returns as soon as messages arrive, or `[]` at the
   * deadline; transient failures are retried within the deadline, never thrown.
   */
  async recv(timeoutMs: number, signal?: AbortSignal): Promise<Message[]> {
    const ctx = this.#ctx;
    if (ctx.shared) return await this.#recvShared(timeoutMs, signal);
    const store = await ctx.store();
    const deadline = ctx.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (await ctx.pollLock.tryLock()) {
        let messages: Message[];
        try {
          messages = await this.#pollAll(deadline, signal);
        } finally {
          await ctx.pollLock.unlock();
        }
        if (messages.length > 0 || ctx.now() >= deadline) return messages;
        continue;
      }
      if (store) {
        const fallback = await this.#fromStore(store);
        if (fallback.length) return fallback;
      }
      const left = deadline - ctx.now();
      if (left <= 0) return [];
      try {
        await sleep(Math.min(left, Math.min(ctx.watchIntervalMs, 250)), signal);
      } catch {
        return [];
      }
    }
  }

  /**
   * Poll every session once if the poll lock is free (for readers that take their messages from
   * the store). Resolves `false` at once when another process holds the lock.
   */
  async pollOnce(deadline: number, signal?: AbortSignal): Promise<boolean> {
    const { storage, pollLock } = this.#ctx;
    if (!storage.claims.perAccount) {
      if (!(await pollLock.tryLock())) return false;
      try {
        await this.#pollAll(deadline, signal);
      } finally {
        await pollLock.unlock();
      }
      return true;
    }
    const { claims } = storage;
    await storage.refresh();
    this.#registry.sync();
    const ids = this.#registry.withCredentials().map((s) => s.cred!.bot.botId);
    const held = await claims.claim(ids);
    if (held.size === 0) return false;
    try {
      await this.#pollAll(deadline, signal, held);
    } finally {
      await claims.release([...held]);
    }
    return true;
  }

  /**
   * `recv()` on shared storage (PostgreSQL): poll the accounts no other client polls (claimed for
   * the call), and read what other clients stored for the rest, each message once.
   */
  async #recvShared(timeoutMs: number, signal?: AbortSignal): Promise<Message[]> {
    const ctx = this.#ctx;
    const { storage } = ctx;
    const deadline = ctx.now() + timeoutMs;
    const store = (await ctx.store())!;
    for (;;) {
      signal?.throwIfAborted();
      await storage.refresh();
      this.#registry.sync();
      const withCred = this.#registry.withCredentials();
      if (withCred.length === 0) throw new NotLoggedInError();
      const ids = withCred.map((s) => s.cred!.bot.botId);
      const held = await storage.claims.claim(ids);
      if (held.size < ids.length) {
        // Other clients poll some accounts: what they stored comes first.
        const stored = await this.#fromStore(store).catch(async (err) => {
          await storage.claims.release([...held]);
          throw err;
        });
        if (stored.length) {
          await storage.claims.release([...held]);
          return stored;
        }
      }
      if (held.size > 0) {
        // With accounts polled elsewhere too, come back now and then to read what they stored.
        const until = held.size < ids.length
          ? Math.min(deadline, ctx.now() + ctx.watchIntervalMs)
          : deadline;
        let messages: Message[];
        try {
          messages = await this.#pollAll(until, signal, held);
        } finally {
          await storage.claims.release([...held]);
        }
        if (messages.length > 0 || ctx.now() >= deadline) return messages;
        continue;
      }
      const left = deadline - ctx.now();
      if (left <= 0) return [];
      try {
        await waitForRows(storage, Math.min(left, ctx.watchIntervalMs), signal);
      } catch {
        return [];
      }
    }
  }

  /**
   * Poll every session that may poll now (of the accounts in `only`, when given), in parallel;
   * called with the poll lock or the accounts' claims held.
   */
  async #pollAll(deadline: number, signal?: AbortSignal, only?: Set<string>): Promise<Message[]> {
    const registry = this.#registry;
    registry.sync();
    const withCred = registry.withCredentials();
    if (withCred.length === 0) throw new NotLoggedInError();
    // Expired tokens are probed when their pause ends within this call.
    const due = withCred.filter((s) =>
      (only === undefined || only.has(s.cred!.bot.botId)) &&
      (isUsable(s) || s.cred!.probeNow || s.cred!.retryAt <= deadline)
    );
    if (due.length === 0) throw this.#allExpired();
    const early = new AbortController();
    let grace: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => early.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const polled = await Promise.all(due.map(async (s) => {
        const msgs = await this.#pollSession(s, deadline, early.signal);
        // Other polls may stop after a short grace (so messages that are already on their way
        // come back together); whatever they have not received stays behind their cursor.
        if (msgs.length > 0 && grace === undefined) {
          grace = setTimeout(() => early.abort(new EarlyReturn()), EARLY_RETURN_GRACE_MS);
        }
        return msgs;
      }));
      clearTimeout(grace);
      const messages = polled.flat();
      if (messages.length === 0 && signal?.aborted) throw signal.reason;
      if (messages.length === 0 && registry.usable().length === 0) throw this.#allExpired();
      return messages;
    } finally {
      clearTimeout(grace);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * Throws what `recv()` promises when nothing can arrive: no credentials at all, or every
   * session expired.
   */
  assertCanReceive(): void {
    this.#registry.sync();
    if (this.#registry.withCredentials().length === 0) throw new NotLoggedInError();
    if (this.#registry.usable().length === 0) throw this.#allExpired();
  }

  #allExpired(): SessionExpiredError {
    return new SessionExpiredError(
      "getupdates",
      -14,
      -14,
      "",
      "Every session has expired (the server answered -14): log in again. Expired tokens are " +
        "probed with growing pauses, and polling resumes by itself if the server accepts one again",
    );
  }

  /** One long poll of one session and the commit of what it returned. Never throws. */
  async #pollSession(s: SessionState, deadline: number, signal: AbortSignal): Promise<Message[]> {
    const batch = await this.fetchBatch(s, deadline, signal);
    if (!batch) return [];
    try {
      const fresh = await this.processBatch(s, batch);
      if (batch.cursor) batch.cred.cursor = batch.cursor;
      return fresh;
    } catch (err) {
      this.rewind(s, batch, err);
      return [];
    }
  }

  /**
   * The network half of a poll: wait out a pending pause (a backoff, or the probe pause of an
   * expired token), then `getupdates` bounded by `deadline`. Resolves `undefined` when there is
   * nothing to commit: aborted, deadline reached while waiting, or the poll failed (the failure is
   * logged, reported and the next pause scheduled). The batch's cursor is not taken here: the
   * caller takes it once it accepts the batch.
   */
  async fetchBatch(
    s: SessionState,
    deadline: number,
    signal: AbortSignal,
  ): Promise<PolledBatch | undefined> {
    const ctx = this.#ctx;
    const cred = s.cred;
    if (!cred || s.removed) return undefined;
    const wait = cred.probeNow ? 0 : cred.retryAt - ctx.now();
    if (wait > 0) {
      try {
        await sleep(Math.min(wait, deadline - ctx.now()), signal);
      } catch {
        return undefined;
      }
      if (ctx.now() >= deadline) return undefined;
    }
    cred.probeNow = false;
    const timeoutMs = Math.max(
      1,
      Math.min(deadline - ctx.now(), (cred.longPollMs ?? 35_000) + 5_000),
    );
    const from = cred.cursor;
    let resp;
    try {
      resp = await this.#registry.apiFor(cred).getUpdates(from, { timeoutMs, signal });
    } catch (err) {
      if (signal.aborted) return undefined;
      if (err instanceof SessionExpiredError) await this.#expired(s, cred);
      else this.#noteFailure(s, cred, err);
      return undefined;
    }
    cred.failures = 0;
    cred.retryAt = 0;
    if (cred.expiredAt !== undefined) await this.#resumed(s, cred);
    const hint = resp.longpolling_timeout_ms;
    if (typeof hint === "number" && hint > 0) cred.longPollMs = hint;
    const messages: Message[] = [];
    const entries: unknown[] = resp.msgs ?? [];
    for (const [i, raw] of entries.entries()) {
      if (!isObject(raw)) {
        this.#skip(s, new InvalidMessageError(`Entry ${i} of msgs is not an object`));
        continue;
      }
      // Only user messages (type 1) are inbound chat; bot echoes and others are skipped.
      if (raw.message_type !== 1 || !raw.from_user_id) continue;
      let message: Message;
      try {
        message = Message.fromWire(raw, cred.bot.botId);
      } catch (err) {
        this.#skip(s, err);
        continue;
      }
      if (message.warnings) {
        ctx.logger.warn(
          `Message ${message.messageId ?? "?"} of session "${s.name}" was kept with problems: ${
            message.warnings.join("; ")
          }`,
        );
      }
      messages.push(message);
    }
    return { cred, from, cursor: resp.get_updates_buf ?? "", messages };
  }

  /**
   * The disk half of a poll: store the messages, queue the cursor and the context tokens for the
   * committer (written in the background, see `committer.ts`), then drop duplicates; returns the
   * messages to hand out. Throws when the store cannot be written: the caller then calls
   * {@linkcode Poller.rewind}.
   */
  async processBatch(s: SessionState, batch: PolledBatch): Promise<Message[]> {
    const { commits } = this.#ctx.storage;
    if (commits) {
      await this.#commitShared(s, batch, commits.commit);
    } else {
      if (batch.messages.length) {
        const store = await this.#ctx.store();
        if (store) await this.#storeReceived(store, batch.messages);
      }
      this.#committer.enqueue(s, batch.cred, batch.cursor, batch.messages);
    }
    return batch.messages.filter((m) => this.#ctx.firstSighting(m));
  }

  /**
   * Commit a batch on shared storage: messages, context tokens and cursor in one transaction,
   * written only while the cursor is still the one the batch was polled with. Throws
   * {@linkcode CursorMovedError} when another poller moved it (the caller rewinds, and polls again
   * from the cursor that poller committed).
   */
  async #commitShared(
    s: SessionState,
    batch: PolledBatch,
    commit: NonNullable<ClientContext["storage"]["commits"]>["commit"],
  ): Promise<void> {
    const { cred } = batch;
    const outcome = await commit({
      session: s.name,
      token: cred.bot.token,
      from: batch.from,
      cursor: batch.cursor,
      messages: batch.messages,
      nowSec: this.#ctx.now() / 1000,
    });
    if (outcome.kind === "moved") {
      cred.committedCursor = outcome.cursor;
      batch.from = outcome.cursor;
      throw new CursorMovedError(s.name);
    }
    if (outcome.kind === "committed") {
      if (batch.cursor) cred.committedCursor = batch.cursor;
      s.ownStamp = outcome.raw;
      if (s.contexts) {
        const pairs: (readonly [string, string])[] = [];
        for (const m of batch.messages) {
          if (m.contextToken) pairs.push([m.fromUser, m.contextToken]);
        }
        recordInboundBatch(s.contexts, pairs, this.#ctx.now() / 1000);
      }
    }
  }

  /**
   * A batch could not be processed: poll again from the cursor it was polled with, after a
   * pause, so its messages are fetched again rather than skipped.
   */
  rewind(s: SessionState, batch: PolledBatch, err: unknown): void {
    batch.cred.cursor = batch.from;
    // Another poller has the session: not a failure of ours, and no pause.
    if (err instanceof CursorMovedError) return;
    this.#noteFailure(s, batch.cred, err, "Cannot process the messages of");
  }

  async #expired(s: SessionState, cred: Credentials): Promise<void> {
    const { logger } = this.#ctx;
    let news: boolean;
    try {
      news = await this.#registry.markExpired(s, cred);
    } catch (err) {
      logger.warn(`Cannot record the expiry of session "${s.name}": ${errorText(err)}`);
      news = cred.probes <= 1;
    }
    const retryIn = formatDelay(cred.retryAt - this.#ctx.now());
    if (news) {
      logger.error(
        `Session "${s.name}" (bot ${cred.bot.botId}) expired: the server answered -14. Log in ` +
          `again (weilink login ${s.name}); meanwhile the token is tried again in ${retryIn}, ` +
          "then with growing pauses up to an hour",
      );
      this.#ctx.emit({ type: "session_expired", session: s.name, botId: cred.bot.botId });
    } else {
      logger.debug(`Session "${s.name}" is still expired; next probe in ${retryIn}`);
    }
  }

  async #resumed(s: SessionState, cred: Credentials): Promise<void> {
    try {
      await this.#registry.markResumed(s, cred);
    } catch (err) {
      this.#ctx.logger.warn(
        `Cannot record that session "${s.name}" works again: ${errorText(err)}`,
      );
    }
    this.#ctx.logger.info(
      `Session "${s.name}" (bot ${cred.bot.botId}) works again: the server accepts its token`,
    );
    this.#ctx.emit({ type: "session_resumed", session: s.name, botId: cred.bot.botId });
  }

  #noteFailure(s: SessionState, cred: Credentials, err: unknown, what = "Polling"): void {
    const { retry, logger } = this.#ctx;
    cred.failures++;
    const delay = cred.failures >= retry.longAfter
      ? retry.longMs
      : Math.min(retry.shortMs * 2 ** (cred.failures - 1), retry.longMs);
    cred.retryAt = this.#ctx.now() + delay;
    const error = err instanceof Error ? err : new Error(String(err));
    logger.warn(
      `${what} session "${s.name}" failed (${cred.failures} in a row), retrying in ${
        formatDelay(delay)
      }: ${error.message}`,
    );
    this.#ctx.emit({ type: "poll_failed", session: s.name, error, retryInMs: delay });
  }

  #skip(s: SessionState, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#ctx.logger.warn(`Skipping a message of session "${s.name}": ${error.message}`);
    this.#ctx.emit({ type: "message_skipped", session: s.name, error });
  }

  async #fromStore(store: StoreBinding): Promise<Message[]> {
    const botIds = new Set(this.#registry.withCredentials().map((s) => s.cred!.bot.botId));
    return (await store.nextFallback(botIds)).filter((m) => this.#ctx.firstSighting(m));
  }

  /**
   * Store received messages. A message the store rejects on its own (a value it cannot encode)
   * is logged and handed out unstored rather than holding up the rest; a failure of the
   * database itself is thrown, so the batch is fetched again later.
   */
  async #storeReceived(store: StoreBinding, messages: Message[]): Promise<void> {
    try {
      await store.storeReceived(messages);
      return;
    } catch (err) {
      if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
    }
    for (const m of messages) {
      try {
        await store.storeReceived([m]);
      } catch (err) {
        if (!(err instanceof TypeError || err instanceof RangeError)) throw err;
        this.#ctx.logger.warn(`Cannot store message ${m.messageId ?? "?"}: ${errorText(err)}`);
      }
    }
  }
}

/**
 * Another poller moved a session's cursor past the one a batch was polled with: the batch was
 * not written (that poller stored it), and polling goes on from the moved cursor.
 */
export class CursorMovedError extends Error {
  /** For the session named. */
  constructor(session: string) {
    super(`Another client polls session "${session}": its cursor moved`);
    this.name = "CursorMovedError";
  }
}

/**
 * Wait up to `ms` for another client to announce stored messages (shared storage), or for the
 * time to pass; rejects when `signal` aborts.
 */
export async function waitForRows(
  storage: ClientContext["storage"],
  ms: number,
  signal?: AbortSignal,
): Promise<void> {
  const woken = new AbortController();
  const off = storage.onMessages(() => woken.abort());
  try {
    await sleep(ms, signal ? AbortSignal.any([signal, woken.signal]) : woken.signal);
  } catch (err) {
    if (!woken.signal.aborted) throw err;
  } finally {
    off();
  }
}

/** `250 ms`, `2 s`, `5 min`: a pause as a person reads it. */
export function formatDelay(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 120_000) return `${Math.round(ms / 100) / 10} s`;
  return `${Math.round(ms / 60_000)} min`;
}
