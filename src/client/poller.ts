/**
 * Receiving: long polls of every session, cursor and context-token commits, failure accounting,
 * duplicate filtering, and the cooperative fallback that reads the message store while another
 * process holds the poll lock.
 *
 * @module
 */

import { SessionExpiredError } from "../protocol/mod.ts";
import { type BotInfo, Message } from "../models.ts";
import { recordInboundBatch } from "./context_state.ts";
import { commitInOrder, type ContextsFile, errorText, type PreparedWrite } from "./data_dir.ts";
import { NotLoggedInError } from "./errors.ts";
import { sleep } from "./login.ts";
import type { ClientContext } from "./client_context.ts";
import type { SessionRegistry, SessionState } from "./session_registry.ts";
import type { StoreBinding } from "./store_binding.ts";

/** One `getupdates` answer, parsed, waiting to be committed. */
export interface PolledBatch {
  bot: BotInfo;
  cursor: string;
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

  /** Creates the poller of a client. */
  constructor(ctx: ClientContext, registry: SessionRegistry) {
    this.#ctx = ctx;
    this.#registry = registry;
  }

  /**
   * `recv()` without the dispatcher: poll every session under the poll lock, or read what another
   * process stored while it holds the lock.
   */
  async recv(timeoutMs: number, signal?: AbortSignal): Promise<Message[]> {
    const ctx = this.#ctx;
    const store = await ctx.store();
    const deadline = ctx.now() + timeoutMs;
    for (;;) {
      signal?.throwIfAborted();
      if (await ctx.pollLock.tryLock()) {
        try {
          return await this.#pollAll(deadline, signal);
        } finally {
          await ctx.pollLock.unlock();
        }
      }
      if (store) {
        const fallback = this.#fromStore(store);
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

  /** Poll every usable session once, in parallel; called with the poll lock held. */
  async #pollAll(deadline: number, signal?: AbortSignal): Promise<Message[]> {
    this.#registry.refreshFromDisk();
    const active = this.#registry.usable();
    if (active.length === 0) {
      throw new NotLoggedInError(
        this.#registry.all().some((s) => s.bot)
          ? "Not logged in: every session has expired, log in again"
          : undefined,
      );
    }
    const early = new AbortController();
    let grace: ReturnType<typeof setTimeout> | undefined;
    const onAbort = () => early.abort(signal?.reason);
    signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const settled = await Promise.allSettled(active.map(async (s) => {
        const msgs = await this.#pollSession(s, deadline, early.signal);
        // Other polls may stop after a short grace (so messages that are already on their way
        // come back together); whatever they have not received stays behind their cursor.
        if (msgs.length > 0 && grace === undefined) {
          grace = setTimeout(() => early.abort(new EarlyReturn()), EARLY_RETURN_GRACE_MS);
        }
        return msgs;
      }));
      clearTimeout(grace);
      const messages: Message[] = [];
      const errors: unknown[] = [];
      for (const r of settled) {
        if (r.status === "fulfilled") messages.push(...r.value);
        else errors.push(r.reason);
      }
      if (messages.length === 0 && signal?.aborted) throw signal.reason;
      if (messages.length === 0 && errors.length === active.length && errors.length > 0) {
        throw errors[0];
      }
      return messages;
    } finally {
      clearTimeout(grace);
      signal?.removeEventListener("abort", onAbort);
    }
  }

  /**
   * One long poll of one session: backoff wait, `getupdates` bounded by `deadline`, then commit the
   * cursor and context tokens under the data lock. Aborts resolve to `[]`.
   */
  async #pollSession(s: SessionState, deadline: number, signal: AbortSignal): Promise<Message[]> {
    const batch = await this.fetchBatch(s, deadline, signal);
    return batch ? await this.processBatch(s, batch) : [];
  }

  /**
   * The network half of a poll: backoff wait, then `getupdates` bounded by `deadline`. The new
   * cursor is taken in memory at once (this process holds the poll lock); it reaches disk in
   * `processBatch`. Aborts resolve to `undefined`.
   */
  async fetchBatch(
    s: SessionState,
    deadline: number,
    signal: AbortSignal,
  ): Promise<PolledBatch | undefined> {
    const ctx = this.#ctx;
    const bot = s.bot;
    if (!bot) return undefined;
    const wait = s.retryAt - ctx.now();
    if (wait > 0) {
      try {
        await sleep(Math.min(wait, deadline - ctx.now()), signal);
      } catch {
        return undefined;
      }
      if (ctx.now() >= deadline) return undefined;
    }
    const timeoutMs = Math.max(
      1,
      Math.min(deadline - ctx.now(), (s.longPollMs ?? 35_000) + 5_000),
    );
    let resp;
    try {
      resp = await this.#registry.apiFor(s).getUpdates(s.cursor, { timeoutMs, signal });
    } catch (err) {
      if (signal.aborted) return undefined;
      if (err instanceof SessionExpiredError) {
        await this.expireSession(s, bot);
        throw err;
      }
      this.#noteFailure(s, err);
      throw err;
    }
    s.failures = 0;
    s.retryAt = 0;
    const hint = resp.longpolling_timeout_ms;
    if (typeof hint === "number" && hint > 0) s.longPollMs = hint;
    const messages: Message[] = [];
    for (const raw of resp.msgs ?? []) {
      // Only user messages (type 1) are inbound chat; bot echoes and others are skipped.
      if (raw.message_type !== 1 || !raw.from_user_id) continue;
      messages.push(Message.fromWire(raw, bot.botId));
    }
    const cursor = resp.get_updates_buf ?? "";
    if (cursor) s.cursor = cursor;
    return { bot, cursor, messages };
  }

