import assert from "node:assert/strict";
import { decryptBlocks, encryptBlocks } from "../../src/crypto/aes.ts";
import {
  type AesBackend,
  cipherSize,
  decryptAesEcb,
  encryptAesEcb,
  fromHex,
  toHex,
} from "../../src/crypto/mod.ts";

const BACKENDS: AesBackend[] = ["pure", "native"];
const K = fromHex("000102030405060708090a0b0c0d0e0f");

Deno.test("FIPS-197 C.1: AES-128 single block", () => {
  const plain = fromHex("00112233445566778899aabbccddeeff");
  const cipher = encryptBlocks(plain, K);
  assert.equal(toHex(cipher), "69c4e0d86a7b0430d8cdb78070b4c55a");
  assert.equal(toHex(decryptBlocks(cipher, K)), toHex(plain));
});

// NIST SP 800-38A, F.1.1 (ECB-AES128.Encrypt) and F.1.2 (ECB-AES128.Decrypt).
const NIST_KEY = fromHex("2b7e151628aed2a6abf7158809cf4f3c");
const NIST_PLAIN = fromHex(
  "6bc1bee22e409f96e93d7e117393172a" + "ae2d8a571e03ac9c9eb76fac45af8e51" +
    "30c81c46a35ce411e5fbc1191a0a52ef" + "f69f2445df4f9b17ad2b417be66c3710",
);
const NIST_CIPHER = fromHex(
  "3ad77bb40d7a3660a89ecaf32466ef97" + "f5d3d58503b9699de785895a96fdbaaf" +
    "43b1cd7f598ece23881b00e3ed030688" + "7b0c785e27e8ad3f8223207104725dd4",
);

Deno.test("NIST SP 800-38A F.1.1: ECB-AES128 encrypt, 4 blocks", () => {
  assert.equal(toHex(encryptBlocks(NIST_PLAIN, NIST_KEY)), toHex(NIST_CIPHER));
});

Deno.test("NIST SP 800-38A F.1.2: ECB-AES128 decrypt, 4 blocks", () => {
  assert.equal(toHex(decryptBlocks(NIST_CIPHER, NIST_KEY)), toHex(NIST_PLAIN));
});

Deno.test("NIST vectors through both PKCS#7 backends: the data blocks then one padding block", () => {
  for (const backend of BACKENDS) {
    const cipher = encryptAesEcb(NIST_PLAIN, NIST_KEY, { backend });
    assert.equal(cipher.length, 80);
    assert.equal(toHex(cipher.subarray(0, 64)), toHex(NIST_CIPHER), backend);
    assert.equal(toHex(decryptAesEcb(cipher, NIST_KEY, { backend })), toHex(NIST_PLAIN), backend);
  }
});

// ILINK_PROTOCOL.md §7, vectors V2..V6 (V1 is the FIPS-197 block above).
const PROTOCOL_VECTORS: [name: string, plainHex: string, cipherHex: string][] = [
  ["V2 empty", "", "954f64f2e4e86e9eee82d20216684899"],
  [
    "V3 one full block",
    "00112233445566778899aabbccddeeff",
    "69c4e0d86a7b0430d8cdb78070b4c55a954f64f2e4e86e9eee82d20216684899",
  ],
  ["V4 hello", "68656c6c6f", "5d8749e2af7531b2bf6661e9e5daf012"],
  ["V5 15 x 0x41", "41".repeat(15), "31e33487089e8df9770b33365557aba9"],
  [
    "V6 17 x 0x41",
    "41".repeat(17),
    "dd4b1a0b47daa7067d0b59d95d58a6aedccc6f2b042ab165aab7eceea77c196c",
  ],
];

Deno.test("protocol §7 V1: single block without padding", () => {
  const v1 = encryptBlocks(fromHex("00112233445566778899aabbccddeeff"), K);
  assert.equal(toHex(v1), "69c4e0d86a7b0430d8cdb78070b4c55a");
});

for (const [name, plainHex, cipherHex] of PROTOCOL_VECTORS) {
  Deno.test(`protocol §7 ${name}: both backends encrypt and decrypt`, () => {
    for (const backend of BACKENDS) {
      const plain = fromHex(plainHex);
      assert.equal(toHex(encryptAesEcb(plain, K, { backend })), cipherHex, backend);
      assert.equal(toHex(decryptAesEcb(fromHex(cipherHex), K, { backend })), plainHex, backend);
    }
  });
}

