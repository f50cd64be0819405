/**
 * What the parts of the client share: configuration, the storage (the data directory or
 * PostgreSQL, see `storage.ts`), the clock, the logger, the event sink, the two cross-process locks
 * of the data directory, the message store and the duplicate filter. One instance per `WeiLink`;
 * the session registry, the poller, the sender and the dispatcher each get it instead of reaching
 * into each other.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

import { DEFAULT_BASE_URL } from "../protocol/mod.ts";
import { DEFAULT_CDN_BASE_URL } from "../media/mod.ts";
import type { Message } from "../models/mod.ts";
import { DATA_LOCK_FILE, DataDir, envGet, errorText, POLL_LOCK_FILE } from "./data_dir.ts";
import { resolveBasePath } from "./data_dir.ts";
import { FileLock } from "./file_lock.ts";
import { createStderrLogger, defaultLogLevel, type Logger } from "./logger.ts";
import { RecentIds } from "./recent_ids.ts";
import type { StoreBinding } from "./store_binding.ts";
import { FileStorage } from "./file_storage.ts";
import { type ClientStorage, isPostgresUrl } from "./storage.ts";
import { PostgresStorage } from "../postgres/storage.ts";
import type { RetryPolicy, WeiLinkEvent, WeiLinkOptions } from "./types.ts";

/** Message ids remembered to drop duplicates across polls. */
const RECENT_IDS = 10_000;

/** Shared state and configuration of one client. */
export class ClientContext {
  /** The data directory. */
  readonly dir: DataDir;
  /** Where log lines go. */
  readonly logger: Logger;
  /** Clock in epoch ms. */
  readonly now: () => number;
  /** `fetch` given by the caller, if any. */
  readonly fetch: typeof fetch | undefined;
  /**
   * `fetch` for `sendmessage`: the caller's `fetch` when given, else one that opens a fresh
   * connection per request. Deno's pooled `fetch` silently sends a POST again when a reused
   * keep-alive connection closes after the server read it; a send must happen at most once.
   */
  readonly sendFetch: typeof fetch;
  #sendClient: Deno.HttpClient | undefined;
  /** API base for accounts without a stored one. */
  readonly baseUrl: string;
  /** Fixed QR login host. */
  readonly qrBaseUrl: string;
  /** CDN base. */
  readonly cdnBaseUrl: string;
  /** Extra hosts media URLs may point at (see `WeiLinkOptions.mediaHosts`). */
  readonly mediaHosts: readonly string[];
  /** Poll backoff. */
  readonly retry: RetryPolicy;
  /** Pause between QR status polls. */
  readonly loginPollIntervalMs: number;
  /** How often a standby reader checks the poll lock and the store. */
  readonly watchIntervalMs: number;
  /** Seconds of history the first cooperative-fallback read returns. */
  readonly fallbackWindowS: number;
  /** `.poll.lock`: one poller per data directory. */
  readonly pollLock: FileLock;
  /** `.data.lock`: read-modify-write of the JSON files. */
  readonly dataLock: FileLock;
  /** Ids of the messages handed out lately, to drop duplicates across polls. */
  readonly seenIds: RecentIds = new RecentIds(RECENT_IDS);
  /** Where everything is persisted. */
  readonly storage: ClientStorage;
  /** The database URL of PostgreSQL storage (a secret: never logged). */
  readonly storageUrl: string | undefined;
  readonly #onEvent: ((event: WeiLinkEvent) => void) | undefined;
  #closed = false;

  /** Resolves the options (environment fallbacks included) and opens the data directory. */
  constructor(options: WeiLinkOptions) {
    const logger = options.logger;
    this.logger = typeof logger === "object"
      ? logger
      : createStderrLogger(logger ?? defaultLogLevel());
    this.#onEvent = options.onEvent;
    this.now = options.now ?? Date.now;
    this.fetch = options.fetch;
    this.sendFetch = options.fetch ?? ((input, init) => {
      this.#sendClient ??= Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
      return fetch(input, { ...init, client: this.#sendClient });
    });
    const envBase = envGet("WEILINK_BASE_URL");
    this.baseUrl = options.baseUrl ?? envBase ?? DEFAULT_BASE_URL;
    this.qrBaseUrl = options.qrBaseUrl ?? options.baseUrl ?? envBase ?? DEFAULT_BASE_URL;
    this.cdnBaseUrl = options.cdnBaseUrl ?? envGet("WEILINK_CDN_BASE_URL") ?? DEFAULT_CDN_BASE_URL;
    this.mediaHosts = [...(options.mediaHosts ?? [])];
    this.retry = {
      shortMs: 2_000,
      longMs: 30_000,
      longAfter: 3,
      expiredFirstMs: 30_000,
      expiredMaxMs: 3_600_000,
      ...options.retry,
    };
    this.loginPollIntervalMs = options.loginPollIntervalMs ?? 1_000;
    this.watchIntervalMs = options.watchIntervalMs ?? 2_000;
    this.fallbackWindowS = options.fallbackWindow ?? 60;
    this.dir = new DataDir(resolveBasePath(options.basePath), this.logger);
    this.pollLock = FileLock.acquireHandle(this.dir.lockPath(POLL_LOCK_FILE));
    this.dataLock = FileLock.acquireHandle(this.dir.lockPath(DATA_LOCK_FILE));
    const store = options.storage ?? envGet("WEILINK_STORE");
    if (store !== undefined && store !== "" && store !== "files") {
      if (!isPostgresUrl(store)) {
        throw new TypeError(
          `Invalid storage "${store.slice(0, 40)}": expected "files" or a postgres:// URL`,
        );
      }
      this.storageUrl = store;
      this.storage = new PostgresStorage(store, {
        now: this.now,
        logger: this.logger,
        fallbackWindowS: this.fallbackWindowS,
      });
    } else {
      this.storageUrl = undefined;
      const messageStore = options.messageStore ?? false;
      this.storage = new FileStorage(
        this.dir,
        { data: this.dataLock, poll: this.pollLock },
        messageStore === false
          ? undefined
          : messageStore === true
          ? `${this.dir.basePath}/messages.db`
          : messageStore,
        { fallbackWindowMs: this.fallbackWindowS * 1000, now: this.now, logger: this.logger },
      );
    }
  }

  /** Whether the storage is PostgreSQL (shared by many hosts) rather than the data directory. */
  get shared(): boolean {
    return this.storage.kind === "postgres";
  }

  /** Whether {@linkcode ClientContext.close} was called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Throws when the client is closed. */
  assertOpen(): void {
    if (this.#closed) throw new WeiLinkError("Cannot use a closed WeiLink client");
  }

  /** Tell the owner about an event; a throwing listener is logged, never propagated. */
  emit(event: WeiLinkEvent): void {
    try {
      this.#onEvent?.(event);
    } catch (err) {
      this.logger.warn(`Event listener failed: ${errorText(err)}`);
    }
  }

  /** The message store, opened on first use; `undefined` when it is off. */
  store(): Promise<StoreBinding | undefined> {
    return this.storage.messages();
  }

  /** De-duplicate by message id across polls (the spec leaves duplicates undocumented). */
  firstSighting(m: Message): boolean {
    return !m.messageId || this.seenIds.add(m.messageId);
  }

  /** Close the storage and release the lock files. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.storage.close();
    this.#sendClient?.close();
    this.#sendClient = undefined;
    FileLock.releaseHandle(this.pollLock);
    FileLock.releaseHandle(this.dataLock);
  }
}
