import assert from "node:assert/strict";
import {
  clientVersionHeader,
  joinApiUrl,
  parseJsonLossless,
  randomWechatUin,
  wechatUinHeader,
} from "../../src/protocol/mod.ts";
import { VERSION } from "../../src/version.ts";

Deno.test("parseJsonLossless keeps 64-bit ids exact at any depth", () => {
  const text =
    '{"ret":0,"message_id":7300000000000000123,"msgs":[{"message_id" : 18446744073709551615,' +
    '"item_list":[{"msg_id":9007199254740993,"ref_msg":{"svr_id":\n-12345678901234567890}}]}]}';
  const v = parseJsonLossless(text) as {
    message_id: string;
    msgs: { message_id: string; item_list: { msg_id: string; ref_msg: { svr_id: string } }[] }[];
  };
  assert.equal(v.message_id, "7300000000000000123");
  assert.equal(v.msgs[0]?.message_id, "18446744073709551615");
  assert.equal(v.msgs[0]?.item_list[0]?.msg_id, "9007199254740993");
  assert.equal(v.msgs[0]?.item_list[0]?.ref_msg.svr_id, "-12345678901234567890");
  // Proof that plain JSON.parse would have lost it.
  assert.notEqual(String(JSON.parse(text).message_id), "7300000000000000123");
});

Deno.test("parseJsonLossless accepts ids already sent as strings and leaves other numbers", () => {
  const v = parseJsonLossless(
    '{"message_id":"7300000000000000123","seq":7300000000000000123,"ret":0,"x_message_id":5}',
  ) as Record<string, unknown>;
  assert.equal(v.message_id, "7300000000000000123");
  assert.equal(typeof v.seq, "number");
  assert.equal(v.x_message_id, 5);
  assert.equal(v.ret, 0);
});

Deno.test("parseJsonLossless does not touch text inside strings", () => {
  const tricky = '{"text":"\\"message_id\\":123 and \\\\","msg_id":1,' +
    '"note":"svr_id: 5","\\"svr_id":9,"title":"\\"msg_id\\": 42"}';
  const v = parseJsonLossless(tricky) as Record<string, unknown>;
  assert.equal(v.text, '"message_id":123 and \\');
  assert.equal(v.msg_id, "1");
  assert.equal(v.note, "svr_id: 5");
  assert.equal(v['"svr_id'], 9);
  assert.equal(v.title, '"msg_id": 42');
});

Deno.test("parseJsonLossless: values that are not numbers and invalid JSON", () => {
  const v = parseJsonLossless('{"message_id":null,"msg_id":true,"svr_id":[1]}') as Record<
    string,
    unknown
  >;
  assert.equal(v.message_id, null);
  assert.equal(v.msg_id, true);
  assert.deepEqual(v.svr_id, [1]);
  assert.throws(() => parseJsonLossless('{"message_id":12'), SyntaxError);
  assert.throws(() => parseJsonLossless("<html>"), SyntaxError);
});

Deno.test("X-WECHAT-UIN is base64 of the decimal text (spec §7 vectors)", () => {
  assert.equal(wechatUinHeader(305419896), "MzA1NDE5ODk2");
  assert.equal(wechatUinHeader(0), "MA==");
  assert.equal(wechatUinHeader(4294967295), "NDI5NDk2NzI5NQ==");
  assert.throws(() => wechatUinHeader(2 ** 32), RangeError);
  const seen = new Set<string>();
  for (let i = 0; i < 50; i++) {
    const v = randomWechatUin();
    assert.match(atob(v), /^\d{1,10}$/);
    assert.ok(Number(atob(v)) <= 0xffffffff);
    seen.add(v);
  }
  assert.ok(seen.size > 45, "a fresh value per call");
});

Deno.test("iLink-App-ClientVersion encoding (spec §7 vectors)", () => {
  assert.equal(clientVersionHeader("2.4.9"), "132105");
  assert.equal(clientVersionHeader("1.0.2"), "65538");
  assert.equal(clientVersionHeader("1.0.11"), "65547");
  assert.equal(clientVersionHeader("0.1.0"), "256");
  assert.equal(clientVersionHeader("1.2"), "66048");
  assert.equal(clientVersionHeader("1.2.3-beta.1"), "66051");
  assert.equal(clientVersionHeader(VERSION), clientVersionHeader(VERSION.split("-")[0]!));
});

Deno.test("joinApiUrl keeps a path prefix and tolerates slashes (spec §1.1)", () => {
  assert.equal(
    joinApiUrl("http://127.0.0.1:8080/x", "ilink/bot/getupdates"),
    "http://127.0.0.1:8080/x/ilink/bot/getupdates",
  );
  assert.equal(
    joinApiUrl("http://127.0.0.1:8080/x/", "ilink/bot/getupdates"),
    "http://127.0.0.1:8080/x/ilink/bot/getupdates",
  );
  assert.equal(
    joinApiUrl("https://ilinkai.weixin.qq.com", "/ilink/bot/get_bot_qrcode", "bot_type=3"),
    "https://ilinkai.weixin.qq.com/ilink/bot/get_bot_qrcode?bot_type=3",
  );
  assert.equal(
    joinApiUrl("http://h/", "ilink/bot/get_qrcode_status", `qrcode=${encodeURIComponent("a+b/=")}`),
    "http://h/ilink/bot/get_qrcode_status?qrcode=a%2Bb%2F%3D",
  );
});
