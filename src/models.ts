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
 * import { Message, MessageType } from "./models.ts";
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

import type {
  WireFileItem,
  WireImageItem,
  WireMessage,
  WireMessageItem,
  WireRefMessage,
} from "./protocol/types.ts";
import { isObject, num, readMediaInfo, readVideoInfo, readVoiceInfo, str } from "./wire_fields.ts";

/** Content type of a message item (wire `MessageItem.type`). */
export enum MessageType {
  /** Plain text. */
  TEXT = 1,
  /** Image. */
  IMAGE = 2,
  /** Voice note. */
  VOICE = 3,
  /** File attachment. */
  FILE = 4,
  /** Video. */
  VIDEO = 5,
}

/** Who sent a message; these are also the values of the store's `direction` column. */
export enum MessageDirection {
  /** Sent by the WeChat user to the bot. */
  RECEIVED = 1,
  /** Sent by the bot. */
  SENT = 2,
}

/** Wire `message_state`. */
export enum MessageState {
  /** New. */
  NEW = 0,
  /** Still being generated (unused by the official client). */
  GENERATING = 1,
  /** Complete. */
  FINISH = 2,
}

/** Media type codes of `getuploadurl.media_type` (numbered differently from {@linkcode MessageType}). */
export enum UploadMediaType {
  /** Image. */
  IMAGE = 1,
  /** Video. */
  VIDEO = 2,
  /** File. */
  FILE = 3,
  /** Voice. */
  VOICE = 4,
}

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

/** A CDN media reference (wire `CDNMedia`). */
export interface MediaInfo {
  /** Opaque CDN download token. */
  encryptQueryParam: string;
  /** AES key exactly as on the wire (Format A or B, spec §5.6); secret. */
  aesKey: string;
  /** Wire `encrypt_type`. */
  encryptType: number;
  /** Complete download URL when the server sent one, else `""`. */
  fullUrl: string;
}

/** Image metadata. */
export interface ImageInfo {
  /** The full-size image on the CDN. */
  media: MediaInfo;
  /** `image_item.aeskey` (32 hex chars), preferred over `media.aesKey`; `""` when absent. */
  aesKeyHex: string;
  /** Optional URL, normally empty. */
  url: string;
  /** Thumbnail width in pixels. */
  thumbWidth: number;
  /** Thumbnail height in pixels. */
  thumbHeight: number;
  /** Ciphertext size of the mid-size rendition. */
  midSize: number;
  /** Ciphertext size of the thumbnail. */
  thumbSize: number;
  /** Ciphertext size of the HD rendition. */
  hdSize: number;
}

/** Voice note metadata. */
export interface VoiceInfo {
  /** The audio on the CDN. */
  media: MediaInfo;
  /** Duration in milliseconds. */
  playtime: number;
  /** Server speech-to-text transcript, `""` when none. */
  text: string;
  /** Codec (1 pcm … 6 silk, 7 mp3). */
  encodeType: number;
  /** Bit depth. */
  bitsPerSample: number;
  /** Sample rate in Hz. */
  sampleRate: number;
}

/** File attachment metadata. */
export interface FileInfo {
  /** The file on the CDN. */
  media: MediaInfo;
  /** File name as sent by the user (untrusted: sanitise before using it as a path). */
  fileName: string;
  /** Plaintext size in bytes as a decimal string (as on the wire). */
  fileSize: string;
  /** Plaintext MD5, hex. */
  md5: string;
}

/** Video metadata. */
export interface VideoInfo {
  /** The video on the CDN. */
  media: MediaInfo;
  /** Duration (unit disputed between sources). */
  playLength: number;
  /** Plaintext MD5. */
  videoMd5: string;
  /** Thumbnail width in pixels. */
  thumbWidth: number;
  /** Thumbnail height in pixels. */
  thumbHeight: number;
  /** Thumbnail on the CDN, when sent. */
  thumbMedia?: MediaInfo;
  /** Ciphertext size of the video. */
  videoSize: number;
  /** Ciphertext size of the thumbnail. */
  thumbSize: number;
}

