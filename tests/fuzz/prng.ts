/**
 * A small seeded PRNG for the fuzzer: xoshiro128** seeded through splitmix32, so that one integer
 * seed reproduces every case exactly, on any runtime. Not for cryptography.
 *
 * Each case gets its own generator, derived from the run's seed, the target's name and the case
 * index ({@linkcode caseRng}): a case can be replayed alone (`--case N`) and does not depend on
 * how many random numbers earlier cases drew.
 *
 * @module
 */

/** splitmix32: spreads a 32-bit state into well-mixed outputs (used for seeding only). */
function splitmix32(state: number): () => number {
  let s = state >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** FNV-1a over the UTF-16 code units of `text`. */
function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** A deterministic random source. */
export class Rng {
  #a: number;
  #b: number;
  #c: number;
  #d: number;

  /** Seeds the four words of state from one 32-bit integer. */
  constructor(seed: number) {
    const mix = splitmix32(seed);
    this.#a = mix();
    this.#b = mix();
    this.#c = mix();
    this.#d = mix();
    // xoshiro must not start from the all-zero state.
    if ((this.#a | this.#b | this.#c | this.#d) === 0) this.#a = 1;
  }

  /** A uniformly distributed unsigned 32-bit integer. */
  u32(): number {
    const result = Math.imul(rotl(Math.imul(this.#b, 5), 7), 9) >>> 0;
    const t = this.#b << 9;
    this.#c ^= this.#a;
    this.#d ^= this.#b;
    this.#b ^= this.#c;
    this.#a ^= this.#d;
    this.#c ^= t;
    this.#d = rotl(this.#d, 11);
    return result;
  }

  /** A float in [0, 1). */
  float(): number {
    return this.u32() / 0x1_0000_0000;
  }

  /** An integer in [0, n) (n ≥ 1). */
  int(n: number): number {
    return Math.floor(this.float() * n);
  }

  /** An integer in [min, max]. */
  range(min: number, max: number): number {
    return min + this.int(max - min + 1);
  }

  /** `true` with probability `p`. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** One element of a non-empty list. */
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)]!;
  }

  /**
   * A length biased towards small values but with a long tail: most draws are below 8, some reach
   * `max`.
   */
  size(max: number): number {
    const r = this.float();
    if (r < 0.6) return this.int(Math.min(8, max + 1));
    if (r < 0.9) return this.int(Math.min(64, max + 1));
    return this.int(max + 1);
  }

  /** `count` random bytes. */
  bytes(count: number): Uint8Array {
    const out = new Uint8Array(count);
    for (let i = 0; i < count; i++) out[i] = this.u32() & 0xff;
    return out;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

/** The generator of case `index` of `target` in a run seeded with `seed`. */
export function caseRng(seed: number, target: string, index: number): Rng {
  const mix = splitmix32((seed ^ fnv1a(target)) >>> 0);
  mix();
  return new Rng((mix() ^ Math.imul(index + 1, 0x9e3779b1)) >>> 0);
}

/** A fresh seed for a run that was not given one. */
export function randomSeed(): number {
  return crypto.getRandomValues(new Uint32Array(1))[0]! >>> 0;
}
