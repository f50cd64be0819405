/**
 * The native backend: `node:crypto`, which Deno, Node and Bun all provide.
 *
 * The module is obtained at run time through `process.getBuiltinModule` rather than a static
 * `import "node:crypto"`, so the core still loads in browsers and workers (where the lookup
 * simply finds nothing) and the API stays synchronous (no dynamic `import()`).
 *
 * Where the time goes in Deno (2.9.6, 2-core EPYC). Its `aes-128-ecb` runs block by block in Rust,
 * about 1.3 GB/s and three quarters of a one-shot call on 1 MiB. The rest is the JavaScript around
 * it: each `update()` copies its whole input into a zero-filled "block cache" (kept for a partial
 * block) and returns a fresh zero-filled output. Raw one-shot use leaves the ciphertext split in
 * two buffers (body, padding block); joining them costs a third allocation and a copy, which
 * measured 0.8-0.9x of the raw call at 1 MiB. What we do instead:
 *
 * - **No block cache.** We only ever pass whole blocks, so the cache has nothing to keep. Deno's
 *   cipher objects carry a switch for the modes that need none (CTR, GCM): `_needsBlockCache`.
 *   Turning it off skips the copy. Node and Bun have no such field, and a runtime whose switch
 *   does not behave fails a self-test and keeps its cache. Deno's cache-less path *asserts* whole
 *   blocks (a panic, not an exception), so every `update()` goes through {@linkcode updateBlocks},
 *   which refuses anything else with a `RangeError` first.
 * - **Encryption in cache-sized pieces** written into one output: small fresh buffers stay in L2,
 *   where one 64 MiB call page-faults through two huge ones (0.55 vs 1.1 GB/s). With the cache
 *   off this measured 0.95-1.0x raw at 1 MiB and 1.2x at 64 MiB.
 * - **Decryption in one call** whose output is handed back as it is (no copy at all): 1.3x raw at
 *   1 MiB, 1.5x at 64 MiB. Where the cache stays on, large inputs go in pieces as for encryption,
 *   so the input is not copied whole into the cache.
 *
 * @module
 */

/** The subset of a `node:crypto` Cipher/Decipher used here. */
export interface NodeCipher {
  setAutoPadding(autoPadding: boolean): NodeCipher;
  update(data: Uint8Array): Uint8Array;
  final(): Uint8Array;
}

/** The subset of a `node:crypto` Hash used here. */
export interface NodeHash {
  update(data: Uint8Array): NodeHash;
  digest(encoding: "hex"): string;
}

/** The subset of `node:crypto` used by the native backend. */
export interface NativeCrypto {
  createCipheriv(algorithm: string, key: Uint8Array, iv: null): NodeCipher;
  createDecipheriv(algorithm: string, key: Uint8Array, iv: null): NodeCipher;
  createHash(algorithm: string): NodeHash;
}

/** Bytes handed to each `update()` call on the pieced paths; see the module note. */
export const NATIVE_CHUNK = 1024 * 1024;

/** Largest ciphertext decrypted with a single `update()` while the block cache is on. */
export const NATIVE_ONE_SHOT_LIMIT = 8 * 1024 * 1024;

let cached: NativeCrypto | null | undefined;

/** Whether switching off Deno's block cache passed the self-test (see the module note). */
let cacheSwitchWorks = false;

/** `Buffer.allocUnsafeSlow` of `node:buffer`, when the runtime has it (looked up with the crypto). */
let allocUnsafeSlow: ((size: number) => Uint8Array) | undefined;

/** Outputs from this size on skip zero-filling; below it the saving is not worth the lookup. */
const UNINITIALISED_FROM = 64 * 1024;

/**
 * A fresh output array of `size` bytes that the caller overwrites entirely. Large ones come
 * uninitialised where the runtime can (`allocUnsafeSlow` in Node; Deno zero-fills anyway), never
 * from the shared pool; they are returned as plain `Uint8Array` views.
 */
