/**
 * Named consumers: readers of received messages with a durable position of their own, so that
 * each of them sees every message once — across restarts, and whichever process polls.
 *
 * A consumer reads the message store, not the network: when the poll lock is free it polls (which
 * stores what arrives), and while another process polls it reads what that process stored. Its
 * position is the row id of the last message it acknowledged, kept in
 * `<data dir>/.consumers/<name>.json` (mode 0600; the Python original ignores the folder). A batch
 * is acknowledged explicitly ({@linkcode Consumer.ack}), or by asking for the next one; a reader
 * that dies before acknowledging gets the batch again: at least once, never lost. One process at
 * a time reads a given consumer (`<name>.lock`), so two readers of one name never share a batch.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

import type { Message } from "../models/mod.ts";
import { sleep } from "../protocol/sleep.ts";
import type { ClientContext } from "./client_context.ts";
import { type Poller, waitForRows } from "./poller.ts";
import type { ConsumerLock } from "./storage.ts";
import type { StoreBinding } from "./store_binding.ts";
import type { RecvOptions } from "./types.ts";

/** Most messages one `recv()` of a consumer returns. */
const PAGE = 1000;
/** How often a consumer looks at the store while another process polls. */
const WATCH_MS = 100;
const DEFAULT_TIMEOUT_S = 35;
const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * A named reader of received messages with a durable position; from {@linkcode WeiLink.consumer}.
 *
 * @example Read every message once, across restarts (here from the embedded sandbox)
 * ```ts
 * import { WeiLink } from "@weilink/core";
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const basePath = await Deno.makeTempDir();
 * const options = { basePath, baseUrl: sandbox.baseUrl, messageStore: true, logger: "silent" } as const;
 * {
 *   await using wl = new WeiLink(options);
 *   const login = wl.login({ onQr: () => {} });
 *   await sandbox.confirmLogin();
 *   await login;
 *   await sandbox.injectMessage({ text: "one" });
 *   const inbox = wl.consumer("my-script");
 *   console.log((await inbox.recv({ timeout: 5 })).map((m) => m.text)); // [ "one" ]
 *   await inbox.ack(); // handled: never handed out again
 * }
 * // A later run (a new process, say) goes on from the acknowledged position.
 * await using wl = new WeiLink(options);
 * await sandbox.injectMessage({ text: "two" });
 * console.log((await wl.consumer("my-script").recv({ timeout: 5 })).map((m) => m.text)); // [ "two" ]
 * await sandbox.close();
 * ```
 */
export class Consumer {
  /** The consumer's name. */
  readonly name: string;
  readonly #ctx: ClientContext;
  readonly #poller: Poller;
  readonly #dispatching: () => boolean;
  readonly #lock: ConsumerLock;
  #locked = false;
  #released = false;
  /** Acknowledged position, once read. */
  #position: number | undefined;
  /** Row id of the last message handed out and not acknowledged yet. */
  #pending: number | undefined;

  /** @internal Created by the client. */
  constructor(ctx: ClientContext, poller: Poller, name: string, dispatching: () => boolean) {
    if (typeof name !== "string" || !CONSUMER_NAME.test(name)) {
      throw new TypeError(
        `Invalid consumer name "${name}": use 1-64 letters, digits, ".", "_" or "-"`,
      );
    }
    this.name = name;
    this.#ctx = ctx;
    this.#poller = poller;
    this.#dispatching = dispatching;
    this.#lock = ctx.storage.positions.lock(name);
  }

  /** Where the position is kept: the position file, or the database table and row. */
  get path(): string {
    return this.#ctx.storage.positions.where(this.name);
  }

