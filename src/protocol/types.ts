/**
 * Wire types of the iLink Bot HTTP API, spelled exactly as on the wire (snake_case).
 *
 * Every field is optional because the server renders protobuf messages as JSON and leaves out
 * zero values (spec §1.6). The 64-bit ids `message_id`, `msg_id` and `svr_id` are typed `string`:
 * {@linkcode parseJsonLossless} turns them into decimal strings before `JSON.parse` can round them.
 *
 * @module
 */

/** `base_info` sent in the body of every bot endpoint (spec §1.4). */
export interface WireBaseInfo {
  /** Client version, e.g. `"0.1.0"`. */
  channel_version?: string;
  /** UA-style self description, observability only. */
  bot_agent?: string;
}

/** The `ret` / `errcode` / `errmsg` envelope that every response may carry (spec §2). */
export interface WireEnvelope {
  /** Business result code; absent or `0` means success. */
  ret?: number;
  /** Secondary error code; `-14` means the session expired. */
  errcode?: number;
  /** Human-readable error text. */
  errmsg?: string;
}

/** A CDN media reference (`CDNMedia`, spec §4.4). */
export interface WireCdnMedia {
  /** Opaque CDN download token. */
  encrypt_query_param?: string;
  /** Base64 AES key in Format A or Format B (spec §5.6). */
  aes_key?: string;
  /** `1` on everything the official client sends. */
  encrypt_type?: number;
  /** Complete download URL, preferred over building one. */
  full_url?: string;
}

/** `image_item` (spec §4.4). */
export interface WireImageItem {
  /** Main image. Inbound `aes_key` is Format A. */
  media?: WireCdnMedia;
  /** Thumbnail. */
  thumb_media?: WireCdnMedia;
  /** The raw key as 32 hex chars; preferred over `media.aes_key` when decrypting. */
  aeskey?: string;
  /** Optional URL, unused by clients. */
  url?: string;
  /** Ciphertext size of the mid-size rendition. */
  mid_size?: number;
  /** Ciphertext size of the HD rendition. */
  hd_size?: number;
  /** Ciphertext size of the thumbnail. */
  thumb_size?: number;
  /** Thumbnail width in pixels. */
  thumb_width?: number;
  /** Thumbnail height in pixels. */
  thumb_height?: number;
}

/** `voice_item` (spec §4.4). */
export interface WireVoiceItem {
  /** Audio, usually SILK. Inbound `aes_key` is Format B. */
  media?: WireCdnMedia;
  /** Codec, see spec §4.1. */
  encode_type?: number;
  /** Bit depth. */
  bits_per_sample?: number;
  /** Sample rate in Hz. */
  sample_rate?: number;
  /** Duration in milliseconds. */
  playtime?: number;
  /** Server-side speech-to-text transcript. */
  text?: string;
}

/** `file_item` (spec §4.4). */
export interface WireFileItem {
  /** The file. `aes_key` is Format B. */
  media?: WireCdnMedia;
  /** Original file name (untrusted: never use it as a path unsanitised). */
  file_name?: string;
  /** Plaintext MD5, lowercase hex. */
  md5?: string;
  /** Plaintext size in bytes, as a decimal string. */
  len?: string;
}

/** `video_item` (spec §4.4). */
export interface WireVideoItem {
  /** The video. `aes_key` is Format B. */
  media?: WireCdnMedia;
  /** Ciphertext size in bytes. */
  video_size?: number;
  /** Duration (unit disputed, spec §8). */
  play_length?: number;
  /** Plaintext MD5. */
  video_md5?: string;
  /** Thumbnail media. */
  thumb_media?: WireCdnMedia;
  /** Thumbnail ciphertext size. */
  thumb_size?: number;
  /** Thumbnail width in pixels. */
  thumb_width?: number;
  /** Thumbnail height in pixels. */
  thumb_height?: number;
}

/** `PartialText`: the user quoted only part of a text (spec §4.4). */
export interface WirePartialText {
  /** Prefix of the selection. */
  start?: string;
  /** Suffix of the selection. */
  end?: string;
  /** Which occurrence of `start`, 0-based. */
  startindex?: number;
  /** Which occurrence of `end`. */
  endindex?: number;
  /** Hex MD5 of the selected text. */
  quotemd5?: string;
}

/** A quoted message (`RefMessage`, spec §4.4). */
export interface WireRefMessage {
  /** Summary text of the quoted message. */
  title?: string;
  /** The quoted content (older clients). */
  message_item?: WireMessageItem;
  /** Server id of the quoted message, decimal string. */
  svr_id?: string;
  /** Present when only part of a text was quoted. */
  partial_text?: WirePartialText;
}

/** One entry of `item_list` (`MessageItem`, spec §4.3). */
export interface WireMessageItem {
  /** Item type: 1 text, 2 image, 3 voice, 4 file, 5 video, 11/12 tool calls. */
  type?: number;
  /** Item creation time, epoch ms. */
  create_time_ms?: number;
  /** Item update time, epoch ms. */
  update_time_ms?: number;
  /** Progress flag of tool-call items. */
  is_completed?: boolean;
  /** Item-level id, decimal string. */
  msg_id?: string;
  /** Quoted message. */
  ref_msg?: WireRefMessage;
  /** Text payload. */
  text_item?: { text?: string };
  /** Image payload. */
  image_item?: WireImageItem;
  /** Voice payload. */
  voice_item?: WireVoiceItem;
  /** File payload. */
  file_item?: WireFileItem;
  /** Video payload. */
  video_item?: WireVideoItem;
  /** Tool call start (type 11). */
  tool_call_start_item?: { tool_name?: string; tool_call_id?: string };
  /** Tool call result (type 12). */
  tool_call_result_item?: { tool_name?: string; tool_call_id?: string; status?: string };
  /** Unknown fields are kept. */
  [key: string]: unknown;
}

