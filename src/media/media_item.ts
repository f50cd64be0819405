/**
 * The `sendmessage` item that references an uploaded file (spec §4.6.5).
 *
 * @module
 */

import { encodeAesKeyForSend, fromHex } from "../crypto/mod.ts";
import { MessageType, type UploadedMedia, UploadMediaType } from "../models/mod.ts";
import type { WireCdnMedia, WireMessageItem } from "../protocol/mod.ts";

/**
 * Builds the single `item_list` entry that sends an uploaded file, as the official client does:
 * `media` carries the download token, the key in Format B (`base64(hex(key))`) and
 * `encrypt_type: 1`; an image adds `mid_size` and a video `video_size` (ciphertext sizes); a file
 * adds `file_name` and `len` (plaintext size as a string); a voice note is `voice_item{media}`.
 *
 * @example
 * ```ts
 * import { mediaItemFor, UploadMediaType } from "@weilink/core/core";
 *
 * const item = mediaItemFor({
 *   mediaType: UploadMediaType.FILE, filekey: "00".repeat(16), downloadParam: "token",
 *   aesKeyHex: "000102030405060708090a0b0c0d0e0f", fileSize: 5, cipherSize: 16, fileName: "a.txt",
 * });
 * console.log(item.file_item?.len); // "5"
 * ```
 */
export function mediaItemFor(uploaded: UploadedMedia): WireMessageItem {
  const media: WireCdnMedia = {
    encrypt_query_param: uploaded.downloadParam,
    aes_key: encodeAesKeyForSend(fromHex(uploaded.aesKeyHex)),
    encrypt_type: 1,
  };
  switch (uploaded.mediaType) {
    case UploadMediaType.IMAGE:
      return { type: MessageType.IMAGE, image_item: { media, mid_size: uploaded.cipherSize } };
    case UploadMediaType.VIDEO:
      return { type: MessageType.VIDEO, video_item: { media, video_size: uploaded.cipherSize } };
    case UploadMediaType.FILE:
      return {
        type: MessageType.FILE,
        file_item: { media, file_name: uploaded.fileName, len: String(uploaded.fileSize) },
      };
    case UploadMediaType.VOICE:
      return { type: MessageType.VOICE, voice_item: { media } };
    default:
      throw new RangeError(
        `Cannot build a media item: unknown media type "${uploaded.mediaType}"`,
      );
  }
}
