/**
 * Cryptography for the iLink CDN media pipeline: AES-128-ECB with PKCS#7 padding, the three
 * textual AES-key encodings, MD5 checksums, and hex/base64 codecs.
 *
 * Everything is synchronous and uses web standards only. AES runs on the runtime's native
 * `node:crypto` when there is one (Deno, Node, Bun) and on a T-table TypeScript implementation
 * everywhere else; both produce identical bytes. Force one with the `backend` option or the
 * `WEILINK_AES=pure|native` environment variable.
 *
 * @example Round-trip a media payload and its key
 * ```ts
 * import {
 *   decodeAesKey,
 *   decryptAesEcb,
 *   encodeAesKeyForSend,
 *   encryptAesEcb,
 * } from "./mod.ts";
 *
 * const key = crypto.getRandomValues(new Uint8Array(16));
 * const cipher = encryptAesEcb(new TextEncoder().encode("hello"), key);
 * const wireKey = encodeAesKeyForSend(key); // what sendmessage carries in media.aes_key
 * const plain = decryptAesEcb(cipher, decodeAesKey(wireKey));
 * console.log(new TextDecoder().decode(plain)); // "hello"
 * ```
 *
 * @module
 */

export { AesError, type AesErrorCode } from "./errors.ts";
export { activeAesBackend, type AesBackend, type AesOptions } from "./backend.ts";
export { cipherSize, decryptAesEcb, encryptAesEcb } from "./ecb.ts";
export {
  type AesEcbStream,
  createEcbDecryptStream,
  createEcbEncryptStream,
  EcbInPlaceDecipher,
} from "./ecb_stream.ts";
export { decodeAesKey, encodeAesKeyForSend, encodeAesKeyRaw } from "./aes_key.ts";
export { createMd5, type Md5Hasher, md5Hex } from "./md5.ts";
export { fromBase64, fromHex, toBase64, toHex } from "./encoding.ts";
