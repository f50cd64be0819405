/**
 * The `WeiLink` client: sessions, QR login, receive, send, media, typing, persistence shared with
 * the Python original's data directory, cross-process locks and the dispatcher.
 *
 * @module
 */

import {
  DEFAULT_BASE_URL,
  ILinkApi,
  type ILinkApiOptions,
  ILinkError,
  QuotaExhaustedError,
  SessionExpiredError,
  TEXT_BYTE_LIMIT,
  TextTooLongError,
} from "../protocol/mod.ts";
import type { WireMessage } from "../protocol/mod.ts";
import {
  CdnError,
  DEFAULT_CDN_BASE_URL,
  downloadMedia,
  mediaItemFor,
  uploadMedia,
} from "../media/mod.ts";
import {
  type BotInfo,
  Message,
  MessageType,
  type SendResult,
  type UploadedMedia,
  UploadMediaType,
} from "../models.ts";
import {
  clearTokens,
  CONTEXT_QUOTA,
  contextStatus,
  recordInboundBatch,
  reserveSends,
  settleSends,
} from "./context_state.ts";
import {
  commitInOrder,
  type ContextsFile,
  DATA_LOCK_FILE,
  DataDir,
  DEFAULT_SESSION,
  envGet,
  errorText,
  exists,
  POLL_LOCK_FILE,
  type PreparedWrite,
  resolveBasePath,
  type TokenFile,
  validateSessionName,
} from "./data_dir.ts";
import { LoginError, NoContextError, NotLoggedInError, SessionNotFoundError } from "./errors.ts";
import { md5Hex } from "../crypto/mod.ts";
import { FileLock } from "./file_lock.ts";
import { createStderrLogger, defaultLogLevel, type Logger, type LogLevel } from "./logger.ts";
import { type QrLoginOptions, runQrLogin, sleep } from "./login.ts";
import {
  isUploadedMedia,
  type MediaInput,
  readMediaInput,
  suggestedFileName,
} from "./media_input.ts";
import { MessageQueue } from "./message_queue.ts";
import { RecentIds } from "./recent_ids.ts";
import { openMessageStore, type SentPart, type StoreBinding } from "./store_binding.ts";

/** Backoff after failed polls (spec §3.3): `shortMs` after a failure, `longMs` after `longAfter`. */
export interface RetryPolicy {
  /** Delay after a failed poll, default 2 000 ms. */
  shortMs: number;
  /** Delay after `longAfter` consecutive failures, default 30 000 ms. */
  longMs: number;
  /** Consecutive failures that trigger the long delay (the counter then restarts), default 3. */
  longAfter: number;
}

/** Something the client wants its owner to know about; see {@linkcode WeiLinkOptions.onEvent}. */
export type WeiLinkEvent =
  | { type: "session_expired"; session: string; botId: string }
  | { type: "poll_failed"; session: string; error: Error; retryInMs: number }
  | { type: "dispatcher_role"; role: "primary" | "standby" | "store_watcher" }
  | { type: "dispatcher_stopped"; reason: "stopped" | "all_sessions_expired" }
  | { type: "messages_dropped"; count: number };

/** Options of {@linkcode WeiLink}. Every field is optional. */
export interface WeiLinkOptions {
  /** Data directory; default env `WEILINK_HOME`, else `~/.weilink` (shared with the Python version). */
  basePath?: string;
  /**
   * SQLite message store: `true` for `<basePath>/messages.db`, a path for another file, `false`
   * (default) for none. Needed for the cooperative fallback when another process polls.
   */
  messageStore?: boolean | string;
  /** Seconds of history the first cooperative-fallback read returns (default 60). */
  fallbackWindow?: number;
  /** Messages buffered for `recv()` while the dispatcher runs; oldest dropped beyond (default 1000). */
  queueMaxSize?: number;
  /** API base when an account has none stored, and the QR host; env `WEILINK_BASE_URL`. */
  baseUrl?: string;
  /** CDN base; env `WEILINK_CDN_BASE_URL`, default `https://novac2c.cdn.weixin.qq.com/c2c`. */
  cdnBaseUrl?: string;
  /** Fixed QR login host; default `baseUrl` when set, else the official host. */
  qrBaseUrl?: string;
  /** `fetch` used for every request. */
  fetch?: typeof fetch;
  /** A logger, or the level of the default stderr logger (env `WEILINK_LOG_LEVEL`, default `info`). */
  logger?: Logger | LogLevel | "silent";
  /** Receives lifecycle events (session expiry, dispatcher role, dropped messages). */
  onEvent?: (event: WeiLinkEvent) => void;
  /** Clock in epoch ms (tests move it to exercise the 24-hour window and ticket expiry). */
  now?: () => number;
  /** Poll backoff. */
  retry?: Partial<RetryPolicy>;
  /** Pause between QR status polls, default 1 000 ms. */
  loginPollIntervalMs?: number;
  /** How often a standby dispatcher checks the poll lock and the store, default 2 000 ms. */
  watchIntervalMs?: number;
}

/** Options of {@linkcode WeiLink.login}. */
export interface LoginOptions extends QrLoginOptions {
  /** Session to log in; default: the default session. A new name creates a session. */
  name?: string;
  /** Run a QR login even when the session already has credentials. */
  force?: boolean;
}

/** Options of {@linkcode WeiLink.recv}. */
export interface RecvOptions {
  /** Longest wait in **seconds** (as in the Python original and the CLI), default 35. */
  timeout?: number;
  /** Ends the wait early. */
  signal?: AbortSignal;
}

/** Content of {@linkcode WeiLink.send}: text first, then every media item as its own message. */
export interface SendContent {
  /** Text (at most 16 384 UTF-8 bytes). */
  text?: string;
  /** Image(s). */
  image?: MediaInput | MediaInput[];
  /** Voice clip(s) (the phone may not display outbound voice, spec §4.6). */
  voice?: MediaInput | MediaInput[];
  /** File(s). */
  file?: MediaInput | MediaInput[];
  /**
   * Name(s) of the file(s), in order; one name is reused for every file. Defaults to the name of a
   * `{ path }`, `URL` or `File`; required for other byte inputs.
   */
  fileName?: string | string[];
  /** Video(s). */
  video?: MediaInput | MediaInput[];
  /** Send through this session instead of routing by context token. */
  session?: string;
}

/** Options of {@linkcode WeiLink.runBackground} and {@linkcode WeiLink.runForever}. */
export interface DispatchOptions {
  /** Long-poll timeout per cycle in seconds, default 35. */
  pollTimeout?: number;
}

/** A message handler; async handlers are awaited, so handlers run one message at a time, in order. */
export type MessageHandler = (message: Message) => void | Promise<void>;

/** Media type names accepted by {@linkcode WeiLink.upload}. */
export type MediaKind = "image" | "voice" | "file" | "video";

/** Per-session state held in memory (disk stays the source of truth). */
interface SessionState {
  name: string;
  bot: BotInfo | undefined;
  cursor: string;
  /** Epoch seconds of the first save (Python's `created_at`). */
  createdAt: number | undefined;
  contexts: ContextsFile;
  expired: boolean;
  removed: boolean;
  api: ILinkApi | undefined;
  typing: Map<string, { ticket: string; fetchedAt: number }>;
  longPollMs: number | undefined;
  failures: number;
  retryAt: number;
}

