import assert from "node:assert/strict";
import { decryptAesEcb, encodeAesKeyForSend, fromHex, md5Hex } from "../../src/crypto/mod.ts";
import { Message, MessageType, UploadMediaType } from "../../src/models/mod.ts";
import type { MediaInfo, UploadedMedia } from "../../src/models/mod.ts";
import { CdnError, downloadMedia, mediaItemFor, uploadMedia } from "../../src/media/mod.ts";
import { cdnUrl } from "../../src/media/cdn_url.ts";
import type { WireMessageItem } from "../../src/protocol/mod.ts";
import { type BotFixture, userWrites, withBot } from "../protocol/sandbox_fixture.ts";

const sample = (n: number) => crypto.getRandomValues(new Uint8Array(n));

async function sendUploaded(f: BotFixture, ctx: string, uploaded: UploadedMedia) {
  return await f.api.sendMessage({
    to_user_id: f.userId,
    context_token: ctx,
    item_list: [mediaItemFor(uploaded)],
  });
}

Deno.test("upload and send each media type; the sandbox decrypts matching bytes", async () => {
  await withBot(async (f) => {
    const ctx = await userWrites(f);
    const cases = [
      { mediaType: UploadMediaType.IMAGE, data: sample(1000), itemType: MessageType.IMAGE },
      { mediaType: UploadMediaType.VIDEO, data: sample(4096), itemType: MessageType.VIDEO },
      { mediaType: UploadMediaType.FILE, data: sample(15), itemType: MessageType.FILE },
      { mediaType: UploadMediaType.VOICE, data: sample(16), itemType: MessageType.VOICE },
    ];
    for (const c of cases) {
      const progress: [number, number][] = [];
      const uploaded = await uploadMedia(c.data, {
        api: f.api,
        cdnBaseUrl: f.sandbox.cdnBaseUrl,
        to: f.userId,
        mediaType: c.mediaType,
        fileName: "data.bin",
        onProgress: (d, t) => progress.push([d, t]),
      });
      assert.equal(uploaded.fileSize, c.data.length);
      assert.equal(uploaded.cipherSize, (Math.floor(c.data.length / 16) + 1) * 16);
      assert.match(uploaded.aesKeyHex, /^[0-9a-f]{32}$/);
      assert.match(uploaded.filekey, /^[0-9a-f]{32}$/);
      assert.ok(uploaded.downloadParam.length > 0);
      assert.deepEqual(progress.at(-1), [uploaded.cipherSize, uploaded.cipherSize]);
      const res = await sendUploaded(f, ctx, uploaded);
      const record = (await f.sandbox.sent()).find((s) => s.messageId === res.message_id);
      assert.ok(record, "the sandbox recorded the send");
      assert.equal(record.type, c.itemType);
      assert.equal(record.media?.md5, md5Hex(c.data));
      assert.deepEqual(record.media?.bytes, c.data);
      if (c.mediaType === UploadMediaType.FILE) assert.equal(record.fileName, "data.bin");
    }
    // The sandbox warns that real phones do not show outbound voice; nothing else may be flagged.
    assert.deepEqual((await f.sandbox.violations()).map((v) => v.rule), ["outbound_voice"]);
  });
});

Deno.test("upload accepts a Blob and takes the name of a File", async () => {
  await withBot(async (f) => {
    const ctx = await userWrites(f);
    const data = new TextEncoder().encode("hello from a file\n");
    const uploaded = await uploadMedia(new File([data], "hello.txt"), {
      api: f.api,
      cdnBaseUrl: f.sandbox.cdnBaseUrl,
      to: f.userId,
      mediaType: UploadMediaType.FILE,
    });
    assert.equal(uploaded.fileName, "hello.txt");
    await sendUploaded(f, ctx, uploaded);
    const blobUp = await uploadMedia(new Blob([data]), {
      api: f.api,
      cdnBaseUrl: f.sandbox.cdnBaseUrl,
      to: f.userId,
      mediaType: UploadMediaType.IMAGE,
    });
    assert.equal(blobUp.fileName, "");
    await sendUploaded(f, ctx, blobUp);
    const sent = await f.sandbox.sent();
    assert.deepEqual(sent.map((s) => s.media?.md5), [md5Hex(data), md5Hex(data)]);
    assert.equal(sent[0]?.fileName, "hello.txt");
    assert.deepEqual(await f.sandbox.violations(), []);
  });
});

