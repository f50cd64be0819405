/**
 * Errors of the CDN media pipeline.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/** Options of {@linkcode CdnError}. */
export interface CdnErrorOptions {
  /** HTTP status, when the CDN answered. */
  status?: number;
  /** Whether trying again may help (5xx, missing header, network failure). */
  retryable?: boolean;
  /** The underlying error. */
  cause?: unknown;
}

/**
 * A CDN upload or download failed. `status` is the HTTP status when the CDN answered; `retryable`
 * tells whether trying again later may help (4xx answers are final).
 */
export class CdnError extends WeiLinkError {
  /** HTTP status, when the CDN answered. */
  readonly status?: number;
  /** Whether trying again may help. */
  readonly retryable: boolean;

  /** Creates the error. */
  constructor(message: string, options: CdnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = "CdnError";
    if (options.status !== undefined) this.status = options.status;
    this.retryable = options.retryable ?? false;
  }
}
