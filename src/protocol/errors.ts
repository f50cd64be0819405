/**
 * Error classes of the iLink protocol layer.
 *
 * Two families: the API answered and said no ({@linkcode ILinkError} and its subclasses), or the
 * request never produced a usable answer ({@linkcode NetworkError}). Bad arguments throw the
 * built-in `TypeError` / `RangeError`.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/** The iLink API answered with a business error (`ret` and/or `errcode` non-zero, spec §2). */
export class ILinkError extends WeiLinkError {
  /** Endpoint that failed, e.g. `"sendmessage"`. */
  readonly endpoint: string;
  /** The `ret` field, `0` when absent. */
  readonly ret: number;
  /** The `errcode` field, `0` when absent. */
  readonly errcode: number;
  /** The `errmsg` field, `""` when absent. */
  readonly errmsg: string;

  /** Creates the error; `message` defaults to a description built from the fields. */
  constructor(
    endpoint: string,
    ret: number,
    errcode: number,
    errmsg: string,
    message?: string,
    options?: ErrorOptions,
  ) {
    super(
      message ??
        `iLink ${endpoint} failed: ret ${ret}, errcode ${errcode}` +
          (errmsg ? `, errmsg "${errmsg}"` : ""),
      options,
    );
    this.name = new.target.name;
    this.endpoint = endpoint;
    this.ret = ret;
    this.errcode = errcode;
    this.errmsg = errmsg;
  }
}

/**
 * The bot token is no longer valid (`-14` in `ret` or `errcode`). The only recovery is a new QR
 * login; retrying with the same token does not help.
 */
export class SessionExpiredError extends ILinkError {}

/**
 * The server refused a send because the reply quota of the current context token is used up
 * (at most 10 bot messages per inbound user message, spec §6.4). The user must write again.
 */
export class QuotaExhaustedError extends ILinkError {}

/**
 * A text item is longer than the server accepts (16 384 UTF-8 bytes). Thrown before any request
 * is made; `ret` is `-2`, the code the server would answer with.
 */
export class TextTooLongError extends ILinkError {
  /** UTF-8 length of the rejected text. */
  readonly byteLength: number;
  /** The limit in bytes. */
  readonly limit: number;

  /** Creates the error for a text of `byteLength` UTF-8 bytes. */
  constructor(endpoint: string, byteLength: number, limit: number) {
    super(
      endpoint,
      -2,
      0,
      "text too long",
      `Cannot send text: ${byteLength} UTF-8 bytes exceed the limit of ${limit}`,
    );
    this.byteLength = byteLength;
    this.limit = limit;
  }
}

/** Options of {@linkcode NetworkError}. */
export interface NetworkErrorOptions {
  /** HTTP status, when a response arrived. */
  status?: number;
  /** The underlying error. */
  cause?: unknown;
  /** Whether the request timed out on the client side. */
  timedOut?: boolean;
  /**
   * Whether the request certainly never reached the server (the connection could not be opened,
   * or the name did not resolve). When `false`, the server may have received and acted on it.
   */
  unsent?: boolean;
}

/**
 * No usable answer: connection failure, client-side timeout, or a non-2xx HTTP status
 * (`status` is set then and the message includes an excerpt of the body).
 */
export class NetworkError extends WeiLinkError {
  /** Endpoint that failed. */
  readonly endpoint: string;
  /** HTTP status, when a response arrived. */
  readonly status?: number;
  /** Whether the request timed out on the client side. */
  readonly timedOut: boolean;
  /**
   * Whether the request certainly never reached the server. When `false` (a dropped connection,
   * a timeout), a request with side effects such as `sendmessage` may have been carried out.
   */
  readonly unsent: boolean;

  /** Creates the error. */
  constructor(endpoint: string, message: string, options: NetworkErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.endpoint = endpoint;
    if (options.status !== undefined) this.status = options.status;
    this.timedOut = options.timedOut ?? false;
    this.unsent = options.unsent ?? false;
  }
}

/**
 * The server answered 2xx but the body is not a JSON object (e.g. an HTML error page from a proxy).
 * A subclass of {@linkcode NetworkError} because callers handle it the same way: retry later.
 */
export class InvalidResponseError extends NetworkError {}
