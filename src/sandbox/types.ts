/**
 * Public types of the iLink sandbox (`@weilink/core/testing`).
 *
 * @module
 */

/** Options of {@linkcode startSandbox}. Every field is optional. */
export interface SandboxOptions {
  /** TCP port to listen on; `0` (the default) picks a free port. */
  port?: number;
  /** Interface to bind; default `127.0.0.1`. */
  hostname?: string;
  /**
   * How long `getupdates` holds a request without news, and the `longpolling_timeout_ms` it
   * announces. Default 35 000 like the real server; tests use a few hundred milliseconds.
   */
  longPollMs?: number;
  /** Reply window after the user's last message (spec §6.4). Default 24 h. */
  windowMs?: number;
  /** Bot messages allowed per inbound user message (spec §6.4). Default 10. */
  quota?: number;
  /** Lifetime of a QR login before `get_qrcode_status` answers `expired`. Default 5 minutes. */
  qrTtlMs?: number;
  /**
   * When true, the first status poll after a scan answers `scaned_but_redirect` with
   * `redirect_host` = the sandbox's own `host:port`, to exercise the client's IDC-redirect branch.
   */
  redirect?: boolean;
  /**
   * When true, `getuploadurl` also answers `upload_full_url` (which the client must prefer over
   * building the URL from `upload_param`). Default false.
   */
  uploadFullUrl?: boolean;
  /**
   * Suppress the one-line-per-request log on stderr. Default `true` for the programmatic API (so
   * test output stays clean); the command line starts the sandbox with logging on.
   */
  quiet?: boolean;
}

/** Names of the endpoints that {@linkcode Sandbox.fail} can make misbehave. */
export type FaultEndpoint =
  | "get_bot_qrcode"
  | "get_qrcode_status"
  | "getupdates"
  | "sendmessage"
  | "getuploadurl"
  | "getconfig"
  | "sendtyping"
  | "notifystart"
  | "notifystop"
  | "cdn_upload"
  | "cdn_download";

/** Every {@linkcode FaultEndpoint}, in a stable order. */
export const FAULT_ENDPOINTS: readonly FaultEndpoint[] = [
  "get_bot_qrcode",
  "get_qrcode_status",
  "getupdates",
  "sendmessage",
  "getuploadurl",
  "getconfig",
  "sendtyping",
  "notifystart",
  "notifystop",
  "cdn_upload",
  "cdn_download",
];

/**
 * A fault to inject with {@linkcode Sandbox.fail}.
 *
 * - `http500`: answer HTTP 500 with a short text body.
 * - `ret`: answer HTTP 200 with an error body: `ret` (default -1 when neither `ret` nor `errcode`
 *   is given), `errcode` and `errmsg` (default `"injected fault"`). On the CDN endpoints, which have
 *   no JSON envelope, this is HTTP 400 with `x-error-message: <errmsg>` instead.
 * - `hang`: never answer; the request is held until the client gives up or the sandbox closes.
 */
export interface SandboxFault {
  /** What goes wrong. */
  kind: "http500" | "ret" | "hang";
  /** `ret` of the error body (kind `ret`). */
  ret?: number;
  /** `errcode` of the error body (kind `ret`). */
  errcode?: number;
  /** `errmsg` of the error body (kind `ret`). */
  errmsg?: string;
  /** How many consecutive calls fail; default 1. */
  times?: number;
}

/**
 * Which field carries `-14` once a session is expired with {@linkcode Sandbox.expireSession}:
 * `errcode` alone (the common real-world shape and the default), `ret` alone, or both.
 */
export type SessionExpiryField = "errcode" | "ret" | "both";

/** An inbound message for {@linkcode Sandbox.injectMessage}; media are raw (plaintext) bytes. */
export interface InjectMessage {
  /** Receiving bot; default: the newest logged-in bot. */
  botId?: string;
  /** Sending WeChat user; default: the user who confirmed the bot's login. */
  from?: string;
  /** A TEXT item. */
  text?: string;
  /** An IMAGE item (encrypted with a fresh key, Format A `aes_key` plus hex `aeskey`). */
  image?: Uint8Array;
  /** A VOICE item (Format B key, SILK encode type 6). */
  voice?: Uint8Array;
  /** Speech-to-text transcript of the voice item (`voice_item.text`). */
  voiceText?: string;
  /** A FILE item (Format B key). */
  file?: Uint8Array;
  /** `file_item.file_name`; default `file.bin`. */
  fileName?: string;
  /** A VIDEO item (Format B key). */
  video?: Uint8Array;
  /** Makes the first item a quoted reply (`ref_msg`). */
  quote?: { title?: string; text?: string; svrId?: string };
  /** Raw extra wire items appended verbatim to `item_list`. */
  items?: unknown[];
}

