/**
 * The iLink Bot HTTP client: one method per endpoint, typed errors, spec-exact headers and
 * timeouts. Uses only `fetch`, `AbortController`, `TextEncoder` and `crypto.getRandomValues`.
 *
 * @module
 */

import {
  ILinkError,
  InvalidResponseError,
  NetworkError,
  QuotaExhaustedError,
  SessionExpiredError,
  TextTooLongError,
} from "./errors.ts";
import { clientVersionHeader, ILINK_APP_ID, randomWechatUin } from "./headers.ts";
import { VERSION } from "../version.ts";
import { parseJsonLossless } from "./json.ts";
import type {
  GetConfigResponse,
  GetUpdatesResponse,
  GetUpdatesResult,
  GetUploadUrlRequest,
  GetUploadUrlResponse,
  QrCodeResponse,
  QrStatusResponse,
  SendMessageResponse,
  TypingStatus,
  WireBaseInfo,
  WireEnvelope,
  WireMessage,
} from "./types.ts";

/** Default API base, also the fixed host of QR login (spec §1.1). */
export const DEFAULT_BASE_URL = "https://ilinkai.weixin.qq.com";

/** Largest text item the server accepts, in UTF-8 bytes (spec §4.6). */
export const TEXT_BYTE_LIMIT = 16_384;

/** Code in `ret` or `errcode` meaning the bot token is no longer valid. */
const SESSION_EXPIRED = -14;

/** Client-side timeouts in ms (spec §1.5). */
const TIMEOUTS = {
  /** Server holds the long poll ~35 s; a few seconds of margin avoid racing it. */
  getupdates: 40_000,
  qrStatus: 35_000,
  /** The official client has none; a hung login request must still end. */
  qrCode: 30_000,
  send: 15_000,
  small: 10_000,
} as const;

/** Options of {@linkcode ILinkApi}. */
export interface ILinkApiOptions {
  /** API base for bot endpoints (the account's `baseurl`); default `https://ilinkai.weixin.qq.com`. */
  baseUrl?: string;
  /** Fixed host of the QR endpoints; defaults to the official host, not to `baseUrl`. */
  qrBaseUrl?: string;
  /** Bearer token of the bot account (secret). */
  token?: string;
  /** `fetch` to use, e.g. for a proxy or for tests. */
  fetch?: typeof fetch;
  /**
   * `fetch` for `sendmessage` only; default `fetch`. A send must reach the server at most once,
   * and some HTTP stacks (Deno's `fetch` among them) silently send a POST again when a reused
   * keep-alive connection closes after the server read it. Pass a `fetch` that opens a fresh
   * connection per request (in Deno: one bound to `Deno.createHttpClient({ poolMaxIdlePerHost: 0 })`)
   * so that such a failure is reported instead of repeated.
   */
  sendFetch?: typeof fetch;
  /** `SKRouteTag` header, sent on every request when set. */
  routeTag?: string;
  /** `base_info.channel_version`; defaults to this SDK's version. */
  channelVersion?: string;
}

/** Options of {@linkcode ILinkApi.getQrcodeStatus}. */
export interface QrStatusOptions {
  /** `redirect_host` from a `scaned_but_redirect` answer (bare host, or a full URL). */
  host?: string;
  /** Pairing code typed by the operator after `need_verifycode`. */
  verifyCode?: string;
  /** Aborts the poll; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Client-side timeout, default 35 000 ms; a timeout is reported as `status: "wait"`. */
  timeoutMs?: number;
}