  /**
   * The received messages after this consumer's position, waiting up to `timeout` seconds for
   * some. The previous batch, if not acknowledged yet, is acknowledged first. Polls when the poll
   * lock is free; otherwise follows what another process stores. Resolves `[]` when the timeout
   * passes first, or when another process is reading this consumer all that time.
   *
   * @throws {TypeError} When the client has no message store.
   * @throws {NotLoggedInError | SessionExpiredError} As `WeiLink.recv`, when this process polls.
   */
  async recv(options: RecvOptions = {}): Promise<Message[]> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    this.#assertOpen();
    const timeoutS = options.timeout ?? DEFAULT_TIMEOUT_S;
    if (!(timeoutS >= 0)) {
      throw new RangeError(`Invalid timeout ${timeoutS}: expected seconds >= 0`);
    }
    const { signal } = options;
    const store = await this.#store();
    const deadline = ctx.now() + timeoutS * 1000;
    if (!(await this.#acquire(deadline, signal))) return [];
    if (this.#pending !== undefined) await this.ack();
    const position = this.#position ??= await this.#load(store);
    for (;;) {
      signal?.throwIfAborted();
      const rows = await store.receivedAfter(position, PAGE);
      if (rows.length > 0) {
        this.#pending = rows[rows.length - 1]!.rowid;
        return rows.map((r) => r.message);
      }
      const left = deadline - ctx.now();
      if (left <= 0) return [];
      // Poll when nobody else does; what arrives lands in the store and is read above.
      if (!this.#dispatching() && await this.#poller.pollOnce(deadline, signal)) continue;
      if (ctx.shared) await waitForRows(ctx.storage, Math.min(left, ctx.watchIntervalMs), signal);
      else await sleep(Math.min(left, WATCH_MS), signal);
    }
  }

  /** Acknowledge the last batch: the position moves past it, durably. */
  async ack(): Promise<void> {
    (await this.prepareAck())();
  }

  /**
   * Write the position past the last batch to a temporary file (fsynced) and return a function
   * that makes it the position with one rename. Call that function right after the batch has been
   * handled (printed, flushed): a crash before it repeats the batch, one after it never does, and
   * the window in between is a single system call.
   */
  async prepareAck(): Promise<() => void> {
    this.#assertOpen();
    const rowid = this.#pending;
    if (rowid === undefined) return () => {};
    const { storage, now } = this.#ctx;
    const commit = await storage.positions.prepare(this.name, rowid, now() / 1000);
    return () => {
      commit();
      this.#position = rowid;
      if (this.#pending === rowid) this.#pending = undefined;
    };
  }

  /**
   * Stop reading: release the consumer for other processes. A batch that was not acknowledged is
   * handed out again to the next reader.
   */
  async close(): Promise<void> {
    if (this.#released) return;
    this.#released = true;
    await this.#ctx.storage.positions.settled();
    if (this.#locked) await this.#lock.unlock();
    this.#locked = false;
    this.#lock.release();
  }

  async #store(): Promise<StoreBinding> {
    const store = await this.#ctx.store();
    if (!store) {
      throw new TypeError(
        `Cannot read consumer "${this.name}": it needs the message store ` +
          "(new WeiLink({ messageStore: true }))",
      );
    }
    return store;
  }

  /** Take the consumer's lock (kept until `close()`), waiting up to the deadline. */
  async #acquire(deadline: number, signal?: AbortSignal): Promise<boolean> {
    while (!this.#locked) {
      if (await this.#lock.tryLock()) {
        this.#locked = true;
        break;
      }
      const left = deadline - this.#ctx.now();
      if (left <= 0) {
        this.#ctx.logger.debug(`Consumer "${this.name}" is being read by another process`);
        return false;
      }
      await sleep(Math.min(left, WATCH_MS), signal);
    }
    return true;
  }

  /** The acknowledged position, or where a new consumer starts: the last minute's messages. */
  async #load(store: StoreBinding): Promise<number> {
    return await this.#ctx.storage.positions.load(this.name) ??
      await store.startPosition(this.#ctx.fallbackWindowS * 1000);
  }

  #assertOpen(): void {
    if (this.#released) throw new WeiLinkError(`Cannot use consumer "${this.name}": it is closed`);
  }
}
