import assert from "node:assert/strict";
import {
  cipherSize,
  decodeAesKey,
  decryptAesEcb,
  encodeAesKeyForSend,
  encodeAesKeyRaw,
  encryptAesEcb,
  fromHex,
  md5Hex,
  toHex,
} from "../../src/crypto/mod.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/mod.ts";
import { call, type LoggedIn, login, poll } from "./raw_client.ts";

const encoder = new TextEncoder();

interface Upload {
  key: Uint8Array;
  filekey: string;
  param: string;
  fullUrl?: string;
  cipher: Uint8Array;
  plain: Uint8Array;
}

async function requestSlot(
  sandbox: Sandbox,
  bot: LoggedIn,
  plain: Uint8Array,
  mediaType = 3,
  overrides: Record<string, unknown> = {},
): Promise<Upload> {
  const key = crypto.getRandomValues(new Uint8Array(16));
  const filekey = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const a = await call(sandbox, bot.token, "getuploadurl", {
    filekey,
    media_type: mediaType,
    to_user_id: bot.userId,
    rawsize: plain.length,
    rawfilemd5: md5Hex(plain),
    filesize: cipherSize(plain.length),
    no_need_thumb: true,
    aeskey: toHex(key),
    ...overrides,
  });
  assert.equal(a.json.ret, 0, a.text);
  const upload: Upload = {
    key,
    filekey,
    param: a.json.upload_param,
    cipher: encryptAesEcb(plain, key),
    plain,
  };
  if (a.json.upload_full_url) upload.fullUrl = a.json.upload_full_url;
  return upload;
}

function uploadUrl(sandbox: Sandbox, u: Upload): string {
  return u.fullUrl ??
    `${sandbox.cdnBaseUrl}/upload?encrypted_query_param=${encodeURIComponent(u.param)}&filekey=${
      encodeURIComponent(u.filekey)
    }`;
}

async function post(url: string, body: Uint8Array): Promise<Response> {
  return await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/octet-stream" },
    body: body as Uint8Array<ArrayBuffer>,
  });
}

/** Logs in and lets the user write once, so the bot may reply. */
async function conversation(sandbox: Sandbox): Promise<LoggedIn & { contextToken: string }> {
  const bot = await login(sandbox, "erin@im.wechat");
  const { contextToken } = await sandbox.injectMessage({ text: "send me something" });
  return { ...bot, contextToken };
}

function mediaMessage(bot: LoggedIn & { contextToken: string }, item: unknown) {
  return {
    msg: {
      from_user_id: "",
      to_user_id: bot.userId,
      client_id: crypto.randomUUID(),
      message_type: 2,
      message_state: 2,
      context_token: bot.contextToken,
      item_list: [item],
    },
  };
}

Deno.test("CDN upload decrypts and checks the body, then the file can be sent", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await conversation(sandbox);
    const plain = encoder.encode("hello, this is a report\n".repeat(10));
    const u = await requestSlot(sandbox, bot, plain, 3);
    assert.ok(u.param.endsWith("="), "upload_param needs percent-encoding");
    const res = await post(uploadUrl(sandbox, u), u.cipher);
    await res.body?.cancel();
    assert.equal(res.status, 200);
    const token = res.headers.get("x-encrypted-param");
    assert.ok(token);

    const down = await fetch(
      `${sandbox.cdnBaseUrl}/download?encrypted_query_param=${encodeURIComponent(token)}`,
    );
    assert.deepEqual(new Uint8Array(await down.arrayBuffer()), u.cipher);

    const a = await call(
      sandbox,
      bot.token,
      "sendmessage",
      mediaMessage(bot, {
        type: 4,
        file_item: {
          media: {
            encrypt_query_param: token,
            aes_key: encodeAesKeyForSend(u.key),
            encrypt_type: 1,
          },
          file_name: "report.txt",
          len: String(plain.length),
        },
      }),
    );
    assert.equal(a.json.ret, 0);
    const [rec] = await sandbox.sent();
    assert.equal(rec?.type, 4);
    assert.equal(rec?.fileName, "report.txt");
    assert.deepEqual(rec?.media?.bytes, plain);
    assert.equal(rec?.media?.md5, md5Hex(plain));
    assert.equal(rec?.media?.size, plain.length);
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await sandbox.close();
  }
});

Deno.test("uploadFullUrl option answers upload_full_url that works as-is", async () => {
  const sandbox = await startSandbox({ longPollMs: 100, uploadFullUrl: true });
  try {
    const bot = await conversation(sandbox);
    const u = await requestSlot(sandbox, bot, encoder.encode("img"), 1);
    assert.ok(u.fullUrl?.startsWith(sandbox.cdnBaseUrl));
    const res = await post(u.fullUrl!, u.cipher);
    await res.body?.cancel();
    assert.equal(res.status, 200);
    assert.ok(res.headers.get("x-encrypted-param"));
  } finally {
    await sandbox.close();
  }
});

