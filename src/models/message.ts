/**
 * {@linkcode Message} and {@linkcode RefMessage}: one wire `WeixinMessage` (spec §4.2) parsed into
 * camelCase, every item of `item_list` included, unknown item types kept as raw data, with a
 * bounded quote depth.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";
import type {
  WireFileItem,
  WireImageItem,
  WireMessage,
  WireMessageItem,
  WireRefMessage,
} from "../protocol/types.ts";
import { isObject, num, readMediaInfo, readVideoInfo, readVoiceInfo, str } from "./wire_fields.ts";
import type { FileInfo, ImageInfo, VideoInfo, VoiceInfo } from "./media_info.ts";
import { MessageDirection, MessageType, messageTypeName } from "./enums.ts";

/**
 * A wire message that cannot become a {@linkcode Message}: not a JSON object, or an id that is not
 * a 64-bit unsigned decimal. The receive loop skips such an entry (logging it) and moves on.
 */
export class InvalidMessageError extends WeiLinkError {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "InvalidMessageError";
  }
}

/**
 * Quotes nested deeper than this are cut (with a warning). Real quotes are one or two levels deep;
 * a hostile one nested thousands of levels would otherwise exhaust the stack.
 */
export const MAX_QUOTE_DEPTH = 8;
/** Depth kept of the raw wire form of unknown items; deeper values are replaced by a marker. */
const MAX_RAW_DEPTH = 32;
/** Latest representable epoch millisecond (`new Date(8.64e15)`); later timestamps read as 0. */
const MAX_EPOCH_MS = 8.64e15;
const UINT64_MAX = (1n << 64n) - 1n;

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

  /**
   * Parses a wire `ref_msg`. `depth` is how many quotes enclose it (quotes nested deeper than
   * {@linkcode MAX_QUOTE_DEPTH} are dropped); problems found are appended to `warnings`.
   */
  static fromWire(raw: WireRefMessage, depth = 1, warnings: string[] = []): RefMessage {
    const item = isObject(raw.message_item) ? raw.message_item : undefined;
    const parsed = item ? parseItem(item, depth, warnings) : undefined;
    const init: RefMessageInit = {
      msgType: parsed ? parsed.type as MessageType : MessageType.TEXT,
      title: str(raw.title),
    };
    const svrId = optionalId(raw.svr_id, "ref_msg.svr_id", warnings);
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
  /** Problems found while parsing the wire form. */
  warnings?: string[];
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
  /**
   * Problems found while parsing the wire form (a quote nested too deep, an out-of-range
   * timestamp, a malformed item id); the message was kept with what could be read. Absent when
   * the message parsed cleanly.
   */
  warnings?: string[];

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
    if (init.warnings?.length) this.warnings = init.warnings;
  }

  /**
   * Parses one wire message. Every item of `item_list` is parsed; `text`, `image`, `voice`, `file`
   * and `video` hold the first item of each kind, `refMsg` the first quote.
   *
   * @param raw A message from `getupdates` (ids already strings, see `parseJsonLossless`).
   * @param botId The bot account that received it.
   */
  static fromWire(raw: WireMessage, botId?: string): Message {
    if (!isObject(raw)) {
      throw new InvalidMessageError(
        `Cannot parse message: expected a JSON object, got ${raw === null ? "null" : typeof raw}`,
      );
    }
    const warnings: string[] = [];
    let wireItems: unknown[] = [];
    if (Array.isArray(raw.item_list)) wireItems = raw.item_list;
    else if (raw.item_list !== undefined && raw.item_list !== null) {
      warnings.push("item_list is not an array; no item was read");
    }
    const items: MessageItem[] = [];
    for (const [i, entry] of wireItems.entries()) {
      if (isObject(entry)) items.push(parseItem(entry, 0, warnings));
      else warnings.push(`item ${i} is not an object and was skipped`);
    }
    const init: MessageInit = {
      fromUser: str(raw.from_user_id),
      toUser: str(raw.to_user_id),
      msgType: items[0] ? items[0].type as MessageType : MessageType.TEXT,
      items,
      timestamp: epochMs(raw.create_time_ms, "create_time_ms", warnings),
      contextToken: str(raw.context_token),
      direction: raw.message_type === 2 ? MessageDirection.SENT : MessageDirection.RECEIVED,
    };
    // The item-level msg_id is the documented fallback when the message id is missing. A message
    // id that is present but not a uint64 is refused: it could neither be stored nor matched.
    let messageId: string | undefined;
    if (raw.message_id !== undefined && raw.message_id !== null && raw.message_id !== "") {
      messageId = canonicalId(raw.message_id);
      if (messageId === undefined) {
        throw new InvalidMessageError(
          `Cannot parse message: message_id ${
            describeValue(raw.message_id)
          } is not a 64-bit unsigned decimal`,
        );
      }
    } else {
      messageId = items.find((i) => i.msgId)?.msgId;
    }
    if (messageId !== undefined) init.messageId = messageId;
    if (botId !== undefined) init.botId = botId;
    if (warnings.length) init.warnings = warnings;
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

/** Parses one item; `depth` is how many quotes enclose it. */
function parseItem(raw: WireMessageItem, depth: number, warnings: string[]): MessageItem {
  const type = itemType(raw.type, warnings);
  const item: MessageItem = { type };
  const msgId = optionalId(raw.msg_id, "msg_id", warnings);
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
  // Unknown (or malformed) items keep their wire form so nothing the user sent is lost; a copy cut
  // at a sane depth, so that it can always be serialised again.
  if (!known) item.raw = boundedCopy(raw, MAX_RAW_DEPTH, warnings);
  if (isObject(raw.ref_msg)) {
    if (depth >= MAX_QUOTE_DEPTH) {
      warnings.push(`a quote nested deeper than ${MAX_QUOTE_DEPTH} levels was dropped`);
    } else {
      item.refMsg = RefMessage.fromWire(raw.ref_msg, depth + 1, warnings);
    }
  }
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

/**
 * A uint64 id in canonical decimal form (no sign, no leading zeros), from a decimal string, a
 * bigint, or a safe integer; `undefined` for anything else (`1e400`, `-5`, `"abc"`, 2^64).
 */
function canonicalId(v: unknown): string | undefined {
  let big: bigint;
  if (typeof v === "string") {
    if (!/^\d{1,20}$/.test(v)) return undefined;
    big = BigInt(v);
  } else if (typeof v === "bigint") {
    big = v;
  } else if (typeof v === "number" && Number.isSafeInteger(v)) {
    big = BigInt(v);
  } else {
    return undefined;
  }
  return big >= 0n && big <= UINT64_MAX ? big.toString() : undefined;
}

/** An optional secondary id (item `msg_id`, quote `svr_id`): invalid ones are dropped with a warning. */
function optionalId(v: unknown, field: string, warnings: string[]): string | undefined {
  if (v === undefined || v === null || v === "") return undefined;
  const id = canonicalId(v);
  if (id === undefined) {
    warnings.push(`${field} ${describeValue(v)} is not a 64-bit unsigned decimal and was dropped`);
  }
  return id;
}

/**
 * An item type (an integer, spec §4.1). Anything else, such as `1.5`, names no type and reads as
 * 0 (NONE), with a warning: the message store keeps types in an integer column and refuses others.
 */
function itemType(v: unknown, warnings: string[]): number {
  const n = num(v);
  if (Number.isSafeInteger(n)) return n;
  warnings.push(`item type ${describeValue(v)} is not an integer and was read as 0`);
  return 0;
}

/** An epoch-ms timestamp; values a `Date` cannot hold read as 0, with a warning. */
function epochMs(v: unknown, field: string, warnings: string[]): number {
  const n = num(v);
  if (n >= 0 && n <= MAX_EPOCH_MS) return Math.trunc(n);
  warnings.push(`${field} ${describeValue(v)} is out of range and was read as 0`);
  return 0;
}

/**
 * A short, safe rendering of a wire value for messages. Objects and arrays are named, not
 * converted: `String()` recurses through nested arrays (a stack overflow at a few thousand
 * levels) and calls an own `toString` key (`{"toString":1}` makes it throw).
 */
function describeValue(v: unknown): string {
  const text = typeof v === "string"
    ? JSON.stringify(v)
    : Array.isArray(v)
    ? "(an array)"
    : typeof v === "object" && v !== null
    ? "(an object)"
    : String(v);
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

/**
 * A copy of a JSON value with everything deeper than `maxDepth` replaced by the string
 * `"[nested too deep]"` (one warning per cut value), so a hostile structure can be kept, stored
 * and printed without exhausting the stack.
 */
function boundedCopy(value: unknown, maxDepth: number, warnings: string[]): unknown {
  let cut = false;
  const copy = (v: unknown, depth: number): unknown => {
    if (typeof v !== "object" || v === null) return v;
    if (depth >= maxDepth) {
      cut = true;
      return "[nested too deep]";
    }
    if (Array.isArray(v)) return v.map((x) => copy(x, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) out[k] = copy(x, depth + 1);
    return out;
  };
  const result = copy(value, 0);
  if (cut) warnings.push(`an unknown item nested deeper than ${maxDepth} levels was cut`);
  return result;
}
