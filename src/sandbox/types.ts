/**
 * Public types of the iLink sandbox (`@weilink/core/testing`).
 *
 * @module
 */

import type { NoteRule, ViolationRule } from "./violation_rules.ts";

/** Options of {@linkcode startSandbox}. Every field is optional. */
export interface SandboxOptions {
  /** TCP port to listen on; `0` (the default) picks a free port. */
  port?: number;
  /**
   * Interface to bind; default `127.0.0.1`. Any address other than loopback needs a
   * {@linkcode SandboxOptions.controlToken}: the control API can play every user and read every
   * message. The URLs then name the real address (for a wildcard such as `0.0.0.0`, this
   * machine's first non-loopback IPv4 address), so a phone on the network can reach them.
   */
  hostname?: string;
  /**
   * How long `getupdates` holds a request without news, and the `longpolling_timeout_ms` it
   * announces. Default 35 000 like the real server; tests use a few hundred milliseconds.
   */
  longPollMs?: number;
  /**
   * Most messages one `getupdates` answer carries; default 100. `1` makes every message cost a
   * poll of its own (benches of a client's per-call cost).
   */
  updatesBatch?: number;
  /**
   * How long each context token stays valid, counted from its own message (spec §6.4). Default
   * 24 h. A newer message of the same user does not shorten it.
   */
  windowMs?: number;
  /** Replies each context token allows (spec §6.4). Default 10. */
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
   * Serve through `node:http` instead of `Deno.serve`, so that the `drop_before_read` and
   * `drop_after_read` faults can close a connection without answering (`Deno.serve` always
   * answers). About 1.5x slower; default false.
   */
  connectionFaults?: boolean;
  /**
   * Bearer token that guards the control API (`/_control/*`): at least 16 characters, no
   * whitespace. Required to bind a non-loopback address. With a token, control requests need
   * `Authorization: Bearer <token>`, and writes need `Content-Type: application/json`. The phone
   * page asks for it (or reads it from `/phone#token=<token>`).
   */
  controlToken?: string;
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

/** The kinds of {@linkcode SandboxFault}. */
export type SandboxFaultKind =
  | "http500"
  | "ret"
  | "hang"
  | "malformed_json"
  | "drop_before_read"
  | "drop_after_read";

/** Every {@linkcode SandboxFaultKind}, in a stable order. */
export const FAULT_KINDS: readonly SandboxFaultKind[] = [
  "http500",
  "ret",
  "hang",
  "malformed_json",
  "drop_before_read",
  "drop_after_read",
];

/**
 * A fault to inject with {@linkcode Sandbox.fail}. Except for `drop_after_read`, the request is
 * not processed (a faulted `sendmessage` is not recorded in `sent()`).
 *
 * - `http500`: answer HTTP 500 with a short text body.
 * - `ret`: answer HTTP 200 with an error body: `ret` (default -1 when neither `ret` nor `errcode`
 *   is given), `errcode` and `errmsg` (default `"injected fault"`). On the CDN endpoints, which have
 *   no JSON envelope, this is HTTP 400 with `x-error-message: <errmsg>` instead.
 * - `hang`: never answer; the request is held until the client gives up or the sandbox closes.
 * - `malformed_json`: answer HTTP 200, `Content-Type: application/json`, with a truncated body
 *   such as `{"ret":0,"msgs":[`.
 * - `drop_before_read`: close the TCP connection without reading the request body and without
 *   any response.
 * - `drop_after_read`: process the request completely (a `sendmessage` is accepted and appears in
 *   `sent()`), then close the TCP connection without sending a single response byte. A client
 *   whose HTTP stack silently re-sends the request on a fresh connection (Deno's `fetch` does so
 *   for a reused keep-alive connection) shows up in {@linkcode Sandbox.requests} as a second call.
 *
 * The two `drop_*` kinds need a sandbox started with `connectionFaults: true`.
 */
export interface SandboxFault {
  /** What goes wrong. */
  kind: SandboxFaultKind;
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
  /**
   * Raw extra wire items appended to `item_list`. Nesting deeper than 64 levels is refused with a
   * `RangeError`; use {@linkcode Sandbox.injectRaw} for deliberately hostile input.
   */
  items?: unknown[];
}

/** Options of {@linkcode Sandbox.expireSession}. */
export interface ExpireSessionOptions {
  /** Which field carries `-14`; default `errcode`. */
  field?: SessionExpiryField;
  /** When given, the session becomes valid again by itself after this many milliseconds. */
  reviveAfterMs?: number;
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

/**
 * A protocol rule a client broke; the real server might reject or misbehave on it. Notes
 * ({@linkcode Sandbox.notes}) have the same shape with a {@linkcode NoteRule}.
 */
export interface Violation {
  /** Epoch milliseconds. */
  at: number;
  /** Endpoint name (as in {@linkcode FaultEndpoint}). */
  endpoint: string;
  /** The bot whose token was used, when known. */
  botId?: string;
  /**
   * Stable rule id, e.g. `missing_base_info`, `multiple_items`, `media_key_not_format_b`,
   * `double_slash_path`; every one is listed in {@linkcode VIOLATION_RULES}.
   */
  rule: ViolationRule;
  /** Human-readable explanation (never contains secrets). */
  detail: string;
}

/**
 * Behaviour the sandbox accepts but that is worth knowing, such as a reply with a context token
 * older than the user's newest one; see {@linkcode Sandbox.notes}.
 */
export interface Note extends Omit<Violation, "rule"> {
  /** Stable note id, e.g. `older_context_token`; every one is listed in {@linkcode NOTE_RULES}. */
  rule: NoteRule;
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
  /** Number of recorded notes. */
  notes: number;
  /** Faults still armed, per endpoint. */
  faults: { endpoint: string; kind: string; remaining: number }[];
}

/** A running sandbox; see {@linkcode startSandbox}. */
export interface Sandbox {
  /**
   * API base without a trailing slash, e.g. `http://127.0.0.1:PORT` (also the QR host and the
   * `baseurl` of the `confirmed` QR status). Join paths as `${baseUrl}/ilink/bot/...`.
   */
  readonly baseUrl: string;
  /** CDN base, e.g. `http://127.0.0.1:PORT/c2c`. */
  readonly cdnBaseUrl: string;
  /** Control API base, e.g. `http://127.0.0.1:PORT/_control`. */
  readonly controlUrl: string;
  /** The phone web page, e.g. `http://127.0.0.1:PORT/phone`. */
  readonly phoneUrl: string;
  /** Whether the control API needs `Authorization: Bearer <controlToken>`. */
  readonly requiresControlToken: boolean;
  /** Whether the `drop_*` faults are available (started with `connectionFaults: true`). */
  readonly connectionFaults: boolean;
  /** Confirms (or only scans) a pending QR login. */
  confirmLogin(opts?: ConfirmLoginOptions): Promise<ConfirmedLogin>;
  /** Queues an inbound user message for a bot; it is delivered by the next `getupdates`. */
  injectMessage(msg: InjectMessage): Promise<{ messageId: string; contextToken: string }>;
  /**
   * Queues `json` as one entry of the `msgs` array of the bot's next `getupdates`, verbatim (it
   * may be `null`, a number, an item list holding `null`, a `ref_msg` nested 20,000 levels deep).
   * It takes a `seq` and moves the cursor like a normal message. Only checks that `json` is valid
   * JSON text (`TypeError` otherwise). `botId` defaults to the newest logged-in bot.
   */
  injectRaw(json: string, opts?: { botId?: string }): Promise<void>;
  /** Messages the bots sent (accepted ones only), oldest first. */
  sent(filter?: { botId?: string; to?: string }): Promise<SentRecord[]>;
  /** Protocol violations recorded so far, oldest first. */
  violations(): Promise<Violation[]>;
  /**
   * Notes recorded so far, oldest first: accepted behaviour worth knowing, e.g. a reply with a
   * context token older than the user's newest (`older_context_token`).
   */
  notes(): Promise<Note[]>;
  /**
   * How many requests each endpoint (by {@linkcode FaultEndpoint} name) has received and read,
   * every endpoint listed. A request is counted once it has been read in full, so a
   * `drop_before_read` request does not count and a `drop_after_read` one does.
   */
  requests(): Promise<Record<string, number>>;
  /**
   * Makes the next `fault.times` calls of `endpoint` fail. The `drop_*` kinds reject with a
   * `TypeError` unless the sandbox was started with `connectionFaults: true`.
   */
  fail(endpoint: FaultEndpoint, fault: SandboxFault): Promise<void>;
  /**
   * Makes every later call with the bot's token answer `-14` (session timeout), at once for a
   * held `getupdates`; with `reviveAfterMs` the session becomes valid again by itself.
   */
  expireSession(botId: string, opts?: ExpireSessionOptions): Promise<void>;
  /** Makes an expired session valid again at once. */
  reviveSession(botId: string): Promise<void>;
  /**
   * Marks every context token issued so far to `userId` by `botId` as stale: `sendmessage` with
   * one of them answers `{ret:-14, errcode:-14, errmsg:"session timeout"}`, while `getupdates` and
   * every other call keep working (the field reports of spec §6.3). The user's next message
   * issues a fresh, valid token.
   */
  staleContext(botId: string, userId: string): Promise<void>;
  /** A summary of bots, pending logins, violations and faults. */
  state(): Promise<SandboxSnapshot>;
  /** Forgets everything (bots, logins, messages, media, violations, faults); keeps listening. */
  reset(): Promise<void>;
  /** Stops the server and releases every held request. */
  close(): Promise<void>;
}
