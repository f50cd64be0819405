/**
 * The `data` column: a JSON document holding everything needed to rebuild a {@linkcode Message},
 * CDN references included, so media of a stored message can still be downloaded.
 *
 * The document has the Python original's shape (snake_case keys `from_user`, `msg_type`,
 * `timestamp`, `message_id`, `context_token`, `bot_id`, `text`, `image`, `voice`, `file`, `video`,
 * `ref_msg`, with media as `{encrypt_query_param, aes_key, encrypt_type, full_url}`), and
 * `message_id` is written as a bare JSON integer as Python writes it. Fields the original drops are
 * added under new keys (`to_user`, `items`, `aes_key_hex`, `mid_size`, `thumb_size`, `thumb_media`,
 * `video_size`, `title`, `svr_id`, `msg_id`); the original's reader ignores unknown keys, and this
 * reader fills them with defaults when a row written by the original lacks them.
 *
 * @module
 */

import {
  type FileInfo,
  type ImageInfo,
  type MediaInfo,
  Message,
  MessageDirection,
  type MessageInit,
  type MessageItem,
  MessageType,
  RefMessage,
  type RefMessageInit,
  type VideoInfo,
  type VoiceInfo,
} from "../models/mod.ts";
import { decodeMessageId, encodeMessageId } from "./message_id.ts";
import {
  isObject,
  num,
  readMediaInfo,
  readVideoInfo,
  readVoiceInfo,
  str,
} from "../models/wire_fields.ts";

/**
 * One row of the `messages` table as `node:sqlite` returns it (integers as `number` or, with
 * big-int reading on, `bigint`).
 */
export interface MessageRow {
  /** Row id (`INTEGER PRIMARY KEY AUTOINCREMENT`). */
  id?: number | bigint;
  /** Stored message id (signed 64-bit; see `encodeMessageId`), `null` for sent rows without one. */
  message_id: number | bigint | null;
  /** The conversation's WeChat user: the sender of received rows, the recipient of sent rows. */
  user_id: string;
  /** Bot account, `""` when unknown. */
  bot_id: string;
  /** {@linkcode MessageType} value of the first item. */
  msg_type: number | bigint;
  /** {@linkcode MessageDirection} value. */
  direction: number | bigint;
  /** Text content, `null` when none. */
  text: string | null;
  /** Creation time, epoch ms. */
  timestamp_ms: number | bigint;
  /** Reply handle (secret). */
  context_token: string;
  /** The JSON document described in this module. */
  data: string;
}

type Json = Record<string, unknown>;

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

function mediaData(m: MediaInfo): Json {
  return {
    encrypt_query_param: m.encryptQueryParam,
    aes_key: m.aesKey,
    encrypt_type: m.encryptType,
    full_url: m.fullUrl,
  };
}

function imageData(i: ImageInfo): Json {
  return {
    media: mediaData(i.media),
    url: i.url,
    thumb_width: i.thumbWidth,
    thumb_height: i.thumbHeight,
    hd_size: i.hdSize,
    aes_key_hex: i.aesKeyHex,
    mid_size: i.midSize,
    thumb_size: i.thumbSize,
  };
}

function voiceData(v: VoiceInfo): Json {
  return {
    media: mediaData(v.media),
    playtime: v.playtime,
    text: v.text,
    encode_type: v.encodeType,
    bits_per_sample: v.bitsPerSample,
    sample_rate: v.sampleRate,
  };
}

function fileData(f: FileInfo): Json {
  return { media: mediaData(f.media), file_name: f.fileName, file_size: f.fileSize, md5: f.md5 };
}

function videoData(v: VideoInfo): Json {
  const out: Json = {
    media: mediaData(v.media),
    play_length: v.playLength,
    video_md5: v.videoMd5,
    thumb_width: v.thumbWidth,
    thumb_height: v.thumbHeight,
    video_size: v.videoSize,
    thumb_size: v.thumbSize,
  };
  if (v.thumbMedia) out.thumb_media = mediaData(v.thumbMedia);
  return out;
}

interface Content {
  text?: string | undefined;
  image?: ImageInfo | undefined;
  voice?: VoiceInfo | undefined;
  file?: FileInfo | undefined;
  video?: VideoInfo | undefined;
}

