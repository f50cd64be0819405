/**
 * The rules of what a bot sends: `sendmessage` (spec §3.4, §4.6, §6.4), the media items it
 * carries checked against their upload (spec §4.6.5, §5.6), and `getuploadurl` (spec §3.5).
 *
 * Each rule a message breaks is recorded through the {@linkcode OutboundHost}; only the rules the
 * real server enforces turn into an error answer. The functions take the host as a parameter, so
 * this module does not depend on the core that ties it together.
 *
 * @module
 */

import { cipherSize, decodeAesKey, decryptAesEcb } from "../crypto/mod.ts";
import { type BotRecord, SESSION_TIMEOUT } from "./bot_record.ts";
import { type CdnStore, UPLOAD_TYPE_OF_ITEM } from "./cdn_store.ts";
import type { RuleReporter } from "./rule_log.ts";
import type { ViolationRule } from "./violation_rules.ts";
import { asString, fromBase64Text, isRecord, type WireBody } from "./wire_json.ts";

/** What the outbound rules need from the sandbox. */
export interface OutboundHost {
  /** Where broken rules and notes are recorded. */
  readonly rules: RuleReporter;
  /** Upload slots and uploaded media. */
  readonly cdn: CdnStore;
  /** CDN base without a trailing slash, for `upload_full_url`. */
  readonly cdnBaseUrl: string;
  /** Whether `getuploadurl` answers `upload_full_url`. */
  readonly options: { readonly uploadFullUrl: boolean };
}

/** Text limit of one TEXT item in UTF-8 bytes (spec §4.6.3). */
export const TEXT_LIMIT_BYTES = 16384;

/** The `*_item` key of each media item type. */
const MEDIA_ITEM_KEY: Record<number, string> = {
  2: "image_item",
  3: "voice_item",
  4: "file_item",
  5: "video_item",
};

const HEX32 = /^[0-9a-fA-F]{32}$/;
const encoder = new TextEncoder();

/** A `sendmessage` the rules accepted: what the sandbox records of it. */
export interface AcceptedMessage {
  /** `to_user_id`. */
  to: string;
  /** The one item of `item_list`. */
  item: Record<string, unknown>;
  /** `client_id`, `""` when missing. */
  clientId: string;
  /** Text of a TEXT item. */
  text?: string;
  /** `file_item.file_name` of a FILE item. */
  fileName?: string;
  /** Decrypted media, when the item's upload could be resolved. */
  media?: Uint8Array;
}

/** Outcome of {@linkcode checkSendMessage}: the message to record, or the refusal to answer. */
export type SendVerdict = { accepted: AcceptedMessage } | { refused: WireBody };

/**
 * Checks a `sendmessage` body against the rules of spec §3.4, §4.6 and §6.4. An accepted message
 * has used one reply of its context token's quota.
 */
