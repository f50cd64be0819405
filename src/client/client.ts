/**
 * The `WeiLink` client: a thin front over the parts that do the work — the session registry
 * (`session_registry.ts`), the poller (`poller.ts`), the sender (`sender.ts`) and the dispatcher
 * (`dispatcher.ts`), which share one `ClientContext`.
 *
 * @module
 */

import type {
  BotInfo,
  Message,
  SendResult,
  UploadedMedia,
  UploadMediaType,
} from "../models/mod.ts";
import type { AdminHandle, AdminOptions } from "../admin/mod.ts";
import { ClientContext } from "./client_context.ts";
import { Committer } from "./committer.ts";
import { Consumer } from "./consumer.ts";
import { contextStatus } from "./context_state.ts";
import { syncedSoon, validateSessionName } from "./data_dir.ts";
import { Dispatcher } from "./dispatcher.ts";
import { LoginError } from "./errors.ts";
import { runQrLogin } from "./login.ts";
import type { MediaInput } from "./media_input.ts";
import { Poller } from "./poller.ts";
import { type DownloadCall, type SavedMedia, Sender } from "./sender.ts";
import { isUsable, SessionRegistry, type SessionState } from "./session_registry.ts";
import type {
  Contact,
  DispatchOptions,
  ErrorHandler,
  LoginOptions,
  MediaKind,
  MessageHandler,
  RecvOptions,
  SendContent,
  WeiLinkOptions,
} from "./types.ts";

export type {
  Contact,
  DispatchOptions,
  ErrorHandler,
  LoginOptions,
  MediaKind,
  MessageHandler,
  RecvOptions,
  RetryPolicy,
  SendContent,
  WeiLinkEvent,
  WeiLinkOptions,
} from "./types.ts";
export { TYPING_TICKET_TTL_MS } from "./sender.ts";

const DEFAULT_RECV_TIMEOUT_S = 35;

/**
 * A handle on one session (one WeChat account bound to the bot), from {@linkcode WeiLink.sessions}.
 * Reads are live; methods act through the client.
 */
export class Session {
  readonly #client: WeiLink;
  readonly #state: SessionState;
  readonly #contacts: () => Contact[];

  /** @internal Created by the client. */
  constructor(client: WeiLink, state: SessionState, contacts: () => Contact[]) {
    this.#client = client;
    this.#state = state;
    this.#contacts = contacts;
  }

  /** Session (folder) name. */
  get name(): string {
    return this.#state.name;
  }

  /** Bot account id, `undefined` when not logged in. */
  get botId(): string | undefined {
    return this.#state.cred?.bot.botId;
  }

  /** WeChat user who authorised the bot, `undefined` when not logged in. */
  get userId(): string | undefined {
    return this.#state.cred?.bot.userId;
  }