function contentData(c: Content, out: Json): void {
  if (c.text !== undefined) out.text = c.text;
  if (c.image) out.image = imageData(c.image);
  if (c.voice) out.voice = voiceData(c.voice);
  if (c.file) out.file = fileData(c.file);
  if (c.video) out.video = videoData(c.video);
}

function refData(r: RefMessage): Json {
  const out: Json = { msg_type: r.msgType };
  contentData(r, out);
  out.title = r.title;
  if (r.svrId !== undefined) out.svr_id = r.svrId;
  return out;
}

function itemData(item: MessageItem): Json {
  const out: Json = { type: item.type };
  contentData(item, out);
  if (item.msgId !== undefined) out.msg_id = item.msgId;
  if (item.refMsg) out.ref_msg = refData(item.refMsg);
  if (item.raw !== undefined) out.raw = item.raw;
  return out;
}

/** The values of a message's `messages` columns after `id`, in table order, `stored_at` last. */
export type MessageColumns = [
  messageId: bigint | null,
  userId: string,
  botId: string,
  msgType: number,
  direction: number,
  text: string | null,
  timestampMs: number,
  contextToken: string,
  data: string,
  storedAt: number,
];

/**
 * The column values of `message` stored at `storedAt` (epoch seconds): the one mapping of a
 * message onto a row, for SQLite and PostgreSQL alike. The `user_id` column is the sender of a
 * received message and the recipient of a sent one.
 *
 * @throws {TypeError} When `message` is not a message, or its type or id is invalid.
 * @throws {RangeError} When its id does not fit in 64 bits.
 */
export function messageColumns(message: Message, storedAt: number, index = 0): MessageColumns {
  if (typeof message !== "object" || message === null || typeof message.fromUser !== "string") {
    throw new TypeError(`Cannot store message at index ${index}: expected a Message`);
  }
  if (!Number.isInteger(message.msgType)) {
    throw new TypeError(
      `Cannot store message at index ${index}: msgType ${
        String(message.msgType)
      } is not an integer`,
    );
  }
  const id = message.messageId === undefined ? null : encodeMessageId(message.messageId);
  const sent = message.direction === MessageDirection.SENT;
  return [
    id,
    sent && message.toUser !== "" ? message.toUser : message.fromUser,
    message.botId ?? "",
    message.msgType,
    sent ? MessageDirection.SENT : MessageDirection.RECEIVED,
    message.text ?? null,
    wholeNumber(message.timestamp),
    message.contextToken ?? "",
    // The id was validated by encodeMessageId above.
    dataText(message),
    storedAt,
  ];
}

/** An integer for the integer columns and keys; anything not finite becomes `0`. */
export function wholeNumber(v: number): number {
  return Number.isFinite(v) ? Math.trunc(v) : 0;
}

/**
 * Any character `JSON.stringify` may escape in a string: the quote, the backslash, controls, and
 * surrogates (it escapes lone ones). Written as the complement of the characters it copies as is.
 */
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\ud7ff\ue000-\uffff]/;

/**
 * `JSON.stringify(value)`, with a shortcut for the common string that needs no escaping: ids,
 * tokens and most texts are plain ASCII, and wrapping them in quotes is what the full encoder
 * would produce anyway.
 */
function quote(value: unknown): string {
  return typeof value === "string" && !NEEDS_ESCAPE.test(value)
    ? `"${value}"`
    : JSON.stringify(value);
}

/** `,"key":<value>` for a defined value, as `JSON.stringify` writes an object property. */
function property(key: string, value: unknown): string {
  return value === undefined ? "" : `,"${key}":${quote(value)}`;
}

const DECIMAL = /^[0-9]+$/;

/**
 * Serialises a message into the `data` column's JSON.
 *
 * The text is assembled property by property (the same keys, order and escaping as
 * `JSON.stringify` of the document) rather than building a throw-away object per row: this runs
 * once per stored message, on the hot path of batched inserts. `message_id` is written as a bare
 * integer literal, exact like Python's `json.dumps` of an int, because a 64-bit id cannot go
 * through a JS `number`.
 *
 * @param message The message; its `messageId` must already be a validated decimal string.
 * @throws {TypeError} When `messageId` is not a string of decimal digits.
 */