export function outputArray(size: number): Uint8Array {
  if (size < UNINITIALISED_FROM || !allocUnsafeSlow) return new Uint8Array(size);
  const b = allocUnsafeSlow(size);
  return new Uint8Array(b.buffer, b.byteOffset, size);
}

/** FIPS-197 Appendix C.1: key 00..0f, plaintext 00112233..ff, ciphertext 69c4e0d8 6a7b0430 ... */
const FIPS_KEY = Uint8Array.from({ length: 16 }, (_, i) => i);
const FIPS_PLAIN = Uint8Array.from({ length: 16 }, (_, i) => i * 0x11);
const FIPS_HEAD = [0x69, 0xc4, 0xe0, 0xd8, 0x6a, 0x7b, 0x04, 0x30];

/** Whether the first 8 bytes of every block of `out` are the FIPS ciphertext head. */
function fipsBlocks(out: Uint8Array, blocks: number): boolean {
  if (out.length !== 16 * blocks) return false;
  for (let b = 0; b < blocks; b++) {
    if (!FIPS_HEAD.every((v, i) => out[16 * b + i] === v)) return false;
  }
  return true;
}

/**
 * Returns `node:crypto` when the runtime has a working `aes-128-ecb`, else `null`. The result is
 * computed once. A one-block FIPS-197 self-test guards against partial polyfills that expose
 * `createCipheriv` but not this cipher; a second one decides whether the block cache may be
 * switched off.
 */
export function nativeCrypto(): NativeCrypto | null {
  if (cached !== undefined) return cached;
  cached = null;
  try {
    const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } })
      .process;
    const mod = proc?.getBuiltinModule?.("node:crypto") as Partial<NativeCrypto> | undefined;
    if (
      typeof mod?.createCipheriv !== "function" || typeof mod.createDecipheriv !== "function" ||
      typeof mod.createHash !== "function"
    ) {
      return null;
    }
    const candidate = mod as NativeCrypto;
    const buffer = proc?.getBuiltinModule?.("node:buffer") as
      | { Buffer?: { allocUnsafeSlow?: (size: number) => Uint8Array } }
      | undefined;
    const slow = buffer?.Buffer?.allocUnsafeSlow;
    if (typeof slow === "function") allocUnsafeSlow = (size) => slow(size);
    const cipher = candidate.createCipheriv("aes-128-ecb", FIPS_KEY, null).setAutoPadding(false);
    const out = cipher.update(FIPS_PLAIN);
    cipher.final();
    if (!fipsBlocks(out, 1)) return null;
    cached = candidate;
    cacheSwitchWorks = cacheSwitchPasses(candidate);
  } catch {
    // No process global, lookup refused, or cipher missing: stay on the pure backend.
  }
  return cached;
}

/** Two blocks both ways through cipher objects with the cache switched off, checked. */
function cacheSwitchPasses(native: NativeCrypto): boolean {
  try {
    const cipher = native.createCipheriv("aes-128-ecb", FIPS_KEY, null).setAutoPadding(false);
    if (!switchOffCache(cipher)) return false;
    const two = new Uint8Array(32);
    two.set(FIPS_PLAIN);
    two.set(FIPS_PLAIN, 16);
    const enc = cipher.update(two);
    cipher.final();
    const decipher = native.createDecipheriv("aes-128-ecb", FIPS_KEY, null).setAutoPadding(false);
    if (!switchOffCache(decipher)) return false;
    const dec = decipher.update(new Uint8Array(enc));
    decipher.final();
    return fipsBlocks(enc, 2) && dec.length === 32 && two.every((v, i) => dec[i] === v);
  } catch {
    return false;
  }
}

/** Turns off Deno's block cache on `cipher` when it has one; `true` when it did. */
function switchOffCache(cipher: NodeCipher): boolean {
  const internals = cipher as unknown as { _needsBlockCache?: unknown; _cache?: unknown };
  if (internals._needsBlockCache !== true || typeof internals._cache !== "object") return false;
  internals._needsBlockCache = false;
  return true;
}