export function checkSendMessage(
  host: OutboundHost,
  bot: BotRecord,
  body: Record<string, unknown>,
): SendVerdict {
  const ep = "sendmessage";
  const violate = (rule: ViolationRule, detail: string) =>
    host.rules.violate(ep, rule, detail, bot.botId);
  const invalid = { refused: { ret: -1, errmsg: "invalid arguments" } };
  const msg = body.msg;
  if (!isRecord(msg)) {
    violate("missing_msg", 'the body has no "msg" object');
    return invalid;
  }
  const items = Array.isArray(msg.item_list) ? msg.item_list : [];
  if (items.length === 0) {
    violate("empty_item_list", "item_list must hold exactly one item");
    return invalid;
  }
  if (items.length > 1) {
    violate(
      "multiple_items",
      `item_list holds ${items.length} items; the server accepts exactly one per message`,
    );
    return invalid;
  }
  const item = items[0];
  if (!isRecord(item) || typeof item.type !== "number") {
    violate("bad_item", 'the item has no numeric "type"');
    return invalid;
  }
  if (msg.message_type !== 2) {
    violate(
      "message_type",
      `message_type is ${JSON.stringify(msg.message_type)}; bot messages use 2 (BOT)`,
    );
  }
  if (msg.message_state !== 2) {
    violate(
      "message_state",
      `message_state is ${JSON.stringify(msg.message_state)}; the server expects 2 (FINISH)`,
    );
  }
  if (!asString(msg.client_id)) {
    violate("missing_client_id", "client_id must be a unique string");
  }
  const from = asString(msg.from_user_id);
  if (from !== undefined && from !== "" && from !== bot.botId) {
    violate("from_user_id", "from_user_id must be empty (the server fills it in)");
  }
  const to = asString(msg.to_user_id) ?? "";
  if (to === "") {
    violate("missing_to_user_id", "to_user_id is required");
    return invalid;
  }

  // Text size first: an oversize item is refused whatever the context (spec §4.6.3).
  let text: string | undefined;
  if (item.type === 1) {
    const textItem = isRecord(item.text_item) ? item.text_item : {};
    text = asString(textItem.text) ?? "";
    const size = encoder.encode(text).length;
    if (size > TEXT_LIMIT_BYTES) {
      violate(
        "text_too_long",
        `text is ${size} UTF-8 bytes; the limit is ${TEXT_LIMIT_BYTES} (split it)`,
      );
      return { refused: { ret: -2, errmsg: "" } };
    }
  }

  const prepareFailed = { refused: { ret: -2, errmsg: "prepare failed" } };
  if (!bot.contexts.has(to)) {
    violate(
      "send_to_unknown_user",
      `user "${to}" never wrote to this bot; a bot cannot start a conversation`,
    );
    return prepareFailed;
  }
  const token = asString(msg.context_token) ?? "";
  if (token === "") {
    violate("missing_context_token", "context_token is required");
    return prepareFailed;
  }
  const check = bot.contexts.check(to, token, Date.now());
  if (!check.ok) {
    switch (check.reason) {
      case "stale":
        return { refused: { ret: -14, errcode: -14, errmsg: SESSION_TIMEOUT } };
      case "quota":
        return { refused: { ret: -2, errmsg: "rate limited" } };
      default:
        return prepareFailed;
    }
  }
  if (check.older) {
    host.rules.note(
      ep,
      "older_context_token",
      "context_token is not the user's newest one (a newer message arrived); accepted, since " +
        "each token keeps its own window and quota",
      bot.botId,
    );
  }

  const media = resolveOutboundMedia(host, bot, to, item);
  check.state.sent++;
  const accepted: AcceptedMessage = { to, item, clientId: asString(msg.client_id) ?? "" };
  if (text !== undefined) accepted.text = text;
  const fileName = item.type === 4 && isRecord(item.file_item)
    ? asString(item.file_item.file_name)
    : undefined;
  if (fileName !== undefined) accepted.fileName = fileName;
  if (media) accepted.media = media;
  return { accepted };
}