/** One parsed entry of `item_list`. */
export interface MessageItem {
  /** Wire item type (a {@linkcode MessageType} value, or e.g. 11/12 for tool-call items). */
  type: number;
  /** Text of a text item. */
  text?: string;
  /** Image of an image item. */
  image?: ImageInfo;
  /** Voice of a voice item. */
  voice?: VoiceInfo;
  /** File of a file item. */
  file?: FileInfo;
  /** Video of a video item. */
  video?: VideoInfo;
  /** Item-level id (decimal string), when sent. */
  msgId?: string;
  /** Quote attached to this item, when any. */
  refMsg?: RefMessage;
  /** The wire item verbatim, for item types this SDK does not model (e.g. tool-call items). */
  raw?: unknown;
}

/** Fields of a {@linkcode RefMessage}. */
export interface RefMessageInit {
  /** Content type of the quoted message. */
  msgType: MessageType;
  /** Summary text of the quoted message. */
  title?: string;
  /** Server id of the quoted message (decimal string). */
  svrId?: string;
  /** Quoted text. */
  text?: string;
  /** Quoted image. */
  image?: ImageInfo;
  /** Quoted voice. */
  voice?: VoiceInfo;
  /** Quoted file. */
  file?: FileInfo;
  /** Quoted video. */
  video?: VideoInfo;
}

/** A quoted message attached to a reply. */
export class RefMessage implements RefMessageInit {
  /** Content type of the quoted message ({@linkcode MessageType.TEXT} when only an id was sent). */
  msgType: MessageType;
  /** Summary text of the quoted message, `""` when none. */
  title: string;
  /** Server id of the quoted message; newer WeChat clients send only this. */
  svrId?: string;
  /** Quoted text. */
  text?: string;
  /** Quoted image. */
  image?: ImageInfo;
  /** Quoted voice. */
  voice?: VoiceInfo;
  /** Quoted file. */
  file?: FileInfo;
  /** Quoted video. */
  video?: VideoInfo;

  /** Builds a quote from its fields. */
  constructor(init: RefMessageInit) {
    this.msgType = init.msgType;
    this.title = init.title ?? "";
    if (init.svrId !== undefined) this.svrId = init.svrId;
    if (init.text !== undefined) this.text = init.text;
    if (init.image) this.image = init.image;
    if (init.voice) this.voice = init.voice;
    if (init.file) this.file = init.file;
    if (init.video) this.video = init.video;
  }

  /** Parses a wire `ref_msg`. */
  static fromWire(raw: WireRefMessage): RefMessage {
    const item = isObject(raw.message_item) ? raw.message_item : undefined;
    const parsed = item ? parseItem(item) : undefined;
    const init: RefMessageInit = {
      msgType: parsed ? parsed.type as MessageType : MessageType.TEXT,
      title: str(raw.title),
    };
    const svrId = idString(raw.svr_id);
    if (svrId !== undefined) init.svrId = svrId;
    if (parsed) {
      if (parsed.text !== undefined) init.text = parsed.text;
      if (parsed.image) init.image = parsed.image;
      if (parsed.voice) init.voice = parsed.voice;
      if (parsed.file) init.file = parsed.file;
      if (parsed.video) init.video = parsed.video;
    }
    return new RefMessage(init);
  }

