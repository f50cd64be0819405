/**
 * The plain records the client hands out besides messages: a bot's credentials, an uploaded media
 * file and the outcome of a send.
 *
 * @module
 */

import type { UploadMediaType } from "./enums.ts";

/** Credentials of one bot account, obtained by QR login. */
export interface BotInfo {
  /** Bot account id, `…@im.bot`. */
  botId: string;
  /** API base URL for this account. */
  baseUrl: string;
  /** Bearer token (secret). */
  token: string;
  /** The WeChat user who bound the bot, `…@im.wechat`. */
  userId: string;
}

/** A media file uploaded to the CDN, ready to be referenced by a message. */
export interface UploadedMedia {
  /** What the upload was declared as. */
  mediaType: UploadMediaType;
  /** Random 32-hex-char file key of this upload. */
  filekey: string;
  /** The CDN's `x-encrypted-param`: the download token to put in `encrypt_query_param`. */
  downloadParam: string;
  /** The AES key as 32 hex chars (secret). */
  aesKeyHex: string;
  /** Plaintext size in bytes. */
  fileSize: number;
  /** Ciphertext size in bytes. */
  cipherSize: number;
  /** File name for file uploads, else `""`. */
  fileName: string;
}

/** Outcome of a send. */
export interface SendResult {
  /** Whether every part was sent. */
  success: boolean;
  /** Server ids of the messages sent (decimal strings). */
  messageIds: string[];
  /** Sends left on the current context token, `null` when unknown. */
  remaining: number | null;
  /** Why the send failed, when it did. */
  error?: string;
  /**
   * The error that stopped the send, when it did: an `ILinkError` subclass, a `NetworkError`, a
   * `CdnError`, or the client's `StaleContextError`, for callers that branch on the kind.
   */
  cause?: Error;
  /**
   * `true` when the part that failed may still have been delivered: its request left, but the
   * connection dropped or timed out before an answer. It is not sent again (that could show the
   * user a duplicate); it counts against the reply quota.
   */
  maybeDelivered?: boolean;
}
