/**
 * Hex and base64 codecs for keys, digests and wire fields.
 *
 * Decoding is strict on purpose: AES keys arrive as text in three look-alike encodings (§5.6 of the
 * protocol notes), and a lenient decoder that skips stray characters would turn a corrupted key
 * into a wrong-but-valid-looking one whose only symptom is a padding error much later.
 *
 * @module
 */

const HEX_DIGITS = "0123456789abcdef";
const BASE64_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

let hexPairs: string[] | undefined;
let base64Values: Int8Array | undefined;

/**
 * Encodes bytes as lowercase hexadecimal.
 *
 * @example
 * ```ts
 * import { toHex } from "@weilink/core/core";
 *
 * console.log(toHex(new Uint8Array([0, 171, 255]))); // "00abff"
 * ```
 */
export function toHex(b: Uint8Array): string {
  hexPairs ??= Array.from({ length: 256 }, (_, i) => HEX_DIGITS[i >> 4]! + HEX_DIGITS[i & 15]!);
  let out = "";
  for (let i = 0; i < b.length; i++) out += hexPairs[b[i]!]!;
  return out;
}

/**
 * Decodes hexadecimal text (either case, no separators, even length).
 *
 * @throws {TypeError} when the text has an odd length or a non-hex character.
 *
 * @example
 * ```ts
 * import { fromHex } from "@weilink/core/core";
 *
 * console.log(fromHex("00ABff")); // Uint8Array(3) [ 0, 171, 255 ]
 * ```
 */
export function fromHex(s: string): Uint8Array {
  if (s.length % 2 !== 0) {
    throw new TypeError(`Cannot decode hex: length ${s.length} is odd`);
  }
  const out = new Uint8Array(s.length / 2);
  for (let i = 0; i < out.length; i++) {
    const hi = hexValue(s.charCodeAt(2 * i));
    const lo = hexValue(s.charCodeAt(2 * i + 1));
    if ((hi | lo) < 0) {
      throw new TypeError(
        `Cannot decode hex: invalid character at offset ${hi < 0 ? 2 * i : 2 * i + 1}`,
      );
    }
    out[i] = (hi << 4) | lo;
  }
  return out;
}

/** Value of one hex digit, or -1. */
function hexValue(c: number): number {
  if (c >= 48 && c <= 57) return c - 48; // 0-9
  c |= 0x20; // fold A-F onto a-f
  if (c >= 97 && c <= 102) return c - 87;
  return -1;
}

/**
 * Encodes bytes as standard base64 (RFC 4648 §4 alphabet, with `=` padding).
 *
 * @example
 * ```ts
 * import { toBase64 } from "@weilink/core/core";
 *
 * console.log(toBase64(new TextEncoder().encode("hello"))); // "aGVsbG8="
 * ```
 */
export function toBase64(b: Uint8Array): string {
  const a = BASE64_ALPHABET;
  let out = "";
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    out += a[n >>> 18]! + a[(n >>> 12) & 63]! + a[(n >>> 6) & 63]! + a[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    out += a[n >>> 18]! + a[(n >>> 12) & 63]! + "==";
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    out += a[n >>> 18]! + a[(n >>> 12) & 63]! + a[(n >>> 6) & 63]! + "=";
  }
  return out;
}

/**
 * Decodes standard base64 strictly: the length must be a multiple of 4, only the standard
 * alphabet is allowed (no whitespace, no URL-safe `-`/`_`), `=` may only pad the end, and the
 * unused bits of the last character must be zero (so every byte string has exactly one encoding).
 *
 * @throws {TypeError} when the text is not canonical base64.
 *
 * @example
 * ```ts
 * import { fromBase64 } from "@weilink/core/core";
 *
 * console.log(new TextDecoder().decode(fromBase64("aGVsbG8="))); // "hello"
 * ```
 */
export function fromBase64(s: string): Uint8Array {
  if (base64Values === undefined) {
    base64Values = new Int8Array(128).fill(-1);
    for (let i = 0; i < 64; i++) base64Values[BASE64_ALPHABET.charCodeAt(i)] = i;
  }
  const values = base64Values;
  if (s.length % 4 !== 0) {
    throw new TypeError(`Cannot decode base64: length ${s.length} is not a multiple of 4`);
  }
  const pad = s.endsWith("==") ? 2 : s.endsWith("=") ? 1 : 0;
  const chars = s.length - pad;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let acc = 0;
  let o = 0;
  for (let i = 0; i < chars; i++) {
    const c = s.charCodeAt(i);
    const v = c < 128 ? values[c]! : -1;
    if (v < 0) {
      throw new TypeError(`Cannot decode base64: invalid character at offset ${i}`);
    }
    acc = (acc << 6) | v;
    if ((i & 3) === 3) {
      out[o++] = acc >>> 16;
      out[o++] = (acc >>> 8) & 255;
      out[o++] = acc & 255;
      acc = 0;
    }
  }
  if (pad === 2) {
    if ((acc & 0xf) !== 0) throw new TypeError("Cannot decode base64: non-zero trailing bits");
    out[o] = acc >>> 4;
  } else if (pad === 1) {
    if ((acc & 0x3) !== 0) throw new TypeError("Cannot decode base64: non-zero trailing bits");
    out[o++] = acc >>> 10;
    out[o] = (acc >>> 2) & 255;
  }
  return out;
}
