/**
 * The iLink Bot protocol layer: a typed HTTP client of every endpoint, the wire types, typed
 * errors and lossless JSON parsing. Runtime-agnostic: only web standards (`fetch`,
 * `AbortController`, `TextEncoder`, `crypto.getRandomValues`) are used.
 *
 * 64-bit message ids (`message_id`, `msg_id`, `svr_id`) are decimal **strings** end to end.
 *
 * See `ILinkApi` for an example; the layer is public as `@weilink/core/core`.
 *
 * @module
 */

export {
  type BotQrcode,
  checkSendableText,
  DEFAULT_BASE_URL,
  type GetUpdatesOptions,
  ILinkApi,
  type ILinkApiOptions,
  joinApiUrl,
  type QrStatusOptions,
  TEXT_BYTE_LIMIT,
} from "./api.ts";
export {
  ILinkError,
  InvalidResponseError,
  NetworkError,
  type NetworkErrorOptions,
  QuotaExhaustedError,
  SessionExpiredError,
  TextTooLongError,
} from "./errors.ts";
export { clientVersionHeader, ILINK_APP_ID, randomWechatUin, wechatUinHeader } from "./headers.ts";
export { parseJsonLossless } from "./json.ts";
export type * from "./types.ts";