Deno.test("CDN upload rejects bad input with 400 and x-error-message", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await conversation(sandbox);
    const plain = encoder.encode("0123456789abcdef0123");

    const wrongSize = await requestSlot(sandbox, bot, plain);
    const r1 = await post(uploadUrl(sandbox, wrongSize), wrongSize.cipher.slice(0, 16));
    await r1.body?.cancel();
    assert.equal(r1.status, 400);
    assert.match(r1.headers.get("x-error-message") ?? "", /does not match filesize/);

    const wrongMd5 = await requestSlot(sandbox, bot, plain, 3, {
      rawfilemd5: md5Hex(new Uint8Array(1)),
    });
    const r2 = await post(uploadUrl(sandbox, wrongMd5), wrongMd5.cipher);
    await r2.body?.cancel();
    assert.equal(r2.status, 400);
    assert.match(r2.headers.get("x-error-message") ?? "", /md5/);

    const wrongKey = await requestSlot(sandbox, bot, plain);
    const other = encryptAesEcb(plain, new Uint8Array(16));
    const r3 = await post(uploadUrl(sandbox, wrongKey), other);
    await r3.body?.cancel();
    assert.equal(r3.status, 400);
    assert.ok(r3.headers.get("x-error-message"));

    const r4 = await post(
      `${sandbox.cdnBaseUrl}/upload?encrypted_query_param=nope&filekey=00`,
      new Uint8Array(16),
    );
    await r4.body?.cancel();
    assert.equal(r4.status, 400);
    assert.equal(r4.headers.get("x-error-message"), "unknown upload slot");

    const r5 = await fetch(`${sandbox.cdnBaseUrl}/download?encrypted_query_param=nope`);
    await r5.body?.cancel();
    assert.equal(r5.status, 404);
  } finally {
    await sandbox.close();
  }
});

Deno.test("getuploadurl refuses a recipient the bot does not know", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    const a = await call(sandbox, bot.token, "getuploadurl", {
      filekey: toHex(new Uint8Array(16)),
      media_type: 3,
      to_user_id: "stranger@im.wechat",
      rawsize: 1,
      rawfilemd5: md5Hex(new Uint8Array(1)),
      filesize: 16,
      no_need_thumb: true,
      aeskey: toHex(new Uint8Array(16)),
    });
    assert.equal(a.json.ret, -1);
  } finally {
    await sandbox.close();
  }
});

Deno.test("unencoded query parameters, format A keys and wrong sizes are violations", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await conversation(sandbox);
    const plain = encoder.encode("picture bytes");
    const u = await requestSlot(sandbox, bot, plain, 1);
    // The raw upload_param always ends in "=": pasted unencoded it must be noticed.
    const res = await post(
      `${sandbox.cdnBaseUrl}/upload?encrypted_query_param=${u.param}&filekey=${u.filekey}`,
      u.cipher,
    );
    await res.body?.cancel();
    const token = res.headers.get("x-encrypted-param");
    assert.ok(token, "lenient: the upload itself still works");
    const a = await call(
      sandbox,
      bot.token,
      "sendmessage",
      mediaMessage(bot, {
        type: 2,
        image_item: {
          media: { encrypt_query_param: token, aes_key: encodeAesKeyRaw(u.key), encrypt_type: 1 },
          mid_size: plain.length,
        },
      }),
    );
    assert.equal(a.json.ret, 0);
    const rules = (await sandbox.violations()).map((v) => v.rule);
    assert.deepEqual(rules, [
      "unencoded_query_param",
      "media_key_not_format_b",
      "media_size_mismatch",
    ]);
    const [rec] = await sandbox.sent();
    assert.deepEqual(rec?.media?.bytes, plain, "format A still decrypts");
  } finally {
    await sandbox.close();
  }
});

Deno.test("image and video sends check mid_size and video_size against the ciphertext", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await conversation(sandbox);
    for (
      const [type, mediaType, key, sizeField] of [[2, 1, "image_item", "mid_size"], [
        5,
        2,
        "video_item",
        "video_size",
      ]] as const
    ) {
      const plain = crypto.getRandomValues(new Uint8Array(100 + type));
      const u = await requestSlot(sandbox, bot, plain, mediaType);
      const res = await post(uploadUrl(sandbox, u), u.cipher);
      await res.body?.cancel();
      const token = res.headers.get("x-encrypted-param")!;
      const a = await call(
        sandbox,
        bot.token,
        "sendmessage",
        mediaMessage(bot, {
          type,
          [key]: {
            media: {
              encrypt_query_param: token,
              aes_key: encodeAesKeyForSend(u.key),
              encrypt_type: 1,
            },
            [sizeField]: cipherSize(plain.length),
          },
        }),
      );
      assert.equal(a.json.ret, 0);
    }
    assert.deepEqual(await sandbox.violations(), []);
    assert.deepEqual((await sandbox.sent()).map((r) => r.type), [2, 5]);
  } finally {
    await sandbox.close();
  }
});