/** Options of {@linkcode ILinkApi.getUpdates}. */
export interface GetUpdatesOptions {
  /**
   * Client-side timeout in ms, honoured as an upper bound (default 40 000). On timeout the call
   * resolves to an empty result with the cursor unchanged instead of failing.
   */
  timeoutMs?: number;
  /** Aborts the poll; the promise then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/** A freshly created login QR code. */
export interface BotQrcode {
  /** Opaque login-session id to poll with {@linkcode ILinkApi.getQrcodeStatus}. */
  qrcode: string;
  /** URL to render as a QR code or show as a link. */
  qrcodeUrl: string;
}

interface RawResponse {
  status: number;
  text: string;
}

/** Marks an abort caused by our own timer, as opposed to the caller's signal. */
class ClientTimeout extends Error {}

/**
 * Joins an API base and a relative path the way the official client does (spec §1.1): the base
 * gets a trailing `/`, then the path is resolved against it, so a base with a path prefix keeps
 * it. `query` is appended as given (already encoded).
 *
 * @example
 * ```ts
 * import { joinApiUrl } from "@weilink/core/core";
 *
 * console.log(joinApiUrl("http://127.0.0.1:8080/x", "ilink/bot/getupdates"));
 * // http://127.0.0.1:8080/x/ilink/bot/getupdates
 * ```
 */
export function joinApiUrl(base: string, path: string, query?: string): string {
  const url = new URL(path.replace(/^\/+/, ""), base.endsWith("/") ? base : `${base}/`).href;
  return query ? `${url}?${query}` : url;
}

/** UTF-8 length of a string without allocating a buffer. */
function utf8Length(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}

/** Index of the first lone surrogate of `text`, or -1 when it is well-formed UTF-16. */
function loneSurrogateAt(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0xd800 || c > 0xdfff) continue;
    const d = text.charCodeAt(i + 1);
    if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) i++;
    else return i;
  }
  return -1;
}

/**
 * Checks that `text` can be sent as one text item and returns its UTF-8 length. Text that is not
 * well-formed UTF-16 (a lone surrogate, e.g. from slicing a string in the middle of an emoji) is
 * refused rather than replaced: its UTF-8 form and its JSON form on the wire disagree, and a
 * silent U+FFFD would change what the user reads.
 *
 * @throws {TypeError} When `text` is not a string or holds a lone surrogate.
 * @throws {TextTooLongError} When it exceeds 16 384 UTF-8 bytes.
 */
export function checkSendableText(text: string): number {
  if (typeof text !== "string") {
    throw new TypeError(`Cannot send text: expected a string, got ${typeof text}`);
  }
  const bad = loneSurrogateAt(text);
  if (bad >= 0) {
    throw new TypeError(
      `Cannot send text: it is not well-formed UTF-16 (a lone surrogate at index ${bad}); ` +
        "check how it was cut or decoded",
    );
  }
  const size = utf8Length(text);
  if (size > TEXT_BYTE_LIMIT) throw new TextTooLongError("sendmessage", size, TEXT_BYTE_LIMIT);
  return size;
}

