/**
 * The message a sent row holds: from the bot, to the user, with the CDN references of its media
 * so it can be downloaded again.
 *
 * @module
 */

import { encodeAesKeyForSend, fromHex } from "../crypto/mod.ts";
import {
  Message,
  MessageDirection,
  type MessageInit,
  type MessageItem,
  MessageType,
} from "../models/mod.ts";

/** CDN references of a sent media message, as the upload returned them (`UploadedMedia`). */
export interface SentMediaRecord {
  /** File name (files) or `""`. */
  fileName?: string;
  /** Plaintext size in bytes. */
  fileSize?: number;
  /** Plaintext MD5, hex. */
  md5?: string;
  /** The CDN download token (`encrypt_query_param`). */
  downloadParam?: string;
  /** AES key as 32 hex chars (secret; stored so the media can be downloaded again). */
  aesKeyHex?: string;
  /** Ciphertext size in bytes. */
  cipherSize?: number;
  /** Complete download URL, when known. */
  fullUrl?: string;
}

/** A message the bot sent, for {@linkcode MessageStore.storeSent}. */
export interface SentMessageRecord {
  /** The recipient (the conversation's WeChat user). */
  userId: string;
  /** The bot account that sent it. */
  botId: string;
  /** Text, or a caption sent with media. */
  text?: string;
  /** Content type; default {@linkcode MessageType.TEXT}. */
  msgType?: MessageType;
  /** The server's id of the sent message, when it returned one (decimal string). */
  messageId?: string;
  /** The context token the send used (secret). */
  contextToken?: string;
  /** CDN references of a media send. */
  media?: SentMediaRecord;
  /** Send time, epoch ms; default the store's clock. */
  timestamp?: number;
}

const MEDIA_TYPES = new Set<number>([
  MessageType.IMAGE,
  MessageType.VOICE,
  MessageType.FILE,
  MessageType.VIDEO,
]);

/** Builds the {@linkcode Message} a sent row holds: from the bot, to the user. */
export function sentMessage(record: SentMessageRecord, now: number): Message {
  if (typeof record !== "object" || record === null) {
    throw new TypeError("Cannot store sent message: expected a record");
  }
  const { userId, botId, text, media } = record;
  if (typeof userId !== "string" || userId === "") {
    throw new TypeError('Cannot store sent message: "userId" must be a non-empty string');
  }
  if (typeof botId !== "string") {
    throw new TypeError('Cannot store sent message: "botId" must be a string');
  }
  if (text !== undefined && typeof text !== "string") {
    throw new TypeError('Cannot store sent message: "text" must be a string');
  }
  const msgType = record.msgType ?? MessageType.TEXT;
  if (!Number.isInteger(msgType) || msgType < 0) {
    throw new RangeError(`Cannot store sent message: invalid msgType ${String(msgType)}`);
  }
  if (media !== undefined && !MEDIA_TYPES.has(msgType)) {
    throw new TypeError(
      `Cannot store sent message: media given with msgType ${msgType}, which is not a media type`,
    );
  }
  const init: MessageInit = {
    fromUser: botId,
    toUser: userId,
    msgType,
    timestamp: record.timestamp ?? now,
    contextToken: record.contextToken ?? "",
    direction: MessageDirection.SENT,
  };
  if (botId !== "") init.botId = botId;
  if (record.messageId !== undefined) init.messageId = record.messageId;
  const items: MessageItem[] = [];
  if (MEDIA_TYPES.has(msgType)) items.push(mediaItem(msgType, media ?? {}, init));
  if (text !== undefined) {
    init.text = text;
    items.push({ type: MessageType.TEXT, text });
  }
  init.items = items;
  return new Message(init);
}

function mediaItem(type: number, m: SentMediaRecord, init: MessageInit): MessageItem {
  const hex = m.aesKeyHex ?? "";
  const media = {
    encryptQueryParam: m.downloadParam ?? "",
    // Outbound messages carry the key in Format B: base64 of the ASCII hex (spec §5.6).
    aesKey: hex === "" ? "" : encodeAesKeyForSend(fromHex(hex)),
    encryptType: 1,
    fullUrl: m.fullUrl ?? "",
  };
  const cipherSize = m.cipherSize ?? 0;
  const item: MessageItem = { type };
  switch (type) {
    case MessageType.IMAGE:
      item.image = init.image = {
        media,
        aesKeyHex: hex,
        url: "",
        thumbWidth: 0,
        thumbHeight: 0,
        midSize: cipherSize,
        thumbSize: 0,
        hdSize: 0,
      };
      break;
    case MessageType.VOICE:
      item.voice = init.voice = {
        media,
        playtime: 0,
        text: "",
        encodeType: 0,
        bitsPerSample: 0,
        sampleRate: 0,
      };
      break;
    case MessageType.FILE:
      item.file = init.file = {
        media,
        fileName: m.fileName ?? "",
        fileSize: m.fileSize === undefined ? "" : String(m.fileSize),
        md5: m.md5 ?? "",
      };
      break;
    default:
      item.video = init.video = {
        media,
        playLength: 0,
        videoMd5: m.md5 ?? "",
        thumbWidth: 0,
        thumbHeight: 0,
        videoSize: cipherSize,
        thumbSize: 0,
      };
  }
  return item;
}
