/**
 * MD5 (RFC 1321), used only as the protocol's integrity checksum (`rawfilemd5`, file `md5`), never
 * for security. The native digest from `node:crypto` is used when the runtime has one; the
 * TypeScript version below keeps the core working in browsers and workers.
 *
 * @module
 */

import { LITTLE_ENDIAN } from "./aes.ts";
import { toHex } from "./encoding.ts";
import { nativeCrypto } from "./native.ts";

/** Per-step additive constants: floor(abs(sin(i + 1)) * 2^32). */
const K = Int32Array.from(
  { length: 64 },
  (_, i) => Math.floor(Math.abs(Math.sin(i + 1)) * 2 ** 32) | 0,
);

/** Per-step left-rotation amounts, four per round. */
const R = [7, 12, 17, 22, 5, 9, 14, 20, 4, 11, 16, 23, 6, 10, 15, 21];

/** Message-word index used by step `i`. */
const G = Uint8Array.from({ length: 64 }, (_, i) => {
  if (i < 16) return i;
  if (i < 32) return (5 * i + 1) % 16;
  if (i < 48) return (3 * i + 5) % 16;
  return (7 * i) % 16;
});

/** An MD5 computed over data that arrives in pieces. */
export interface Md5Hasher {
  /** Adds the next piece; pieces may be of any length, including 0. */
  update(data: Uint8Array): Md5Hasher;
  /** Lowercase hex digest of everything added; the hasher must not be used afterwards. */
  digestHex(): string;
}

/**
 * Incremental MD5 in TypeScript.
 *
 * Whole 64-byte chunks are read straight from an `Int32Array` view when the input is aligned on a
 * little-endian host, and through a reusable 64-byte buffer otherwise; bytes that do not fill a
 * chunk wait in that buffer for the next piece.
 */
export class Md5Pure implements Md5Hasher {
  readonly #state = new Int32Array([0x67452301, 0xefcdab89 | 0, 0x98badcfe | 0, 0x10325476]);
  readonly #block = new Uint8Array(64);
  readonly #block32 = new Int32Array(this.#block.buffer);
  /** Bytes waiting in `#block`. */
  #held = 0;
  /** Total bytes added. */
  #length = 0;

  /** Adds the next piece. */
  update(data: Uint8Array): Md5Pure {
    let off = 0;
    const n = data.length;
    this.#length += n;
    if (this.#held > 0) {
      const take = Math.min(64 - this.#held, n);
      this.#block.set(data.subarray(0, take), this.#held);
      this.#held += take;
      off = take;
      if (this.#held < 64) return this;
      md5Chunk(this.#state, this.#block32, 0);
      this.#held = 0;
    }
    const whole = n - ((n - off) % 64);
    if (LITTLE_ENDIAN && ((data.byteOffset + off) & 3) === 0) {
      const words = new Int32Array(data.buffer, data.byteOffset + off, (whole - off) >>> 2);
      for (let w = 0; w < words.length; w += 16) md5Chunk(this.#state, words, w);
    } else {
      for (let p = off; p < whole; p += 64) {
        loadLittleEndian(data, p, this.#block32);
        md5Chunk(this.#state, this.#block32, 0);
      }
    }
    if (whole < n) {
      this.#block.set(data.subarray(whole));
      this.#held = n - whole;
    }
    return this;
  }

  /** Lowercase hex digest of everything added. */
  digestHex(): string {
    // Final chunk(s): the held tail, a 0x80 byte, zeros, then the bit length as 64-bit LE.
    const n = this.#length;
    const tail = new Uint8Array(this.#held < 56 ? 64 : 128);
    tail.set(this.#block.subarray(0, this.#held));
    tail[this.#held] = 0x80;
    const bits = tail.length - 8;
    const view = new DataView(tail.buffer);
    view.setUint32(bits, (n * 8) >>> 0, true);
    view.setUint32(bits + 4, Math.floor(n / 2 ** 29), true);
    for (let off = 0; off < tail.length; off += 64) {
      loadLittleEndian(tail, off, this.#block32);
      md5Chunk(this.#state, this.#block32, 0);
    }
    const digest = new Uint8Array(16);
    const out = new DataView(digest.buffer);
    for (let i = 0; i < 4; i++) out.setInt32(4 * i, this.#state[i]!, true);
    return toHex(digest);
  }
}

/** Lowercase hex MD5 of `data`, computed in TypeScript. */
export function md5HexPure(data: Uint8Array): string {
  return new Md5Pure().update(data).digestHex();
}

/** Copies 64 bytes from `src[off]` into `dst` as little-endian words, on any host. */
function loadLittleEndian(src: Uint8Array, off: number, dst: Int32Array): void {
  for (let i = 0; i < 16; i++) {
    const p = off + 4 * i;
    dst[i] = src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24);
  }
}

/** One 64-byte compression step over `m[off..off+16)`. */
function md5Chunk(state: Int32Array, m: Int32Array, off: number): void {
  let a = state[0]!, b = state[1]!, c = state[2]!, d = state[3]!;
  for (let i = 0; i < 64; i++) {
    let f: number;
    if (i < 16) f = (b & c) | (~b & d);
    else if (i < 32) f = (d & b) | (~d & c);
    else if (i < 48) f = b ^ c ^ d;
    else f = c ^ (b | ~d);
    const s = R[((i >> 4) << 2) | (i & 3)]!;
    const x = (a + f + K[i]! + m[off + G[i]!]!) | 0;
    a = d;
    d = c;
    c = b;
    b = (b + ((x << s) | (x >>> (32 - s)))) | 0;
  }
  state[0] = (state[0]! + a) | 0;
  state[1] = (state[1]! + b) | 0;
  state[2] = (state[2]! + c) | 0;
  state[3] = (state[3]! + d) | 0;
}

/**
 * Lowercase hex MD5 digest of `data`, as the protocol's `rawfilemd5` and file `md5` fields expect.
 * Uses the runtime's native `node:crypto` hash when present, otherwise a TypeScript implementation
 * with identical output.
 *
 * @example
 * ```ts
 * import { md5Hex } from "@weilink/core/core";
 *
 * console.log(md5Hex(new TextEncoder().encode("hello"))); // "5d41402abc4b2a76b9719d911017c592"
 * ```
 */
export function md5Hex(data: Uint8Array): string {
  if (!(data instanceof Uint8Array)) {
    throw new TypeError(`Cannot hash: expected a Uint8Array, got "${typeof data}"`);
  }
  return createMd5().update(data).digestHex();
}

/**
 * An incremental MD5 with the same output as {@linkcode md5Hex}: the runtime's native
 * `node:crypto` hash when present, otherwise {@linkcode Md5Pure}. Used where the data never sits
 * in memory whole (media streamed to or from disk).
 *
 * @example
 * ```ts
 * import { createMd5 } from "./md5.ts";
 *
 * const hash = createMd5();
 * hash.update(new TextEncoder().encode("hel")).update(new TextEncoder().encode("lo"));
 * console.log(hash.digestHex()); // "5d41402abc4b2a76b9719d911017c592"
 * ```
 */
export function createMd5(): Md5Hasher {
  const native = nativeCrypto();
  if (native === null) return new Md5Pure();
  const hash = native.createHash("md5");
  const hasher: Md5Hasher = {
    update(data: Uint8Array): Md5Hasher {
      hash.update(data);
      return hasher;
    },
    digestHex: (): string => hash.digest("hex"),
  };
  return hasher;
}
