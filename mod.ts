/**
 * WeiLink: put a WeChat account in front of your code or AI agent, over the iLink Bot protocol.
 *
 * Log in once with a QR code, then {@linkcode WeiLink.recv} long-polls messages and
 * {@linkcode WeiLink.send} replies with text, images, voice, files or video. Credentials and
 * conversation state live in a data directory (`~/.weilink`, or `$WEILINK_HOME`) in the same format
 * as the Python `weilink` package, so both can share one login.
 *
 * Entry points:
 * - `@weilink/core` (this module): the client, its sessions and consumers, events, errors and the
 *   message models.
 * - `@weilink/core/core`: the runtime-agnostic core (AES and key encodings, the protocol client
 *   `ILinkApi` and the wire types, CDN media); runs in Deno, Node, Bun and browsers.
 * - `@weilink/core/store`: the SQLite message store (`node:sqlite`).
 * - `@weilink/core/server`: the MCP and OpenAPI servers.
 * - `@weilink/core/testing`: the embedded iLink sandbox, to test bots without a phone.
 *
 * Message ids are decimal strings everywhere: they exceed 2^53 and would lose precision as numbers.
 *
 * @example An echo bot, run here against the embedded sandbox
 * ```ts
 * import { WeiLink } from "@weilink/core";
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const basePath = await Deno.makeTempDir();
 * const wl = new WeiLink({
 *   basePath,
 *   baseUrl: sandbox.baseUrl, // leave both out to talk to WeChat
 *   cdnBaseUrl: sandbox.cdnBaseUrl,
 *   logger: "silent",
 * });
 * const login = wl.login({ onQr: () => {} }); // by default the QR code goes to the terminal
 * await sandbox.confirmLogin(); // what the phone does
 * await login;
 *
 * wl.onMessage(async (msg) => {
 *   if (msg.text) await wl.send(msg.fromUser, { text: `echo: ${msg.text}` });
 *   if (msg.text === "bye") await wl.stop();
 * });
 * await sandbox.injectMessage({ text: "bye" }); // the user writes
 * await wl.runForever();
 * console.log((await sandbox.sent())[0]?.text); // "echo: bye"
 * await sandbox.close();
 * await Deno.remove(basePath, { recursive: true });
 * ```
 *
 * @module
 */

// The client.
export {
  Consumer,
  type Contact,
  type DispatchOptions,
  type ErrorHandler,
  type LoginOptions,
  type MediaInput,
  type MediaKind,
  type MessageHandler,
  type RecvOptions,
  type RetryPolicy,
  type SendContent,
  Session,
  WeiLink,
  type WeiLinkEvent,
  type WeiLinkOptions,
} from "./src/client/mod.ts";

// Logging and the QR login.
export {
  createStderrLogger,
  type Logger,
  type LoginStatus,
  type LogLevel,
  type LogThreshold,
  type QrCodeEvent,
  type QrLoginOptions,
} from "./src/client/mod.ts";

// The reply rules of a context token (spec §6.4).
export { CONTEXT_QUOTA, CONTEXT_WINDOW_SECONDS } from "./src/client/mod.ts";

// Errors: all of them extend WeiLinkError. Bad arguments throw TypeError or RangeError.
export {
  LoginError,
  type LoginFailure,
  NoContextError,
  type NoContextReason,
  NotLoggedInError,
  SessionNotFoundError,
  StaleContextError,
} from "./src/client/mod.ts";
export {
  AesError,
  type AesErrorCode,
  CdnError,
  ILinkError,
  InvalidMessageError,
  InvalidResponseError,
  NetworkError,
  QuotaExhaustedError,
  SessionExpiredError,
  TextTooLongError,
  WeiLinkError,
} from "./src/core.ts";

// Messages.
export {
  type BotInfo,
  type FileInfo,
  type ImageInfo,
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
} from "./src/core.ts";

export { VERSION } from "./src/version.ts";
