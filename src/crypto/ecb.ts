/**
 * AES-128-ECB with PKCS#7 padding, the cipher of the CDN media pipeline (protocol §5.1), on either
 * backend.
 *
 * @module
 */

import {
  assertAesKey,
  cipherBlocks,
  decryptWords,
  encryptWords,
  expandDecryptKey,
  expandEncryptKey,
} from "./aes.ts";
import { type AesOptions, resolveBackend } from "./backend.ts";
import { AesError } from "./errors.ts";
import { decryptNativeRaw, encryptNative, nativeCrypto } from "./native.ts";

/**
 * Size of the AES-128-ECB/PKCS#7 ciphertext of `plainLength` bytes: `(floor(n / 16) + 1) * 16`.
 * An aligned input gains a whole padding block (0→16, 15→16, 16→32, 17→32). The protocol sends
 * this as `filesize` in `getuploadurl`.
 *
 * @throws {RangeError} when `plainLength` is not a non-negative safe integer.
 *
 * @example
 * ```ts
 * import { cipherSize } from "@weilink/core/core";
 *
 * console.log(cipherSize(5), cipherSize(16)); // 16 32
 * ```
 */
export function cipherSize(plainLength: number): number {
  if (!Number.isSafeInteger(plainLength) || plainLength < 0) {
    throw new RangeError(`Invalid plaintext length "${plainLength}": expected an integer >= 0`);
  }
  return (Math.floor(plainLength / 16) + 1) * 16;
}

export function assertBytes(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array)) {
    throw new TypeError(`Cannot process ${what}: expected a Uint8Array, got "${typeof value}"`);
  }
}

/**
 * Encrypts `plain` with AES-128-ECB and PKCS#7 padding. The result is a fresh buffer of
 * {@linkcode cipherSize}`(plain.length)` bytes; `plain` is not modified.
 *
 * @param plain Bytes to encrypt (any length, including 0).
 * @param key The 16-byte AES key.
 * @param options Optional backend override; see {@linkcode AesOptions}.
 * @throws {AesError} `key_length` when `key` is not 16 bytes.
 *
 * @example Encrypt a media payload before upload
 * ```ts
 * import { encryptAesEcb, toHex } from "@weilink/core/core";
 *
 * const key = new Uint8Array(16).map((_, i) => i); // 000102..0f
 * const cipher = encryptAesEcb(new TextEncoder().encode("hello"), key);
 * console.log(toHex(cipher)); // "5d8749e2af7531b2bf6661e9e5daf012"
 * ```
 */
export function encryptAesEcb(
  plain: Uint8Array,
  key: Uint8Array,
  options?: AesOptions,
): Uint8Array {
  assertBytes(plain, "plaintext");
  assertAesKey(key);
  const native = resolveBackend(options) === "native" ? nativeCrypto() : null;
  if (native !== null) return encryptNative(native, plain, key);
  const xk = expandEncryptKey(key);
  const whole = plain.length - (plain.length % 16);
  const out = new Uint8Array(whole + 16);
  cipherBlocks(encryptWords, xk, plain, out, whole);
  // The last block (the tail plus 1..16 pad bytes) is built in place and encrypted there.
  const last = out.subarray(whole);
  last.fill(16 - (plain.length - whole));
  last.set(plain.subarray(whole));
  cipherBlocks(encryptWords, xk, last, last, 16);
  xk.fill(0);
  return out;
}

/**
 * Decrypts AES-128-ECB ciphertext and removes its PKCS#7 padding, checking every pad byte.
 *
 * The result may be a view over a buffer up to 16 bytes longer than the plaintext (trimming by
 * copying would double the peak memory on large media); use `.slice()` if you need the exact
 * `ArrayBuffer`.
 *
 * @param cipher The ciphertext, a positive multiple of 16 bytes.
 * @param key The 16-byte AES key.
 * @param options Optional backend override; see {@linkcode AesOptions}.
 * @throws {AesError} `key_length` when `key` is not 16 bytes, `cipher_length` when the
 * ciphertext is empty or not whole blocks, `padding` when the padding is malformed (almost always
 * the wrong key or the wrong key encoding).
 *
 * @example Decrypt a downloaded media payload
 * ```ts
 * import { decryptAesEcb, fromHex } from "@weilink/core/core";
 *
 * const key = fromHex("000102030405060708090a0b0c0d0e0f");
 * const plain = decryptAesEcb(fromHex("5d8749e2af7531b2bf6661e9e5daf012"), key);
 * console.log(new TextDecoder().decode(plain)); // "hello"
 * ```
 */
export function decryptAesEcb(
  cipher: Uint8Array,
  key: Uint8Array,
  options?: AesOptions,
): Uint8Array {
  assertBytes(cipher, "ciphertext");
  assertAesKey(key);
  assertCipherLength(cipher.length);
  const native = resolveBackend(options) === "native" ? nativeCrypto() : null;
  let out: Uint8Array;
  if (native !== null) {
    out = decryptNativeRaw(native, cipher, key);
  } else {
    const xk = expandDecryptKey(key);
    out = new Uint8Array(cipher.length);
    cipherBlocks(decryptWords, xk, cipher, out, cipher.length);
    xk.fill(0);
  }
  return out.subarray(0, out.length - paddingLength(out));
}

/** Refuses a ciphertext length that is not a positive multiple of 16 (`cipher_length`). */
export function assertCipherLength(length: number): void {
  if (length === 0 || length % 16 !== 0) {
    throw new AesError(
      "cipher_length",
      length === 0
        ? "Cannot decrypt media: ciphertext is empty"
        : `Cannot decrypt media: ciphertext length ${length} is not a multiple of 16`,
    );
  }
}

/**
 * Validates PKCS#7 padding and returns its length. Every pad byte is compared, without an early
 * exit, so the check costs the same for every wrong byte position.
 */
export function paddingLength(plain: Uint8Array): number {
  const n = plain.length;
  const pad = plain[n - 1]!;
  let bad = pad === 0 || pad > 16 ? 1 : 0;
  for (let i = 1; i <= 16; i++) {
    // Bytes inside the pad must equal `pad`; bytes before it are not checked (mask is 0).
    const inPad = i <= pad ? 1 : 0;
    bad |= inPad & (plain[n - i]! !== pad ? 1 : 0);
  }
  if (bad !== 0) {
    throw new AesError(
      "padding",
      "Cannot decrypt media: invalid PKCS#7 padding (wrong key or key encoding?)",
    );
  }
  return pad;
}