Deno.test("protocol §7 ciphertext sizes", () => {
  const expected: [number, number][] = [[0, 16], [5, 16], [15, 16], [16, 32], [17, 32], [32, 48]];
  for (const [n, c] of expected) assert.equal(cipherSize(n), c, `cipherSize(${n})`);
  assert.equal(cipherSize(100 * 1024 * 1024), 100 * 1024 * 1024 + 16);
  for (const bad of [-1, 1.5, NaN, Infinity, Number.MAX_SAFE_INTEGER + 1]) {
    assert.throws(() => cipherSize(bad), RangeError, String(bad));
  }
});

Deno.test("every plaintext length 0..64 round-trips on both backends with cipherSize bytes", () => {
  for (let n = 0; n <= 64; n++) {
    const plain = Uint8Array.from({ length: n }, (_, i) => (i * 7 + n) & 255);
    const pure = encryptAesEcb(plain, K, { backend: "pure" });
    const native = encryptAesEcb(plain, K, { backend: "native" });
    assert.equal(pure.length, cipherSize(n), `length ${n}`);
    assert.deepEqual(pure, native, `length ${n}`);
    // The last block decrypts to the tail plus 16 - n % 16 bytes of value 16 - n % 16.
    const pad = 16 - (n % 16);
    const lastPlain = decryptBlocks(pure.subarray(pure.length - 16), K);
    assert.deepEqual([...lastPlain.subarray(16 - pad)], new Array(pad).fill(pad), `length ${n}`);
    for (const backend of BACKENDS) {
      assert.deepEqual(decryptAesEcb(pure, K, { backend }), plain, `${backend} length ${n}`);
    }
  }
});

Deno.test("unaligned views in and out of a larger buffer give the same bytes", () => {
  const backing = new Uint8Array(4096 + 3);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 31) & 255;
  for (const offset of [0, 1, 2, 3]) {
    for (const n of [0, 15, 16, 33, 4096]) {
      const view = backing.subarray(offset, offset + n);
      const copy = view.slice();
      const expected = encryptAesEcb(copy, K, { backend: "native" });
      for (const backend of BACKENDS) {
        const cipher = encryptAesEcb(view, K, { backend });
        assert.deepEqual(cipher, expected, `${backend} offset ${offset} length ${n}`);
        const shifted = new Uint8Array(cipher.length + offset);
        shifted.set(cipher, offset);
        const plain = decryptAesEcb(shifted.subarray(offset), K, { backend });
        assert.deepEqual(plain, copy, `${backend} offset ${offset} length ${n}`);
      }
      assert.deepEqual(view, copy, "input must not be modified");
    }
  }
});

Deno.test("10,000 random round-trips agree byte for byte between pure and native", () => {
  // A seeded generator keeps a failure reproducible.
  let seed = 0x9e3779b9;
  const next = (): number => {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return seed >>> 0;
  };
  const pool = new Uint8Array(300 + 16);
  for (let round = 0; round < 10_000; round++) {
    for (let i = 0; i < pool.length; i++) pool[i] = next() & 255;
    const key = pool.slice(300, 316);
    const plain = pool.subarray(0, next() % 301);
    const pure = encryptAesEcb(plain, key, { backend: "pure" });
    const native = encryptAesEcb(plain, key, { backend: "native" });
    if (toHex(pure) !== toHex(native)) {
      assert.fail(`Round ${round}: backends disagree on encryption of ${plain.length} bytes`);
    }
    const fromPure = decryptAesEcb(native, key, { backend: "pure" });
    const fromNative = decryptAesEcb(pure, key, { backend: "native" });
    if (toHex(fromPure) !== toHex(plain) || toHex(fromNative) !== toHex(plain)) {
      assert.fail(`Round ${round}: round-trip of ${plain.length} bytes failed`);
    }
  }
});

Deno.test("a large buffer spanning many native pieces matches the pure backend", () => {
  const plain = new Uint8Array(3 * 64 * 1024 + 21);
  for (let i = 0; i < plain.length; i += 65536) {
    crypto.getRandomValues(plain.subarray(i, Math.min(plain.length, i + 65536)));
  }
  const key = crypto.getRandomValues(new Uint8Array(16));
  const pure = encryptAesEcb(plain, key, { backend: "pure" });
  const native = encryptAesEcb(plain, key, { backend: "native" });
  assert.deepEqual(pure, native);
  assert.deepEqual(decryptAesEcb(pure, key, { backend: "native" }), plain);
  assert.deepEqual(decryptAesEcb(native, key, { backend: "pure" }), plain);
});