Deno.test("upload prefers upload_full_url when the server sends one", async () => {
  await withBot(async (f) => {
    const ctx = await userWrites(f);
    const data = sample(64);
    // A wrong CDN base proves the URL came from upload_full_url, on a host allowed explicitly.
    const uploaded = await uploadMedia(data, {
      api: f.api,
      cdnBaseUrl: "http://127.0.0.1:9/nowhere",
      allowedHosts: [new URL(f.sandbox.baseUrl).origin],
      to: f.userId,
      mediaType: UploadMediaType.IMAGE,
    });
    await sendUploaded(f, ctx, uploaded);
    assert.equal((await f.sandbox.sent())[0]?.media?.md5, md5Hex(data));
    assert.deepEqual(await f.sandbox.violations(), []);
  }, { uploadFullUrl: true });
});

Deno.test("upload retries 5xx with backoff and succeeds on the third attempt", async () => {
  await withBot(async (f) => {
    await f.sandbox.fail("cdn_upload", { kind: "http500", times: 2 });
    const t0 = Date.now();
    const uploaded = await uploadMedia(sample(10), {
      api: f.api,
      cdnBaseUrl: f.sandbox.cdnBaseUrl,
      to: f.userId,
      mediaType: UploadMediaType.FILE,
      retryDelayMs: 40,
    });
    assert.ok(Date.now() - t0 >= 40 + 80, "backoff of 40 ms then 80 ms");
    assert.ok(uploaded.downloadParam);
  });
});

Deno.test("upload gives up after 3 failed attempts with a retryable CdnError", async () => {
  await withBot(async (f) => {
    await f.sandbox.fail("cdn_upload", { kind: "http500", times: 4 });
    const err = await uploadMedia(sample(10), {
      api: f.api,
      cdnBaseUrl: f.sandbox.cdnBaseUrl,
      to: f.userId,
      mediaType: UploadMediaType.FILE,
      retryDelayMs: 5,
    }).catch((e) => e);
    assert.ok(err instanceof CdnError, String(err));
    assert.equal(err.retryable, true);
    assert.equal(err.status, 500);
    assert.match(err.message, /after 3 attempts/);
    // Exactly three attempts consumed three of the four armed faults.
    const faults = (await f.sandbox.state()).faults.filter((x) => x.endpoint === "cdn_upload");
    assert.deepEqual(faults.map((x) => x.remaining), [1]);
  });
});

Deno.test("upload does not retry a 4xx and reports x-error-message", async () => {
  await withBot(async (f) => {
    await f.sandbox.fail("cdn_upload", { kind: "ret", errmsg: "slot revoked", times: 2 });
    const err = await uploadMedia(sample(10), {
      api: f.api,
      cdnBaseUrl: f.sandbox.cdnBaseUrl,
      to: f.userId,
      mediaType: UploadMediaType.FILE,
      retryDelayMs: 5,
    }).catch((e) => e);
    assert.ok(err instanceof CdnError, String(err));
    assert.equal(err.retryable, false);
    assert.equal(err.status, 400);
    assert.match(err.message, /slot revoked/);
    const faults = (await f.sandbox.state()).faults.filter((x) => x.endpoint === "cdn_upload");
    assert.deepEqual(faults.map((x) => x.remaining), [1], "only one attempt was made");
  });
});

Deno.test("upload validates sizes and types before any request", async () => {
  await withBot(async (f) => {
    const base = {
      api: f.api,
      cdnBaseUrl: f.sandbox.cdnBaseUrl,
      to: f.userId,
      mediaType: UploadMediaType.FILE,
    };
    await assert.rejects(
      uploadMedia(sample(100), { ...base, maxBytes: 99 }),
      /100 bytes exceed the limit of 99 bytes/,
    );
    await assert.rejects(
      uploadMedia(sample(1), { ...base, mediaType: 9 as UploadMediaType }),
      RangeError,
    );
    assert.equal((await f.sandbox.state()).bots[0]?.sent, 0);
  });
});

