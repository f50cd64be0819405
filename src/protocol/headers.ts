/**
 * Request headers of the iLink API (spec §1.3).
 *
 * @module
 */

/** Value of the `iLink-App-Id` header. */
export const ILINK_APP_ID = "bot";

/**
 * Encodes a `major.minor.patch` version as the decimal string of
 * `(major & 0xff) << 16 | (minor & 0xff) << 8 | (patch & 0xff)`: `"2.4.9"` → `"132105"`.
 * Missing parts count as 0; anything after a `-` or `+` (pre-release, build) is ignored.
 */
export function clientVersionHeader(version: string): string {
  const core = version.split(/[-+]/, 1)[0] ?? "";
  const [major = 0, minor = 0, patch = 0] = core.split(".").map((p) => {
    const n = Number.parseInt(p, 10);
    return Number.isFinite(n) ? n : 0;
  });
  return String(((major & 0xff) << 16) | ((minor & 0xff) << 8) | (patch & 0xff));
}

/**
 * `X-WECHAT-UIN` for a uint32: base64 of its ASCII **decimal text** (not of the binary integer):
 * `305419896` → `"MzA1NDE5ODk2"`.
 */
export function wechatUinHeader(value: number): string {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff) {
    throw new RangeError(`Cannot encode X-WECHAT-UIN: "${value}" is not a uint32`);
  }
  return btoa(String(value));
}

/** Random uint32s drawn in blocks: one `getRandomValues` call serves this many requests. */
const UIN_BLOCK = 256;
const uinPool = new Uint32Array(UIN_BLOCK);
let uinNext = UIN_BLOCK;

/** A fresh `X-WECHAT-UIN` value from a random uint32; a new one is used for every request. */
export function randomWechatUin(): string {
  if (uinNext === UIN_BLOCK) {
    crypto.getRandomValues(uinPool);
    uinNext = 0;
  }
  // Every value of the block is used once, so each request still gets its own random number.
  return btoa(String(uinPool[uinNext++]!));
}