/** Classifies an outbound `aes_key` per spec §5.6 without throwing. */
function keyFormat(value: string): "A" | "B" | "hex" | "invalid" {
  if (HEX32.test(value)) return "hex";
  let raw: Uint8Array;
  try {
    raw = fromBase64Text(value);
  } catch {
    return "invalid";
  }
  if (raw.length === 16) return "A";
  if (raw.length === 32 && HEX32.test(String.fromCharCode(...raw))) return "B";
  return "invalid";
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Checks an outbound media item against its upload and returns the decrypted bytes. */
function resolveOutboundMedia(
  host: OutboundHost,
  bot: BotRecord,
  to: string,
  item: Record<string, unknown>,
): Uint8Array | undefined {
  const violate = (rule: ViolationRule, detail: string) =>
    host.rules.violate("sendmessage", rule, detail, bot.botId);
  const type = item.type as number;
  const key = MEDIA_ITEM_KEY[type];
  if (key === undefined) return undefined;
  if (type === 3) {
    violate(
      "outbound_voice",
      "the real server accepts outbound VOICE items but the phone does not display them",
    );
  }
  const sub = item[key];
  if (!isRecord(sub) || !isRecord(sub.media)) {
    violate("missing_media", `${key}.media is missing`);
    return undefined;
  }
  const m = sub.media;
  if (m.full_url !== undefined && m.full_url !== "") {
    violate("outbound_full_url", "media.full_url must not be set on outbound media");
  }
  if (m.encrypt_type !== 1) {
    violate("encrypt_type", `media.encrypt_type is ${JSON.stringify(m.encrypt_type)}; send 1`);
  }
  const token = asString(m.encrypt_query_param) ?? "";
  const rec = host.cdn.media(token);
  if (!rec) {
    violate(
      "unknown_media",
      "media.encrypt_query_param is not a download token issued by the CDN (x-encrypted-param)",
    );
    return undefined;
  }
  if (rec.user !== to) {
    violate(
      "media_recipient_mismatch",
      `the media was uploaded for "${rec.user}" but is sent to "${to}"`,
    );
  }
  if (UPLOAD_TYPE_OF_ITEM[type] !== rec.mediaType) {
    violate(
      "media_type_mismatch",
      `item type ${type} needs upload media_type ${
        UPLOAD_TYPE_OF_ITEM[type]
      }, got ${rec.mediaType}`,
    );
  }
  const aesKey = asString(m.aes_key) ?? "";
  const format = keyFormat(aesKey);
  if (format !== "B") {
    violate(
      "media_key_not_format_b",
      format === "invalid"
        ? "media.aes_key is not a valid AES key encoding"
        : `media.aes_key is in ${
          format === "A" ? "format A (base64 of raw bytes)" : "bare hex"
        }; send format B (base64 of the hex text)`,
    );
    if (format === "invalid") return undefined;
  }
  let keyBytes: Uint8Array;
  try {
    keyBytes = decodeAesKey(aesKey);
  } catch {
    return undefined;
  }
  if (!sameBytes(keyBytes, rec.key)) {
    violate(
      "media_key_mismatch",
      "media.aes_key is not the key registered with getuploadurl; the phone cannot decrypt it",
    );
    return undefined;
  }
  const sizeRule = (field: string, got: unknown, want: number | string) => {
    if (got !== want) {
      violate(
        "media_size_mismatch",
        `${key}.${field} is ${JSON.stringify(got)}; the upload needs ${JSON.stringify(want)}`,
      );
    }
  };
  if (type === 2) sizeRule("mid_size", sub.mid_size, rec.cipher.length);
  if (type === 5) sizeRule("video_size", sub.video_size, rec.cipher.length);
  if (type === 4) {
    sizeRule("len", sub.len, String(rec.rawsize));
    if (!asString(sub.file_name)) violate("missing_file_name", "file_item.file_name is required");
  }
  return decryptAesEcb(rec.cipher, rec.key);
}

/** Answers `getuploadurl` (spec §3.5): validates the request and issues an upload slot. */
export function answerUploadUrl(
  host: OutboundHost,
  bot: BotRecord,
  body: Record<string, unknown>,
): WireBody {
  const violate = (rule: ViolationRule, detail: string) =>
    host.rules.violate("getuploadurl", rule, detail, bot.botId);
  const filekey = asString(body.filekey) ?? "";
  if (!/^[0-9a-f]{32}$/.test(filekey)) {
    violate("bad_filekey", "filekey must be 16 random bytes as 32 lowercase hex");
  }
  const mediaType = body.media_type;
  if (typeof mediaType !== "number" || ![1, 2, 3, 4].includes(mediaType)) {
    violate("bad_media_type", "media_type must be 1, 2, 3 or 4");
    return { ret: -2, errmsg: "invalid media_type" };
  }
  const to = asString(body.to_user_id) ?? "";
  if (to !== bot.userId && !bot.contexts.has(to)) {
    return { ret: -1, errmsg: "invalid to_user_id" };
  }
  const rawsize = body.rawsize;
  const filesize = body.filesize;
  const rawMd5 = asString(body.rawfilemd5) ?? "";
  if (typeof rawsize !== "number" || !Number.isInteger(rawsize) || rawsize < 0) {
    violate("bad_rawsize", "rawsize must be the plaintext size in bytes");
    return { ret: -2, errmsg: "invalid rawsize" };
  }
  if (typeof filesize !== "number" || filesize !== cipherSize(rawsize)) {
    violate(
      "upload_size_mismatch",
      `filesize is ${JSON.stringify(filesize)}; for rawsize ${rawsize} it must be ${
        cipherSize(rawsize)
      }`,
    );
  }
  if (!/^[0-9a-f]{32}$/.test(rawMd5)) {
    violate("bad_rawfilemd5", "rawfilemd5 must be the lowercase hex MD5");
  }
  const aeskey = asString(body.aeskey) ?? "";
  if (!HEX32.test(aeskey)) {
    violate("bad_upload_aeskey", "aeskey must be the key as 32 hex chars");
    return { ret: -2, errmsg: "invalid aeskey" };
  }
  const slot = host.cdn.openSlot({
    filekey,
    key: decodeAesKey(aeskey),
    rawsize,
    rawMd5: rawMd5.toLowerCase(),
    filesize: typeof filesize === "number" ? filesize : -1,
    mediaType,
    botId: bot.botId,
    to,
  });
  const answer: WireBody = { ret: 0, upload_param: slot.param, thumb_upload_param: "" };
  if (host.options.uploadFullUrl) {
    answer.upload_full_url = `${host.cdnBaseUrl}/upload?slot=${slot.id}&filekey=${
      encodeURIComponent(filekey)
    }`;
  }
  return answer;
}