function randomHex(bytes: number): string {
  return Array.from(
    crypto.getRandomValues(new Uint8Array(bytes)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
}

/** A unique `client_id`: epoch ms plus 64 random bits. */
function newClientId(): string {
  return `weilink:${Date.now()}-${randomHex(8)}`;
}

function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/**
 * Whether a failed `fetch` certainly never delivered its request: the connection could not be
 * opened or the host name did not resolve. Runtimes word this differently (Deno: "client error
 * (Connect)", Node: `cause.code` ECONNREFUSED/ENOTFOUND); anything else — a connection closed or
 * reset after the request went out — may have reached the server.
 */
function neverConnected(err: unknown): boolean {
  const parts: string[] = [];
  for (let e = err, depth = 0; e !== undefined && e !== null && depth < 5; depth++) {
    if (typeof e !== "object") {
      parts.push(String(e));
      break;
    }
    const o = e as { message?: unknown; code?: unknown; cause?: unknown };
    parts.push(String(o.message ?? ""), String(o.code ?? ""));
    e = o.cause;
  }
  return /\(Connect\)|tcp connect error|dns error|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH/i
    .test(parts.join(" "));
}

function code(v: unknown): number {
  if (typeof v === "number") return v;
  if (typeof v === "string" && /^-?\d+$/.test(v.trim())) return Number(v);
  return 0;
}

/**
 * Typed client of the iLink Bot HTTP API (spec §3). One instance talks to one account: bot
 * endpoints go to `baseUrl` with the bearer `token`; QR endpoints go to `qrBaseUrl`.
 *
 * Message ids in responses (`message_id`, `msg_id`, `svr_id`) are decimal strings.
 *
 * @example Log in with a QR code, receive and answer (here against the embedded sandbox)
 * ```ts
 * import { ILinkApi } from "@weilink/core/core";
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * // Against WeChat: new ILinkApi() (the official QR host); show qrcodeUrl as a QR code.
 * const qrApi = new ILinkApi({ qrBaseUrl: sandbox.baseUrl });
 * const { qrcode } = await qrApi.getBotQrcode();
 * await sandbox.confirmLogin({ qrcode }); // what the phone does
 * let host: string | undefined;
 * let api: ILinkApi | undefined;
 * while (!api) {
 *   const s = await qrApi.getQrcodeStatus(qrcode, host ? { host } : {});
 *   if (s.status === "scaned_but_redirect") host = s.redirect_host || host;
 *   if (s.status === "confirmed") api = new ILinkApi({ baseUrl: s.baseurl!, token: s.bot_token! });
 *   else await new Promise((r) => setTimeout(r, 200));
 * }
 * await sandbox.injectMessage({ text: "hi" });
 * const { msgs } = await api.getUpdates("");
 * for (const m of msgs) await api.sendText(m.from_user_id!, "got it", m.context_token!);
 * console.log((await sandbox.sent())[0]?.text); // "got it"
 * await sandbox.close();
 * ```
 */
export class ILinkApi {
  /** API base for bot endpoints. */
  readonly baseUrl: string;
  /** Fixed host of the QR endpoints. */
  readonly qrBaseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #sendFetch: typeof fetch;
  readonly #routeTag: string | undefined;
  readonly #baseInfo: WireBaseInfo;
  readonly #clientVersion: string = clientVersionHeader(VERSION);
  /** `Authorization` value, built once (empty when there is no token). */
  readonly #authorization: string;
  /** Bot endpoint URLs by endpoint name, joined once per instance. */
  readonly #urls = new Map<string, string>();

  /** Creates a client; nothing is sent until a method is called. */
  constructor(options: ILinkApiOptions = {}) {
    this.baseUrl = options.baseUrl || DEFAULT_BASE_URL;
    this.qrBaseUrl = options.qrBaseUrl || DEFAULT_BASE_URL;
    this.#token = (options.token ?? "").trim();
    // Calling the global fetch unbound throws "Illegal invocation" in browsers.
    this.#fetch = options.fetch ?? ((input, init) => fetch(input, init));
    this.#sendFetch = options.sendFetch ?? this.#fetch;
    this.#routeTag = options.routeTag;
    this.#authorization = this.#token ? `Bearer ${this.#token}` : "";
    this.#baseInfo = {
      channel_version: options.channelVersion ?? VERSION,
      bot_agent: `WeiLink/${VERSION}`,
    };
  }

  /**
   * Creates a login QR code (`get_bot_qrcode`, spec §3.1): a POST with `local_token_list`, falling
   * back to the older GET form when the server rejects the POST.
   *
   * @param localTokens Up to 10 bot tokens still held, newest first, so the server can answer
   *   `binded_redirect` instead of minting a duplicate bot.
   */
  async getBotQrcode(localTokens: string[] = []): Promise<BotQrcode> {
    const endpoint = "get_bot_qrcode";
    const url = joinApiUrl(this.qrBaseUrl, "ilink/bot/get_bot_qrcode", "bot_type=3");
    let first: unknown;
    try {
      const body = JSON.stringify({ local_token_list: localTokens.slice(0, 10) });
      const res = await this.#send(endpoint, url, {
        method: "POST",
        headers: this.#jsonHeaders(false),
        body,
      }, TIMEOUTS.qrCode);
      const qr = this.#checked<QrCodeResponse>(endpoint, res.text);
      if (qr.qrcode) return { qrcode: qr.qrcode, qrcodeUrl: qr.qrcode_img_content ?? "" };
      first = new InvalidResponseError(endpoint, `iLink ${endpoint} response has no "qrcode"`);
    } catch (err) {
      // Only an answer that rejects the POST form justifies the GET form (servers ≤ 2.1.x).
      if (!(err instanceof NetworkError && err.status !== undefined)) throw err;
      first = err;
    }
    const res = await this.#send(endpoint, url, {
      method: "GET",
      headers: this.#appHeaders(),
    }, TIMEOUTS.qrCode);
    const qr = this.#checked<QrCodeResponse>(endpoint, res.text);
    if (!qr.qrcode) {
      throw new InvalidResponseError(endpoint, `iLink ${endpoint} response has no "qrcode"`, {
        cause: first,
      });
    }
    return { qrcode: qr.qrcode, qrcodeUrl: qr.qrcode_img_content ?? "" };
  }

  /**
   * Polls the state of a login QR code (`get_qrcode_status`, spec §3.2). The GET carries only the
   * app headers. Client timeouts, network errors and HTTP 5xx are reported as `status: "wait"`,
   * as the official client does.
   *
   * On `scaned_but_redirect`, call again with `host: redirect_host`; a bare host reuses the scheme
   * of `qrBaseUrl`, so the redirect also works against a plain-HTTP server.
   */
  async getQrcodeStatus(qrcode: string, opts: QrStatusOptions = {}): Promise<QrStatusResponse> {
    const endpoint = "get_qrcode_status";
    const base = opts.host ? this.#redirectBase(opts.host) : this.qrBaseUrl;
    let query = `qrcode=${encodeURIComponent(qrcode)}`;
    if (opts.verifyCode) query += `&verify_code=${encodeURIComponent(opts.verifyCode)}`;
    let res: RawResponse;
    try {
      res = await this.#send(
        endpoint,
        joinApiUrl(base, "ilink/bot/get_qrcode_status", query),
        { method: "GET", headers: this.#appHeaders() },
        opts.timeoutMs ?? TIMEOUTS.qrStatus,
        opts.signal,
      );
    } catch (err) {
      if (err instanceof NetworkError && (err.status === undefined || err.status >= 500)) {
        return { status: "wait" };
      }
      throw err;
    }
    const status = this.#checked<QrStatusResponse>(endpoint, res.text);
    if (typeof status.status !== "string" || status.status === "") {
      throw new InvalidResponseError(endpoint, `iLink ${endpoint} response has no "status"`);
    }
    return status;
  }

  /**
   * Long-polls for inbound messages (`getupdates`, spec §3.3).
   *
   * On a client-side timeout this resolves to `{ ret: 0, msgs: [], get_updates_buf: cursor }`.
   * `msgs` is always an array, and `get_updates_buf` falls back to `cursor` when the server sends
   * none, so the result's cursor can always be stored as is.
   *
   * @throws {SessionExpiredError} When the token is no longer valid.
   */
  async getUpdates(cursor: string, opts: GetUpdatesOptions = {}): Promise<GetUpdatesResult> {
    let res: GetUpdatesResponse;
    try {
      res = await this.#post<GetUpdatesResponse>(
        "getupdates",
        { get_updates_buf: cursor },
        opts.timeoutMs ?? TIMEOUTS.getupdates,
        opts.signal,
      );
    } catch (err) {
      if (err instanceof NetworkError && err.timedOut) {
        return { ret: 0, msgs: [], get_updates_buf: cursor };
      }
      throw err;
    }
    // `res` is a fresh object parsed from this response: normalised in place, not copied.
    if (!Array.isArray(res.msgs)) res.msgs = [];
    if (!res.get_updates_buf) res.get_updates_buf = cursor;
    return res as GetUpdatesResult;
  }

  /**
   * Sends one message (`sendmessage`, spec §3.4). `item_list` must hold exactly one item.
   * `from_user_id`, `message_type` (2) and `message_state` (2) are set here; a `client_id` is
   * generated unless one is given.
   *
   * @throws {TextTooLongError} Before any request, when a text item exceeds 16 384 UTF-8 bytes.
   * @throws {TypeError} Before any request, when a text item is not well-formed UTF-16.
   * @throws {QuotaExhaustedError} When the server reports the reply quota as used up.
   * @throws {ILinkError} For other refusals (e.g. `ret: -2` for a stale context token).
   */
  async sendMessage(msg: WireMessage): Promise<SendMessageResponse> {
    const items = msg.item_list ?? [];
    if (items.length !== 1) {
      throw new RangeError(
        `Cannot send message: "item_list" must hold exactly 1 item, got ${items.length}`,
      );
    }
    for (const item of items) {
      const text = item.text_item?.text;
      if (text !== undefined) checkSendableText(text);
    }
    const wire: WireMessage = {
      ...msg,
      from_user_id: "",
      client_id: msg.client_id || newClientId(),
      message_type: 2,
      message_state: 2,
    };
    return await this.#post<SendMessageResponse>(
      "sendmessage",
      { msg: wire },
      TIMEOUTS.send,
      undefined,
      this.#sendFetch,
    );
  }

  /**
   * Sends a text message.
   *
   * @throws {TextTooLongError} Before any request, when `text` exceeds 16 384 UTF-8 bytes.
   */
  async sendText(to: string, text: string, contextToken: string): Promise<SendMessageResponse> {
    return await this.sendMessage({
      to_user_id: to,
      context_token: contextToken,
      item_list: [{ type: 1, text_item: { text } }],
    });
  }

  /**
   * Reserves a CDN upload slot (`getuploadurl`, spec §3.5).
   *
   * @throws {ILinkError} When the answer has neither `upload_param` nor `upload_full_url`.
   */
  async getUploadUrl(req: Omit<GetUploadUrlRequest, "base_info">): Promise<GetUploadUrlResponse> {
    const res = await this.#post<GetUploadUrlResponse>("getuploadurl", { ...req }, TIMEOUTS.send);
    if (!res.upload_param && !res.upload_full_url) {
      throw new ILinkError(
        "getuploadurl",
        code(res.ret),
        code(res.errcode),
        res.errmsg ?? "",
        `iLink getuploadurl returned neither "upload_param" nor "upload_full_url"`,
      );
    }
    return res;
  }

  /** Fetches the per-user config holding the typing ticket (`getconfig`, spec §3.6). */
  async getConfig(userId: string, contextToken?: string): Promise<GetConfigResponse> {
    const body: Record<string, unknown> = { ilink_user_id: userId };
    if (contextToken) body.context_token = contextToken;
    const res = await this.#post<GetConfigResponse>("getconfig", body, TIMEOUTS.small);
    return {
      ...res,
      typing_ticket: typeof res.typing_ticket === "string" ? res.typing_ticket : "",
    };
  }

  /** Shows (`1`) or cancels (`2`) the typing indicator (`sendtyping`, spec §3.7). */
  async sendTyping(userId: string, ticket: string, status: TypingStatus): Promise<void> {
    await this.#post(
      "sendtyping",
      { ilink_user_id: userId, typing_ticket: ticket, status },
      TIMEOUTS.small,
    );
  }

  /** Tells the server this client is online (`msg/notifystart`, spec §3.8). */
  async notifyStart(): Promise<void> {
    await this.#post("msg/notifystart", {}, TIMEOUTS.small);
  }

  /** Tells the server this client goes offline (`msg/notifystop`, spec §3.8). */
  async notifyStop(): Promise<void> {
    await this.#post("msg/notifystop", {}, TIMEOUTS.small);
  }

  // ---- internals ----------------------------------------------------------------------------

  #appHeaders(): Record<string, string> {
    const h: Record<string, string> = {
      "iLink-App-Id": ILINK_APP_ID,
      "iLink-App-ClientVersion": this.#clientVersion,
    };
    if (this.#routeTag) h["SKRouteTag"] = this.#routeTag;
    return h;
  }

  #jsonHeaders(withToken: boolean): Record<string, string> {
    // One object literal per request: only X-WECHAT-UIN changes, and it must be fresh each time.
    const h: Record<string, string> = {
      "Content-Type": "application/json",
      "AuthorizationType": "ilink_bot_token",
      "X-WECHAT-UIN": randomWechatUin(),
      "iLink-App-Id": ILINK_APP_ID,
      "iLink-App-ClientVersion": this.#clientVersion,
    };
    if (this.#routeTag) h["SKRouteTag"] = this.#routeTag;
    if (withToken && this.#authorization) h["Authorization"] = this.#authorization;
    return h;
  }

  /** URL of a bot endpoint, joined on first use. */
  #botUrl(endpoint: string): string {
    let url = this.#urls.get(endpoint);
    if (url === undefined) {
      url = joinApiUrl(this.baseUrl, `ilink/bot/${endpoint}`);
      this.#urls.set(endpoint, url);
    }
    return url;
  }

  /** Base URL for a `redirect_host`: a bare host keeps the scheme of `qrBaseUrl`. */
  #redirectBase(host: string): string {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(host)) return host;
    const scheme = new URL(this.qrBaseUrl).protocol;
    return `${scheme}//${host.replace(/\/+$/, "")}/`;
  }

  async #post<T extends WireEnvelope>(
    endpoint: string,
    body: Record<string, unknown>,
    timeoutMs: number,
    signal?: AbortSignal,
    fetcher: typeof fetch = this.#fetch,
  ): Promise<T> {
    // Same key order as `{ ...body, base_info }`, without the copy: every caller passes a fresh
    // object it does not keep.
    body.base_info = this.#baseInfo;
    const res = await this.#send(
      endpoint,
      this.#botUrl(endpoint),
      { method: "POST", headers: this.#jsonHeaders(true), body: JSON.stringify(body) },
      timeoutMs,
      signal,
      fetcher,
    );
    return this.#checked<T>(endpoint, res.text);
  }

  /** Performs one request with a client-side timeout that also covers reading the body. */
  async #send(
    endpoint: string,
    url: string,
    init: RequestInit,
    timeoutMs: number,
    signal?: AbortSignal,
    fetcher: typeof fetch = this.#fetch,
  ): Promise<RawResponse> {
    signal?.throwIfAborted();
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new ClientTimeout()), timeoutMs);
    const onAbort = signal ? () => controller.abort(signal.reason) : undefined;
    if (onAbort) signal!.addEventListener("abort", onAbort, { once: true });
    init.signal = controller.signal;
    try {
      const response = await fetcher(url, init);
      const text = await response.text();
      if (!response.ok) {
        throw new NetworkError(
          endpoint,
          `iLink ${endpoint} failed with HTTP ${response.status}` +
            (text ? `: "${excerpt(text)}"` : ""),
          { status: response.status },
        );
      }
      return { status: response.status, text };
    } catch (err) {
      if (err instanceof NetworkError) throw err;
      if (controller.signal.reason instanceof ClientTimeout) {
        throw new NetworkError(endpoint, `iLink ${endpoint} timed out after ${timeoutMs} ms`, {
          timedOut: true,
          cause: err,
        });
      }
      if (signal?.aborted) throw signal.reason;
      const reason = err instanceof Error ? err.message : String(err);
      throw new NetworkError(endpoint, `iLink ${endpoint} request failed: ${reason}`, {
        cause: err,
        unsent: neverConnected(err),
      });
    } finally {
      clearTimeout(timer);
      if (onAbort) signal!.removeEventListener("abort", onAbort);
    }
  }

  /** Parses a body and maps the `ret`/`errcode` envelope to typed errors (spec §2). */
  #checked<T extends WireEnvelope>(endpoint: string, text: string): T {
    let value: unknown;
    // Older servers answer some endpoints with an empty body meaning `{}`.
    if (text.trim() === "") value = {};
    else {
      try {
        value = parseJsonLossless(text);
      } catch (err) {
        throw new InvalidResponseError(
          endpoint,
          `iLink ${endpoint} returned invalid JSON: "${excerpt(text, 80)}"`,
          { cause: err },
        );
      }
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new InvalidResponseError(
        endpoint,
        `iLink ${endpoint} returned JSON that is not an object: "${excerpt(text, 80)}"`,
      );
    }
    const body = value as T;
    const ret = code(body.ret);
    const errcode = code(body.errcode);
    if (ret === 0 && errcode === 0) return body;
    const errmsg = typeof body.errmsg === "string" ? body.errmsg : "";
    if (ret === SESSION_EXPIRED || errcode === SESSION_EXPIRED) {
      throw new SessionExpiredError(
        endpoint,
        ret,
        errcode,
        errmsg,
        `iLink ${endpoint} failed: session expired (ret ${ret}, errcode ${errcode}); log in again`,
      );
    }
    if (endpoint === "sendmessage" && ret === -2 && /quota|rate limit/i.test(errmsg)) {
      throw new QuotaExhaustedError(endpoint, ret, errcode, errmsg);
    }
    throw new ILinkError(endpoint, ret, errcode, errmsg);
  }
}