export function messageToData(message: Message): string {
  const id = message.messageId;
  if (id !== undefined && !(typeof id === "string" && DECIMAL.test(id))) {
    throw new TypeError(`Invalid message id "${String(id)}": expected a string of decimal digits`);
  }
  return dataText(message);
}

/**
 * {@linkcode messageToData} for a message whose id the caller has validated already (the store
 * checks it while encoding the `message_id` column), so the hot path does not test it twice.
 */
export function dataText(message: Message): string {
  const { fromUser, refMsg } = message;
  let text = (fromUser === undefined ? "{" : `{"from_user":${quote(fromUser)},`) +
    `"msg_type":${wholeNumber(message.msgType)},"timestamp":${wholeNumber(message.timestamp)}` +
    `,"message_id":${message.messageId ?? "null"}` +
    property("context_token", message.contextToken) +
    `,"bot_id":${quote(message.botId ?? null)}` +
    contentText(message);
  if (refMsg) text += `,"ref_msg":${JSON.stringify(refData(refMsg))}`;
  text += property("to_user", message.toUser);
  // A single item that the first-of-kind fields already describe is rebuilt on reading (as for
  // rows written by the original), which keeps the common row a third smaller.
  if (!isSynthesizable(message)) text += `,"items":${JSON.stringify(message.items.map(itemData))}`;
  return text + "}";
}

/** The content properties of {@linkcode contentData}, as JSON text with leading commas. */
function contentText(c: Content): string {
  let text = property("text", c.text);
  if (c.image) text += `,"image":${JSON.stringify(imageData(c.image))}`;
  if (c.voice) text += `,"voice":${JSON.stringify(voiceData(c.voice))}`;
  if (c.file) text += `,"file":${JSON.stringify(fileData(c.file))}`;
  if (c.video) text += `,"video":${JSON.stringify(videoData(c.video))}`;
  return text;
}

/** Whether {@linkcode synthesizeItems} rebuilds `message.items` exactly from the other fields. */
function isSynthesizable(message: Message): boolean {
  const { items } = message;
  if (items.length === 0) {
    return message.text === undefined && !message.image && !message.voice && !message.file &&
      !message.video && !message.refMsg;
  }
  if (items.length !== 1) return false;
  const item = items[0]!;
  if (item.type !== message.msgType || item.msgId !== undefined || item.raw !== undefined) {
    return false;
  }
  if (item.refMsg !== message.refMsg) return false;
  const expected = ONLY_CONTENT[item.type] ?? "text";
  // The item carries exactly the expected content, the same object as the message's; any other
  // first-of-kind field would come from a second item, which a single item excludes.
  for (const key of CONTENT_KEYS) {
    const value = item[key];
    if (key === expected) {
      if (value === undefined || value !== message[key]) return false;
    } else if (value !== undefined || message[key] !== undefined) {
      return false;
    }
  }
  return true;
}

const CONTENT_KEYS = ["text", "image", "voice", "file", "video"] as const;
const ONLY_CONTENT: Record<number, (typeof CONTENT_KEYS)[number]> = {
  [MessageType.IMAGE]: "image",
  [MessageType.VOICE]: "voice",
  [MessageType.FILE]: "file",
  [MessageType.VIDEO]: "video",
};

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

function optionalId(v: unknown): string | undefined {
  if (typeof v === "string" && v !== "") return v;
  if (typeof v === "number" && Number.isSafeInteger(v)) return String(v);
  return undefined;
}

function readImage(d: Json): ImageInfo {
  return {
    media: readMediaInfo(d.media),
    aesKeyHex: str(d.aes_key_hex),
    url: str(d.url),
    thumbWidth: num(d.thumb_width),
    thumbHeight: num(d.thumb_height),
    midSize: num(d.mid_size),
    thumbSize: num(d.thumb_size),
    hdSize: num(d.hd_size),
  };
}

function readFile(d: Json): FileInfo {
  return {
    media: readMediaInfo(d.media),
    fileName: str(d.file_name),
    fileSize: str(d.file_size),
    md5: str(d.md5),
  };
}

function readContent(d: Json, out: Content): void {
  if (typeof d.text === "string") out.text = d.text;
  if (isObject(d.image)) out.image = readImage(d.image);
  if (isObject(d.voice)) out.voice = readVoiceInfo(d.voice);
  if (isObject(d.file)) out.file = readFile(d.file);
  if (isObject(d.video)) out.video = readVideoInfo(d.video);
}

