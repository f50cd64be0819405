import assert from "node:assert/strict";
import { md5HexPure } from "../../src/crypto/md5.ts";
import { md5Hex } from "../../src/crypto/mod.ts";

// RFC 1321 §A.5 test suite.
const RFC_1321: [string, string][] = [
  ["", "d41d8cd98f00b204e9800998ecf8427e"],
  ["a", "0cc175b9c0f1b6a831c399e269772661"],
  ["abc", "900150983cd24fb0d6963f7d28e17f72"],
  ["message digest", "f96b697d7cb7938d525a2f31aaf161d0"],
  ["abcdefghijklmnopqrstuvwxyz", "c3fcd3d76192e4007dfb496cca67e13b"],
  [
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "d174ab98d277d9f5a5611c2c9f419d9f",
  ],
  [
    "12345678901234567890123456789012345678901234567890123456789012345678901234567890",
    "57edf4a22be3c955ac49da2e2107b67a",
  ],
];

const encode = (s: string): Uint8Array => new TextEncoder().encode(s);

Deno.test("md5: RFC 1321 suite, pure implementation", () => {
  for (const [input, digest] of RFC_1321) assert.equal(md5HexPure(encode(input)), digest, input);
});

Deno.test("md5: RFC 1321 suite, md5Hex (native in Deno)", () => {
  for (const [input, digest] of RFC_1321) assert.equal(md5Hex(encode(input)), digest, input);
});

Deno.test("md5: protocol §7 rawfilemd5 of hello", () => {
  assert.equal(md5Hex(encode("hello")), "5d41402abc4b2a76b9719d911017c592");
  assert.equal(md5HexPure(encode("hello")), "5d41402abc4b2a76b9719d911017c592");
});

Deno.test("md5: pure and native agree on every length around the 56/64-byte padding edges", () => {
  const backing = new Uint8Array(300);
  for (let i = 0; i < backing.length; i++) backing[i] = (i * 131 + 7) & 255;
  for (let n = 0; n <= 260; n++) {
    for (const offset of [0, 1, 3]) {
      const view = backing.subarray(offset, offset + Math.min(n, backing.length - offset));
      assert.equal(md5HexPure(view), md5Hex(view), `length ${view.length} offset ${offset}`);
    }
  }
  const big = new Uint8Array(1 << 20).map((_, i) => i & 255);
  assert.equal(md5HexPure(big), md5Hex(big));
});

Deno.test("md5: rejects non-bytes", () => {
  assert.throws(() => md5Hex("hello" as unknown as Uint8Array), TypeError);
});