Deno.test("inbound media use format A for images (plus hex aeskey) and format B otherwise", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    const image = crypto.getRandomValues(new Uint8Array(33));
    const voice = crypto.getRandomValues(new Uint8Array(48));
    const file = encoder.encode("file body");
    const video = crypto.getRandomValues(new Uint8Array(70));
    await sandbox.injectMessage({ image });
    await sandbox.injectMessage({ voice, voiceText: "transcript" });
    await sandbox.injectMessage({ file, fileName: "a.txt" });
    await sandbox.injectMessage({ video });
    const { msgs } = await poll(sandbox, bot.token);
    assert.equal(msgs.length, 4);

    // deno-lint-ignore no-explicit-any
    const fetchPlain = async (media: any, key: Uint8Array) => {
      assert.ok(media.encrypt_query_param);
      assert.equal(media.encrypt_type, 1);
      const viaParam = await fetch(
        `${sandbox.cdnBaseUrl}/download?encrypted_query_param=${
          encodeURIComponent(media.encrypt_query_param)
        }`,
      );
      const cipher = new Uint8Array(await viaParam.arrayBuffer());
      const viaFull = new Uint8Array(await (await fetch(media.full_url)).arrayBuffer());
      assert.deepEqual(viaFull, cipher);
      return decryptAesEcb(cipher, key);
    };

    const img = msgs[0].item_list[0];
    assert.equal(img.type, 2);
    const imgKey = fromHex(img.image_item.aeskey);
    assert.equal(atob(img.image_item.media.aes_key).length, 16, "format A");
    assert.deepEqual(decodeAesKey(img.image_item.media.aes_key), imgKey);
    assert.equal(img.image_item.mid_size, cipherSize(image.length));
    assert.deepEqual(await fetchPlain(img.image_item.media, imgKey), image);

    const vo = msgs[1].item_list[0];
    assert.equal(vo.type, 3);
    assert.equal(vo.voice_item.text, "transcript");
    assert.equal(vo.voice_item.encode_type, 6);
    assert.equal(typeof vo.voice_item.playtime, "number");
    assert.equal(atob(vo.voice_item.media.aes_key).length, 32, "format B");
    assert.deepEqual(
      await fetchPlain(vo.voice_item.media, decodeAesKey(vo.voice_item.media.aes_key)),
      voice,
    );

    const fi = msgs[2].item_list[0];
    assert.equal(fi.type, 4);
    assert.equal(fi.file_item.file_name, "a.txt");
    assert.equal(fi.file_item.len, String(file.length));
    assert.equal(fi.file_item.md5, md5Hex(file));
    assert.deepEqual(
      await fetchPlain(fi.file_item.media, decodeAesKey(fi.file_item.media.aes_key)),
      file,
    );

    const vi = msgs[3].item_list[0];
    assert.equal(vi.type, 5);
    assert.equal(vi.video_item.video_size, cipherSize(video.length));
    assert.equal(vi.video_item.video_md5, md5Hex(video));
    assert.equal(typeof vi.video_item.play_length, "number");
    assert.deepEqual(
      await fetchPlain(vi.video_item.media, decodeAesKey(vi.video_item.media.aes_key)),
      video,
    );
  } finally {
    await sandbox.close();
  }
});

Deno.test("quoted replies carry ref_msg with title, message_item and svr_id as a number", async () => {
  const sandbox = await startSandbox({ longPollMs: 100 });
  try {
    const bot = await login(sandbox);
    const svrId = "7300000000000000999";
    await sandbox.injectMessage({
      text: "what about this?",
      quote: { title: "earlier", text: "the quoted text", svrId },
      items: [{ type: 99, custom: true }],
    });
    const { msgs, text } = await poll(sandbox, bot.token);
    const items = msgs[0].item_list;
    assert.equal(items.length, 2, "raw extra items are appended");
    assert.deepEqual(items[1], { type: 99, custom: true });
    assert.equal(items[0].ref_msg.title, "earlier");
    assert.deepEqual(items[0].ref_msg.message_item, {
      type: 1,
      text_item: { text: "the quoted text" },
    });
    assert.ok(text.includes(`"svr_id":${svrId}`));
  } finally {
    await sandbox.close();
  }
});