  /**
   * The JSON form, with the keys of the Python original's `RefMessage.to_dict()`; `svr_id` is added
   * only when the quote carries one.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = { msg_type: messageTypeName(this.msgType) };
    contentJSON(this, out);
    if (this.svrId !== undefined) out.svr_id = this.svrId;
    return out;
  }
}

/** Fields of a {@linkcode Message}. */
export interface MessageInit {
  /** Sender id. */
  fromUser: string;
  /** Recipient id. */
  toUser?: string;
  /** Type of the first item. */
  msgType: MessageType;
  /** First text item. */
  text?: string;
  /** First image item. */
  image?: ImageInfo;
  /** First voice item. */
  voice?: VoiceInfo;
  /** First file item. */
  file?: FileInfo;
  /** First video item. */
  video?: VideoInfo;
  /** Every item. */
  items?: MessageItem[];
  /** Creation time, epoch ms. */
  timestamp?: number;
  /** Server message id (decimal string). */
  messageId?: string;
  /** Reply handle (secret). */
  contextToken?: string;
  /** Bot account the message belongs to. */
  botId?: string;
  /** Quoted message. */
  refMsg?: RefMessage;
  /** Received or sent. */
  direction?: MessageDirection;
}

/** A WeChat message, received by or sent from a bot. */
export class Message {
  /** Sender id (`…@im.wechat` for received messages). */
  fromUser: string;
  /** Recipient id (`…@im.bot` for received messages), `""` when unknown. */
  toUser: string;
  /**
   * Type of the **first** item of `item_list` ({@linkcode MessageType.TEXT} for an empty list).
   * May hold a value outside the enum (e.g. 11 for a tool-call item); see {@linkcode Message.items}.
   */
  msgType: MessageType;
  /** Text of the first text item. */
  text?: string;
  /** The first image item. */
  image?: ImageInfo;
  /** The first voice item (its transcript is `voice.text`). */
  voice?: VoiceInfo;
  /** The first file item. */
  file?: FileInfo;
  /** The first video item. */
  video?: VideoInfo;
  /** Every item of `item_list`, in order; unknown item types keep their wire form in `raw`. */
  items: MessageItem[];
  /** Creation time, epoch ms. */
  timestamp: number;
  /** Server message id as a decimal string (64-bit: never convert it to `number`). */
  messageId?: string;
  /** Reply handle of this message (secret: never log it). */
  contextToken: string;
  /** Bot account that received or sent the message. */
  botId?: string;
  /** The quoted message, when this message is a reply. */
  refMsg?: RefMessage;
  /** Received or sent. */
  direction: MessageDirection;

  /** Builds a message from its fields. */
  constructor(init: MessageInit) {
    this.fromUser = init.fromUser;
    this.toUser = init.toUser ?? "";
    this.msgType = init.msgType;
    if (init.text !== undefined) this.text = init.text;
    if (init.image) this.image = init.image;
    if (init.voice) this.voice = init.voice;
    if (init.file) this.file = init.file;
    if (init.video) this.video = init.video;
    this.items = init.items ?? [];
    this.timestamp = init.timestamp ?? 0;
    if (init.messageId !== undefined) this.messageId = init.messageId;
    this.contextToken = init.contextToken ?? "";
    if (init.botId !== undefined) this.botId = init.botId;
    if (init.refMsg) this.refMsg = init.refMsg;
    this.direction = init.direction ?? MessageDirection.RECEIVED;
  }

  /**
   * Parses one wire message. Every item of `item_list` is parsed; `text`, `image`, `voice`, `file`
   * and `video` hold the first item of each kind, `refMsg` the first quote.
   *
   * @param raw A message from `getupdates` (ids already strings, see `parseJsonLossless`).
   * @param botId The bot account that received it.
   */
  static fromWire(raw: WireMessage, botId?: string): Message {
    const wireItems = Array.isArray(raw.item_list) ? raw.item_list : [];
    const items = wireItems.filter(isObject).map(parseItem);
    const init: MessageInit = {
      fromUser: str(raw.from_user_id),
      toUser: str(raw.to_user_id),
      msgType: items[0] ? items[0].type as MessageType : MessageType.TEXT,
      items,
      timestamp: num(raw.create_time_ms),
      contextToken: str(raw.context_token),
      direction: raw.message_type === 2 ? MessageDirection.SENT : MessageDirection.RECEIVED,
    };
    // The item-level msg_id is the documented fallback when the message id is missing.
    const messageId = idString(raw.message_id) ?? items.find((i) => i.msgId)?.msgId;
    if (messageId !== undefined) init.messageId = messageId;
    if (botId !== undefined) init.botId = botId;
    for (const item of items) {
      if (item.text !== undefined && init.text === undefined) init.text = item.text;
      if (item.image && !init.image) init.image = item.image;
      if (item.voice && !init.voice) init.voice = item.voice;
      if (item.file && !init.file) init.file = item.file;
      if (item.video && !init.video) init.video = item.video;
      if (item.refMsg && !init.refMsg) init.refMsg = item.refMsg;
    }
    return new Message(init);
  }