  /**
   * The disk half of a poll: persist cursor and context tokens (one data-lock section for any
   * number of batches), drop duplicates, store; returns the messages to hand out.
   */
  async processBatch(s: SessionState, batch: PolledBatch): Promise<Message[]> {
    await this.#commitPoll(s, batch.bot, batch.cursor, batch.messages);
    const fresh = batch.messages.filter((m) => this.#ctx.firstSighting(m));
    if (fresh.length) await this.#storeReceived(fresh);
    return fresh;
  }

  /** Persist the new cursor (only when non-empty) and the received context tokens. */
  async #commitPoll(
    s: SessionState,
    bot: BotInfo,
    cursor: string,
    messages: Message[],
  ): Promise<void> {
    const { dir, dataLock } = this.#ctx;
    const nowSec = this.#ctx.now() / 1000;
    await dataLock.withLock(async () => {
      const disk = dir.readToken(s.name);
      if (!disk) {
        // Logged out by another process while we polled.
        s.bot = undefined;
        return;
      }
      let writeCursor = false;
      if (disk.token !== bot.token) {
        // Re-logged in elsewhere: adopt the new credentials and their cursor, drop ours.
        this.#registry.adoptToken(s, disk);
        if (disk.bot_id !== bot.botId) return;
      } else if (cursor && cursor !== disk.cursor) {
        disk.cursor = cursor;
        writeCursor = true;
      }
      // Both files are fsynced in parallel, then renamed contexts first: a crash in between
      // leaves the old cursor, so the batch is fetched again with its tokens, never skipped
      // with its tokens lost.
      const writes: Promise<PreparedWrite>[] = [];
      let contexts: ContextsFile | undefined;
      if (messages.some((m) => m.contextToken)) {
        contexts = dir.readContexts(s.name);
        recordInboundBatch(
          contexts,
          messages.filter((m) => m.contextToken).map((m) => [m.fromUser, m.contextToken] as const),
          nowSec,
        );
        writes.push(dir.prepareContexts(s.name, contexts));
      }
      if (writeCursor) writes.push(dir.prepareToken(s.name, disk));
      await commitInOrder(writes);
      if (contexts) s.contexts = contexts;
    });
  }

  /** `-14`: stop polling the session, clear its cursor and context tokens, tell the owner. */
  async expireSession(s: SessionState, bot: BotInfo): Promise<void> {
    await this.#registry.expire(s, bot);
    this.#ctx.logger.error(
      `Session "${s.name}" (bot ${bot.botId}) expired: its polling stopped, log in again`,
    );
    this.#ctx.emit({ type: "session_expired", session: s.name, botId: bot.botId });
  }

  #noteFailure(s: SessionState, err: unknown): void {
    const { retry, logger } = this.#ctx;
    s.failures++;
    let delay = retry.shortMs;
    if (s.failures >= retry.longAfter) {
      delay = retry.longMs;
      s.failures = 0;
    }
    s.retryAt = this.#ctx.now() + delay;
    const error = err instanceof Error ? err : new Error(String(err));
    logger.warn(`Polling session "${s.name}" failed, retrying in ${delay} ms: ${error.message}`);
    this.#ctx.emit({ type: "poll_failed", session: s.name, error, retryInMs: delay });
  }

  #fromStore(store: StoreBinding): Message[] {
    const botIds = new Set(
      this.#registry.all().filter((s) => s.bot).map((s) => s.bot!.botId),
    );
    return store.nextFallback(botIds).filter((m) => this.#ctx.firstSighting(m));
  }

  async #storeReceived(messages: Message[]): Promise<void> {
    const store = await this.#ctx.store();
    if (!store) return;
    try {
      store.storeReceived(messages);
    } catch (err) {
      this.#ctx.logger.warn(
        `Cannot store ${messages.length} received message(s): ${errorText(err)}`,
      );
    }
  }
}