/** One `getupdates` answer, parsed, waiting to be committed. */
interface PolledBatch {
  bot: BotInfo;
  cursor: string;
  messages: Message[];
}

interface Dispatcher {
  controller: AbortController;
  pollTimeoutMs: number;
  loops: Map<SessionState, Promise<void>>;
  hadLoops: boolean;
  primary: boolean;
  done: Promise<void>;
  wake: () => void;
  wakeSignal: Promise<void>;
}

/** A typing ticket is fetched again after this long (the official client refreshes within 24 h). */
export const TYPING_TICKET_TTL_MS = 12 * 3600_000;
const DEFAULT_RECV_TIMEOUT_S = 35;
const RECENT_IDS = 10_000;
/** Polled messages the dispatcher may hold ahead of its handlers before polling waits. */
const MAX_PENDING_MESSAGES = 5_000;
/**
 * Minimum time between the starts of two commits of one session under a backlog. A commit (data
 * lock, two fsynced files, renames) costs about the same for 1 message as for 1,000, so the batches
 * polled meanwhile are committed together.
 */
const GROUP_COMMIT_MS = 10;
/**
 * A backlog: at least this many messages in more than one batch waiting for the worker. Below it
 * (a lone batch, or the small batches of live traffic) the worker commits at once, so latency
 * stays low when messages arrive one by one.
 */
const GROUP_COMMIT_MIN_MESSAGES = 100;
/** How long `recv()` waits for other sessions once one session returned messages. */
const EARLY_RETURN_GRACE_MS = 50;

const MEDIA_KINDS: Record<MediaKind, UploadMediaType> = {
  image: UploadMediaType.IMAGE,
  voice: UploadMediaType.VOICE,
  file: UploadMediaType.FILE,
  video: UploadMediaType.VIDEO,
};

const UPLOAD_TO_MESSAGE_TYPE: Record<UploadMediaType, MessageType> = {
  [UploadMediaType.IMAGE]: MessageType.IMAGE,
  [UploadMediaType.VIDEO]: MessageType.VIDEO,
  [UploadMediaType.FILE]: MessageType.FILE,
  [UploadMediaType.VOICE]: MessageType.VOICE,
};

/** Thrown into pending polls when `recv()` already has messages from another session. */
class EarlyReturn extends Error {}

/**
 * A handle on one session (one WeChat account bound to the bot), from {@linkcode WeiLink.sessions}.
 * Reads are live; methods act through the client.
 */
export class Session {
  readonly #client: WeiLink;
  readonly #state: SessionState;

  /** @internal Created by the client. */
  constructor(client: WeiLink, state: SessionState) {
    this.#client = client;
    this.#state = state;
  }

  /** Session (folder) name. */
  get name(): string {
    return this.#state.name;
  }

  /** Bot account id, `undefined` when not logged in. */
  get botId(): string | undefined {
    return this.#state.bot?.botId;
  }

  /** WeChat user who authorised the bot, `undefined` when not logged in. */
  get userId(): string | undefined {
    return this.#state.bot?.userId;
  }

  /** Whether the session has credentials that have not been reported as expired. */
  get isConnected(): boolean {
    return this.#state.bot !== undefined && !this.#state.expired;
  }

  /** Whether the server reported the credentials as expired (`-14`); log in again. */
  get isExpired(): boolean {
    return this.#state.expired;
  }

  /** Whether this is the client's default session. */
  get isDefault(): boolean {
    return this.#client.defaultSessionName === this.#state.name;
  }

  /** When the credentials were first saved, if known. */
  get createdAt(): Date | undefined {
    return this.#state.createdAt === undefined ? undefined : new Date(this.#state.createdAt * 1000);
  }

  /** Rename the session (moves its folder). */
  rename(newName: string): Promise<void> {
    return this.#client.renameSession(this.#state.name, newName);
  }

  /** Make this the default session (persisted in `.default_session`). */
  setDefault(): Promise<void> {
    return this.#client.setDefault(this.#state.name);
  }

  /** Log this session in with a QR code. */
  login(options: Omit<LoginOptions, "name"> = {}): Promise<BotInfo> {
    return this.#client.login({ ...options, name: this.#state.name });
  }

  /** Log out: remove the session's credentials and folder. */
  logout(): Promise<void> {
    return this.#client.logout(this.#state.name);
  }

  /** Short description without secrets. */
  toString(): string {
    return `Session("${this.name}", ${this.isConnected ? "connected" : "disconnected"}${
      this.isDefault ? ", default" : ""
    })`;
  }
}

/**
 * Client of the WeChat iLink Bot protocol.
 *
 * Credentials and context tokens live in a data directory shared, file for file, with the Python
 * original (`~/.weilink` by default), so both can run side by side: `.poll.lock` ensures a single
 * poller per directory, `.data.lock` serialises the brief read-modify-write of the JSON files, and
 * state is re-read from disk before it is acted on.
 *
 * Sending: precondition failures throw before any request — {@linkcode NotLoggedInError},
 * {@linkcode NoContextError} (no token, or the 24-hour window has passed),
 * `QuotaExhaustedError` (not enough of the 10 replies left), `TextTooLongError`, `TypeError` for bad
 * arguments. Failures while sending (API refusal, network, CDN) never throw: they come back as a
 * {@linkcode SendResult} with `success: false` and `error`, listing the parts already sent.
 *
 * @example Echo bot
 * ```ts ignore
 * import { WeiLink } from "./mod.ts";
 *
 * await using wl = new WeiLink();
 * await wl.login();
 * wl.onMessage(async (msg) => {
 *   if (msg.text) await wl.send(msg.fromUser, { text: `echo: ${msg.text}` });
 * });
 * await wl.runForever();
 * ```
 */
export class WeiLink {
  readonly #dir: DataDir;
  readonly #logger: Logger;
  readonly #onEvent: ((event: WeiLinkEvent) => void) | undefined;
  readonly #now: () => number;
  readonly #fetch: typeof fetch | undefined;
  readonly #baseUrl: string;
  readonly #qrBaseUrl: string;
  readonly #cdnBaseUrl: string;
  readonly #retry: RetryPolicy;
  readonly #loginPollIntervalMs: number;
  readonly #watchIntervalMs: number;
  readonly #fallbackWindowS: number;
  readonly #pollLock: FileLock;
  readonly #dataLock: FileLock;
  readonly #sessions = new Map<string, SessionState>();
  #defaultName: string = DEFAULT_SESSION;
  readonly #handlers: MessageHandler[] = [];
  readonly #queue: MessageQueue<Message>;
  #dispatcher: Dispatcher | undefined;
  #dispatchChain: Promise<void> = Promise.resolve();
  #lastDropWarning = 0;
  /** Ids of the messages handed out lately, to drop duplicates across polls. */
  readonly #seenIds = new RecentIds(RECENT_IDS);
  #store: StoreBinding | undefined;
  readonly #storeOption: boolean | string;
  #closed = false;