/**
 * A padding-free ECB cipher object for `key`, with the block cache off where that is safe. Feed
 * it through {@linkcode updateBlocks} only, and call `final()` once done (it releases the
 * runtime's handle).
 */
export function nativeCipher(
  native: NativeCrypto,
  direction: "encrypt" | "decrypt",
  key: Uint8Array,
): NodeCipher {
  const cipher = direction === "encrypt"
    ? native.createCipheriv("aes-128-ecb", key, null)
    : native.createDecipheriv("aes-128-ecb", key, null);
  cipher.setAutoPadding(false);
  if (cacheSwitchWorks) switchOffCache(cipher);
  return cipher;
}

/** Whether cipher objects from {@linkcode nativeCipher} skip the block cache. */
export function nativeCacheOff(): boolean {
  return cacheSwitchWorks;
}

/**
 * `cipher.update(blocks)` for whole blocks only, returned as a plain `Uint8Array` view (never a
 * `Buffer`, whose `slice()` aliases).
 *
 * @throws {RangeError} when `blocks` is not a multiple of 16 bytes: with the block cache off the
 * runtime would abort the process instead of throwing.
 */
export function updateBlocks(cipher: NodeCipher, blocks: Uint8Array): Uint8Array {
  if (blocks.length % 16 !== 0) {
    throw new RangeError(`Cannot run AES on ${blocks.length} bytes: not whole 16-byte blocks`);
  }
  const out = cipher.update(blocks);
  return out.constructor === Uint8Array
    ? out
    : new Uint8Array(out.buffer, out.byteOffset, out.length);
}

/**
 * Runs `data` (a whole number of blocks) through a padding-free ECB cipher object in
 * {@linkcode NATIVE_CHUNK} pieces, writing into `out` from offset 0.
 */
function pump(cipher: NodeCipher, data: Uint8Array, out: Uint8Array): void {
  for (let off = 0; off < data.length; off += NATIVE_CHUNK) {
    out.set(
      updateBlocks(cipher, data.subarray(off, Math.min(data.length, off + NATIVE_CHUNK))),
      off,
    );
  }
}

/**
 * Encrypts with `node:crypto`: whole blocks straight from `plain`, then the PKCS#7-padded last
 * block built here, so the big input is never copied into a padded temporary. Validation has
 * been done by the caller.
 */
export function encryptNative(
  native: NativeCrypto,
  plain: Uint8Array,
  key: Uint8Array,
): Uint8Array {
  const whole = plain.length - (plain.length % 16);
  const out = outputArray(whole + 16);
  const cipher = nativeCipher(native, "encrypt", key);
  pump(cipher, plain.subarray(0, whole), out);
  const last = out.subarray(whole);
  last.fill(16 - (plain.length - whole));
  last.set(plain.subarray(whole));
  last.set(updateBlocks(cipher, last));
  cipher.final();
  return out;
}

/**
 * Decrypts with `node:crypto` without stripping padding (the caller checks and strips it, so
 * both backends report bad padding the same way). `cipherText` is whole blocks (checked by the
 * caller).
 */
export function decryptNativeRaw(
  native: NativeCrypto,
  cipherText: Uint8Array,
  key: Uint8Array,
): Uint8Array {
  const decipher = nativeCipher(native, "decrypt", key);
  if (cacheSwitchWorks || cipherText.length <= NATIVE_ONE_SHOT_LIMIT) {
    const body = updateBlocks(decipher, cipherText);
    decipher.final();
    // Reuse the memory only when the output owns its whole ArrayBuffer: small Buffers may come
    // from a shared pool, and `.buffer` would then expose unrelated bytes.
    const owned = body.byteOffset === 0 && body.buffer.byteLength === body.length &&
      body.buffer instanceof ArrayBuffer;
    return owned ? body : body.slice();
  }
  const out = outputArray(cipherText.length);
  pump(decipher, cipherText, out);
  decipher.final();
  return out;
}
