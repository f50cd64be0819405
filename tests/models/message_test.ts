import assert from "node:assert/strict";
import {
  InvalidMessageError,
  Message,
  MessageDirection,
  MessageType,
  messageTypeName,
  RefMessage,
} from "../../src/models/mod.ts";
import { parseJsonLossless } from "../../src/protocol/mod.ts";
import type { WireMessage, WireMessageItem } from "../../src/protocol/mod.ts";
import { MessageStore } from "../../src/store/mod.ts";

interface Fixture {
  name: string;
  botId: string | null;
  wire: string;
  expected: Record<string, unknown>;
}

// Expected values were produced by running the Python original's `_parse_message(...).to_dict()`
// on the same wire text (message_id converted to a string, the one intended difference).
const fixtures: Fixture[] = JSON.parse(
  await Deno.readTextFile(new URL("./to_dict_fixtures.json", import.meta.url)),
);

for (const f of fixtures) {
  Deno.test(`toJSON matches the original's to_dict(): ${f.name}`, () => {
    const wire = parseJsonLossless(f.wire) as WireMessage;
    const msg = Message.fromWire(wire, f.botId ?? undefined);
    const json = msg.toJSON();
    assert.deepEqual(json, f.expected);
    // Key order too, so printed output reads the same.
    assert.equal(JSON.stringify(json), JSON.stringify(f.expected));
  });
}

Deno.test("fromWire parses every item and keeps unknown ones raw", () => {
  const tool = { type: 11, tool_call_start_item: { tool_name: "search" } };
  const msg = Message.fromWire({
    message_id: "18446744073709551615",
    from_user_id: "u@im.wechat",
    to_user_id: "b@im.bot",
    message_type: 1,
    context_token: "ctx",
    item_list: [
      { type: 1, text_item: { text: "first" } },
      { type: 2, image_item: { aeskey: "00".repeat(16), media: { full_url: "https://x/y" } } },
      tool,
      { type: 1, text_item: { text: "second" } },
      { type: 4, file_item: { file_name: "a.bin", len: "7" } },
      { type: 2, image_item: { url: "second-image" } },
    ],
  }, "b@im.bot");
  assert.equal(msg.msgType, MessageType.TEXT);
  assert.equal(msg.items.length, 6);
  assert.deepEqual(msg.items.map((i) => i.type), [1, 2, 11, 1, 4, 2]);
  assert.equal(msg.text, "first");
  assert.equal(msg.items[3]?.text, "second");
  assert.equal(msg.image?.aesKeyHex, "00".repeat(16));
  assert.equal(msg.image?.media.fullUrl, "https://x/y");
  assert.equal(msg.items[5]?.image?.url, "second-image");
  assert.equal(msg.file?.fileName, "a.bin");
  assert.deepEqual(msg.items[2]?.raw, tool);
  assert.equal(msg.items[2]?.text, undefined);
  assert.equal(msg.messageId, "18446744073709551615");
  assert.equal(msg.toUser, "b@im.bot");
  assert.equal(msg.direction, MessageDirection.RECEIVED);
  assert.equal(msg.contextToken, "ctx");
});

Deno.test("fromWire keeps an unknown first item type instead of calling it text", () => {
  const msg = Message.fromWire({
    from_user_id: "u@im.wechat",
    item_list: [{ type: 12, tool_call_result_item: { status: "completed" } }],
  });
  assert.equal(msg.msgType as number, 12);
  assert.equal(msg.text, undefined);
  assert.equal(msg.toJSON().msg_type, "TOOL_CALL_RESULT");
  assert.equal(messageTypeName(99), "UNKNOWN_99");
});

Deno.test("fromWire: image keeps both the hex aeskey and media.full_url and aes_key", () => {
  const msg = Message.fromWire({
    from_user_id: "u",
    item_list: [{
      type: 2,
      image_item: {
        aeskey: "000102030405060708090a0b0c0d0e0f",
        media: {
          encrypt_query_param: "EQP",
          aes_key: "AAECAwQFBgcICQoLDA0ODw==",
          encrypt_type: 1,
          full_url: "https://cdn/x",
        },
        mid_size: 16,
        hd_size: 32,
        thumb_size: 8,
      },
    }],
  });
  assert.deepEqual(msg.image, {
    media: {
      encryptQueryParam: "EQP",
      aesKey: "AAECAwQFBgcICQoLDA0ODw==",
      encryptType: 1,
      fullUrl: "https://cdn/x",
    },
    aesKeyHex: "000102030405060708090a0b0c0d0e0f",
    url: "",
    thumbWidth: 0,
    thumbHeight: 0,
    midSize: 16,
    thumbSize: 8,
    hdSize: 32,
  });
});

