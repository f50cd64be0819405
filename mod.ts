/**
 * WeiLink: a TypeScript SDK for the WeChat iLink Bot protocol.
 *
 * @example Encrypt and decrypt a CDN payload
 * ```ts
 * import { decryptAesEcb, encryptAesEcb } from "@weilink/core";
 *
 * const key = crypto.getRandomValues(new Uint8Array(16));
 * const cipher = encryptAesEcb(new TextEncoder().encode("hello"), key);
 * console.log(new TextDecoder().decode(decryptAesEcb(cipher, key)));
 * ```
 *
 * @module
 */

/** The version of this package. */
export const VERSION = "0.1.0";
