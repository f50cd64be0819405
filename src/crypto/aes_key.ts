/**
 * The textual encodings of media AES keys (protocol §5.6).
 *
 * | Encoding | Wire form | Seen on |
 * |---|---|---|
 * | bare hex | 32 hex characters | `image_item.aeskey`, `getuploadurl.aeskey` |
 * | format A | base64 of the 16 raw key bytes (24 characters) | inbound image `media.aes_key` |
 * | format B | base64 of the 32-character hex text (44 characters) | other inbound media, all outbound |
 *
 * The forms cannot be confused: format A decodes to 16 bytes, format B to 32, and 32 hex
 * characters read as base64 would decode to 24.
 *
 * @module
 */

import { assertAesKey } from "./aes.ts";
import { fromBase64, fromHex, toBase64, toHex } from "./encoding.ts";
import { AesError } from "./errors.ts";

const HEX_KEY = /^[0-9a-fA-F]{32}$/;

function formatError(value: string): AesError {
  // The value itself is key material: only its length is reported.
  return new AesError(
    "key_format",
    `Invalid AES key encoding: a value of length ${value.length} is neither 32 hex characters ` +
      "nor base64 of 16 raw bytes (format A) nor base64 of 32 hex characters (format B)",
  );
}

/**
 * Decodes a media AES key from any of the three encodings used by the protocol: 32 hex
 * characters (either case), format A (base64 of the raw 16 bytes) or format B (base64 of the
 * 32-character hex text). Whitespace and other stray characters are rejected, not skipped.
 *
 * @throws {AesError} `key_format` for anything else; the message never contains the value.
 *
 * @example
 * ```ts
 * import { decodeAesKey, toHex } from "@weilink/core/core";
 *
 * const hex = "000102030405060708090a0b0c0d0e0f";
 * console.log(toHex(decodeAesKey(hex)) === hex); // true
 * console.log(toHex(decodeAesKey("AAECAwQFBgcICQoLDA0ODw==")) === hex); // format A: true
 * console.log(toHex(decodeAesKey("MDAwMTAyMDMwNDA1MDYwNzA4MDkwYTBiMGMwZDBlMGY=")) === hex); // format B: true
 * ```
 */
export function decodeAesKey(value: string): Uint8Array {
  if (typeof value !== "string") {
    throw new AesError(
      "key_format",
      `Invalid AES key encoding: expected a string, got "${typeof value}"`,
    );
  }
  if (HEX_KEY.test(value)) return fromHex(value);
  let raw: Uint8Array;
  try {
    raw = fromBase64(value);
  } catch {
    throw formatError(value);
  }
  if (raw.length === 16) return raw;
  if (raw.length === 32) {
    const text = String.fromCharCode(...raw);
    if (HEX_KEY.test(text)) return fromHex(text);
  }
  throw formatError(value);
}

/**
 * Encodes a key the way the official client sends it in `sendmessage` (format B):
 * `base64(ascii(hex(key)))`, 44 characters.
 *
 * @throws {AesError} `key_length` when `key` is not 16 bytes.
 *
 * @example
 * ```ts
 * import { encodeAesKeyForSend, fromHex } from "@weilink/core/core";
 *
 * const key = fromHex("000102030405060708090a0b0c0d0e0f");
 * console.log(encodeAesKeyForSend(key)); // "MDAwMTAyMDMwNDA1MDYwNzA4MDkwYTBiMGMwZDBlMGY="
 * ```
 */
export function encodeAesKeyForSend(key: Uint8Array): string {
  assertAesKey(key);
  return toBase64(new TextEncoder().encode(toHex(key)));
}

/**
 * Encodes a key as format A, `base64(key)` (24 characters), the form inbound images carry.
 *
 * @throws {AesError} `key_length` when `key` is not 16 bytes.
 *
 * @example
 * ```ts
 * import { encodeAesKeyRaw, fromHex } from "@weilink/core/core";
 *
 * console.log(encodeAesKeyRaw(fromHex("000102030405060708090a0b0c0d0e0f"))); // "AAECAwQFBgcICQoLDA0ODw=="
 * ```
 */
export function encodeAesKeyRaw(key: Uint8Array): string {
  assertAesKey(key);
  return toBase64(key);
}