Deno.test("fromWire: voice transcription, video thumbnail, file size string", () => {
  const msg = Message.fromWire({
    from_user_id: "u",
    item_list: [
      { type: 3, voice_item: { text: "hello there", playtime: 1200, encode_type: 6 } },
      { type: 5, video_item: { play_length: 3, thumb_media: { encrypt_query_param: "T" } } },
      { type: 4, file_item: { len: "99" } },
    ],
  });
  assert.equal(msg.msgType, MessageType.VOICE);
  assert.equal(msg.voice?.text, "hello there");
  assert.equal(msg.voice?.playtime, 1200);
  assert.equal(msg.voice?.encodeType, 6);
  assert.equal(msg.video?.thumbMedia?.encryptQueryParam, "T");
  assert.equal(msg.file?.fileSize, "99");
  assert.equal(msg.text, undefined);
});

Deno.test("fromWire: quote with only svr_id (newer WeChat clients) is kept", () => {
  const wire = parseJsonLossless(
    '{"from_user_id":"u","item_list":[{"type":1,"text_item":{"text":"re"},' +
      '"ref_msg":{"title":"older","svr_id":9223372036854775809}}]}',
  ) as WireMessage;
  const msg = Message.fromWire(wire);
  assert.ok(msg.refMsg instanceof RefMessage);
  assert.equal(msg.refMsg?.svrId, "9223372036854775809");
  assert.equal(msg.refMsg?.title, "older");
  assert.equal(msg.refMsg?.msgType, MessageType.TEXT);
  assert.deepEqual(msg.toJSON().ref_msg, { msg_type: "TEXT", svr_id: "9223372036854775809" });
});

Deno.test("fromWire: quoted media and message-level fallbacks", () => {
  const msg = Message.fromWire({
    from_user_id: "u",
    message_type: 2,
    item_list: [{
      type: 1,
      msg_id: "12345678901234567891",
      text_item: { text: "x" },
      ref_msg: {
        svr_id: "5",
        message_item: { type: 3, voice_item: { text: "quoted voice", playtime: 5 } },
      },
    }],
  });
  assert.equal(msg.direction, MessageDirection.SENT);
  // The item-level msg_id is the fallback id.
  assert.equal(msg.messageId, "12345678901234567891");
  assert.equal(msg.refMsg?.msgType, MessageType.VOICE);
  assert.equal(msg.refMsg?.voice?.text, "quoted voice");
  assert.deepEqual(msg.refMsg?.toJSON(), {
    msg_type: "VOICE",
    voice: { playtime: 5, text: "quoted voice" },
    svr_id: "5",
  });
});

Deno.test("fromWire tolerates missing and oddly typed fields", () => {
  const msg = Message.fromWire({
    item_list: [null, { type: 1 }, "junk"] as unknown as WireMessageItem[],
    create_time_ms: "17" as unknown as number,
  });
  assert.equal(msg.fromUser, "");
  assert.equal(msg.timestamp, 17);
  assert.equal(msg.items.length, 1);
  assert.equal(msg.msgType, MessageType.TEXT);
  assert.ok(msg.items[0]?.raw, "a text item without text_item is kept raw");
  assert.equal(msg.messageId, undefined);
  assert.equal(msg.toJSON().message_id, null);
});

Deno.test("a Message survives JSON.stringify with ids as strings", () => {
  const msg = Message.fromWire(
    parseJsonLossless(
      '{"message_id":7300000000000000123,"from_user_id":"u","item_list":[]}',
    ) as WireMessage,
    "b",
  );
  assert.equal(JSON.stringify(msg).includes('"message_id":"7300000000000000123"'), true);
});

Deno.test("fromWire: an item type that is not an integer reads as 0, and the message can be stored", () => {
  // Found by the fuzzer: `{"item_list":[{"type":1.5}]}` gave msgType 1.5, which the store refused.
  const msg = Message.fromWire(
    parseJsonLossless(
      '{"message_id":"5","item_list":[{"type":1.5},{"type":1e300}]}',
    ) as WireMessage,
  );
  assert.deepEqual(msg.items.map((i) => i.type), [0, 0]);
  assert.equal(msg.msgType, 0);
  assert.equal(msg.warnings?.length, 2);
  assert.match(msg.warnings![0]!, /item type 1\.5 is not an integer/);
  using store = new MessageStore(":memory:");
  assert.equal(store.store([msg]), 1);
  assert.equal(store.getById("5")?.msgType, 0);
});

Deno.test("fromWire: ids that are objects or deeply nested arrays are refused, not a crash", () => {
  // Found by the fuzzer: describing the bad id with String() overflowed the stack on an array
  // nested 3,000 levels and threw on an own "toString" key, both past InvalidMessageError.
  const hostile = [
    '{"toString":1}',
    '{"valueOf":[],"toString":[]}',
    `${"[".repeat(5000)}${"]".repeat(5000)}`,
  ];
  for (const json of hostile) {
    assert.throws(
      () => Message.fromWire(parseJsonLossless(`{"message_id":${json}}`) as WireMessage),
      InvalidMessageError,
    );
    const msg = Message.fromWire(
      parseJsonLossless(
        `{"message_id":"7","item_list":[{"type":1,"msg_id":${json},"text_item":{"text":"x"}}]}`,
      ) as WireMessage,
    );
    assert.equal(msg.items[0]?.msgId, undefined);
    assert.match(msg.warnings?.[0] ?? "", /^msg_id \(an (object|array)\) is not a 64-bit/);
  }
});
