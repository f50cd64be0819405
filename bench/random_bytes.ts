/**
 * Cheap pseudo-random bytes for the benches (xorshift32): nothing compresses or repeats, and
 * megabytes come fast (`crypto.getRandomValues` caps at 64 KiB a call).
 *
 * @module
 */

/** Fills `buf` from `seed`; the same seed gives the same bytes. */
export function fillPseudoRandom(buf: Uint8Array, seed: number): Uint8Array {
  const words = new Int32Array(buf.buffer, buf.byteOffset, buf.length >>> 2);
  let x = seed | 0 || 1;
  for (let i = 0; i < words.length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    words[i] = x;
  }
  for (let i = words.length * 4; i < buf.length; i++) buf[i] = i;
  return buf;
}
