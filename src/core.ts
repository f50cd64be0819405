/**
 * The runtime-agnostic core of WeiLink: AES-128-ECB and the iLink key encodings, the message
 * models, the iLink protocol client with its wire types, and the CDN media pipeline. It uses only
 * web standards (`fetch`, `AbortSignal`, `Uint8Array`, `TextEncoder`, `crypto.getRandomValues`),
 * so it runs in Deno, Node, Bun, workers and browsers. The `WeiLink` client with its data
 * directory and locks is in the root module; the message store in `@weilink/core/store`.
 *
 * Message ids are decimal strings everywhere: they exceed 2^53 and would lose precision as numbers.
 *
 * @example Encrypt and decrypt a CDN payload
 * ```ts
 * import { decryptAesEcb, encryptAesEcb } from "@weilink/core/core";
 *
 * const key = crypto.getRandomValues(new Uint8Array(16));
 * const cipher = encryptAesEcb(new TextEncoder().encode("hello"), key);
 * console.log(new TextDecoder().decode(decryptAesEcb(cipher, key))); // "hello"
 * ```
 *
 * @example Talk to the protocol directly (here: the embedded sandbox)
 * ```ts
 * import { ILinkApi, Message } from "@weilink/core/core";
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const qrApi = new ILinkApi({ qrBaseUrl: sandbox.baseUrl });
 * const { qrcode } = await qrApi.getBotQrcode();
 * const { token } = await sandbox.confirmLogin({ qrcode });
 * await sandbox.injectMessage({ text: "ping" });
 *
 * const api = new ILinkApi({ baseUrl: sandbox.baseUrl, token });
 * const { msgs } = await api.getUpdates("");
 * for (const raw of msgs) {
 *   const msg = Message.fromWire(raw);
 *   await api.sendText(msg.fromUser, `pong to ${msg.text}`, msg.contextToken);
 * }
 * console.log((await sandbox.sent())[0]?.text); // "pong to ping"
 * await sandbox.close();
 * ```
 *
 * @module
 */

// AES-128-ECB, key encodings and digests (spec §5).
export {
  activeAesBackend,
  type AesBackend,
  AesError,
  type AesErrorCode,
  type AesOptions,
  cipherSize,
  decodeAesKey,
  decryptAesEcb,
  encodeAesKeyForSend,
  encodeAesKeyRaw,
  encryptAesEcb,
  fromBase64,
  fromHex,
  md5Hex,
  toBase64,
  toHex,
} from "./crypto/mod.ts";

// The protocol client and its errors (spec §1–§3).
export {
  type BotQrcode,
  checkSendableText,
  clientVersionHeader,
  DEFAULT_BASE_URL,
  type GetUpdatesOptions,
  ILINK_APP_ID,
  ILinkApi,
  type ILinkApiOptions,
  ILinkError,
  InvalidResponseError,
  joinApiUrl,
  NetworkError,
  type NetworkErrorOptions,
  parseJsonLossless,
  type QrStatusOptions,
  QuotaExhaustedError,
  randomWechatUin,
  SessionExpiredError,
  TEXT_BYTE_LIMIT,
  TextTooLongError,
  wechatUinHeader,
} from "./protocol/mod.ts";

// Wire types: the protocol's JSON, in its snake_case (spec §3, §4).
export type {
  GetConfigResponse,
  GetUpdatesRequest,
  GetUpdatesResponse,
  GetUpdatesResult,
  GetUploadUrlRequest,
  GetUploadUrlResponse,
  QrCodeResponse,
  QrStatus,
  QrStatusResponse,
  SendMessageRequest,
  SendMessageResponse,
  TypingStatus,
  WireBaseInfo,
  WireCdnMedia,
  WireEnvelope,
  WireFileItem,
  WireImageItem,
  WireMessage,
  WireMessageItem,
  WirePartialText,
  WireRefMessage,
  WireVideoItem,
  WireVoiceItem,
} from "./protocol/mod.ts";

// CDN media (spec §5).
export {
  CdnError,
  type CdnErrorOptions,
  DEFAULT_CDN_BASE_URL,
  DEFAULT_MAX_MEDIA_BYTES,
  downloadMedia,
  type DownloadOptions,
  type MediaBytes,
  mediaItemFor,
  uploadMedia,
  type UploadOptions,
} from "./media/mod.ts";

// The message models.
export {
  type BotInfo,
  type FileInfo,
  type ImageInfo,
  InvalidMessageError,
  type MediaInfo,
  Message,
  MessageDirection,
  type MessageInit,
  type MessageItem,
  MessageState,
  MessageType,
  messageTypeName,
  RefMessage,
  type RefMessageInit,
  type SendResult,
  type UploadedMedia,
  UploadMediaType,
  type VideoInfo,
  type VoiceInfo,
} from "./models/mod.ts";

export { WeiLinkError } from "./weilink_error.ts";
export { VERSION } from "./version.ts";
