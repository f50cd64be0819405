/**
 * Inbound messages as the real server delivers them (spec §4): the items of an injected message,
 * its media encrypted and stored on the sandbox's CDN, a quoted reply, and the wire message that
 * carries them. Queueing (the `seq`, the message id, the context token) stays with the core.
 *
 * @module
 */

import { encodeAesKeyForSend, encodeAesKeyRaw, md5Hex, toHex } from "../crypto/mod.ts";
import type { StoredMedia } from "./bot_record.ts";
import { type CdnStore, UPLOAD_TYPE_OF_ITEM } from "./cdn_store.ts";
import type { InjectMessage } from "./types.ts";
import { isRecord, jsonDepth, randomHex, type WireBody } from "./wire_json.ts";

/** Deepest JSON nesting `injectMessage` accepts in `items` (and `/inject` in its body). */
export const INJECT_MAX_DEPTH = 64;

/** Where inbound media go: the CDN store, and the CDN base their `full_url` names. */
export interface InboundMediaHost {
  readonly cdn: CdnStore;
  readonly cdnBaseUrl: string;
}

/** The content of an injected message, ready to be queued. */
export interface InboundContent {
  /** `item_list`, never empty; a quote is attached to the first item. */
  items: WireBody[];
  /** Item type of the first item, for the chat view. */
  type: number;
  /** The first media item's plaintext, kept for the phone page and `/media`. */
  stored?: StoredMedia;
  /** What the chat view shows: the text, else the voice transcript. */
  text?: string;
}

/** An encrypted blob on the CDN and the `media` object that points at it. */
interface StoredBlob {
  key: Uint8Array;
  cipher: Uint8Array;
  media: WireBody;
}

/** One media field of {@linkcode InjectMessage} and how it becomes an item. */
interface MediaKind {
  bytes: Uint8Array | undefined;
  /** Message item type (2 image, 3 voice, 4 file, 5 video). */
  type: number;
  fileName?: string;
  /** The item's `*_item` field, built around the stored blob. */
  item(blob: StoredBlob, bytes: Uint8Array): WireBody;
}

/**
 * Builds the items of `msg`, sent by `from` to `botId`, storing its media on the CDN. Throws
 * `RangeError` for `items` nested deeper than {@linkcode INJECT_MAX_DEPTH} and `TypeError` for a
 * message without content or with an extra item that is not an object.
 */
export function inboundContent(
  host: InboundMediaHost,
  msg: InjectMessage,
  botId: string,
  from: string,
): InboundContent {
  if (msg.items !== undefined) {
    // The queue is serialised with a recursive JSON writer: unbounded nesting would overflow
    // the stack on every poll of this bot. Hostile depth goes through injectRaw instead.
    const depth = jsonDepth(msg.items, INJECT_MAX_DEPTH);
    if (depth > INJECT_MAX_DEPTH) {
      throw new RangeError(
        `Cannot inject message: items are nested more than ${INJECT_MAX_DEPTH} levels deep ` +
          "(use injectRaw for deliberately hostile input)",
      );
    }
  }
  const items: WireBody[] = [];
  let stored: StoredMedia | undefined;
  if (msg.text !== undefined || (msg.quote && !msg.image && !msg.file && !msg.video)) {
    items.push({ type: 1, text_item: { text: msg.text ?? "" } });
  }
  for (const kind of mediaKinds(msg)) {
    if (!kind.bytes) continue;
    const blob = storeBlob(host, kind.bytes, UPLOAD_TYPE_OF_ITEM[kind.type]!, botId, from);
    items.push({ type: kind.type, ...kind.item(blob, kind.bytes) });
    stored ??= {
      bytes: kind.bytes,
      type: kind.type,
      ...(kind.fileName !== undefined ? { fileName: kind.fileName } : {}),
    };
  }
  for (const raw of msg.items ?? []) {
    if (!isRecord(raw)) throw new TypeError("Cannot inject message: extra items must be objects");
    items.push(raw);
  }
  const first = items[0];
  if (!first) throw new TypeError("Cannot inject message: it has no content");
  if (msg.quote) first.ref_msg = refMsg(msg.quote);
  const content: InboundContent = {
    items,
    type: typeof first.type === "number" ? first.type : 0,
  };
  if (stored) content.stored = stored;
  const text = msg.text ?? msg.voiceText;
  if (text !== undefined) content.text = text;
  return content;
}

