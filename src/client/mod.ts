/**
 * The WeiLink client (Deno): sessions, QR login, receive/send, media, typing, persistence in a data
 * directory shared with the Python original, cross-process locks and the dispatcher.
 *
 * @module
 */

export {
  type Contact,
  type DispatchOptions,
  type ErrorHandler,
  type LoginOptions,
  type MediaKind,
  type MessageHandler,
  type RecvOptions,
  type RetryPolicy,
  type SendContent,
  Session,
  TYPING_TICKET_TTL_MS,
  WeiLink,
  type WeiLinkEvent,
  type WeiLinkOptions,
} from "./client.ts";
export { Consumer } from "./consumer.ts";
export {
  LoginError,
  type LoginFailure,
  NoContextError,
  type NoContextReason,
  NotLoggedInError,
  SessionNotFoundError,
  StaleContextError,
} from "./errors.ts";
export { type LoginStatus, type QrCodeEvent, type QrLoginOptions } from "./login.ts";
export { type MediaInput } from "./media_input.ts";
export { createStderrLogger, type Logger, type LogLevel, type LogThreshold } from "./logger.ts";
export { CONTEXT_QUOTA, CONTEXT_WINDOW_SECONDS } from "./context_state.ts";
