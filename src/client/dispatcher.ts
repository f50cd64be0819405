/**
 * The dispatcher: polls every session in the background, runs the `onMessage` handlers one message
 * at a time, buffers messages for `recv()`, stores batches together under a backlog, slows polling
 * down when handlers fall behind, and stands by (watching the message store) while another process
 * holds the poll lock.
 *
 * It runs until stopped. Expired sessions go on being probed with growing pauses (and resume when
 * the server accepts their token again, or when a new login replaces it); sessions logged in by
 * another process are picked up.
 *
 * @module
 */

import { AsyncLocalStorage } from "node:async_hooks";
import type { Message } from "../models/mod.ts";
import { errorText } from "./data_dir.ts";
import { sleep } from "../protocol/sleep.ts";
import { MessageQueue } from "./message_queue.ts";
import type { ClientContext } from "./client_context.ts";
import type { SessionRegistry, SessionState } from "./session_registry.ts";
import { CursorMovedError, type PolledBatch, type Poller } from "./poller.ts";
import type { DispatchOptions, ErrorHandler, MessageHandler } from "./types.ts";

/** Default long-poll timeout per dispatcher cycle, in seconds. */
const DEFAULT_POLL_TIMEOUT_S = 35;
/** Polled messages the dispatcher may hold ahead of its handlers before polling waits. */
const MAX_PENDING_MESSAGES = 5_000;
/**
 * Minimum time between the starts of two store writes of one session under a backlog. A store
 * transaction has a fixed cost, so the batches polled meanwhile are stored together.
 */
const GROUP_COMMIT_MS = 10;
/**
 * A backlog: at least this many messages in more than one batch waiting for the worker. Below it
 * (a lone batch, or the small batches of live traffic) the worker stores at once, so latency
 * stays low when messages arrive one by one.
 */
const GROUP_COMMIT_MIN_MESSAGES = 100;
/** Dropped messages of the `recv()` buffer are reported at most this often (then summed up). */
const DROP_REPORT_MS = 10_000;
/**
 * How often a dispatcher on shared storage tries to claim the accounts nobody polls: a worker
 * that died is replaced within about this long after PostgreSQL frees its locks.
 */
const CLAIM_RETRY_MS = 1_500;

interface Run {
  controller: AbortController;
  pollTimeoutMs: number;
  /** Only these accounts (session names or bot ids); all when undefined. */
  accounts: Set<string> | undefined;
  /** Dispatch what other clients poll (shared storage). */
  followOthers: boolean;
  loops: Map<SessionState, Promise<void>>;
  /** Aborts the poll in flight of a session (to probe it again at once). */
  restartPoll: Map<SessionState, () => void>;
  primary: boolean;
  done: Promise<void>;
  wake: () => void;
  wakeSignal: Promise<void>;
}

/** Set while a handler runs, so that `stop()` called by a handler does not wait for itself. */
const inHandler = new AsyncLocalStorage<boolean>();

/** Background polling and handler dispatch of one client. */
export class Dispatcher {
  readonly #ctx: ClientContext;
  readonly #registry: SessionRegistry;
  readonly #poller: Poller;
  readonly #handlers: MessageHandler[] = [];
  readonly #errorHandlers: ErrorHandler[] = [];
  readonly #queue: MessageQueue<Message>;
  #run: Run | undefined;
  #dispatchChain: Promise<void> = Promise.resolve();
  #dropTimer: ReturnType<typeof setTimeout> | undefined;
  #droppedTotal = 0;

  /** Creates the dispatcher of a client; `queueMaxSize` bounds the buffer that feeds `recv()`. */
  constructor(
    ctx: ClientContext,
    registry: SessionRegistry,
    poller: Poller,
    queueMaxSize: number,
  ) {
    this.#ctx = ctx;
    this.#registry = registry;
    this.#poller = poller;
    this.#queue = new MessageQueue(queueMaxSize);
    registry.onProbeRequest = (s) => this.#run?.restartPoll.get(s)?.();
  }

  /** Whether the dispatcher is running. */
  get running(): boolean {
    return this.#run !== undefined;
  }

  /** Messages buffered for `recv()` while the dispatcher runs. */
  take(timeoutMs: number, signal?: AbortSignal): Promise<Message[]> {
    return this.#queue.take(timeoutMs, signal);
  }