  /** Opens the data directory (migrating a legacy flat layout) and loads every session. */
  constructor(options: WeiLinkOptions = {}) {
    const logger = options.logger;
    this.#logger = typeof logger === "object"
      ? logger
      : createStderrLogger(logger ?? defaultLogLevel());
    this.#onEvent = options.onEvent;
    this.#now = options.now ?? Date.now;
    this.#fetch = options.fetch;
    const envBase = envGet("WEILINK_BASE_URL");
    this.#baseUrl = options.baseUrl ?? envBase ?? DEFAULT_BASE_URL;
    this.#qrBaseUrl = options.qrBaseUrl ?? options.baseUrl ?? envBase ?? DEFAULT_BASE_URL;
    this.#cdnBaseUrl = options.cdnBaseUrl ?? envGet("WEILINK_CDN_BASE_URL") ?? DEFAULT_CDN_BASE_URL;
    this.#retry = { shortMs: 2_000, longMs: 30_000, longAfter: 3, ...options.retry };
    this.#loginPollIntervalMs = options.loginPollIntervalMs ?? 1_000;
    this.#watchIntervalMs = options.watchIntervalMs ?? 2_000;
    this.#fallbackWindowS = options.fallbackWindow ?? 60;
    this.#queue = new MessageQueue(options.queueMaxSize ?? 1000);
    this.#storeOption = options.messageStore ?? false;

    this.#dir = new DataDir(resolveBasePath(options.basePath), this.#logger);
    try {
      this.#dir.migrateFlatLayout();
    } catch (err) {
      this.#logger.warn(`Cannot migrate the legacy flat layout: ${errorText(err)}`);
    }
    for (const name of this.#dir.discoverSessions()) {
      this.#sessions.set(name, this.#loadSession(name));
    }
    this.#defaultName = this.#chooseDefault();
    this.#pollLock = FileLock.acquireHandle(this.#dir.lockPath(POLL_LOCK_FILE));
    this.#dataLock = FileLock.acquireHandle(this.#dir.lockPath(DATA_LOCK_FILE));
  }

  // ---- properties ---------------------------------------------------------------------------

  /** Absolute path of the data directory. */
  get basePath(): string {
    return this.#dir.basePath;
  }

  /** Whether any session has usable credentials. */
  get isConnected(): boolean {
    return [...this.#sessions.values()].some((s) => s.bot && !s.expired);
  }

  /** Bot id of the default session, `undefined` when it is not logged in. */
  get botId(): string | undefined {
    return this.#sessions.get(this.#defaultName)?.bot?.botId;
  }

  /** Session name → bot id, for every session with credentials. */
  get botIds(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, s] of this.#sessions) if (s.bot) out[name] = s.bot.botId;
    return out;
  }

  /** Every session by name (iteration order: discovery order, then creation). */
  get sessions(): Record<string, Session> {
    const out: Record<string, Session> = {};
    for (const [name, s] of this.#sessions) out[name] = new Session(this, s);
    return out;
  }

  /** Name of the default session. */
  get defaultSessionName(): string {
    return this.#defaultName;
  }

  /** Whether the dispatcher (`runBackground`/`runForever`) is running. */
  get isRunning(): boolean {
    return this.#dispatcher !== undefined;
  }

  // ---- session management -------------------------------------------------------------------

  /** Make `name` the default session and persist it in `.default_session`. */
  async setDefault(name: string): Promise<void> {
    this.#assertOpen();
    if (!this.#sessions.has(name)) throw new SessionNotFoundError(name);
    await this.#dataLock.withLock(async () => {
      this.#dir.ensure();
      await this.#dir.writeDefaultSessionName(name);
    });
    this.#defaultName = name;
  }

  /**
   * Rename a session, moving its folder. `"default"` cannot be a new name (use
   * {@linkcode WeiLink.setDefault} to choose the default).
   */
  async renameSession(oldName: string, newName: string): Promise<void> {
    this.#assertOpen();
    const s = this.#sessions.get(oldName);
    if (!s) throw new SessionNotFoundError(oldName);
    validateSessionName(newName);
    if (newName === DEFAULT_SESSION) {
      throw new TypeError(
        `Cannot rename to "${DEFAULT_SESSION}": use setDefault() to choose the default session`,
      );
    }
    if (this.#sessions.has(newName)) {
      throw new TypeError(`Cannot rename to "${newName}": a session with that name exists`);
    }
    await this.#dataLock.withLock(async () => {
      if (exists(this.#dir.sessionDir(oldName))) this.#dir.renameSession(oldName, newName);
      const saved = this.#dir.readDefaultSessionName();
      if (this.#defaultName === oldName || saved === oldName) {
        this.#dir.ensure();
        await this.#dir.writeDefaultSessionName(newName);
      }
    });
    this.#sessions.delete(oldName);
    s.name = newName;
    this.#sessions.set(newName, s);
    if (this.#defaultName === oldName) this.#defaultName = newName;
    this.#logger.info(`Renamed session "${oldName}" to "${newName}"`);
  }

  /**
   * Log a session out: delete its `token.json` and `contexts.json` (and its folder when empty) and
   * drop it. When it was the default, another session becomes the default (persisted), or a fresh
   * `default` placeholder when none is left.
   */
  async logout(name?: string): Promise<void> {
    this.#assertOpen();
    const key = name ?? this.#defaultName;
    const s = this.#sessions.get(key);
    if (!s) throw new SessionNotFoundError(key);
    const botId = s.bot?.botId;
    await this.#dataLock.withLock(async () => {
      this.#dir.removeSession(key);
      this.#sessions.delete(key);
      s.removed = true;
      s.bot = undefined;
      const saved = this.#dir.readDefaultSessionName();
      if (this.#defaultName === key || saved === key) {
        this.#defaultName = this.#chooseDefault();
        const placeholder = !this.#sessions.get(this.#defaultName)?.bot &&
          !exists(this.#dir.tokenPath(this.#defaultName));
        await this.#dir.writeDefaultSessionName(placeholder ? undefined : this.#defaultName);
      }
    });
    this.#logger.info(`Logged out session "${key}"${botId ? ` (bot ${botId})` : ""}`);
  }

  // ---- login --------------------------------------------------------------------------------

