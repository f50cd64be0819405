import assert from "node:assert/strict";
import { encryptBlocks } from "../../src/crypto/aes.ts";
import {
  AesError,
  type AesErrorCode,
  decryptAesEcb,
  encryptAesEcb,
  fromHex,
  toHex,
} from "../../src/crypto/mod.ts";

const BACKENDS = ["pure", "native"] as const;
const K = fromHex("000102030405060708090a0b0c0d0e0f");

function assertAesError(fn: () => unknown, code: AesErrorCode, label: string): AesError {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof AesError, `${label}: expected AesError, got ${caught}`);
  assert.equal(caught.code, code, label);
  assert.equal(caught.name, "AesError");
  return caught;
}

Deno.test("errors: keys of 0, 15, 17 and 32 bytes are rejected by encrypt and decrypt", () => {
  for (const backend of BACKENDS) {
    for (const length of [0, 15, 17, 32]) {
      const key = new Uint8Array(length).fill(0xaa);
      const label = `${backend} key length ${length}`;
      const e = assertAesError(
        () => encryptAesEcb(new Uint8Array(5), key, { backend }),
        "key_length",
        label,
      );
      assert.match(e.message, new RegExp(`length ${length} is not 16 bytes`));
      assert.doesNotMatch(e.message, /aa/i, "key bytes must not leak into the message");
      assertAesError(
        () => decryptAesEcb(new Uint8Array(16), key, { backend }),
        "key_length",
        label,
      );
    }
    assertAesError(
      () => encryptAesEcb(new Uint8Array(1), "0123456789abcdef" as unknown as Uint8Array),
      "key_length",
      "string key",
    );
  }
});

Deno.test("errors: ciphertext of 0, 15, 17 bytes is rejected", () => {
  for (const backend of BACKENDS) {
    for (const length of [0, 15, 17, 31, 33]) {
      const e = assertAesError(
        () => decryptAesEcb(new Uint8Array(length), K, { backend }),
        "cipher_length",
        `${backend} length ${length}`,
      );
      if (length > 0) {
        assert.equal(
          e.message,
          `Cannot decrypt media: ciphertext length ${length} is not a multiple of 16`,
        );
      }
    }
  }
});

Deno.test("errors: every kind of corrupted PKCS#7 padding is rejected", () => {
  const cases: [string, Uint8Array][] = [];
  const block = (fill: (b: Uint8Array) => void): Uint8Array => {
    const b = new Uint8Array(32).fill(0x41);
    fill(b);
    return b;
  };
  cases.push(["pad value 0", block((b) => (b[31] = 0))]);
  cases.push(["pad value 17", block((b) => (b[31] = 17))]);
  cases.push(["pad value 255", block((b) => (b[31] = 255))]);
  for (let pad = 2; pad <= 16; pad++) {
    for (let wrong = 1; wrong < pad; wrong++) {
      cases.push([
        `pad ${pad} with byte -${wrong + 1} wrong`,
        block((b) => {
          b.fill(pad, 32 - pad);
          b[31 - wrong] = pad ^ 0x40;
        }),
      ]);
    }
  }
  for (const [label, plain] of cases) {
    const cipher = encryptBlocks(plain, K);
    for (const backend of BACKENDS) {
      assertAesError(() => decryptAesEcb(cipher, K, { backend }), "padding", `${backend} ${label}`);
    }
  }
  // Sanity: the same layout with correct padding decrypts.
  const good = new Uint8Array(32).fill(0x41).fill(16, 16);
  assert.equal(decryptAesEcb(encryptBlocks(good, K), K).length, 16);
  const full = new Uint8Array(16).fill(16);
  assert.equal(decryptAesEcb(encryptBlocks(full, K), K).length, 0);
});

Deno.test("errors: decrypting with the wrong key fails on padding instead of returning garbage", () => {
  const cipher = fromHex("5d8749e2af7531b2bf6661e9e5daf012"); // "hello" under K
  const wrong = K.slice();
  wrong[0]! ^= 1;
  for (const backend of BACKENDS) {
    const e = assertAesError(() => decryptAesEcb(cipher, wrong, { backend }), "padding", backend);
    assert.match(e.message, /padding/);
  }
});

Deno.test("errors: non-byte inputs and unknown backends are TypeErrors", () => {
  assert.throws(() => encryptAesEcb("hello" as unknown as Uint8Array, K), TypeError);
  assert.throws(() => decryptAesEcb([1, 2] as unknown as Uint8Array, K), TypeError);
  assert.throws(
    () => encryptAesEcb(new Uint8Array(1), K, { backend: "wasm" as unknown as "pure" }),
    TypeError,
  );
});

Deno.test("encryption does not modify its inputs and returns a fresh buffer", () => {
  const plain = fromHex("00112233445566778899aabbccddeeff0011");
  const before = toHex(plain);
  const key = K.slice();
  for (const backend of BACKENDS) {
    const cipher = encryptAesEcb(plain, key, { backend });
    assert.notEqual(cipher.buffer, plain.buffer);
    assert.equal(toHex(plain), before);
    assert.deepEqual(key, K);
    const cipherCopy = cipher.slice();
    decryptAesEcb(cipher, key, { backend });
    assert.deepEqual(cipher, cipherCopy);
  }
});
