import { WeiLinkError } from "../weilink_error.ts";

/**
 * The reason an {@linkcode AesError} was thrown.
 *
 * - `key_length`: the key is not 16 bytes long.
 * - `cipher_length`: the ciphertext length is not a positive multiple of 16.
 * - `padding`: the PKCS#7 padding of the decrypted data is malformed (almost always a wrong key).
 * - `key_format`: a textual AES key is neither 32 hex characters, format A nor format B.
 */
export type AesErrorCode = "key_length" | "cipher_length" | "padding" | "key_format";

/**
 * Thrown by the AES helpers when the input cannot be processed. The message never contains key
 * material; branch on {@linkcode AesError.code} rather than on the message text.
 *
 * @example Telling a wrong key apart from a truncated download
 * ```ts
 * import { AesError, decryptAesEcb } from "@weilink/core/core";
 *
 * try {
 *   decryptAesEcb(new Uint8Array(17), new Uint8Array(16));
 * } catch (error) {
 *   if (error instanceof AesError && error.code === "cipher_length") {
 *     console.log("truncated ciphertext");
 *   }
 * }
 * ```
 */
export class AesError extends WeiLinkError {
  /** Machine-readable reason for the failure. */
  readonly code: AesErrorCode;

  /**
   * Creates an error with a machine-readable code.
   *
   * @param code The reason for the failure.
   * @param message A sentence-case description that names no secret.
   */
  constructor(code: AesErrorCode, message: string) {
    super(message);
    this.name = "AesError";
    this.code = code;
  }
}
