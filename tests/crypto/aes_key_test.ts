import assert from "node:assert/strict";
import {
  AesError,
  decodeAesKey,
  encodeAesKeyForSend,
  encodeAesKeyRaw,
  fromBase64,
  fromHex,
  toBase64,
  toHex,
} from "../../src/crypto/mod.ts";

// ILINK_PROTOCOL.md §7, key encodings.
const KEY_TABLE: [hex: string, formatA: string, formatB: string][] = [
  [
    "000102030405060708090a0b0c0d0e0f",
    "AAECAwQFBgcICQoLDA0ODw==",
    "MDAwMTAyMDMwNDA1MDYwNzA4MDkwYTBiMGMwZDBlMGY=",
  ],
  [
    "00112233445566778899aabbccddeeff",
    "ABEiM0RVZneImaq7zN3u/w==",
    "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmY=",
  ],
];

for (const [hex, formatA, formatB] of KEY_TABLE) {
  Deno.test(`key encodings for ${hex}: encode A and B, decode hex, A and B`, () => {
    const key = fromHex(hex);
    assert.equal(encodeAesKeyRaw(key), formatA);
    assert.equal(encodeAesKeyForSend(key), formatB);
    assert.equal(toHex(decodeAesKey(hex)), hex);
    assert.equal(toHex(decodeAesKey(hex.toUpperCase())), hex);
    assert.equal(toHex(decodeAesKey(formatA)), hex);
    assert.equal(toHex(decodeAesKey(formatB)), hex);
  });
}

Deno.test("decodeAesKey: format B with upper-case hex inside", () => {
  const hex = "00112233445566778899AABBCCDDEEFF";
  const formatB = toBase64(new TextEncoder().encode(hex));
  assert.equal(toHex(decodeAesKey(formatB)), hex.toLowerCase());
});

Deno.test("decodeAesKey: 32 hex characters are hex even when they are also valid base64", () => {
  // "A".repeat(32) is base64 of 24 zero bytes too; the hex reading wins, as in the official client.
  assert.deepEqual(decodeAesKey("A".repeat(32)), new Uint8Array(16).fill(0xaa));
});

Deno.test("decodeAesKey: random keys survive every encoding", () => {
  for (let i = 0; i < 200; i++) {
    const key = crypto.getRandomValues(new Uint8Array(16));
    assert.deepEqual(decodeAesKey(toHex(key)), key);
    assert.deepEqual(decodeAesKey(encodeAesKeyRaw(key)), key);
    assert.deepEqual(decodeAesKey(encodeAesKeyForSend(key)), key);
  }
});

Deno.test("decodeAesKey: garbage is rejected with key_format and never echoed", () => {
  const nonHex32 = toBase64(new TextEncoder().encode("zz" + "0".repeat(30)));
  const garbage: [string, string][] = [
    ["empty", ""],
    ["31 hex chars", "0".repeat(31)],
    ["33 hex chars", "0".repeat(33)],
    ["32 chars with a non-hex letter", "g" + "0".repeat(31)],
    ["base64 of 15 bytes", toBase64(new Uint8Array(15))],
    ["base64 of 17 bytes", toBase64(new Uint8Array(17))],
    ["base64 of 24 bytes", toBase64(new Uint8Array(24).fill(0xff))],
    ["base64 of 32 raw (non-hex) bytes", toBase64(new Uint8Array(32).fill(0xab))],
    ["base64 of 32 non-hex ASCII bytes", nonHex32],
    ["format A without padding", "AAECAwQFBgcICQoLDA0ODw"],
    ["format A with whitespace", "AAECAwQFBgcI CQoLDA0ODw=="],
    ["format A with trailing newline", "AAECAwQFBgcICQoLDA0ODw==\n"],
    ["url-safe alphabet", "ABEiM0RVZneImaq7zN3u_w=="],
    ["non-base64 symbols", "!!!!!!!!!!!!!!!!!!!!!!!!"],
    ["non-ASCII", "ĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀĀ=="],
    ["padding in the middle", "AAEC=wQFBgcICQoLDA0ODw=="],
    ["non-canonical trailing bits", "AAECAwQFBgcICQoLDA0ODx=="],
  ];
  for (const [label, value] of garbage) {
    let caught: unknown;
    try {
      decodeAesKey(value);
    } catch (error) {
      caught = error;
    }
    assert.ok(caught instanceof AesError, `${label}: expected AesError, got ${caught}`);
    assert.equal(caught.code, "key_format", label);
    if (value.length > 4) assert.ok(!caught.message.includes(value), `${label}: value leaked`);
  }
  assert.throws(() => decodeAesKey(42 as unknown as string), AesError);
});

Deno.test("encodeAesKey*: wrong key lengths are rejected", () => {
  for (const length of [0, 15, 17, 32]) {
    assert.throws(() => encodeAesKeyForSend(new Uint8Array(length)), { code: "key_length" });
    assert.throws(() => encodeAesKeyRaw(new Uint8Array(length)), { code: "key_length" });
  }
});

Deno.test("hex: round trip, either case in, lower case out, strict", () => {
  const all = Uint8Array.from({ length: 256 }, (_, i) => i);
  const hex = toHex(all);
  assert.equal(hex.length, 512);
  assert.equal(hex, hex.toLowerCase());
  assert.deepEqual(fromHex(hex), all);
  assert.deepEqual(fromHex(hex.toUpperCase()), all);
  assert.deepEqual(fromHex(""), new Uint8Array(0));
  for (const bad of ["0", "0g", "g0", " 00", "00 ", "0x00", "+1"]) {
    assert.throws(() => fromHex(bad), TypeError, bad);
  }
});

Deno.test("base64: RFC 4648 §10 vectors, round trips and strict decoding", () => {
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ];
  const enc = new TextEncoder();
  const dec = new TextDecoder();
  for (const [text, b64] of vectors) {
    assert.equal(toBase64(enc.encode(text)), b64);
    assert.equal(dec.decode(fromBase64(b64)), text);
  }
  const all = Uint8Array.from({ length: 256 }, (_, i) => 255 - i);
  for (let n = 0; n <= all.length; n++) {
    const slice = all.subarray(0, n);
    const b64 = toBase64(slice);
    assert.equal(b64, btoa(String.fromCharCode(...slice)), `length ${n}`);
    assert.deepEqual(fromBase64(b64), slice, `length ${n}`);
  }
  for (
    const bad of [
      "Zg",
      "Zg=",
      "Z===",
      "====",
      "Zg==Zg==",
      "Zh==",
      "Zm9=",
      " Zm9v",
      "Zm9v\n",
      "Zm-v",
    ]
  ) {
    assert.throws(() => fromBase64(bad), TypeError, JSON.stringify(bad));
  }
});