  /** Wake the main loop, so it picks up a session logged in meanwhile. */
  wake(): void {
    this.#run?.wake();
  }

  /** See `WeiLink.onMessage`. */
  onMessage(handler: MessageHandler): () => void {
    if (typeof handler !== "function") throw new TypeError("Invalid handler: expected a function");
    this.#handlers.push(handler);
    return () => {
      const i = this.#handlers.indexOf(handler);
      if (i >= 0) this.#handlers.splice(i, 1);
    };
  }

  /** See `WeiLink.onError`. */
  onError(handler: ErrorHandler): () => void {
    if (typeof handler !== "function") throw new TypeError("Invalid handler: expected a function");
    this.#errorHandlers.push(handler);
    return () => {
      const i = this.#errorHandlers.indexOf(handler);
      if (i >= 0) this.#errorHandlers.splice(i, 1);
    };
  }

  /** See `WeiLink.runBackground`. */
  async start(options: DispatchOptions = {}): Promise<void> {
    // A run that is stopping (stop() called from a handler returns before it ends) finishes first.
    while (this.#run?.controller.signal.aborted) await this.#run.done;
    if (this.#run) return;
    let wake!: () => void;
    const d: Run = {
      controller: new AbortController(),
      pollTimeoutMs: (options.pollTimeout ?? DEFAULT_POLL_TIMEOUT_S) * 1000,
      accounts: options.accounts?.length ? new Set(options.accounts) : undefined,
      followOthers: options.followOthers ?? true,
      loops: new Map(),
      restartPoll: new Map(),
      primary: false,
      done: Promise.resolve(),
      wake: () => wake(),
      wakeSignal: new Promise((r) => (wake = r)),
    };
    d.wake = () => {
      const w = wake;
      d.wakeSignal = new Promise((r) => (wake = r));
      w();
    };
    this.#run = d;
    if (this.#ctx.shared) {
      await this.#ctx.storage.ready;
      d.done = this.#runShared(d);
      return;
    }
    const acquired = await this.#ctx.pollLock.tryLock();
    d.done = this.#runDispatcher(d, acquired);
  }

  /** Resolves once the running dispatcher (if any) has stopped. */
  async finished(): Promise<void> {
    await this.#run?.done;
  }

  /**
   * See `WeiLink.stop`. Called from a handler, it stops the dispatcher and returns at once: the
   * dispatcher finishes once that handler returns (waiting for it there would wait forever).
   */
  async stop(): Promise<void> {
    const d = this.#run;
    if (!d) return;
    d.controller.abort();
    if (inHandler.getStore()) return;
    await d.done;
  }

  /** Whether the caller runs inside an `onMessage` handler of this process. */
  get inHandler(): boolean {
    return inHandler.getStore() === true;
  }

  /** Run `fn` once the dispatcher has stopped, outside the context of the calling handler. */
  afterStop(fn: () => Promise<void>): void {
    inHandler.run(false, () => void this.finished().then(fn));
  }

  /** Wake everyone waiting in `take()` (used on shutdown). */
  wakeAll(): void {
    this.#queue.wakeAll();
  }

  async #runDispatcher(d: Run, acquired: boolean): Promise<void> {
    const ctx = this.#ctx;
    const signal = d.controller.signal;
    try {
      if (!acquired) {
        acquired = await this.#standBy(d);
        if (!acquired) return;
      }
      d.primary = true;
      ctx.emit({ type: "dispatcher_role", role: "primary" });
      ctx.logger.debug("Dispatcher polling (poll lock held)");
      while (!signal.aborted) {
        this.#registry.sync();
        for (const s of this.#registry.withCredentials()) {
          if (!d.loops.has(s)) {
            const loop = this.#sessionLoop(d, s).finally(() => {
              d.loops.delete(s);
              d.wake();
            });
            d.loops.set(s, loop);
          }
        }
        // Re-check periodically too, to pick up sessions logged in by another process. The timer is
        // cancelled as soon as the wait ends, so a stopped dispatcher leaves nothing behind that
        // would keep the process alive.
        const waitEnded = new AbortController();
        const tick = sleep(ctx.watchIntervalMs * 5, AbortSignal.any([signal, waitEnded.signal]))
          .catch(() => {});
        await Promise.race([d.wakeSignal, tick]);
        waitEnded.abort();
      }
    } catch (err) {
      ctx.logger.error(`Dispatcher failed: ${errorText(err)}`);
    } finally {
      d.controller.abort();
      await Promise.allSettled(d.loops.values());
      await this.#dispatchChain;
      if (acquired) await ctx.pollLock.unlock();
      if (this.#run === d) this.#run = undefined;
      this.#queue.wakeAll();
      this.#flushDrops();
      ctx.emit({ type: "dispatcher_stopped", reason: "stopped" });
    }
  }