function readRef(d: Json): RefMessage {
  const init: RefMessageInit = {
    // Absent reads as TEXT, as the original reads it; a stored 0 (NONE) stays 0.
    msgType: d.msg_type === undefined ? MessageType.TEXT : num(d.msg_type),
    title: str(d.title),
  };
  const svrId = optionalId(d.svr_id);
  if (svrId !== undefined) init.svrId = svrId;
  readContent(d, init);
  return new RefMessage(init);
}

function readItem(d: Json): MessageItem {
  const item: MessageItem = { type: num(d.type) };
  readContent(d, item);
  const msgId = optionalId(d.msg_id);
  if (msgId !== undefined) item.msgId = msgId;
  if (isObject(d.ref_msg)) item.refMsg = readRef(d.ref_msg);
  if ("raw" in d) item.raw = d.raw;
  return item;
}

/**
 * Rebuilds `items` for rows written by the Python original, which keeps only the first item: one
 * item of the row's type carrying the matching content, with the quote attached to it.
 */
function synthesizeItems(init: MessageInit): MessageItem[] {
  const item: MessageItem = { type: init.msgType };
  switch (init.msgType) {
    case MessageType.IMAGE:
      if (init.image) item.image = init.image;
      break;
    case MessageType.VOICE:
      if (init.voice) item.voice = init.voice;
      break;
    case MessageType.FILE:
      if (init.file) item.file = init.file;
      break;
    case MessageType.VIDEO:
      if (init.video) item.video = init.video;
      break;
    default:
      if (init.text !== undefined) item.text = init.text;
  }
  if (init.refMsg) item.refMsg = init.refMsg;
  return Object.keys(item).length > 1 ? [item] : [];
}

/** Reads `message_id` exactly from the raw JSON text when the column is `NULL` (never seen in
 * rows either implementation writes, but the column is the only exact source otherwise). */
function idFromDataText(data: string): string | undefined {
  const match = /"message_id"\s*:\s*([0-9]{1,20})\s*[,}]/.exec(data);
  return match?.[1];
}

/**
 * Rebuilds a full {@linkcode Message} from a `messages` row written by this store or by the Python
 * original. Columns win where they are authoritative (id, type, direction); a `data` value that is
 * not valid JSON degrades to a message built from the columns instead of failing, so a reader
 * walking row ids never stalls on one bad row.
 */
export function messageFromRow(row: MessageRow): Message {
  let d: Json = {};
  try {
    const parsed: unknown = JSON.parse(row.data);
    if (isObject(parsed)) d = parsed;
  } catch {
    // Fall back to the columns below.
  }
  const direction = Number(row.direction) === MessageDirection.SENT
    ? MessageDirection.SENT
    : MessageDirection.RECEIVED;
  const columnBot = row.bot_id === "" ? undefined : row.bot_id;
  const botId = typeof d.bot_id === "string" ? d.bot_id : columnBot;
  let fromUser = str(d.from_user, row.user_id);
  let toUser = str(d.to_user);
  // The original records a sent message with `from_user` = the recipient and no `to_user`.
  if (direction === MessageDirection.SENT && d.to_user === undefined) {
    fromUser = botId ?? "";
    toUser = row.user_id;
  }
  const init: MessageInit = {
    fromUser,
    toUser,
    msgType: Number(row.msg_type),
    timestamp: typeof d.timestamp === "number" ? d.timestamp : Number(row.timestamp_ms),
    contextToken: str(d.context_token, row.context_token),
    direction,
  };
  readContent(d, init);
  if (init.text === undefined && row.text !== null) init.text = row.text;
  const messageId = decodeMessageId(row.message_id) ??
    (row.data.includes('"message_id"') ? idFromDataText(row.data) : undefined);
  if (messageId !== undefined) init.messageId = messageId;
  if (botId !== undefined) init.botId = botId;
  if (isObject(d.ref_msg)) init.refMsg = readRef(d.ref_msg);
  init.items = Array.isArray(d.items)
    ? d.items.filter(isObject).map(readItem)
    : synthesizeItems(init);
  return new Message(init);
}