  /**
   * The JSON form, with the same keys and shape as the Python original's `Message.to_dict()`, so
   * CLI, MCP and admin output match it; `message_id` is a decimal string (or `null`), never a number.
   */
  toJSON(): Record<string, unknown> {
    const out: Record<string, unknown> = {
      message_id: this.messageId ?? null,
      from_user: this.fromUser,
      msg_type: messageTypeName(this.msgType),
      timestamp: this.timestamp,
      bot_id: this.botId ?? null,
    };
    contentJSON(this, out);
    if (this.refMsg) out.ref_msg = this.refMsg.toJSON();
    return out;
  }
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
   * The error that stopped the send, when it did: an `ILinkError` subclass (e.g.
   * `SessionExpiredError`), a `NetworkError` or a `CdnError`, for callers that branch on the kind.
   */
  cause?: Error;
}

const ITEM_TYPE_NAMES: Record<number, string> = {
  0: "NONE",
  11: "TOOL_CALL_START",
  12: "TOOL_CALL_RESULT",
};

/** Name of a message type as the Python original prints it (`"TEXT"`, `"IMAGE"`, …). */
export function messageTypeName(type: number): string {
  return MessageType[type] ?? ITEM_TYPE_NAMES[type] ?? `UNKNOWN_${type}`;
}

type Content = Pick<Message, "text" | "image" | "voice" | "file" | "video">;

function contentJSON(c: Content, out: Record<string, unknown>): void {
  if (c.text !== undefined) out.text = c.text;
  if (c.image) {
    out.image = {
      url: c.image.url,
      thumb_width: c.image.thumbWidth,
      thumb_height: c.image.thumbHeight,
    };
  }
  if (c.voice) out.voice = { playtime: c.voice.playtime, text: c.voice.text };
  if (c.file) out.file = { file_name: c.file.fileName, file_size: c.file.fileSize };
  if (c.video) {
    out.video = {
      play_length: c.video.playLength,
      thumb_width: c.video.thumbWidth,
      thumb_height: c.video.thumbHeight,
    };
  }
}

function parseItem(raw: WireMessageItem): MessageItem {
  const type = num(raw.type);
  const item: MessageItem = { type };
  const msgId = idString(raw.msg_id);
  if (msgId !== undefined) item.msgId = msgId;
  let known = true;
  if (type === MessageType.TEXT && isObject(raw.text_item)) {
    item.text = str(raw.text_item.text);
  } else if (type === MessageType.IMAGE && isObject(raw.image_item)) {
    item.image = parseImage(raw.image_item);
  } else if (type === MessageType.VOICE && isObject(raw.voice_item)) {
    item.voice = readVoiceInfo(raw.voice_item);
  } else if (type === MessageType.FILE && isObject(raw.file_item)) {
    item.file = parseFile(raw.file_item);
  } else if (type === MessageType.VIDEO && isObject(raw.video_item)) {
    item.video = readVideoInfo(raw.video_item);
  } else {
    known = false;
  }
  // Unknown (or malformed) items keep their wire form so nothing the user sent is lost.
  if (!known) item.raw = raw;
  if (isObject(raw.ref_msg)) item.refMsg = RefMessage.fromWire(raw.ref_msg);
  return item;
}

function parseImage(raw: WireImageItem): ImageInfo {
  // Both keys and full_url are kept: dropping full_url when aeskey is set made some images
  // undownloadable in the Python original.
  return {
    media: readMediaInfo(raw.media),
    aesKeyHex: str(raw.aeskey),
    url: str(raw.url),
    thumbWidth: num(raw.thumb_width),
    thumbHeight: num(raw.thumb_height),
    midSize: num(raw.mid_size),
    thumbSize: num(raw.thumb_size),
    hdSize: num(raw.hd_size),
  };
}

function parseFile(raw: WireFileItem): FileInfo {
  return {
    media: readMediaInfo(raw.media),
    fileName: str(raw.file_name),
    fileSize: str(raw.len),
    md5: str(raw.md5),
  };
}

/** A 64-bit id as a decimal string; numbers are accepted but may already have lost precision. */
function idString(v: unknown): string | undefined {
  if (typeof v === "string") return v === "" ? undefined : v;
  if (typeof v === "bigint") return v.toString();
  if (typeof v === "number" && Number.isFinite(v)) return BigInt(Math.trunc(v)).toString();
  return undefined;
}
