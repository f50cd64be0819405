/**
 * How the admin API reports failures: `{error}` with a status, as the Python original's panel
 * did (400 bad input, 404 unknown session or message, 409 conflict with the session state, 413
 * body too large, 502 WeChat or its CDN failed).
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";
import { toToolError } from "../server/tool_errors.ts";

/** A failure with the HTTP status the admin API answers for it. */
export class AdminHttpError extends WeiLinkError {
  /** HTTP status of the answer. */
  readonly status: 400 | 401 | 403 | 404 | 409 | 413 | 429 | 500 | 502;

  /** Creates the error; `message` is shown to the caller as `{error}`. */
  constructor(status: AdminHttpError["status"], message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "AdminHttpError";
    this.status = status;
  }
}

/**
 * The status and message for anything a route threw. Errors of the client, protocol and media
 * layers are classified once for every server (`toToolError`): bad arguments 400, unknown
 * session 404, not logged in or no context 409, quota 429, WeChat or CDN failures 502. The
 * message is the error's own: those classes never put a secret in it.
 */
export function describeFailure(error: unknown): { status: number; message: string } {
  if (error instanceof AdminHttpError) return { status: error.status, message: error.message };
  const status = toToolError(error).status;
  const message = error instanceof Error && error.message ? error.message : String(error);
  return { status, message };
}