/** The media of `msg` in item order, with the fields each item type carries (spec §4.4). */
function mediaKinds(msg: InjectMessage): MediaKind[] {
  const fileName = msg.fileName ?? "file.bin";
  return [{
    bytes: msg.image,
    type: 2,
    item: ({ media, key, cipher }) => ({
      image_item: { media, aeskey: toHex(key), mid_size: cipher.length, hd_size: cipher.length },
    }),
  }, {
    bytes: msg.voice,
    type: 3,
    item: ({ media }, bytes) => {
      const voice: WireBody = {
        media,
        encode_type: 6,
        bits_per_sample: 16,
        sample_rate: 24000,
        // Synthetic duration: SILK at ~16 kbit/s is about 2 bytes per millisecond.
        playtime: Math.max(1000, Math.round(bytes.length / 2)),
      };
      if (msg.voiceText !== undefined) voice.text = msg.voiceText;
      return { voice_item: voice };
    },
  }, {
    bytes: msg.file,
    type: 4,
    fileName,
    item: ({ media }, bytes) => ({
      file_item: { media, file_name: fileName, md5: md5Hex(bytes), len: String(bytes.length) },
    }),
  }, {
    bytes: msg.video,
    type: 5,
    item: ({ media, cipher }, bytes) => ({
      video_item: { media, video_size: cipher.length, play_length: 5, video_md5: md5Hex(bytes) },
    }),
  }];
}

/**
 * Encrypts `bytes` with a fresh key onto the CDN. Images carry their key in format A (base64 of
 * the raw bytes), every other kind in format B (base64 of the hex text), as the real server does
 * (spec §5.6).
 */
function storeBlob(
  host: InboundMediaHost,
  bytes: Uint8Array,
  mediaType: number,
  botId: string,
  user: string,
): StoredBlob {
  const { token, key, cipher } = host.cdn.storeInbound(bytes, { botId, user, mediaType });
  const media = {
    encrypt_query_param: token,
    aes_key: mediaType === 1 ? encodeAesKeyRaw(key) : encodeAesKeyForSend(key),
    encrypt_type: 1,
    full_url: `${host.cdnBaseUrl}/download?encrypted_query_param=${encodeURIComponent(token)}`,
  };
  return { key, cipher, media };
}

/** The `ref_msg` of a quoted reply. */
function refMsg(quote: NonNullable<InjectMessage["quote"]>): WireBody {
  const ref: WireBody = { title: quote.title ?? quote.text ?? "" };
  if (quote.text !== undefined) ref.message_item = { type: 1, text_item: { text: quote.text } };
  if (quote.svrId !== undefined) {
    // Sent as a JSON number like message_id (spec §4.4), when it is one.
    ref.svr_id = /^\d+$/.test(quote.svrId) ? BigInt(quote.svrId) : quote.svrId;
  }
  return ref;
}

/** The fields of an inbound wire message that the core decides. */
export interface InboundEnvelope {
  seq: number;
  messageId: bigint;
  from: string;
  botId: string;
  /** Epoch milliseconds. */
  now: number;
  contextToken: string;
  items: WireBody[];
}

/** The wire message of one `msgs` entry of `getupdates` (spec §4.2). */
export function inboundMessage(e: InboundEnvelope): WireBody {
  return {
    seq: e.seq,
    message_id: e.messageId,
    from_user_id: e.from,
    to_user_id: e.botId,
    client_id: `sandbox-${randomHex(8)}`,
    create_time_ms: e.now,
    update_time_ms: e.now,
    session_id: `s_${e.botId.slice(0, 12)}_${e.from.split("@")[0]}`,
    group_id: "",
    message_type: 1,
    message_state: 2,
    item_list: e.items,
    context_token: e.contextToken,
  };
}

/**
 * Checks that `json` is JSON text for `injectRaw`, which queues it verbatim. Throws `TypeError`
 * otherwise.
 */
export function checkRawInbound(json: string): void {
  if (typeof json !== "string") {
    throw new TypeError("Cannot inject raw JSON: json must be a string of JSON text");
  }
  try {
    JSON.parse(json);
  } catch {
    throw new TypeError("Cannot inject raw JSON: the text is not valid JSON");
  }
}
