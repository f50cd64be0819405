/**
 * Public option, event and content types of the `WeiLink` client.
 *
 * @module
 */

import type { Message } from "../models/mod.ts";
import type { Logger, LogLevel } from "./logger.ts";
import type { QrLoginOptions } from "./login.ts";
import type { MediaInput } from "./media_input.ts";

/**
 * Pauses after failed polls. A failure (network error, HTTP error, an API error other than `-14`)
 * waits `shortMs`, doubling with each repeat, and `longMs` from the `longAfter`-th consecutive
 * failure on, until a poll succeeds (spec §3.3: 2 s, then 30 s after 3 failures). An expired
 * token (`-14`) is probed again after `expiredFirstMs`, doubling up to `expiredMaxMs` (the
 * official client pauses an hour).
 */
export interface RetryPolicy {
  /** Delay after a first failed poll, default 2 000 ms; doubled for each further failure. */
  shortMs: number;
  /** Delay from the `longAfter`-th consecutive failure on, default 30 000 ms. */
  longMs: number;
  /** Consecutive failures after which every pause is `longMs`, default 3. */
  longAfter: number;
  /** First pause before an expired token is probed again, default 30 000 ms. */
  expiredFirstMs: number;
  /** Longest pause between probes of an expired token, default 3 600 000 ms (1 h). */
  expiredMaxMs: number;
}

/**
 * Something the client wants its owner to know about; see {@linkcode WeiLinkOptions.onEvent}.
 *
 * - `session_expired`: `getupdates` answered `-14`. Token, cursor and context tokens are kept; the
 *   token is probed again with growing pauses (up to an hour), and a new login replaces it.
 * - `session_resumed`: a probe of an expired token succeeded; polling goes on as before.
 * - `poll_failed`: a poll, or the commit of what it returned, failed; retried after `retryInMs`.
 * - `message_skipped`: an entry of a `getupdates` answer could not become a message (not an
 *   object, an invalid id); it was logged and passed over.
 * - `handler_failed`: an `onMessage` handler threw (also given to `onError` handlers).
 * - `dispatcher_role`, `dispatcher_stopped`: what the dispatcher does.
 * - `account_claimed`, `account_released`: with PostgreSQL storage, this client became (or
 *   stopped being) the one poller of an account.
 * - `messages_dropped`: the buffer that feeds `recv()` while the dispatcher runs was full and lost
 *   its oldest messages (handlers saw them all; with the store on they are also in the store).
 */
export type WeiLinkEvent =
  | { type: "session_expired"; session: string; botId: string }
  | { type: "session_resumed"; session: string; botId: string }
  | { type: "poll_failed"; session: string; error: Error; retryInMs: number }
  | { type: "message_skipped"; session: string; error: Error }
  | { type: "handler_failed"; message: Message; error: Error }
  | { type: "dispatcher_role"; role: "primary" | "standby" | "store_watcher" }
  | { type: "account_claimed"; session: string; botId: string }
  | { type: "account_released"; session: string; botId: string }
  | { type: "dispatcher_stopped"; reason: "stopped" }
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
  /**
   * Where the client persists sessions, cursors, context tokens, history and consumer positions:
   * `"files"` (default: the data directory and `messages.db`) or a `postgres://` URL, shared by
   * any number of clients on any number of hosts (see `docs/deployment.md`); env `WEILINK_STORE`.
   * With PostgreSQL the message store is always on, and `basePath` only holds downloads.
   */
  storage?: string;
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
  /**
   * More hosts (`cdn.example.com`) or origins (`https://cdn.example.com:8443`) that media URLs
   * handed out by the server (`full_url`, `upload_full_url`, redirects) may point at. By default
   * only `https` on `*.weixin.qq.com` and the origin of `cdnBaseUrl` are used; a URL elsewhere is
   * never fetched, so a message cannot make the bot reach a metadata service or a local port.
   */
  mediaHosts?: string[];
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
  /**
   * PostgreSQL storage: poll only these accounts (session names or bot ids); default every
   * account. Each account is polled by one client at a time, whichever claims it first.
   */
  accounts?: string[];
  /**
   * PostgreSQL storage: also hand the messages of accounts polled by other clients to the
   * handlers and `recv()` (default `true`). A worker that only polls and stores turns it off.
   */
  followOthers?: boolean;
}

/** A message handler; async handlers are awaited, so handlers run one message at a time, in order. */
export type MessageHandler = (message: Message) => void | Promise<void>;

/** A user who wrote to a session's bot, from {@linkcode Session.contacts}. */
export interface Contact {
  /** The user's id (`…@im.wechat`). */
  userId: string;
  /** When the user last wrote (their newest context token arrived), if known. */
  lastReceivedAt: Date | undefined;
  /** When the bot last sent to them successfully, if ever. */
  lastSentAt: Date | undefined;
  /** When the user was first seen, if known. */
  firstSeenAt: Date | undefined;
  /** Whether a reply is possible now: a context token under 24 h old with replies left. */
  canReply: boolean;
  /** Replies left on the current context token (0 when there is none, or it expired). */
  repliesLeft: number;
}

/** Called with the error of a failed message handler and the message it failed on. */
export type ErrorHandler = (error: Error, message: Message) => void;

/** Media type names accepted by {@linkcode WeiLink.upload}. */
export type MediaKind = "image" | "voice" | "file" | "video";