  /** Whether the session has credentials that have not been reported as expired. */
  get isConnected(): boolean {
    return isUsable(this.#state);
  }

  /**
   * Whether `getupdates` answered `-14` for the credentials (seen by this or another process). The
   * token is still probed with growing pauses; `login()` offers a new QR code without `force`.
   */
  get isExpired(): boolean {
    return this.#state.cred?.expiredAt !== undefined;
  }

  /** When the server reported the credentials as expired, if it did. */
  get expiredAt(): Date | undefined {
    const at = this.#state.cred?.expiredAt;
    return at === undefined ? undefined : new Date(at * 1000);
  }

  /** Whether this is the client's default session. */
  get isDefault(): boolean {
    return this.#client.defaultSessionName === this.#state.name;
  }

  /** When the credentials were first saved, if known. */
  get createdAt(): Date | undefined {
    return this.#state.createdAt === undefined ? undefined : new Date(this.#state.createdAt * 1000);
  }

  /**
   * The users who wrote to this session's bot, read from its `contexts.json` (so also those seen
   * by other processes), most recent first: when each last wrote, when the bot last answered,
   * and whether a reply is possible now.
   */
  contacts(): Contact[] {
    return this.#contacts();
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
 * @example A recv() loop, run here against the embedded sandbox
 * ```ts
 * import { WeiLink } from "@weilink/core";
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const basePath = await Deno.makeTempDir();
 * // Against WeChat: `await using wl = new WeiLink();` then `await wl.login();` shows a QR code.
 * await using wl = new WeiLink({
 *   basePath,
 *   baseUrl: sandbox.baseUrl,
 *   cdnBaseUrl: sandbox.cdnBaseUrl,
 *   logger: "silent",
 * });
 * const login = wl.login({ onQr: () => {} });
 * await sandbox.confirmLogin();
 * await login;
 *
 * await sandbox.injectMessage({ text: "hi" });
 * for (const msg of await wl.recv({ timeout: 5 })) {
 *   const result = await wl.send(msg.fromUser, `echo: ${msg.text}`);
 *   console.log(result.success, result.remaining); // true 9
 * }
 * await sandbox.close();
 * ```
 */
export class WeiLink {
  readonly #ctx: ClientContext;
  readonly #registry: SessionRegistry;
  readonly #poller: Poller;
  readonly #committer: Committer;
  readonly #sender: Sender;
  readonly #dispatcher: Dispatcher;
  readonly #consumers = new Set<Consumer>();
  #admin: Promise<AdminHandle> | undefined;

  /** Opens the data directory (migrating a legacy flat layout) and loads every session. */
  constructor(options: WeiLinkOptions = {}) {
    this.#ctx = new ClientContext(options);
    this.#registry = new SessionRegistry(this.#ctx);
    this.#committer = new Committer(this.#ctx);
    this.#poller = new Poller(this.#ctx, this.#registry, this.#committer);
    this.#sender = new Sender(this.#ctx, this.#registry, this.#committer);
    this.#dispatcher = new Dispatcher(
      this.#ctx,
      this.#registry,
      this.#poller,
      options.queueMaxSize ?? 1000,
    );
  }

  // ---- properties ---------------------------------------------------------------------------

  /** Absolute path of the data directory. */
  get basePath(): string {
    return this.#ctx.dir.basePath;
  }

  /**
   * Where sessions, cursors, context tokens and history are kept: `"files"` (the data directory)
   * or `"postgres"` (see {@linkcode WeiLinkOptions.storage}).
   */
  get storageKind(): "files" | "postgres" {
    return this.#ctx.storage.kind;
  }

  /** The data directory, or the PostgreSQL URL without its password. */
  get storageLocation(): string {
    return this.#ctx.storage.location;
  }

  /**
   * Resolves once the storage is usable: at once for the data directory; with PostgreSQL once
   * connected, migrated and the sessions loaded (the session getters read that snapshot).
   *
   * @throws {Error} When the database cannot be reached or migrated.
   */
  async ready(): Promise<this> {
    await this.#ctx.storage.ready;
    this.#registry.sync();
    return this;
  }

  // The session getters read the data directory first (a few `stat`s when nothing changed), so
  // they reflect logins, logouts, renames, expiries and default changes of other processes.

  /** Whether any session has usable credentials. */
  get isConnected(): boolean {
    return this.#synced().usable().length > 0;
  }

  /** Bot id of the default session, `undefined` when it is not logged in. */
  get botId(): string | undefined {
    const registry = this.#synced();
    return registry.get(registry.defaultName)?.cred?.bot.botId;
  }

  /** Session name → bot id, for every session with credentials. */
  get botIds(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const s of this.#synced().withCredentials()) out[s.name] = s.cred!.bot.botId;
    return out;
  }

  /** Every session by name (iteration order: discovery order, then creation). */
  get sessions(): Record<string, Session> {
    const out: Record<string, Session> = {};
    for (const s of this.#synced().all()) {
      out[s.name] = new Session(this, s, () => this.#contactsOf(s));
    }
    return out;
  }

  /** Name of the default session. */
  get defaultSessionName(): string {
    return this.#synced().defaultName;
  }

  #contactsOf(s: SessionState): Contact[] {
    const contexts = this.#sender.viewContexts(
      s,
      this.#committer.view(s, this.#ctx.storage.records.readContexts(s.name)),
    );
    const nowSec = this.#ctx.now() / 1000;
    const date = (seconds: number | undefined) => seconds ? new Date(seconds * 1000) : undefined;
    return Object.entries(contexts)
      .map(([userId, entry]): Contact => {
        const status = contextStatus(entry, nowSec);
        return {
          userId,
          lastReceivedAt: date(entry.ts),
          lastSentAt: date(entry.send_ts),
          firstSeenAt: date(entry.first_seen),
          canReply: status.kind === "live" && status.remaining > 0,
          repliesLeft: status.kind === "live" ? status.remaining : 0,
        };
      })
      .sort((a, b) => (b.lastReceivedAt?.getTime() ?? 0) - (a.lastReceivedAt?.getTime() ?? 0));
  }

  #synced(): SessionRegistry {
    if (!this.#ctx.closed) this.#registry.sync();
    return this.#registry;
  }

  /** Whether the dispatcher (`runBackground`/`runForever`) is running. */
  get isRunning(): boolean {
    return this.#dispatcher.running;
  }

  // ---- session management -------------------------------------------------------------------

  /** Make `name` the default session and persist it in `.default_session`. */
  async setDefault(name: string): Promise<void> {
    this.#ctx.assertOpen();
    await this.#ctx.storage.refresh();
    await this.#registry.setDefault(name);
  }

  /**
   * Rename a session, moving its folder. `"default"` cannot be a new name (use
   * {@linkcode WeiLink.setDefault} to choose the default).
   */
  async renameSession(oldName: string, newName: string): Promise<void> {
    this.#ctx.assertOpen();
    await this.#ctx.storage.refresh();
    await this.#registry.rename(oldName, newName);
    this.#ctx.logger.info(`Renamed session "${oldName}" to "${newName}"`);
  }

  /**
   * Log a session out: delete its `token.json` and `contexts.json` (and its folder when empty) and
   * drop it. When it was the default, another session becomes the default (persisted), or a fresh
   * `default` placeholder when none is left.
   */
  async logout(name?: string): Promise<void> {
    this.#ctx.assertOpen();
    await this.#ctx.storage.refresh();
    this.#registry.sync();
    const key = name ?? this.#registry.defaultName;
    const botId = await this.#registry.logout(key);
    this.#ctx.logger.info(`Logged out session "${key}"${botId ? ` (bot ${botId})` : ""}`);
  }

  // ---- login --------------------------------------------------------------------------------

  /**
   * Log a session in by QR code (spec §6.1). Existing credentials are reused unless `force` is set
   * or the server reported them expired (by this process or another one sharing the folder): an
   * expired session gets a new QR code and keeps its name and history. The QR code goes to
   * `onQr`, by default printed to stderr. Expired codes are refreshed (3 codes at most),
   * `scaned_but_redirect` is followed, and the login fails with {@linkcode LoginError} after
   * `timeoutMs` (default 5 minutes). A new login replaces the token and starts a fresh cursor.
   */
  async login(options: LoginOptions = {}): Promise<BotInfo> {
    const ctx = this.#ctx;
    ctx.assertOpen();
    await ctx.storage.refresh();
    this.#registry.sync();
    const name = options.name ?? this.#registry.defaultName;
    validateSessionName(name);
    const s = this.#registry.get(name);
    if (s && isUsable(s) && !options.force) {
      ctx.logger.info(`Session "${name}" is already logged in as ${s.cred!.bot.botId}`);
      return s.cred!.bot;
    }
    const result = await runQrLogin({
      session: name,
      apiOptions: {
        baseUrl: ctx.qrBaseUrl,
        qrBaseUrl: ctx.qrBaseUrl,
        ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
      },
      defaultBaseUrl: ctx.baseUrl,
      localTokens: this.#registry.localTokens(),
      logger: ctx.logger,
      pollIntervalMs: ctx.loginPollIntervalMs,
      now: ctx.now,
    }, options);
    if (result.kind === "bound") {
      // The server recognised a token we still hold: it works, so it is not expired.
      if (s?.cred) {
        await this.#registry.markResumed(s, s.cred);
        return s.cred.bot;
      }
      throw new LoginError(
        "bound",
        `Cannot complete login of session "${name}": the server says this bot is already bound, but no credentials are stored for it`,
      );
    }
    const bot = result.bot;
    const state = await this.#registry.saveLogin(name, bot);
    ctx.logger.info(`Logged in session "${name}" as bot ${bot.botId}`);
    await this.#registry.apiFor(state.cred!).notifyStart().catch(() => {});
    this.#dispatcher.wake();
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
   * Transient failures never escape: a failed poll (network error, HTTP error, an API error such
   * as `ret: -1`, a malformed answer) is logged, reported as a `poll_failed` event and retried
   * after a growing pause (2 s, 4 s, then 30 s) within the timeout; `[]` comes back when the
   * timeout passes first. A message that cannot be parsed is skipped with a warning
   * (`message_skipped`). So `for (;;) await wl.recv()` keeps running through outages.
   *
   * @throws {NotLoggedInError} When no session has credentials (log in first).
   * @throws {SessionExpiredError} When every session with credentials has expired (`-14` from
   *   `getupdates`). The tokens are kept and probed with growing pauses; a later call returns
   *   messages again once the server accepts a token, or once a new login replaced it.
   * @throws {RangeError} For a negative timeout.
   * @throws {DOMException} `AbortError` (the signal's reason) when `signal` aborts.
   */
  async recv(options: RecvOptions = {}): Promise<Message[]> {
    this.#ctx.assertOpen();
    const timeoutS = options.timeout ?? DEFAULT_RECV_TIMEOUT_S;
    if (!(timeoutS >= 0)) {
      throw new RangeError(`Invalid timeout ${timeoutS}: expected seconds >= 0`);
    }
    const timeoutMs = timeoutS * 1000;
    if (!this.#dispatcher.running) return await this.#poller.recv(timeoutMs, options.signal);
    // The dispatcher polls; its buffer feeds this call. Messages already buffered come first,
    // then the same promise as without it: no credentials or every session expired is an error.
    const queued = await this.#dispatcher.take(0);
    if (queued.length) return queued;
    this.#poller.assertCanReceive();
    const received = await this.#dispatcher.take(timeoutMs, options.signal);
    if (received.length === 0) this.#poller.assertCanReceive();
    return received;
  }

  /**
   * A named reader of received messages with a durable position of its own
   * (`<data dir>/.consumers/<name>.json`): each consumer sees every message once, across restarts
   * and whichever process polls. Needs the message store. `recv()` of a consumer returns what
   * arrived after its position; the batch counts as handled once {@linkcode Consumer.ack} is
   * called (or the next `recv()`), so a crash before that repeats it rather than losing it.
   *
   * @throws {TypeError} For a name that is not 1-64 letters, digits, `.`, `_` or `-`.
   */
  consumer(name: string): Consumer {
    this.#ctx.assertOpen();
    const consumer = new Consumer(this.#ctx, this.#poller, name, () => this.#dispatcher.running);
    this.#consumers.add(consumer);
    return consumer;
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
   * @throws {TypeError} For empty content, a file without a name, an unreadable media input, or
   *   text that is not well-formed UTF-16 (a lone surrogate: refused, not replaced).
   */
  send(to: string, content: string | SendContent): Promise<SendResult> {
    this.#ctx.assertOpen();
    return this.#sender.send(to, content);
  }

  /** Show "typing…" to a user. Resolves `false` (with a warning) when it could not be shown. */
  sendTyping(to: string): Promise<boolean> {
    this.#ctx.assertOpen();
    return this.#sender.typing(to, 1);
  }

  /** Cancel "typing…" for a user. Resolves `false` (with a warning) on failure. */
  stopTyping(to: string): Promise<boolean> {
    this.#ctx.assertOpen();
    return this.#sender.typing(to, 2);
  }

  // ---- media --------------------------------------------------------------------------------

  /**
   * Download and decrypt the media of a received message into the file `to`, streaming: memory
   * stays flat whatever the size. The data goes to a temporary file beside `to`, renamed to `to`
   * (replacing it) once the padding and the MD5 of a file or video are checked; on any failure it
   * is removed and `to` is left as it was. `mode`: permission bits, default `0o600`. Other
   * options as in the in-memory form.
   *
   * @returns The path (`to`), the plaintext bytes written and their lowercase hex MD5.
   * @throws {TypeError} When the message (or that item) has no media, or `to` is not a file path.
   * @throws {RangeError} When the media is larger than `maxBytes`.
   * @throws {CdnError} When the CDN fails or the content does not match its MD5.
   * @throws {AesError} When decryption fails (usually a wrong key).
   */
  download(
    message: Message,
    options: {
      to: string;
      mode?: number;
      index?: number;
      signal?: AbortSignal;
      maxBytes?: number;
      timeoutMs?: number;
      onProgress?: (done: number, total: number) => void;
    },
  ): Promise<{ path: string; bytes: number; md5: string }>;
  /**
   * Download and decrypt the media of a received message into memory: item `index` of
   * `message.items`, else the first image, voice, file or video item. `maxBytes` caps the
   * ciphertext (default 100 MiB), `timeoutMs` the whole transfer (default 60 000), and
   * `onProgress` receives `(bytesReceived, bytesExpected)`. For large media pass `to` instead.
   *
   * @throws {TypeError} When the message (or that item) has no media.
   * @throws {RangeError} When the media is larger than `maxBytes`.
   * @throws {CdnError} When the CDN fails or the content does not match its MD5.
   * @throws {AesError} When decryption fails (usually a wrong key).
   */
  download(
    message: Message,
    options?: {
      index?: number;
      signal?: AbortSignal;
      maxBytes?: number;
      timeoutMs?: number;
      onProgress?: (done: number, total: number) => void;
    },
  ): Promise<Uint8Array>;
  download(message: Message, options: DownloadCall = {}): Promise<Uint8Array | SavedMedia> {
    this.#ctx.assertOpen();
    return this.#sender.download(message, options);
  }

  /**
   * Upload media to the CDN without sending it; pass the result to `send()` (any number of times)
   * to reuse the upload. Uploads are bound to the recipient `to`.
   */
  upload(
    to: string,
    data: Exclude<MediaInput, UploadedMedia>,
    type: MediaKind | UploadMediaType,
    fileName?: string,
  ): Promise<UploadedMedia> {
    this.#ctx.assertOpen();
    return this.#sender.upload(to, data, type, fileName);
  }

  // ---- dispatcher ---------------------------------------------------------------------------

  /**
   * Register a handler called for every received message while the dispatcher runs. Handlers run
   * in registration order, one message at a time; an exception in one is logged and does not stop
   * the others. Returns a function that removes the handler.
   */
  onMessage(handler: MessageHandler): () => void {
    return this.#dispatcher.onMessage(handler);
  }

  /**
   * Register a handler for failures of `onMessage` handlers, like grammY's `bot.catch`: it gets the
   * error and the message. Without one, failures are logged. Either way the failing message does
   * not stop the others, and a `handler_failed` event is emitted. Returns a function that removes
   * the handler.
   */
  onError(handler: ErrorHandler): () => void {
    return this.#dispatcher.onError(handler);
  }

  /**
   * Start the dispatcher without blocking: poll every session in the background, call the
   * `onMessage` handlers and buffer messages for `recv()`. The dispatcher keeps `.poll.lock` while
   * it runs. If another process holds it, the dispatcher stands by (watching the message store,
   * when enabled, for rows that process stored) and takes over polling as soon as the lock frees.
   */
  async runBackground(options: DispatchOptions = {}): Promise<void> {
    this.#ctx.assertOpen();
    await this.#dispatcher.start(options);
  }

  /**
   * Run the dispatcher until {@linkcode WeiLink.stop} is called (a handler may call it) or
   * SIGINT/SIGTERM arrives; then close the client. The first signal lets the handler in progress
   * finish; a second one exits the process at once (status 130). Expired sessions do not end it:
   * they are probed with growing pauses, and a login by another process is picked up.
   */
  async runForever(options: DispatchOptions = {}): Promise<void> {
    await this.runBackground(options);
    let signalled = false;
    const onSignal = () => {
      if (signalled) {
        this.#ctx.logger.warn("Second signal: exiting without waiting for handlers");
        Deno.exit(130);
      }
      signalled = true;
      this.#ctx.logger.info("Signal received, shutting down (signal again to exit at once)");
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
      await this.#dispatcher.finished();
    } finally {
      for (const sig of installed) Deno.removeSignalListener(sig, onSignal);
      await this.close();
    }
  }

  /**
   * Stop the dispatcher (if running) and wait for it to wind down. Called from an `onMessage`
   * handler it returns at once; the dispatcher then finishes as soon as that handler returns.
   */
  stop(): Promise<void> {
    return this.#dispatcher.stop();
  }

  // ---- admin panel --------------------------------------------------------------------------

  /**
   * Serve the web admin panel for this client (default `127.0.0.1:8080`, the next free port when
   * taken); resolves with its URL. It does not poll by itself: call `runBackground()`, or let
   * another process poll the data directory. Calling it again returns the running panel.
   * `close()` stops it.
   *
   * @throws {WeiLinkError} when binding beyond loopback without a token, or no port is free.
   */
  startAdmin(options: AdminOptions = {}): Promise<AdminHandle> {
    this.#ctx.assertOpen();
    this.#admin ??= import("../admin/mod.ts")
      .then(({ serveAdmin }) => {
        const url = this.#ctx.storageUrl;
        return serveAdmin(this, url !== undefined ? { store: url, ...options } : options);
      })
      .catch((error) => {
        this.#admin = undefined;
        throw error;
      });
    return this.#admin;
  }

  /** Stop the admin panel, if it runs. */
  async stopAdmin(): Promise<void> {
    const admin = this.#admin;
    this.#admin = undefined;
    await (await admin?.catch(() => undefined))?.close();
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  /**
   * Stop the dispatcher, close the store and release the lock files. Idempotent. Called from an
   * `onMessage` handler, it stops the dispatcher and the client closes once that handler returns.
   */
  async close(): Promise<void> {
    if (this.#ctx.closed) return;
    if (this.#dispatcher.inHandler) {
      await this.stop();
      this.#dispatcher.afterStop(() => this.close());
      return;
    }
    await this.stopAdmin();
    await this.stop();
    for (const consumer of this.#consumers) await consumer.close();
    this.#consumers.clear();
    await this.#committer.close();
    await this.#sender.close();
    await syncedSoon();
    await this.#ctx.close();
    this.#dispatcher.wakeAll();
  }

  /** `await using wl = new WeiLink()` closes the client at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
