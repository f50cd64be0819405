/**
 * Every rule the sandbox can report: the protocol rules a client can break
 * ({@linkcode VIOLATION_RULES}) and the accepted behaviour it notes ({@linkcode NOTE_RULES}).
 * A rule's name is the `rule` field of a recorded violation or note; the one-line comment above it
 * says what it means.
 *
 * @module
 */

/**
 * The name of every protocol violation the sandbox records, grouped by where it is checked. Each
 * is documented with a one-line comment; `tests/sandbox/violation_rules_test.ts` checks that the
 * list holds exactly the rules the sandbox can report.
 */
export const VIOLATION_RULES = [
  // Every request (spec §1.3, §6.4).
  /** Header `iLink-App-Id` is missing. */
  "missing_app_id",
  /** Header `iLink-App-ClientVersion` is missing. */
  "missing_client_version",
  /** `iLink-App-ClientVersion` is not a decimal number `(major<<16)|(minor<<8)|patch`. */
  "bad_client_version",
  /** The path has a doubled `/`; it is served as if merged. */
  "double_slash_path",

  // Every JSON POST (spec §1.3, §1.4).
  /** `Content-Type` is not `application/json`. */
  "content_type",
  /** Header `AuthorizationType` is not `ilink_bot_token`. */
  "missing_authorization_type",
  /** Header `X-WECHAT-UIN` is missing. */
  "missing_wechat_uin",
  /** `X-WECHAT-UIN` is not base64 of the decimal text of a uint32. */
  "bad_wechat_uin",
  /** `X-WECHAT-UIN` repeats the previous request's value of the same bot; it must be fresh. */
  "reused_wechat_uin",
  /** Header `Authorization: Bearer <token>` is missing on a bot endpoint. */
  "missing_authorization",
  /** The body is not a JSON object. */
  "invalid_json",
  /** The body of a bot endpoint has no `base_info` object. */
  "missing_base_info",
  /** `base_info.channel_version` is not a string naming the client version. */
  "missing_channel_version",

  // QR login (spec §3.1, §3.2).
  /** `get_bot_qrcode` without query parameter `bot_type=3`. */
  "bot_type",
  /** A POST `get_bot_qrcode` body without `local_token_list` (possibly `[]`). */
  "missing_local_token_list",
  /** A `get_bot_qrcode` body carries `base_info`, which that endpoint does not take. */
  "unexpected_base_info",
  /** `get_qrcode_status` without query parameter `qrcode`. */
  "missing_qrcode",

  // getupdates (spec §3.3).
  /** The body sends the deprecated `sync_buf`; send `get_updates_buf` only. */
  "sync_buf",
  /** `get_updates_buf` is not a cursor this server issued; cursors are echoed unchanged. */
  "altered_cursor",

  // sendmessage (spec §3.4, §4.6, §6.4).
  /** The body has no `msg` object. */
  "missing_msg",
  /** `item_list` is empty or missing. */
  "empty_item_list",
  /** `item_list` holds more than one item; the server takes exactly one per message. */
  "multiple_items",
  /** The item has no numeric `type`. */
  "bad_item",
  /** `message_type` is not 2 (BOT). */
  "message_type",
  /** `message_state` is not 2 (FINISH). */
  "message_state",
  /** `client_id` is missing or empty. */
  "missing_client_id",
  /** `from_user_id` is set to someone else; leave it empty, the server fills it in. */
  "from_user_id",
  /** `to_user_id` is missing. */
  "missing_to_user_id",
  /** A TEXT item is longer than 16384 UTF-8 bytes; refused. */
  "text_too_long",
  /** The recipient never wrote to the bot; a bot cannot start a conversation. */
  "send_to_unknown_user",
  /** `context_token` is missing. */
  "missing_context_token",

  // Media items of sendmessage (spec §4.6.5, §5.6).
  /** An outbound VOICE item: the server takes it but the phone does not show it. */
  "outbound_voice",
  /** The media item has no `media` object. */
  "missing_media",
  /** `media.full_url` is set on outbound media. */
  "outbound_full_url",
  /** `media.encrypt_type` is not 1. */
  "encrypt_type",
  /** `media.encrypt_query_param` is not a download token the CDN issued. */
  "unknown_media",
  /** The media was uploaded for another user than the recipient. */
  "media_recipient_mismatch",
  /** The item type does not match the upload's `media_type`. */
  "media_type_mismatch",
  /** `media.aes_key` is not in format B (base64 of the key's hex text). */
  "media_key_not_format_b",
  /** `media.aes_key` is not the key registered with `getuploadurl`. */
  "media_key_mismatch",
  /** `mid_size`, `video_size` or `len` does not match the upload. */
  "media_size_mismatch",
  /** A FILE item without `file_item.file_name`. */
  "missing_file_name",

  // getuploadurl (spec §3.5).
  /** `filekey` is not 16 random bytes as 32 lowercase hex digits. */
  "bad_filekey",
  /** `media_type` is not 1, 2, 3 or 4. */
  "bad_media_type",
  /** `rawsize` is not the plaintext size as a non-negative integer. */
  "bad_rawsize",
  /** `filesize` is not the ciphertext size for `rawsize`. */
  "upload_size_mismatch",
  /** `rawfilemd5` is not the lowercase hex MD5 of the plaintext. */
  "bad_rawfilemd5",
  /** `aeskey` is not the key as 32 hex digits. */
  "bad_upload_aeskey",

  // getconfig and sendtyping (spec §3.6, §3.7).
  /** `getconfig` without `ilink_user_id`. */
  "missing_ilink_user_id",
  /** `typing_ticket` is not the ticket `getconfig` issued for this user. */
  "bad_typing_ticket",
  /** `status` is not 1 (typing) or 2 (cancel). */
  "bad_typing_status",

  // The CDN (spec §5.2).
  /** `encrypted_query_param` or `filekey` holds an unencoded `+`, `/` or `=`. */
  "unencoded_query_param",
  /** A CDN request carries the bot's bearer token. */
  "token_sent_to_cdn",
  /** A CDN upload uses PUT instead of POST. */
  "upload_method",
  /** A CDN upload's `Content-Type` is not `application/octet-stream`. */
  "cdn_content_type",
] as const;

/** The name of a protocol violation; see {@linkcode VIOLATION_RULES} for each one's meaning. */
export type ViolationRule = typeof VIOLATION_RULES[number];

/** The name of every note: behaviour the sandbox accepts but that is worth knowing. */
export const NOTE_RULES = [
  /** A reply with a context token older than the user's newest one (spec §6.4, §8 Q3). */
  "older_context_token",
] as const;

/** The name of a note; see {@linkcode NOTE_RULES}. */
export type NoteRule = typeof NOTE_RULES[number];