Deno.test("getuploadurl refusals surface as ILinkError from uploadMedia", async () => {
  await withBot(async (f) => {
    await f.sandbox.fail("getuploadurl", { kind: "ret", ret: -2, errmsg: "refused" });
    const err = await uploadMedia(sample(5), {
      api: f.api,
      cdnBaseUrl: f.sandbox.cdnBaseUrl,
      to: f.userId,
      mediaType: UploadMediaType.IMAGE,
    }).catch((e) => e);
    assert.equal(err?.name, "ILinkError");
    assert.equal(err.endpoint, "getuploadurl");
    assert.equal(err.ret, -2);
  });
});

Deno.test("download injected media with every key encoding and both URL forms", async () => {
  await withBot(async (f) => {
    const image = sample(321);
    const voice = sample(48);
    const file = sample(1);
    const video = sample(2000);
    for (const m of [{ image }, { voice, voiceText: "t" }, { file }, { video }]) {
      await f.sandbox.injectMessage({ botId: f.botId, ...m });
    }
    const msgs = (await f.api.getUpdates("", { timeoutMs: 3000 })).msgs!.map((m) =>
      Message.fromWire(m)
    );
    const [img, vc, fl, vd] = msgs;
    const cdn = { cdnBaseUrl: f.sandbox.cdnBaseUrl };
    const withoutUrl = (m: MediaInfo): MediaInfo => ({ ...m, fullUrl: "" });

    // Image: hex aeskey (preferred), and Format A media.aes_key alone.
    assert.deepEqual(
      await downloadMedia(img!.image!.media, { ...cdn, aesKeyHex: img!.image!.aesKeyHex }),
      image,
    );
    assert.deepEqual(await downloadMedia(img!.image!.media, cdn), image);
    assert.deepEqual(await downloadMedia(withoutUrl(img!.image!.media), cdn), image);
    // Voice, file, video: Format B, over full_url and over encrypted_query_param.
    for (
      const [info, bytes] of [[vc!.voice!.media, voice], [fl!.file!.media, file], [
        vd!.video!.media,
        video,
      ]] as const
    ) {
      assert.deepEqual(await downloadMedia(info, cdn), bytes);
      assert.deepEqual(await downloadMedia(withoutUrl(info), cdn), bytes);
    }
    // A bare 32-hex key in aes_key is accepted too.
    const hexKey = { ...withoutUrl(img!.image!.media), aesKey: img!.image!.aesKeyHex };
    assert.deepEqual(await downloadMedia(hexKey, cdn), image);
    // Without any key the bytes come back as stored (the protocol's unencrypted-image case).
    const raw = await downloadMedia({ ...img!.image!.media, aesKey: "" }, cdn);
    assert.equal(raw.length, (Math.floor(image.length / 16) + 1) * 16);
    assert.deepEqual(decryptAesEcb(raw, fromHex(img!.image!.aesKeyHex)), image);
    // Progress reaches the full size.
    let last = 0;
    await downloadMedia(vd!.video!.media, { ...cdn, onProgress: (d) => (last = d) });
    assert.equal(last, (Math.floor(video.length / 16) + 1) * 16);
    assert.deepEqual(await f.sandbox.violations(), []);
  });
});