/** One message a bot sent, as the sandbox accepted it. */
export interface SentRecord {
  /** Sending bot. */
  botId: string;
  /** Recipient user (`to_user_id`). */
  to: string;
  /** Server message id (decimal string; on the wire it is a JSON number above 2^53). */
  messageId: string;
  /** The client's `client_id`. */
  clientId: string;
  /** Item type of the message's item (1 text, 2 image, 3 voice, 4 file, 5 video, …). */
  type: number;
  /** Text of a TEXT item. */
  text?: string;
  /** `file_item.file_name` of a FILE item. */
  fileName?: string;
  /** The decrypted media of a media item, when the sandbox could resolve and decrypt it. */
  media?: { bytes: Uint8Array; md5: string; size: number };
  /** The wire item exactly as sent. */
  item: unknown;
  /** Epoch milliseconds when the sandbox accepted it. */
  at: number;
}

/** A protocol rule a client broke; the real server might reject or misbehave on it. */
export interface Violation {
  /** Epoch milliseconds. */
  at: number;
  /** Endpoint name (as in {@linkcode FaultEndpoint}). */
  endpoint: string;
  /** The bot whose token was used, when known. */
  botId?: string;
  /** Stable rule id, e.g. `missing_base_info`, `multiple_items`, `media_key_not_format_b`. */
  rule: string;
  /** Human-readable explanation (never contains secrets). */
  detail: string;
}

/** A login confirmed (or scanned) by {@linkcode Sandbox.confirmLogin}. */
export interface ConfirmedLogin {
  /** The bot account id, `<12 hex>@im.bot`. */
  botId: string;
  /** The bearer token the client receives in the `confirmed` status. */
  token: string;
  /** The WeChat user who confirmed, `…@im.wechat`. */
  userId: string;
}

/** Options of {@linkcode Sandbox.confirmLogin}. */
export interface ConfirmLoginOptions {
  /** The confirming WeChat user; default a fresh random `…@im.wechat` id. */
  userId?: string;
  /** The QR session to confirm; default the newest pending one (waiting up to 10 s for one). */
  qrcode?: string;
  /** Only scan (status `scaned`) without confirming yet. */
  scanOnly?: boolean;
  /**
   * A pairing code (decimal digits) the operator must type: status polls answer
   * `need_verifycode` until one carries `verify_code=<code>`; three wrong codes answer
   * `verify_code_blocked`.
   */
  verifyCode?: string;
}

/** A summary of the sandbox's state, for dashboards and debugging (no secrets). */
export interface SandboxSnapshot {
  /** The API base URL. */
  baseUrl: string;
  /** Logged-in bots. */
  bots: {
    botId: string;
    userId: string;
    online: boolean;
    expired: boolean;
    inbound: number;
    sent: number;
    users: string[];
  }[];
  /** QR logins that are neither confirmed nor expired. */
  pendingLogins: { qrcode: string; status: string; createdAt: number; url: string }[];
  /** Number of recorded violations. */
  violations: number;
  /** Faults still armed, per endpoint. */
  faults: { endpoint: string; kind: string; remaining: number }[];
}

/** A running sandbox; see {@linkcode startSandbox}. */
export interface Sandbox {
  /** API base, e.g. `http://127.0.0.1:PORT/` (also the QR host). */
  readonly baseUrl: string;
  /** CDN base, e.g. `http://127.0.0.1:PORT/c2c`. */
  readonly cdnBaseUrl: string;
  /** Control API base, e.g. `http://127.0.0.1:PORT/_control`. */
  readonly controlUrl: string;
  /** The phone web page, e.g. `http://127.0.0.1:PORT/phone`. */
  readonly phoneUrl: string;
  /** Confirms (or only scans) a pending QR login. */
  confirmLogin(opts?: ConfirmLoginOptions): Promise<ConfirmedLogin>;
  /** Queues an inbound user message for a bot; it is delivered by the next `getupdates`. */
  injectMessage(msg: InjectMessage): Promise<{ messageId: string; contextToken: string }>;
  /** Messages the bots sent (accepted ones only), oldest first. */
  sent(filter?: { botId?: string; to?: string }): Promise<SentRecord[]>;
  /** Protocol violations recorded so far, oldest first. */
  violations(): Promise<Violation[]>;
  /** Makes the next `fault.times` calls of `endpoint` fail. */
  fail(endpoint: FaultEndpoint, fault: SandboxFault): Promise<void>;
  /** Makes every later call with the bot's token answer `-14` (session timeout). */
  expireSession(botId: string, opts?: { field?: SessionExpiryField }): Promise<void>;
  /** A summary of bots, pending logins, violations and faults. */
  state(): Promise<SandboxSnapshot>;
  /** Forgets everything (bots, logins, messages, media, violations, faults); keeps listening. */
  reset(): Promise<void>;
  /** Stops the server and releases every held request. */
  close(): Promise<void>;
}
