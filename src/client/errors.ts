/**
 * Errors raised by {@linkcode WeiLink} before or instead of a request. API refusals and transport
 * failures keep the protocol layer's classes (`ILinkError`, `NetworkError`, …).
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/** No session has credentials (or every one has expired): call `login()` first. */
export class NotLoggedInError extends WeiLinkError {
  /** Creates the error. */
  constructor(message = "Not logged in: call login() first") {
    super(message);
    this.name = "NotLoggedInError";
  }
}

/** Why a reply cannot be sent to a user. */
export type NoContextReason = "missing" | "expired";

/**
 * The bot cannot reply to this user: it never received a context token from them (the bot cannot
 * start a conversation), or the last one is older than the 24-hour reply window. The user has to
 * write first. Thrown before any request.
 */
export class NoContextError extends WeiLinkError {
  /** The user the send was addressed to. */
  readonly userId: string;
  /** `"missing"`: no token; `"expired"`: the 24-hour window has passed. */
  readonly reason: NoContextReason;
  /** Session the send was routed to. */
  readonly session: string;

  /** Creates the error. */
  constructor(userId: string, reason: NoContextReason, session: string) {
    super(
      reason === "missing"
        ? `Cannot send to "${userId}": no context token in session "${session}" (the user must write first)`
        : `Cannot send to "${userId}": the 24-hour reply window of session "${session}" has passed (the user must write again)`,
    );
    this.name = "NoContextError";
    this.userId = userId;
    this.reason = reason;
    this.session = session;
  }
}

/**
 * The server refused a send with `-14` (session timeout) although the bot's session works: the
 * user's context token has gone stale (seen after long idle). The token is dropped, so later sends
 * fail fast with {@linkcode NoContextError} until the user writes again. Whether the session
 * itself expired is decided by `getupdates` alone, which is probed at once.
 */
export class StaleContextError extends WeiLinkError {
  /** The user the send was addressed to. */
  readonly userId: string;
  /** Session the send went through. */
  readonly session: string;

  /** Creates the error; `cause` is the protocol's `SessionExpiredError`. */
  constructor(userId: string, session: string, options?: ErrorOptions) {
    super(
      `The server refused the context token of "${userId}" in session "${session}" (-14): the ` +
        "token is stale, or the session expired (polling checks at once). The user must write again",
      options,
    );
    this.name = "StaleContextError";
    this.userId = userId;
    this.session = session;
  }
}

/** What ended a QR login without credentials. */
export type LoginFailure = "timeout" | "expired" | "verify_code" | "invalid_response" | "bound";

/** A QR login did not complete. */
export class LoginError extends WeiLinkError {
  /** Why the login failed. */
  readonly reason: LoginFailure;

  /** Creates the error. */
  constructor(reason: LoginFailure, message: string) {
    super(message);
    this.name = "LoginError";
    this.reason = reason;
  }
}

/** A name given to a session method does not exist. */
export class SessionNotFoundError extends WeiLinkError {
  /** The unknown name. */
  readonly sessionName: string;

  /** Creates the error. */
  constructor(name: string) {
    super(`No session named "${name}"`);
    this.name = "SessionNotFoundError";
    this.sessionName = name;
  }
}