Deno.test("download errors: size cap, unknown token, wrong key, nothing to fetch", async () => {
  await withBot(async (f) => {
    await f.sandbox.injectMessage({ botId: f.botId, file: sample(500) });
    const msg = Message.fromWire((await f.api.getUpdates("", { timeoutMs: 3000 })).msgs![0]!);
    const media = msg.file!.media;
    const cdn = { cdnBaseUrl: f.sandbox.cdnBaseUrl };
    await assert.rejects(downloadMedia(media, { ...cdn, maxBytes: 100 }), RangeError);
    const missing = await downloadMedia(
      { ...media, fullUrl: "", encryptQueryParam: "unknown-token" },
      cdn,
    ).catch((e) => e);
    assert.ok(missing instanceof CdnError && missing.status! >= 400, String(missing));
    // A wrong key yields valid-looking PKCS#7 padding about once in 256 keys; pick one that this
    // ciphertext (the sandbox encrypts with a fresh random key) provably rejects.
    const cipherText = new Uint8Array(await (await fetch(media.fullUrl)).arrayBuffer());
    let aesKeyHex = "";
    for (let i = 0; !aesKeyHex; i++) {
      const candidate = i.toString(16).padStart(32, "0");
      try {
        decryptAesEcb(cipherText, fromHex(candidate));
      } catch {
        aesKeyHex = candidate;
      }
    }
    const wrongKey = await downloadMedia(media, { ...cdn, aesKeyHex }).catch((e) => e);
    assert.equal(wrongKey?.name, "AesError");
    await assert.rejects(
      downloadMedia({ encryptQueryParam: "", aesKey: "", encryptType: 0, fullUrl: "" }, cdn),
      TypeError,
    );
    await f.sandbox.fail("cdn_download", { kind: "http500" });
    const e500 = await downloadMedia(media, cdn).catch((e) => e);
    assert.ok(e500 instanceof CdnError && e500.status === 500 && e500.retryable);
  });
});

Deno.test("mediaItemFor builds the official item shapes (spec §4.6.5)", () => {
  const aesKeyHex = "000102030405060708090a0b0c0d0e0f";
  const formatB = "MDAwMTAyMDMwNDA1MDYwNzA4MDkwYTBiMGMwZDBlMGY=";
  assert.equal(encodeAesKeyForSend(fromHex(aesKeyHex)), formatB);
  const base = { filekey: "f".repeat(32), downloadParam: "a+b/c=", aesKeyHex, fileName: "" };
  const media = { encrypt_query_param: "a+b/c=", aes_key: formatB, encrypt_type: 1 };
  const item = (mediaType: UploadMediaType, extra: Partial<UploadedMedia> = {}): WireMessageItem =>
    mediaItemFor({ ...base, mediaType, fileSize: 5, cipherSize: 16, ...extra });
  assert.deepEqual(item(UploadMediaType.IMAGE), { type: 2, image_item: { media, mid_size: 16 } });
  assert.deepEqual(item(UploadMediaType.VIDEO), { type: 5, video_item: { media, video_size: 16 } });
  assert.deepEqual(item(UploadMediaType.FILE, { fileName: "r.pdf" }), {
    type: 4,
    file_item: { media, file_name: "r.pdf", len: "5" },
  });
  assert.deepEqual(item(UploadMediaType.VOICE), { type: 3, voice_item: { media } });
  assert.throws(() => item(7 as UploadMediaType), RangeError);
});

Deno.test("cdnUrl: a URL on the base's origin with every value intact, or a TypeError", () => {
  const token = "ab+c/d==";
  assert.equal(
    cdnUrl("https://novac2c.cdn.weixin.qq.com/c2c//", "download", { encrypted_query_param: token }),
    "https://novac2c.cdn.weixin.qq.com/c2c/download?encrypted_query_param=ab%2Bc%2Fd%3D%3D",
  );
  assert.equal(
    cdnUrl("http://[::1]:9000", "upload", { encrypted_query_param: "p", filekey: "0a" }),
    "http://[::1]:9000/upload?encrypted_query_param=p&filekey=0a",
  );
  // Found by the fuzzer. A lone surrogate made encodeURIComponent throw a URIError; the bases
  // gave "/download?…" (not a URL) or put the action inside the base's query.
  const refused: [string, string][] = [
    ["https://novac2c.cdn.weixin.qq.com/c2c", "\udbff"],
    ["", "token"],
    ["http:", "token"],
    ["s:?", "token"],
    ["https://cdn.example/c2c?", "token"],
    ["https://cdn.example/c2c#x", "token"],
    ["file:///tmp", "token"],
  ];
  for (const [base, value] of refused) {
    assert.throws(
      () => cdnUrl(base, "download", { encrypted_query_param: value }),
      TypeError,
      `${JSON.stringify(base)} ${JSON.stringify(value)}`,
    );
  }
});