  /**
   * Log a session in by QR code (spec §6.1). Existing credentials are reused unless `force` is set
   * (or the server reported them expired). The QR code goes to `onQr`, by default printed to
   * stderr. Expired codes are refreshed (3 codes at most), `scaned_but_redirect` is followed, and
   * the login fails with {@linkcode LoginError} after `timeoutMs` (default 5 minutes).
   */
  async login(options: LoginOptions = {}): Promise<BotInfo> {
    this.#assertOpen();
    this.#refreshFromDisk();
    const name = options.name ?? this.#defaultName;
    validateSessionName(name);
    let s = this.#sessions.get(name);
    if (s?.bot && !s.expired && !options.force) {
      this.#logger.info(`Session "${name}" is already logged in as ${s.bot.botId}`);
      return s.bot;
    }
    const localTokens = [...this.#sessions.values()]
      .filter((x) => x.bot)
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
      .map((x) => x.bot!.token)
      .slice(0, 10);
    const apiOptions: ILinkApiOptions = { baseUrl: this.#qrBaseUrl, qrBaseUrl: this.#qrBaseUrl };
    if (this.#fetch) apiOptions.fetch = this.#fetch;
    const result = await runQrLogin({
      session: name,
      apiOptions,
      defaultBaseUrl: this.#baseUrl,
      localTokens,
      logger: this.#logger,
      pollIntervalMs: this.#loginPollIntervalMs,
      now: this.#now,
    }, options);
    if (result.kind === "bound") {
      if (s?.bot) {
        s.expired = false;
        return s.bot;
      }
      throw new LoginError(
        "bound",
        `Cannot complete login of session "${name}": the server says this bot is already bound, but no credentials are stored for it`,
      );
    }
    const bot = result.bot;
    if (!s) {
      s = emptyState(name);
      this.#sessions.set(name, s);
    }
    const state = s;
    const nowSec = this.#now() / 1000;
    await this.#dataLock.withLock(async () => {
      this.#dir.ensure();
      const disk = this.#dir.readToken(name);
      const createdAt = disk?.created_at ?? state.createdAt ?? nowSec;
      await this.#dir.writeToken(name, {
        bot_id: bot.botId,
        base_url: bot.baseUrl,
        token: bot.token,
        user_id: bot.userId,
        cursor: "",
        created_at: createdAt,
      });
      if (disk && disk.bot_id !== bot.botId) await this.#dir.writeContexts(name, {});
      state.contexts = this.#dir.readContexts(name);
      state.createdAt = createdAt;
      // A placeholder default (no credentials, nothing on disk) gives way to the first login.
      const current = this.#sessions.get(this.#defaultName);
      if (
        name !== this.#defaultName && current && !current.bot &&
        !exists(this.#dir.tokenPath(this.#defaultName))
      ) {
        this.#sessions.delete(this.#defaultName);
        this.#defaultName = name;
        await this.#dir.writeDefaultSessionName(name);
      }
    });
    Object.assign(state, {
      bot,
      cursor: "",
      expired: false,
      removed: false,
      api: undefined,
      failures: 0,
      retryAt: 0,
      longPollMs: undefined,
    });
    state.typing.clear();
    this.#logger.info(`Logged in session "${name}" as bot ${bot.botId}`);
    await this.#apiFor(state).notifyStart().catch(() => {});
    this.#dispatcher?.wake();
    return bot;
  }

  // ---- receive ------------------------------------------------------------------------------