  /**
   * Wait for the poll lock held by another process, watching the store meanwhile (when enabled).
   * Resolves `true` once the lock is ours, `false` when the dispatcher is stopped first.
   */
  async #standBy(d: Run): Promise<boolean> {
    const ctx = this.#ctx;
    const signal = d.controller.signal;
    const store = await ctx.store();
    ctx.emit({ type: "dispatcher_role", role: store ? "store_watcher" : "standby" });
    ctx.logger.info(
      store
        ? "Another process is polling: watching the message store until the poll lock frees"
        : "Another process is polling: standing by until the poll lock frees",
    );
    let mark = store ? await store.maxRowId() : 0;
    const watch = async () => {
      if (!store) return;
      const { messages, maxRowId } = await store.receivedSince(mark);
      mark = maxRowId;
      const fresh = messages.filter((m) => ctx.firstSighting(m));
      if (fresh.length) await this.#dispatch(fresh);
    };
    while (!signal.aborted) {
      if (await ctx.pollLock.tryLock()) {
        // Rows the previous poller stored just before it let go.
        await watch();
        ctx.logger.info("Poll lock acquired: taking over polling");
        return true;
      }
      await watch();
      try {
        await sleep(ctx.watchIntervalMs, signal);
      } catch {
        break;
      }
    }
    return false;
  }

  /**
   * The dispatcher on shared storage (PostgreSQL): each account is polled by the one client that
   * holds its claim. Every `CLAIM_RETRY_MS` the accounts nobody polls are claimed; a session loop
   * ends when its claim is lost (connection gone) or another client moved its cursor, and the
   * claim is released. Messages other clients poll are dispatched from the store as they are
   * announced (unless `followOthers` is off, as for a worker).
   */
  async #runShared(d: Run): Promise<void> {
    const ctx = this.#ctx;
    const { storage } = ctx;
    const signal = d.controller.signal;
    const stops = new Map<SessionState, AbortController>();
    const offLost = storage.claims.onLost((lost) => {
      for (const [s, stop] of stops) if (lost.has(s.cred?.bot.botId ?? "")) stop.abort();
      ctx.logger.warn(`Lost the claims of ${lost.size} account(s): the database connection broke`);
    });
    const offRows = storage.onMessages(() => d.wake());
    const wanted = (s: SessionState) =>
      !d.accounts || d.accounts.has(s.name) || d.accounts.has(s.cred?.bot.botId ?? "");
    let mark: number | undefined;
    try {
      d.primary = true;
      ctx.emit({ type: "dispatcher_role", role: "primary" });
      const store = d.followOthers ? await ctx.store() : undefined;
      mark = await store?.maxRowId();
      while (!signal.aborted) {
        try {
          await storage.refresh();
          this.#registry.sync();
          const mine = this.#registry.withCredentials().filter(wanted);
          // A fair share each: new workers get accounts from the busy ones, which let go of
          // what they hold beyond their share (another worker claims it in its next round).
          const peers = await storage.claims.peers?.() ?? 1;
          const share = Math.ceil(mine.length / peers);
          const running = [...stops.entries()].filter(([, stop]) => !stop.signal.aborted);
          for (const [, stop] of running.slice(share)) stop.abort();
          const room = Math.max(0, share - running.length);
          const free = shuffled(mine.filter((s) => !d.loops.has(s))).slice(0, room);
          const held = free.length
            ? await storage.claims.claim(free.map((s) => s.cred!.bot.botId))
            : new Set<string>();
          // The cursors committed by whoever polled these accounts until now.
          if (free.some((s) => held.has(s.cred!.bot.botId))) await storage.refresh();
          for (const s of free) {
            const botId = s.cred!.bot.botId;
            if (!held.has(botId)) continue;
            // Start from the cursor committed by whoever polled the account last.
            const committed = storage.records.read(s.name)?.cursor;
            if (committed !== undefined) {
              s.cred!.cursor = committed;
              s.cred!.committedCursor = committed;
            }
            ctx.logger.info(`Polling session "${s.name}" (bot ${botId}): claimed`);
            ctx.emit({ type: "account_claimed", session: s.name, botId });
            const stop = new AbortController();
            stops.set(s, stop);
            const loop = this.#sessionLoop(d, s, stop).finally(async () => {
              d.loops.delete(s);
              stops.delete(s);
              await storage.claims.release([botId]);
              ctx.emit({ type: "account_released", session: s.name, botId });
              d.wake();
            });
            d.loops.set(s, loop);
          }
          if (store && mark !== undefined) {
            const { messages, maxRowId } = await store.receivedSince(mark);
            mark = maxRowId;
            const fresh = messages.filter((m) => ctx.firstSighting(m));
            if (fresh.length) await this.#dispatch(fresh);
          }
        } catch (err) {
          ctx.logger.warn(`Dispatcher round failed, retrying: ${errorText(err)}`);
        }
        const waitEnded = new AbortController();
        const tick = sleep(CLAIM_RETRY_MS, AbortSignal.any([signal, waitEnded.signal]))
          .catch(() => {});
        await Promise.race([d.wakeSignal, tick]);
        waitEnded.abort();
      }
    } finally {
      d.controller.abort();
      await Promise.allSettled(d.loops.values());
      await this.#dispatchChain;
      offLost();
      offRows();
      await storage.claims.release();
      if (this.#run === d) this.#run = undefined;
      this.#queue.wakeAll();
      this.#flushDrops();
      ctx.emit({ type: "dispatcher_stopped", reason: "stopped" });
    }
  }

  async #sessionLoop(d: Run, s: SessionState, stop?: AbortController): Promise<void> {
    const ctx = this.#ctx;
    const signal = stop ? AbortSignal.any([d.controller.signal, stop.signal]) : d.controller.signal;
    const first = s.cred;
    if (first?.expiredAt === undefined && first) {
      await this.#registry.apiFor(first).notifyStart().catch(() => {});
    }
    // Polls run back to back: the next poll goes out as soon as a batch arrives, so the server
    // prepares it while this one is stored and dispatched by the worker. Batches that pile up
    // while the worker is busy are stored together (one transaction), and under a backlog the
    // worker lets them gather for GROUP_COMMIT_MS between store writes. Cursors and context tokens
    // are written by the committer in the background.
    let pending: PolledBatch[] = [];
    let pendingMessages = 0;
    let lastCommit = -Infinity;
    let worker: Promise<void> | undefined;
    // Bumped when batches are thrown away (a failed store write): a poll already out with a
    // cursor past them is dropped too, and polling starts again before them.
    let generation = 0;
    let pollAbort = new AbortController();
    d.restartPoll.set(s, () => pollAbort.abort());
    const drain = async () => {
      while (pending.length) {
        // Several batches waiting means polling outpaces storing: a backlog. Let more gather.
        const wait = lastCommit + GROUP_COMMIT_MS - ctx.now();
        if (
          pending.length > 1 && pendingMessages >= GROUP_COMMIT_MIN_MESSAGES && wait > 0 &&
          pendingMessages < MAX_PENDING_MESSAGES && !signal.aborted
        ) {
          await sleep(wait, signal).catch(() => {});
        }
        lastCommit = ctx.now();
        const batches = pending;
        pending = [];
        pendingMessages = 0;
        const merged: PolledBatch = {
          cred: batches[0]!.cred,
          from: batches[0]!.from,
          cursor: batches.findLast((b) => b.cursor)?.cursor ?? "",
          messages: batches.flatMap((b) => b.messages),
        };
        let fresh: Message[];
        try {
          fresh = await this.#poller.processBatch(s, merged);
        } catch (err) {
          generation++;
          pending = [];
          pendingMessages = 0;
          this.#poller.rewind(s, merged, err);
          pollAbort.abort();
          // Another client polls this account now: leave it to them.
          if (err instanceof CursorMovedError) stop?.abort();
          continue;
        }
        if (fresh.length) await this.#dispatch(fresh);
      }
      worker = undefined;
    };
    const polling = () => !signal.aborted && !s.removed && s.cred !== undefined;
    const poll = () => {
      if (pollAbort.signal.aborted) pollAbort = new AbortController();
      const started = generation;
      const p = this.#poller
        .fetchBatch(s, ctx.now() + d.pollTimeoutMs, AbortSignal.any([signal, pollAbort.signal]))
        .then((batch) => (started === generation ? batch : undefined));
      // Handled where it is awaited; this keeps a failure during a backpressure wait from
      // counting as an unhandled rejection meanwhile.
      p.catch(() => {});
      return p;
    };
    let next = polling() ? poll() : undefined;
    while (next) {
      let batch: PolledBatch | undefined;
      try {
        batch = await next;
      } catch (err) {
        ctx.logger.error(`Polling session "${s.name}" failed: ${errorText(err)}`);
        await sleep(ctx.retry.shortMs, signal).catch(() => {});
      }
      // The batch is accepted: the next poll continues after it.
      if (batch?.cursor) batch.cred.cursor = batch.cursor;
      next = polling() ? poll() : undefined;
      if (!batch || (batch.messages.length === 0 && !batch.cursor)) continue;
      pending.push(batch);
      pendingMessages += batch.messages.length;
      worker ??= drain();
      // Backpressure: slow handlers slow polling down instead of growing memory.
      if (pendingMessages >= MAX_PENDING_MESSAGES) await worker;
    }
    await worker;
    d.restartPoll.delete(s);
    const last = s.cred;
    if (last && last.expiredAt === undefined) {
      await this.#registry.apiFor(last).notifyStop().catch(() => {});
    }
  }

  /** Run handlers and feed the recv queue, one batch after another (order kept across sessions). */
  #dispatch(messages: Message[]): Promise<void> {
    const run = async () => {
      const handlers = [...this.#handlers];
      for (const msg of messages) {
        for (let i = 0; i < handlers.length; i++) {
          try {
            const result = inHandler.run(true, () => handlers[i]!(msg));
            // Synchronous handlers (the common case) skip a microtask turn per message.
            if (isThenable(result)) await result;
          } catch (err) {
            this.#handlerFailed(i, msg, err);
          }
        }
        if (this.#queue.push(msg) !== undefined) this.#reportDrops();
      }
    };
    this.#dispatchChain = this.#dispatchChain.then(run, run);
    return this.#dispatchChain;
  }

  /** A handler threw: tell the `onError` handlers (or log it), and emit `handler_failed`. */
  #handlerFailed(index: number, message: Message, err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.#ctx.emit({ type: "handler_failed", message, error });
    if (this.#errorHandlers.length === 0) {
      this.#ctx.logger.error(
        `Message handler #${index + 1} failed on message ${
          message.messageId ?? "?"
        }: ${error.message}`,
      );
      return;
    }
    for (const handler of this.#errorHandlers) {
      try {
        handler(error, message);
      } catch (inner) {
        this.#ctx.logger.error(`Error handler failed: ${errorText(inner)}`);
      }
    }
  }

  /**
   * The `recv()` buffer dropped messages: say how many at once, then sum further drops up and
   * report them every DROP_REPORT_MS (and when the dispatcher stops), so the total is exact.
   */
  #reportDrops(): void {
    if (this.#dropTimer !== undefined) return;
    this.#flushDrops();
    this.#dropTimer = setTimeout(() => {
      this.#dropTimer = undefined;
      if (this.#queue.droppedCount > 0) this.#reportDrops();
    }, DROP_REPORT_MS);
    // A pending report must not keep the process alive.
    Deno.unrefTimer(this.#dropTimer);
  }

  #flushDrops(): void {
    const count = this.#queue.takeDroppedCount();
    if (count === 0) return;
    this.#droppedTotal += count;
    this.#ctx.logger.warn(
      `recv() buffer full: dropped the ${count} oldest message(s) (${this.#droppedTotal} since ` +
        "start); handlers saw them all and the message store keeps them. Call recv() more " +
        'often or raise "queueMaxSize"',
    );
    this.#ctx.emit({ type: "messages_dropped", count });
  }
}

/** A copy of `items` in random order (so workers do not all reach for the same account). */
function shuffled<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Whether a handler returned something to wait for (a promise or any other thenable). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}