/** A message (`WeixinMessage`, spec §4.2). */
export interface WireMessage {
  /** Sequence number. */
  seq?: number;
  /** Server message id (uint64), decimal string. */
  message_id?: string;
  /** Sender; `""` on outbound messages. */
  from_user_id?: string;
  /** Recipient. */
  to_user_id?: string;
  /** Sender-side unique id. */
  client_id?: string;
  /** Creation time, epoch ms. */
  create_time_ms?: number;
  /** Update time, epoch ms. */
  update_time_ms?: number;
  /** Deletion time, epoch ms. */
  delete_time_ms?: number;
  /** Conversation id. */
  session_id?: string;
  /** Group id, normally empty. */
  group_id?: string;
  /** `1` user (inbound), `2` bot (outbound). */
  message_type?: number;
  /** `0` new, `1` generating, `2` finish. */
  message_state?: number;
  /** The content; exactly one item on outbound messages. */
  item_list?: WireMessageItem[];
  /** Reply handle (spec §6.4). */
  context_token?: string;
  /** Groups the messages of one agent run. */
  run_id?: string;
  /** Unknown fields are kept. */
  [key: string]: unknown;
}

/** Response of `get_bot_qrcode` (spec §3.1). */
export interface QrCodeResponse extends WireEnvelope {
  /** Opaque login-session id. */
  qrcode?: string;
  /** A URL to render as a QR code (text, not image bytes). */
  qrcode_img_content?: string;
}

/** Every `status` value of `get_qrcode_status` (spec §3.2). */
export type QrStatus =
  | "wait"
  | "scaned"
  | "need_verifycode"
  | "verify_code_blocked"
  | "scaned_but_redirect"
  | "expired"
  | "binded_redirect"
  | "confirmed";

/** Response of `get_qrcode_status` (spec §3.2). */
export interface QrStatusResponse extends WireEnvelope {
  /** Login state; unknown values are passed through as strings. */
  status: QrStatus | (string & Record<never, never>);
  /** Bearer token, on `confirmed`. */
  bot_token?: string;
  /** Bot account id, on `confirmed`. */
  ilink_bot_id?: string;
  /** API base URL for this account, on `confirmed`. */
  baseurl?: string;
  /** The WeChat user who scanned, on `confirmed`. */
  ilink_user_id?: string;
  /** Bare host to keep polling on, on `scaned_but_redirect`. */
  redirect_host?: string;
}

/** Request body of `getupdates` without `base_info` (spec §3.3). */
export interface GetUpdatesRequest {
  /** Cursor from the previous response, `""` at first. */
  get_updates_buf: string;
  /** Added by the client. */
  base_info?: WireBaseInfo;
}

/** Response of `getupdates` (spec §3.3). */
export interface GetUpdatesResponse extends WireEnvelope {
  /** New inbound messages. */
  msgs?: WireMessage[];
  /** Next cursor; keep the old one when empty. */
  get_updates_buf?: string;
  /** Server-suggested timeout of the next poll. */
  longpolling_timeout_ms?: number;
}

/**
 * What `ILinkApi.getUpdates` resolves to: the response with `msgs` always an array and
 * `get_updates_buf` always set (the old cursor when the server sent none).
 */
export interface GetUpdatesResult extends GetUpdatesResponse {
  /** New inbound messages (possibly none). */
  msgs: WireMessage[];
  /** The cursor to poll with next. */
  get_updates_buf: string;
}

/** Request body of `sendmessage` (spec §3.4). */
export interface SendMessageRequest {
  /** The outbound message. */
  msg: WireMessage;
  /** Added by the client. */
  base_info?: WireBaseInfo;
}

/** Response of `sendmessage` (spec §3.4). */
export interface SendMessageResponse extends WireEnvelope {
  /** Server id of the stored message, decimal string. */
  message_id?: string;
}

/** Request body of `getuploadurl` (spec §3.5). */
export interface GetUploadUrlRequest {
  /** 16 random bytes as 32 lowercase hex chars. */
  filekey: string;
  /** 1 image, 2 video, 3 file, 4 voice. */
  media_type: number;
  /** Recipient; uploads are bound to it. */
  to_user_id: string;
  /** Plaintext size. */
  rawsize: number;
  /** Plaintext MD5, lowercase hex. */
  rawfilemd5: string;
  /** Ciphertext size. */
  filesize: number;
  /** Thumbnail plaintext size. */
  thumb_rawsize?: number;
  /** Thumbnail plaintext MD5. */
  thumb_rawfilemd5?: string;
  /** Thumbnail ciphertext size. */
  thumb_filesize?: number;
  /** `true` = no thumbnail slot (always sent by the official client). */
  no_need_thumb?: boolean;
  /** The AES key as 32 hex chars. */
  aeskey: string;
  /** Added by the client. */
  base_info?: WireBaseInfo;
}

/** Response of `getuploadurl` (spec §3.5). */
export interface GetUploadUrlResponse extends WireEnvelope {
  /** Opaque upload authorisation. */
  upload_param?: string;
  /** Same for the thumbnail. */
  thumb_upload_param?: string;
  /** Complete upload URL; wins over `upload_param`. */
  upload_full_url?: string;
}

/** Response of `getconfig` (spec §3.6). */
export interface GetConfigResponse extends WireEnvelope {
  /** Opaque ticket for `sendtyping`. */
  typing_ticket: string;
}

/** `sendtyping.status`: 1 typing, 2 cancel (spec §3.7). */
export type TypingStatus = 1 | 2;
