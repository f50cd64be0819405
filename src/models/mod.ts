/**
 * Message models of WeiLink: what the SDK hands to bot code, in camelCase.
 *
 * {@linkcode Message.fromWire} converts one wire `WeixinMessage` (spec §4.2) into a {@linkcode Message}.
 * Unlike the Python original it parses **every** entry of `item_list` and keeps unknown item types
 * as raw data. Message ids are 64-bit and exceed 2^53, so they are decimal **strings** everywhere
 * in this SDK (never `number`).
 *
 * @example Parse an inbound message
 * ```ts
 * import { Message, MessageType } from "@weilink/core";
 *
 * const msg = Message.fromWire({
 *   message_id: "7300000000000000123",
 *   from_user_id: "u1@im.wechat",
 *   message_type: 1,
 *   context_token: "ctx",
 *   item_list: [{ type: 1, text_item: { text: "hi" } }],
 * }, "bot@im.bot");
 * console.log(msg.msgType === MessageType.TEXT, msg.text, msg.toJSON().message_id);
 * ```
 *
 * @module
 */

export type { FileInfo, ImageInfo, MediaInfo, VideoInfo, VoiceInfo } from "./media_info.ts";
export {
  MessageDirection,
  MessageState,
  MessageType,
  messageTypeName,
  UploadMediaType,
} from "./enums.ts";
export {
  InvalidMessageError,
  MAX_QUOTE_DEPTH,
  Message,
  type MessageInit,
  type MessageItem,
  RefMessage,
  type RefMessageInit,
} from "./message.ts";
export type { BotInfo, SendResult, UploadedMedia } from "./records.ts";