  /**
   * Receive messages from every session, waiting at most `timeout` seconds (an upper bound, even
   * when the server suggests a longer long-poll). Sessions are polled in parallel and every
   * session's messages are returned. While the dispatcher runs, messages come from its queue.
   * When another process holds the poll lock, the store fallback (if enabled) supplies messages
   * that process stored, each once; otherwise the call waits for the lock until the timeout.
   *
   * @throws {NotLoggedInError} When no session has usable credentials.
   * @throws {SessionExpiredError} When every polled session failed and one of them expired.
   */
  async recv(options: RecvOptions = {}): Promise<Message[]> {
    this.#assertOpen();
    const timeoutS = options.timeout ?? DEFAULT_RECV_TIMEOUT_S;
    if (!(timeoutS >= 0)) {
      throw new RangeError(`Invalid timeout ${timeoutS}: expected seconds >= 0`);
    }
    const timeoutMs = timeoutS * 1000;
    if (this.#dispatcher) return await this.#queue.take(timeoutMs, options.signal);
    const store = await this.#getStore();
    const deadline = this.#now() + timeoutMs;
    for (;;) {
      options.signal?.throwIfAborted();
      if (await this.#pollLock.tryLock()) {
        try {
          return await this.#pollAll(deadline, options.signal);
        } finally {
          await this.#pollLock.unlock();
        }
      }
      if (store) {
        const fallback = this.#fromStore(store);
        if (fallback.length) return fallback;
      }
      const left = deadline - this.#now();
      if (left <= 0) return [];
      try {
        await sleep(Math.min(left, Math.min(this.#watchIntervalMs, 250)), options.signal);
      } catch {
        return [];
      }
    }
  }

  /** Poll every usable session once, in parallel; called with the poll lock held. */
  async #pollAll(deadline: number, signal?: AbortSignal): Promise<Message[]> {
    this.#refreshFromDisk();
    const active = [...this.#sessions.values()].filter((s) => s.bot && !s.expired);
    if (active.length === 0) {
      throw new NotLoggedInError(
        [...this.#sessions.values()].some((s) => s.bot)
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
    const batch = await this.#fetchBatch(s, deadline, signal);
    return batch ? await this.#processBatch(s, batch) : [];
  }

  /**
   * The network half of a poll: backoff wait, then `getupdates` bounded by `deadline`. The new
   * cursor is taken in memory at once (this process holds the poll lock); it reaches disk in
   * `#processBatch`. Aborts resolve to `undefined`.
   */
  async #fetchBatch(
    s: SessionState,
    deadline: number,
    signal: AbortSignal,
  ): Promise<PolledBatch | undefined> {
    const bot = s.bot;
    if (!bot) return undefined;
    const wait = s.retryAt - this.#now();
    if (wait > 0) {
      try {
        await sleep(Math.min(wait, deadline - this.#now()), signal);
      } catch {
        return undefined;
      }
      if (this.#now() >= deadline) return undefined;
    }
    const timeoutMs = Math.max(
      1,
      Math.min(deadline - this.#now(), (s.longPollMs ?? 35_000) + 5_000),
    );
    let resp;
    try {
      resp = await this.#apiFor(s).getUpdates(s.cursor, { timeoutMs, signal });
    } catch (err) {
      if (signal.aborted) return undefined;
      if (err instanceof SessionExpiredError) {
        await this.#expireSession(s, bot);
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
  async #processBatch(s: SessionState, batch: PolledBatch): Promise<Message[]> {
    await this.#commitPoll(s, batch.bot, batch.cursor, batch.messages);
    const fresh = batch.messages.filter((m) => this.#firstSighting(m));
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
    const nowSec = this.#now() / 1000;
    await this.#dataLock.withLock(async () => {
      const disk = this.#dir.readToken(s.name);
      if (!disk) {
        // Logged out by another process while we polled.
        s.bot = undefined;
        return;
      }
      let writeCursor = false;
      if (disk.token !== bot.token) {
        // Re-logged in elsewhere: adopt the new credentials and their cursor, drop ours.
        this.#adoptToken(s, disk);
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
        contexts = this.#dir.readContexts(s.name);
        recordInboundBatch(
          contexts,
          messages.filter((m) => m.contextToken).map((m) => [m.fromUser, m.contextToken] as const),
          nowSec,
        );
        writes.push(this.#dir.prepareContexts(s.name, contexts));
      }
      if (writeCursor) writes.push(this.#dir.prepareToken(s.name, disk));
      await commitInOrder(writes);
      if (contexts) s.contexts = contexts;
    });
  }

  /** `-14`: stop polling the session, clear its cursor and context tokens, tell the owner. */
  async #expireSession(s: SessionState, bot: BotInfo): Promise<void> {
    s.expired = true;
    s.typing.clear();
    await this.#dataLock.withLock(async () => {
      const disk = this.#dir.readToken(s.name);
      if (disk && disk.token === bot.token) {
        if (disk.cursor) await this.#dir.writeToken(s.name, { ...disk, cursor: "" });
        const contexts = this.#dir.readContexts(s.name);
        clearTokens(contexts);
        await this.#dir.writeContexts(s.name, contexts);
        s.contexts = contexts;
      }
    });
    s.cursor = "";
    this.#logger.error(
      `Session "${s.name}" (bot ${bot.botId}) expired: its polling stopped, log in again`,
    );
    this.#emit({ type: "session_expired", session: s.name, botId: bot.botId });
  }

  #noteFailure(s: SessionState, err: unknown): void {
    s.failures++;
    let delay = this.#retry.shortMs;
    if (s.failures >= this.#retry.longAfter) {
      delay = this.#retry.longMs;
      s.failures = 0;
    }
    s.retryAt = this.#now() + delay;
    const error = err instanceof Error ? err : new Error(String(err));
    this.#logger.warn(
      `Polling session "${s.name}" failed, retrying in ${delay} ms: ${error.message}`,
    );
    this.#emit({ type: "poll_failed", session: s.name, error, retryInMs: delay });
  }

  /** De-duplicate by message id across polls (the spec leaves duplicates undocumented). */
  #firstSighting(m: Message): boolean {
    return !m.messageId || this.#seenIds.add(m.messageId);
  }

  // ---- send ---------------------------------------------------------------------------------

  /**
   * Send to a user: the text first, then every media item as its own message (images, voices,
   * files, videos). Routed to the session that most recently received a context token from `to`
   * (or `content.session`). The reply window and quota are checked before any request; the quota
   * is reserved across processes, so two senders cannot exceed it together.
   *
   * @returns The outcome; `remaining` is the replies left on the current context token.
   * @throws {NotLoggedInError} When no session can send.
   * @throws {NoContextError} When the user never wrote, or wrote more than 24 hours ago.
   * @throws {QuotaExhaustedError} When fewer replies are left than messages to send.
   * @throws {TextTooLongError} When the text exceeds 16 384 UTF-8 bytes.
   * @throws {TypeError} For empty content, a file without a name, or an unreadable media input.
   */
  async send(to: string, content: string | SendContent): Promise<SendResult> {
    this.#assertOpen();
    if (typeof to !== "string" || to === "") {
      throw new TypeError("Cannot send: the recipient id is empty");
    }
    const c: SendContent = typeof content === "string" ? { text: content } : content;
    const text = c.text ? c.text : undefined;
    if (text !== undefined) {
      const size = new TextEncoder().encode(text).byteLength;
      if (size > TEXT_BYTE_LIMIT) throw new TextTooLongError("sendmessage", size, TEXT_BYTE_LIMIT);
    }
    const parts = await this.#prepareMedia(c);
    const total = (text !== undefined ? 1 : 0) + parts.length;
    if (total === 0) throw new TypeError("Cannot send: no text or media given");

    // Route, check the window and reserve the quota in one short critical section.
    const nowSec = this.#now() / 1000;
    const { s, token } = await this.#dataLock.withLock(async () => {
      this.#refreshFromDisk();
      const s = this.#route(to, c.session);
      s.contexts = this.#dir.readContexts(s.name);
      const status = contextStatus(s.contexts[to], nowSec);
      if (status.kind !== "live") throw new NoContextError(to, status.kind, s.name);
      if (status.remaining < total) {
        throw new QuotaExhaustedError(
          "sendmessage",
          -2,
          0,
          "",
          `Cannot send ${total} message(s) to "${to}": ${status.remaining} of ${CONTEXT_QUOTA} replies left on the current context token (the user must write again)`,
        );
      }
      reserveSends(s.contexts, to, total);
      await this.#dir.writeContexts(s.name, s.contexts);
      return { s, token: status.token };
    });

    const bot = s.bot!;
    const api = this.#apiFor(s);
    const messageIds: string[] = [];
    const sentParts: SentPart[] = [];
    let sent = 0;
    let error: string | undefined;
    let cause: Error | undefined;
    try {
      if (text !== undefined) {
        const res = await api.sendText(to, text, token);
        sent++;
        const id = res.message_id;
        if (id) messageIds.push(String(id));
        sentParts.push({
          msgType: MessageType.TEXT,
          text,
          ...(id ? { messageId: String(id) } : {}),
        });
      }
      for (const part of parts) {
        const uploaded = isUploadedMedia(part.data) ? part.data : await uploadMedia(part.data, {
          api,
          cdnBaseUrl: this.#cdnBaseUrl,
          ...(this.#fetch ? { fetch: this.#fetch } : {}),
          to,
          mediaType: part.type,
          ...(part.fileName ? { fileName: part.fileName } : {}),
        });
        const media = part.fileName && !uploaded.fileName
          ? { ...uploaded, fileName: part.fileName }
          : uploaded;
        const item = mediaItemFor(media);
        const msg: WireMessage = { to_user_id: to, context_token: token, item_list: [item] };
        const res = await api.sendMessage(msg);
        sent++;
        const id = res.message_id;
        if (id) messageIds.push(String(id));
        sentParts.push({
          msgType: UPLOAD_TO_MESSAGE_TYPE[media.mediaType],
          uploaded: media,
          ...(id ? { messageId: String(id) } : {}),
        });
      }
    } catch (err) {
      error = errorText(err);
      cause = err instanceof Error ? err : new Error(error);
      if (err instanceof SessionExpiredError) await this.#expireSession(s, bot);
      this.#logger.warn(`Sending to "${to}" stopped after ${sent} of ${total} part(s): ${error}`);
    }
    const success = error === undefined;
    const remaining = await this.#dataLock.withLock(async () => {
      const contexts = this.#dir.readContexts(s.name);
      const left = settleSends(contexts, to, token, total - sent, success, this.#now() / 1000);
      await this.#dir.writeContexts(s.name, contexts);
      s.contexts = contexts;
      return left;
    });
    if (sentParts.length) await this.#storeSent(bot.botId, to, sentParts, token);
    const result: SendResult = { success, messageIds, remaining };
    if (error !== undefined) result.error = error;
    if (cause !== undefined) result.cause = cause;
    return result;
  }

  /** Resolve every media input to bytes (or an upload) before anything is sent or reserved. */
  async #prepareMedia(c: SendContent): Promise<
    Array<{ type: UploadMediaType; data: Uint8Array | Blob | UploadedMedia; fileName?: string }>
  > {
    const list = (v: MediaInput | MediaInput[] | undefined): MediaInput[] =>
      v === undefined ? [] : Array.isArray(v) ? v : [v];
    const names = c.fileName === undefined
      ? []
      : Array.isArray(c.fileName)
      ? c.fileName
      : [c.fileName];
    const out: Array<
      { type: UploadMediaType; data: Uint8Array | Blob | UploadedMedia; fileName?: string }
    > = [];
    const add = async (input: MediaInput, type: UploadMediaType, fileName?: string) => {
      if (isUploadedMedia(input)) {
        out.push({ type: input.mediaType, data: input, ...(fileName ? { fileName } : {}) });
        return;
      }
      const data = await readMediaInput(input);
      out.push({ type, data, ...(fileName ? { fileName } : {}) });
    };
    for (const x of list(c.image)) await add(x, UploadMediaType.IMAGE);
    const voices = list(c.voice);
    if (voices.length) {
      this.#logger.warn("Outbound voice is accepted by the server but the phone may not show it");
    }
    for (const x of voices) await add(x, UploadMediaType.VOICE);
    const files = list(c.file);
    for (const [i, x] of files.entries()) {
      const name = names.length === 1 ? names[0] : names[i];
      const fileName = name || (isUploadedMedia(x) ? x.fileName : suggestedFileName(x));
      if (!fileName) {
        throw new TypeError(`Cannot send file #${i + 1}: "fileName" is required for raw bytes`);
      }
      await add(x, UploadMediaType.FILE, fileName);
    }
    for (const x of list(c.video)) await add(x, UploadMediaType.VIDEO);
    return out;
  }

  /** The session to send to `to` through (caller holds the data lock). */
  #route(to: string, explicit?: string): SessionState {
    if (explicit !== undefined) {
      const s = this.#sessions.get(explicit);
      if (!s) throw new SessionNotFoundError(explicit);
      if (!s.bot || s.expired) throw new NotLoggedInError(`Session "${explicit}" is not logged in`);
      return s;
    }
    const usable = [...this.#sessions.values()].filter((s) => s.bot && !s.expired);
    if (usable.length === 0) throw new NotLoggedInError();
    let best: SessionState | undefined;
    let bestTs = -Infinity;
    for (const s of usable) {
      s.contexts = this.#dir.readContexts(s.name);
      const e = s.contexts[to];
      if (e?.t && (e.ts ?? 0) > bestTs) {
        best = s;
        bestTs = e.ts ?? 0;
      }
    }
    if (best) return best;
    const def = this.#sessions.get(this.#defaultName);
    return def && def.bot && !def.expired ? def : usable[0]!;
  }

  // ---- typing -------------------------------------------------------------------------------

  /** Show "typing…" to a user. Resolves `false` (with a warning) when it could not be shown. */
  sendTyping(to: string): Promise<boolean> {
    return this.#typing(to, 1);
  }

  /** Cancel "typing…" for a user. Resolves `false` (with a warning) on failure. */
  stopTyping(to: string): Promise<boolean> {
    return this.#typing(to, 2);
  }

  async #typing(to: string, status: 1 | 2): Promise<boolean> {
    this.#assertOpen();
    const s = await this.#dataLock.withLock(() => {
      this.#refreshFromDisk();
      return this.#route(to);
    });
    const api = this.#apiFor(s);
    for (let attempt = 0; attempt < 2; attempt++) {
      let cached = s.typing.get(to);
      if (!cached || this.#now() - cached.fetchedAt >= TYPING_TICKET_TTL_MS) {
        const live = contextStatus(s.contexts[to], this.#now() / 1000);
        try {
          const cfg = await api.getConfig(to, live.kind === "live" ? live.token : undefined);
          if (!cfg.typing_ticket) {
            this.#logger.warn(`No typing ticket for "${to}" in session "${s.name}"`);
            return false;
          }
          cached = { ticket: cfg.typing_ticket, fetchedAt: this.#now() };
          s.typing.set(to, cached);
        } catch (err) {
          this.#logger.warn(`Cannot get a typing ticket for "${to}": ${errorText(err)}`);
          return false;
        }
      }
      try {
        await api.sendTyping(to, cached.ticket, status);
        return true;
      } catch (err) {
        s.typing.delete(to);
        // A refused ticket may be stale: fetch a new one once.
        if (attempt === 0 && err instanceof ILinkError) continue;
        this.#logger.warn(`Cannot set typing for "${to}": ${errorText(err)}`);
        return false;
      }
    }
    return false;
  }

  // ---- media --------------------------------------------------------------------------------

  /**
   * Download and decrypt the media of a received message: item `index` of `message.items`, else
   * the first image, voice, file or video item.
   *
   * @throws {TypeError} When the message (or that item) has no media.
   */
  async download(
    message: Message,
    options: { index?: number; signal?: AbortSignal } = {},
  ): Promise<Uint8Array> {
    this.#assertOpen();
    const items = options.index === undefined
      ? message.items
      : message.items.slice(options.index, options.index + 1);
    let found = items.find((i) => i.image || i.voice || i.file || i.video);
    if (!found && options.index === undefined) {
      const first = message.image ?? message.voice ?? message.file ?? message.video;
      if (first) found = { type: message.msgType, ...mediaField(message) };
    }
    const media = found?.image?.media ?? found?.voice?.media ?? found?.file?.media ??
      found?.video?.media;
    if (!found || !media || (!media.encryptQueryParam && !media.fullUrl)) {
      throw new TypeError(
        `Cannot download: message "${message.messageId ?? "?"}" has no downloadable media`,
      );
    }
    const bytes = await downloadMedia(media, {
      cdnBaseUrl: this.#cdnBaseUrl,
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
      ...(found.image?.aesKeyHex ? { aesKeyHex: found.image.aesKeyHex } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    // AES-ECB has no integrity check: a wrong key passes the padding check about once in 256
    // tries. Files and videos carry the plaintext MD5, so a wrong result is never returned.
    const expected = (found.file?.md5 || found.video?.videoMd5 || "").toLowerCase();
    if (/^[0-9a-f]{32}$/.test(expected) && md5Hex(bytes) !== expected) {
      throw new CdnError(
        `Cannot download: media of message "${message.messageId ?? "?"}" does not match its ` +
          "MD5 (wrong key or corrupted download)",
      );
    }
    return bytes;
  }

  /**
   * Upload media to the CDN without sending it; pass the result to `send()` (any number of times)
   * to reuse the upload. Uploads are bound to the recipient `to`.
   */
  async upload(
    to: string,
    data: Exclude<MediaInput, UploadedMedia>,
    type: MediaKind | UploadMediaType,
    fileName?: string,
  ): Promise<UploadedMedia> {
    this.#assertOpen();
    const mediaType = typeof type === "number" ? type : MEDIA_KINDS[type];
    if (!mediaType || !Object.values(UploadMediaType).includes(mediaType)) {
      throw new TypeError(`Invalid media type "${type}": expected image, voice, file or video`);
    }
    const name = fileName || suggestedFileName(data);
    if (mediaType === UploadMediaType.FILE && !name) {
      throw new TypeError('Cannot upload a file without "fileName"');
    }
    const bytes = await readMediaInput(data);
    const s = await this.#dataLock.withLock(() => {
      this.#refreshFromDisk();
      return this.#route(to);
    });
    const uploaded = await uploadMedia(bytes, {
      api: this.#apiFor(s),
      cdnBaseUrl: this.#cdnBaseUrl,
      ...(this.#fetch ? { fetch: this.#fetch } : {}),
      to,
      mediaType,
      ...(name && mediaType === UploadMediaType.FILE ? { fileName: name } : {}),
    });
    return uploaded;
  }

  // ---- dispatcher ---------------------------------------------------------------------------

  /**
   * Register a handler called for every received message while the dispatcher runs. Handlers run
   * in registration order, one message at a time; an exception in one is logged and does not stop
   * the others. Returns a function that removes the handler.
   */
  onMessage(handler: MessageHandler): () => void {
    if (typeof handler !== "function") throw new TypeError("Invalid handler: expected a function");
    this.#handlers.push(handler);
    return () => {
      const i = this.#handlers.indexOf(handler);
      if (i >= 0) this.#handlers.splice(i, 1);
    };
  }

  /**
   * Start the dispatcher without blocking: poll every session in the background, call the
   * `onMessage` handlers and buffer messages for `recv()`. The dispatcher keeps `.poll.lock` while
   * it runs. If another process holds it, the dispatcher stands by (watching the message store,
   * when enabled, for rows that process stored) and takes over polling as soon as the lock frees.
   */
  async runBackground(options: DispatchOptions = {}): Promise<void> {
    this.#assertOpen();
    if (this.#dispatcher) return;
    let wake!: () => void;
    const d: Dispatcher = {
      controller: new AbortController(),
      pollTimeoutMs: (options.pollTimeout ?? DEFAULT_RECV_TIMEOUT_S) * 1000,
      loops: new Map(),
      hadLoops: false,
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
    this.#dispatcher = d;
    const acquired = await this.#pollLock.tryLock();
    d.done = this.#runDispatcher(d, acquired);
  }

  /**
   * Run the dispatcher until {@linkcode WeiLink.stop} is called, SIGINT/SIGTERM arrives, or every
   * session has expired; then close the client.
   */
  async runForever(options: DispatchOptions = {}): Promise<void> {
    await this.runBackground(options);
    const onSignal = () => {
      this.#logger.info("Signal received, shutting down");
      void this.stop();
    };
    const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
    const installed: Deno.Signal[] = [];
    for (const sig of signals) {
      try {
        Deno.addSignalListener(sig, onSignal);
        installed.push(sig);
      } catch {
        // Signal not supported here.
      }
    }
    try {
      await this.#dispatcher?.done;
    } finally {
      for (const sig of installed) Deno.removeSignalListener(sig, onSignal);
      await this.close();
    }
  }

  /** Stop the dispatcher (if running) and wait for it to wind down. */
  async stop(): Promise<void> {
    const d = this.#dispatcher;
    if (!d) return;
    d.controller.abort();
    await d.done;
  }

  async #runDispatcher(d: Dispatcher, acquired: boolean): Promise<void> {
    const signal = d.controller.signal;
    let reason: "stopped" | "all_sessions_expired" = "stopped";
    try {
      if (!acquired) {
        acquired = await this.#standBy(d);
        if (!acquired) return;
      }
      d.primary = true;
      this.#emit({ type: "dispatcher_role", role: "primary" });
      this.#logger.debug("Dispatcher polling (poll lock held)");
      while (!signal.aborted) {
        this.#refreshFromDisk();
        for (const s of this.#sessions.values()) {
          if (s.bot && !s.expired && !d.loops.has(s)) {
            d.hadLoops = true;
            const loop = this.#sessionLoop(d, s).finally(() => {
              d.loops.delete(s);
              d.wake();
            });
            d.loops.set(s, loop);
          }
        }
        if (d.loops.size === 0 && d.hadLoops) {
          reason = "all_sessions_expired";
          this.#logger.error("Every session has stopped; the dispatcher stops");
          break;
        }
        // Re-check periodically too, to pick up sessions logged in by another process. The timer is
        // cancelled as soon as the wait ends, so a stopped dispatcher leaves nothing behind that
        // would keep the process alive.
        const waitEnded = new AbortController();
        const tick = sleep(this.#watchIntervalMs * 5, AbortSignal.any([signal, waitEnded.signal]))
          .catch(() => {});
        await Promise.race([d.wakeSignal, tick]);
        waitEnded.abort();
      }
    } catch (err) {
      this.#logger.error(`Dispatcher failed: ${errorText(err)}`);
    } finally {
      d.controller.abort();
      await Promise.allSettled(d.loops.values());
      await this.#dispatchChain;
      if (acquired) await this.#pollLock.unlock();
      if (this.#dispatcher === d) this.#dispatcher = undefined;
      this.#queue.wakeAll();
      this.#emit({ type: "dispatcher_stopped", reason });
    }
  }

  /**
   * Wait for the poll lock held by another process, watching the store meanwhile (when enabled).
   * Resolves `true` once the lock is ours, `false` when the dispatcher is stopped first.
   */
  async #standBy(d: Dispatcher): Promise<boolean> {
    const signal = d.controller.signal;
    const store = await this.#getStore();
    this.#emit({ type: "dispatcher_role", role: store ? "store_watcher" : "standby" });
    this.#logger.info(
      store
        ? "Another process is polling: watching the message store until the poll lock frees"
        : "Another process is polling: standing by until the poll lock frees",
    );
    let mark = store ? store.maxRowId() : 0;
    const watch = async () => {
      if (!store) return;
      const { messages, maxRowId } = store.receivedSince(mark);
      mark = maxRowId;
      const fresh = messages.filter((m) => this.#firstSighting(m));
      if (fresh.length) await this.#dispatch(fresh);
    };
    while (!signal.aborted) {
      if (await this.#pollLock.tryLock()) {
        // Rows the previous poller stored just before it let go.
        await watch();
        this.#logger.info("Poll lock acquired: taking over polling");
        return true;
      }
      await watch();
      try {
        await sleep(this.#watchIntervalMs, signal);
      } catch {
        break;
      }
    }
    return false;
  }

  async #sessionLoop(d: Dispatcher, s: SessionState): Promise<void> {
    const signal = d.controller.signal;
    const api = this.#apiFor(s);
    await api.notifyStart().catch(() => {});
    // Polls run back to back: the next poll goes out as soon as a batch arrives, so the server
    // prepares it while this one is committed and dispatched by the worker. Batches that pile up
    // while the worker is busy are committed together (one data-lock section, one fsync per file),
    // and under a backlog the worker lets them gather for GROUP_COMMIT_MS between commits.
    let pending: PolledBatch[] = [];
    let pendingMessages = 0;
    let lastCommit = -Infinity;
    let worker: Promise<void> | undefined;
    const drain = async () => {
      while (pending.length) {
        // Several batches waiting means polling outpaces committing: a backlog. Let more gather.
        const wait = lastCommit + GROUP_COMMIT_MS - this.#now();
        if (
          pending.length > 1 && pendingMessages >= GROUP_COMMIT_MIN_MESSAGES && wait > 0 &&
          pendingMessages < MAX_PENDING_MESSAGES && !signal.aborted
        ) {
          await sleep(wait, signal).catch(() => {});
        }
        lastCommit = this.#now();
        const batches = pending;
        pending = [];
        pendingMessages = 0;
        const merged: PolledBatch = {
          bot: batches[0]!.bot,
          cursor: batches.findLast((b) => b.cursor)?.cursor ?? "",
          messages: batches.flatMap((b) => b.messages),
        };
        try {
          const fresh = await this.#processBatch(s, merged);
          if (fresh.length) await this.#dispatch(fresh);
        } catch (err) {
          this.#logger.error(`Cannot process messages of session "${s.name}": ${errorText(err)}`);
        }
      }
      worker = undefined;
    };
    const polling = () => !signal.aborted && !!s.bot && !s.expired && !s.removed;
    const poll = () => {
      const p = this.#fetchBatch(s, this.#now() + d.pollTimeoutMs, signal);
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
        if (signal.aborted || err instanceof SessionExpiredError) break;
        // Backoff was scheduled by #noteFailure; the next poll waits for it.
      }
      next = polling() ? poll() : undefined;
      if (!batch || (batch.messages.length === 0 && !batch.cursor)) continue;
      pending.push(batch);
      pendingMessages += batch.messages.length;
      worker ??= drain();
      // Backpressure: slow handlers slow polling down instead of growing memory.
      if (pendingMessages >= MAX_PENDING_MESSAGES) await worker;
    }
    await worker;
    if (s.bot && !s.expired) await this.#apiFor(s).notifyStop().catch(() => {});
  }

  /** Run handlers and feed the recv queue, one batch after another (order kept across sessions). */
  #dispatch(messages: Message[]): Promise<void> {
    const run = async () => {
      const handlers = [...this.#handlers];
      for (const msg of messages) {
        for (let i = 0; i < handlers.length; i++) {
          try {
            const result = handlers[i]!(msg);
            // Synchronous handlers (the common case) skip a microtask turn per message.
            if (isThenable(result)) await result;
          } catch (err) {
            this.#logger.error(
              `Message handler #${i + 1} failed on message ${msg.messageId ?? "?"}: ${
                errorText(err)
              }`,
            );
          }
        }
        if (this.#queue.push(msg) !== undefined) this.#reportDrops();
      }
    };
    this.#dispatchChain = this.#dispatchChain.then(run, run);
    return this.#dispatchChain;
  }

  #reportDrops(): void {
    // One warning per minute at most: a bot that only uses handlers never drains the queue.
    const now = this.#now();
    if (now - this.#lastDropWarning < 60_000) return;
    this.#lastDropWarning = now;
    const count = this.#queue.takeDroppedCount();
    this.#logger.warn(
      `recv() queue full: dropped ${count} oldest message(s); call recv() or raise "queueMaxSize"`,
    );
    this.#emit({ type: "messages_dropped", count });
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /** Stop the dispatcher, close the store and release the lock files. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    await this.stop();
    this.#closed = true;
    this.#queue.wakeAll();
    this.#store?.close();
    this.#store = undefined;
    FileLock.releaseHandle(this.#pollLock);
    FileLock.releaseHandle(this.#dataLock);
  }

  /** `await using wl = new WeiLink()` closes the client at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- internals ----------------------------------------------------------------------------

  #assertOpen(): void {
    if (this.#closed) throw new Error("Cannot use a closed WeiLink client");
  }

  #emit(event: WeiLinkEvent): void {
    try {
      this.#onEvent?.(event);
    } catch (err) {
      this.#logger.warn(`Event listener failed: ${errorText(err)}`);
    }
  }

  #apiFor(s: SessionState): ILinkApi {
    const bot = s.bot;
    if (!bot) throw new NotLoggedInError(`Session "${s.name}" is not logged in`);
    if (!s.api || s.api.baseUrl !== (bot.baseUrl || this.#baseUrl)) {
      const opts: ILinkApiOptions = {
        baseUrl: bot.baseUrl || this.#baseUrl,
        qrBaseUrl: this.#qrBaseUrl,
        token: bot.token,
      };
      if (this.#fetch) opts.fetch = this.#fetch;
      s.api = new ILinkApi(opts);
    }
    return s.api;
  }

  #loadSession(name: string): SessionState {
    const s = emptyState(name);
    const token = this.#dir.readToken(name);
    if (token) this.#adoptToken(s, token);
    s.contexts = this.#dir.readContexts(name);
    return s;
  }

  #adoptToken(s: SessionState, token: TokenFile): void {
    const changed = !s.bot || s.bot.token !== token.token || s.bot.baseUrl !== token.base_url;
    s.bot = {
      botId: token.bot_id,
      baseUrl: token.base_url,
      token: token.token,
      userId: token.user_id,
    };
    s.cursor = token.cursor;
    s.createdAt = token.created_at ?? undefined;
    if (changed) {
      s.api = undefined;
      s.expired = false;
      s.failures = 0;
      s.retryAt = 0;
      s.typing.clear();
    }
  }

  /** Re-read one session's `token.json` (atomic writes make an unlocked read consistent). */
  #refreshSession(s: SessionState): void {
    if (s.removed) return;
    const token = this.#dir.readToken(s.name);
    if (token) this.#adoptToken(s, token);
    else if (s.bot && !exists(this.#dir.tokenPath(s.name))) s.bot = undefined;
  }

  /** Pick up sessions created, re-logged or logged out by other processes. */
  #refreshFromDisk(): void {
    for (const name of this.#dir.discoverSessions()) {
      if (!this.#sessions.has(name)) {
        this.#sessions.set(name, this.#loadSession(name));
        const def = this.#sessions.get(this.#defaultName);
        if (def && !def.bot && !exists(this.#dir.tokenPath(this.#defaultName))) {
          this.#sessions.delete(this.#defaultName);
          this.#defaultName = this.#chooseDefault();
        }
      }
    }
    for (const s of this.#sessions.values()) this.#refreshSession(s);
  }

  /**
   * The default session, as the Python original chooses it but honouring `.default_session` even
   * when a `default/` folder exists: the saved name, else `default`, else the connected session
   * created first, else the first discovered; with no session at all, a `default` placeholder.
   */
  #chooseDefault(): string {
    const saved = this.#dir.readDefaultSessionName();
    if (saved && this.#sessions.has(saved)) return saved;
    if (this.#sessions.has(DEFAULT_SESSION)) return DEFAULT_SESSION;
    if (this.#sessions.size === 0) {
      this.#sessions.set(DEFAULT_SESSION, emptyState(DEFAULT_SESSION));
      return DEFAULT_SESSION;
    }
    const all = [...this.#sessions.values()];
    const connected = all.filter((s) => s.bot)
      .sort((a, b) => (a.createdAt ?? Infinity) - (b.createdAt ?? Infinity));
    return (connected[0] ?? all[0]!).name;
  }

  // ---- message store ------------------------------------------------------------------------

  async #getStore(): Promise<StoreBinding | undefined> {
    if (this.#store || this.#storeOption === false) return this.#store;
    const path = this.#storeOption === true
      ? `${this.#dir.basePath}/messages.db`
      : this.#storeOption;
    this.#store = await openMessageStore(path, this.#fallbackWindowS * 1000, this.#now);
    return this.#store;
  }

  #fromStore(store: StoreBinding): Message[] {
    const botIds = new Set(
      [...this.#sessions.values()].filter((s) => s.bot).map((s) => s.bot!.botId),
    );
    return store.nextFallback(botIds).filter((m) => this.#firstSighting(m));
  }

  async #storeReceived(messages: Message[]): Promise<void> {
    const store = await this.#getStore();
    if (!store) return;
    try {
      store.storeReceived(messages);
    } catch (err) {
      this.#logger.warn(`Cannot store ${messages.length} received message(s): ${errorText(err)}`);
    }
  }

  async #storeSent(botId: string, to: string, parts: SentPart[], token: string): Promise<void> {
    const store = await this.#getStore();
    if (!store) return;
    try {
      store.storeSent(botId, to, parts, token);
    } catch (err) {
      this.#logger.warn(`Cannot store ${parts.length} sent message(s): ${errorText(err)}`);
    }
  }
}

function emptyState(name: string): SessionState {
  return {
    name,
    bot: undefined,
    cursor: "",
    createdAt: undefined,
    contexts: {},
    expired: false,
    removed: false,
    api: undefined,
    typing: new Map(),
    longPollMs: undefined,
    failures: 0,
    retryAt: 0,
  };
}

function mediaField(m: Message): Pick<Message, "image" | "voice" | "file" | "video"> {
  const out: Pick<Message, "image" | "voice" | "file" | "video"> = {};
  if (m.image) out.image = m.image;
  else if (m.voice) out.voice = m.voice;
  else if (m.file) out.file = m.file;
  else if (m.video) out.video = m.video;
  return out;
}

/** Whether a handler returned something to wait for (a promise or any other thenable). */
function isThenable(value: unknown): value is PromiseLike<unknown> {
  return typeof (value as PromiseLike<unknown> | undefined)?.then === "function";
}
