/**
 * Failures of a tool call, classified once so that MCP (`isError: true` results) and the REST API
 * (4xx/5xx with `{error}`) report them the same way.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/** Why a tool call failed; each kind maps to one HTTP status in the REST API. */
export type ToolErrorKind =
  | "bad_request"
  | "forbidden"
  | "not_found"
  | "not_logged_in"
  | "session_expired"
  | "no_context"
  | "quota_exhausted"
  | "text_too_long"
  | "conflict"
  | "upstream"
  | "internal";

const HTTP_STATUS: Record<ToolErrorKind, number> = {
  bad_request: 400,
  forbidden: 403,
  not_found: 404,
  not_logged_in: 409,
  session_expired: 409,
  no_context: 409,
  quota_exhausted: 429,
  text_too_long: 400,
  conflict: 409,
  upstream: 502,
  internal: 500,
};

/** Kinds of the `code`s of `FileAccessError` (src/input/file_access.ts). */
const FILE_ACCESS_KINDS: Record<string, ToolErrorKind> = {
  forbidden: "forbidden",
  not_found: "not_found",
  not_a_file: "bad_request",
  too_large: "bad_request",
  unreadable: "bad_request",
};

/** A tool failure with a message fit to show to the caller (never containing secrets). */
export class ToolError extends WeiLinkError {
  /** The failure class, used to pick the HTTP status. */
  readonly kind: ToolErrorKind;

  /**
   * @param kind The failure class.
   * @param message A sentence-case explanation of what failed and what to do.
   * @param options `cause`, kept for logs.
   */
  constructor(kind: ToolErrorKind, message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "ToolError";
    this.kind = kind;
  }

  /** The HTTP status the REST API answers for this failure. */
  get status(): number {
    return HTTP_STATUS[this.kind];
  }
}

/**
 * Turn anything a handler threw into a {@linkcode ToolError}.
 *
 * Errors are recognised by `name` rather than by class so that the mapping covers the protocol,
 * media and client layers without importing them (and keeps working across module copies).
 */
export function toToolError(error: unknown): ToolError {
  if (error instanceof ToolError) return error;
  if (!(error instanceof Error)) return new ToolError("internal", `Tool failed: ${String(error)}`);
  const detail = error.message;
  switch (error.name) {
    case "QuotaExhaustedError":
      return new ToolError(
        "quota_exhausted",
        "Reply quota exhausted: the bot may send at most 10 messages per user message; " +
          "wait until the user writes again",
        { cause: error },
      );
    case "TextTooLongError":
      return new ToolError("text_too_long", detail, { cause: error });
    case "SessionExpiredError":
      return new ToolError(
        "session_expired",
        "Session expired: the bot token is no longer valid; log in again with the login tool",
        { cause: error },
      );
    case "NotLoggedInError":
      return new ToolError("not_logged_in", "Not logged in: use the login tool first", {
        cause: error,
      });
    case "NoContextError":
      return new ToolError("no_context", detail, { cause: error });
    case "StaleContextError":
      return new ToolError(
        "no_context",
        "The server refused the user's context token (it is stale): the user must write to the " +
          "bot again before it can reply",
        { cause: error },
      );
    case "FileAccessError":
      return new ToolError(
        FILE_ACCESS_KINDS[(error as { code?: string }).code ?? ""] ?? "forbidden",
        detail,
        {
          cause: error,
        },
      );
    case "NotFound":
    case "SessionNotFoundError":
      return new ToolError("not_found", detail, { cause: error });
    case "TypeError":
    case "RangeError":
    case "TimeSpecError":
      return new ToolError("bad_request", detail, { cause: error });
    case "LoginError":
    case "NetworkError":
    case "InvalidResponseError":
    case "CdnError":
    case "ILinkError":
      return new ToolError("upstream", detail, { cause: error });
  }
  return new ToolError("internal", detail || error.name, { cause: error });
}
