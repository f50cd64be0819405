import assert from "node:assert/strict";
import { NoContextError, NotLoggedInError } from "../../src/client/mod.ts";
import { ILinkError, QuotaExhaustedError, TextTooLongError } from "../../src/protocol/mod.ts";
import { CdnError } from "../../src/media/mod.ts";
import { md5Hex } from "../../src/crypto/mod.ts";
import { MessageType } from "../../src/models/mod.ts";
import { readJson, startRig } from "./harness.ts";

function bytes(n: number, seed: number): Uint8Array<ArrayBuffer> {
  return Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
}

Deno.test("messaging: every inbound media type is received and downloaded", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    const image = bytes(1000, 1),
      voice = bytes(333, 2),
      file = bytes(4096, 3),
      video = bytes(5000, 4);
    await rig.sandbox.injectMessage({ image });
    await rig.sandbox.injectMessage({ voice, voiceText: "transcript" });
    await rig.sandbox.injectMessage({ file, fileName: "report.pdf" });
    await rig.sandbox.injectMessage({ video });
    await rig.sandbox.injectMessage({ text: "caption", image: bytes(17, 5) });
    const msgs = [];
    while (msgs.length < 5) msgs.push(...await rig.wl.recv({ timeout: 2 }));
    assert.deepEqual(msgs.map((m) => m.msgType), [
      MessageType.IMAGE,
      MessageType.VOICE,
      MessageType.FILE,
      MessageType.VIDEO,
      MessageType.TEXT,
    ]);
    assert.deepEqual(await rig.wl.download(msgs[0]!), image);
    assert.deepEqual(await rig.wl.download(msgs[1]!), voice);
    assert.equal(msgs[1]!.voice?.text, "transcript");
    assert.deepEqual(await rig.wl.download(msgs[2]!), file);
    assert.equal(msgs[2]!.file?.fileName, "report.pdf");
    assert.deepEqual(await rig.wl.download(msgs[3]!), video);
    // Every item is kept: the text message also carries the image.
    assert.equal(msgs[4]!.items.length, 2);
    assert.deepEqual(await rig.wl.download(msgs[4]!), bytes(17, 5));
    await assert.rejects(rig.wl.download(msgs[4]!, { index: 0 }), TypeError);
    for (const m of msgs) assert.match(m.messageId ?? "", /^\d+$/);
  } finally {
    await rig.close();
  }
});

Deno.test("messaging: send text then every media item, verified by md5 on the server", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    await rig.sandbox.injectMessage({ text: "hi" });
    const [msg] = await rig.wl.recv({ timeout: 2 });
    const to = msg!.fromUser;
    const image = bytes(2000, 7), voice = bytes(100, 8), video = bytes(7777, 9);
    const fileBytes = bytes(1234, 10);
    const path = `${rig.dir}/notes.txt`;
    await Deno.writeFile(path, fileBytes);
    const streamed = bytes(64, 11);
    const res = await rig.wl.send(to, {
      text: "here you go",
      image: new Blob([image]),
      voice,
      file: [
        { path },
        new ReadableStream({
          start(c) {
            c.enqueue(streamed);
            c.close();
          },
        }),
      ],
      fileName: ["", "stream.bin"],
      video,
    });
    assert.equal(res.success, true, res.error);
    assert.equal(res.messageIds.length, 6);
    assert.equal(res.remaining, 4);
    const sent = await rig.sandbox.sent({ to });
    assert.deepEqual(sent.map((s) => s.type), [1, 2, 3, 4, 4, 5]);
    assert.equal(sent[0]!.text, "here you go");
    assert.equal(sent[1]!.media?.md5, md5Hex(image));
    assert.equal(sent[2]!.media?.md5, md5Hex(voice));
    assert.equal(sent[3]!.media?.md5, md5Hex(fileBytes));
    assert.equal(sent[3]!.fileName, "notes.txt");
    assert.equal(sent[4]!.media?.md5, md5Hex(streamed));
    assert.equal(sent[4]!.fileName, "stream.bin");
    assert.equal(sent[5]!.media?.md5, md5Hex(video));
    assert.deepEqual(res.messageIds, sent.map((s) => s.messageId));

    // A pre-uploaded file is sent again without re-uploading.
    const uploaded = await rig.wl.upload(to, bytes(50, 12), "file", "again.bin");
    const r2 = await rig.wl.send(to, { file: [uploaded, uploaded] });
    assert.equal(r2.success, true, r2.error);
    assert.equal(r2.remaining, 2);
    const more = await rig.sandbox.sent({ to });
    assert.equal(more.at(-1)?.media?.md5, md5Hex(bytes(50, 12)));
    assert.equal(more.at(-1)?.fileName, "again.bin");
    // Outbound voice is delivered but flagged: the phone does not display it (spec §4.6).
    const rules = (await rig.sandbox.violations()).map((v) => v.rule);
    assert.deepEqual(rules, ["outbound_voice"]);
  } finally {
    await rig.close();
  }
});

Deno.test("messaging: quota and window are enforced before any request", async () => {
  let offset = 0;
  const rig = await startRig({}, { now: () => Date.now() + offset });
  try {
    await rig.login();
    await rig.sandbox.injectMessage({ text: "hi" });
    const [msg] = await rig.wl.recv({ timeout: 2 });
    const to = msg!.fromUser;
    await assert.rejects(
      rig.wl.send("stranger@im.wechat", "x"),
      (e: unknown) => e instanceof NoContextError && e.reason === "missing",
    );
    await assert.rejects(rig.wl.send(to, { text: "x".repeat(16_385) }), TextTooLongError);
    await assert.rejects(rig.wl.send(to, {}), TypeError);
    await assert.rejects(rig.wl.send(to, { file: bytes(3, 1) }), TypeError, "file needs a name");
    for (let i = 0; i < 9; i++) assert.equal((await rig.wl.send(to, `m${i}`)).remaining, 9 - i);
    // One left: a two-part send is refused as a whole, before any request.
    await assert.rejects(rig.wl.send(to, { text: "a", image: bytes(5, 1) }), QuotaExhaustedError);
    assert.equal((await rig.wl.send(to, "last")).remaining, 0);
    await assert.rejects(rig.wl.send(to, "eleventh"), QuotaExhaustedError);
    assert.equal((await rig.sandbox.sent({ to })).length, 10);
    const ctx = await readJson(`${rig.dir}/default/contexts.json`);
    assert.equal((ctx[to] as { sc: number }).sc, 10);

    // A new inbound message opens a new quota; 24 h later the window is closed.
    await rig.sandbox.injectMessage({ text: "again" });
    await rig.wl.recv({ timeout: 2 });
    assert.equal((await rig.wl.send(to, "ok")).remaining, 9);
    offset = 24 * 3600_000 + 1000;
    await assert.rejects(
      rig.wl.send(to, "late"),
      (e: unknown) => e instanceof NoContextError && e.reason === "expired",
    );
    assert.deepEqual(await rig.sandbox.violations(), []);
  } finally {
    await rig.close();
  }
});

Deno.test("messaging: a server refusal is a result, and the reservation is given back", async () => {
  const rig = await startRig();
  try {
    await assert.rejects(rig.wl.send("u@im.wechat", "x"), NotLoggedInError);
    await rig.login();
    await rig.sandbox.injectMessage({ text: "hi" });
    const [msg] = await rig.wl.recv({ timeout: 2 });
    await rig.sandbox.fail("sendmessage", { kind: "ret", ret: -2, errmsg: "prepare failed" });
    const res = await rig.wl.send(msg!.fromUser, { text: "a", image: bytes(9, 9) });
    assert.equal(res.success, false);
    assert.match(res.error ?? "", /ret -2/);
    assert.ok(res.cause instanceof ILinkError && res.cause.ret === -2, "the typed cause is kept");
    assert.deepEqual(res.messageIds, []);
    assert.equal(res.remaining, 10);
    await rig.sandbox.fail("cdn_upload", { kind: "ret", errmsg: "bad upload" });
    const partial = await rig.wl.send(msg!.fromUser, { text: "a", image: bytes(9, 9) });
    assert.equal(partial.success, false);
    assert.equal(partial.messageIds.length, 1, "the text went out");
    assert.ok(partial.cause instanceof CdnError);
    assert.equal(partial.remaining, 9);
  } finally {
    await rig.close();
  }
});

Deno.test("messaging: typing uses a cached ticket that expires", async () => {
  let offset = 0;
  let getconfig = 0;
  const countingFetch: typeof fetch = (input, init) => {
    if (String(input instanceof Request ? input.url : input).includes("getconfig")) getconfig++;
    return fetch(input, init);
  };
  const rig = await startRig({}, { now: () => Date.now() + offset, fetch: countingFetch });
  try {
    await rig.login();
    await rig.sandbox.injectMessage({ text: "hi" });
    const [msg] = await rig.wl.recv({ timeout: 2 });
    assert.equal(await rig.wl.sendTyping(msg!.fromUser), true);
    assert.equal(await rig.wl.stopTyping(msg!.fromUser), true);
    assert.equal(getconfig, 1);
    offset = 13 * 3600_000;
    assert.equal(await rig.wl.sendTyping(msg!.fromUser), true);
    assert.equal(getconfig, 2, "a stale ticket is fetched again");
    await rig.sandbox.fail("getconfig", { kind: "ret", ret: -1 });
    offset = 26 * 3600_000;
    assert.equal(await rig.wl.sendTyping(msg!.fromUser), false);
    assert.deepEqual(await rig.sandbox.violations(), []);
  } finally {
    await rig.close();
  }
});

Deno.test("messaging: messages delivered again (a replayed cursor) reach the caller once", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    await rig.sandbox.injectMessage({ text: "one" });
    await rig.sandbox.injectMessage({ text: "two" });
    const first = await rig.wl.recv({ timeout: 2 });
    assert.deepEqual(first.map((m) => m.text), ["one", "two"]);

    // Another process rewinds the cursor on disk: the server delivers both messages again.
    const tokenPath = `${rig.dir}/default/token.json`;
    const token = await readJson(tokenPath);
    await Deno.writeTextFile(tokenPath, JSON.stringify({ ...token, cursor: "" }));
    await rig.sandbox.injectMessage({ text: "three" });
    const again = await rig.wl.recv({ timeout: 2 });
    assert.deepEqual(again.map((m) => m.text), ["three"], "the replayed messages are skipped");
  } finally {
    await rig.close();
  }
});

Deno.test("messaging: a download that does not match the file's MD5 is refused", async () => {
  const rig = await startRig();
  try {
    await rig.login();
    const data = bytes(700, 3);
    await rig.sandbox.injectMessage({ file: data, fileName: "a.bin" });
    const [good] = await rig.wl.recv({ timeout: 2 });
    assert.deepEqual(await rig.wl.download(good!), data);

    // The same CDN object announced with another MD5: a wrong key or a corrupted transfer.
    const m = good!.file!.media;
    await rig.sandbox.injectMessage({
      items: [{
        type: 4,
        file_item: {
          media: {
            encrypt_query_param: m.encryptQueryParam,
            aes_key: m.aesKey,
            encrypt_type: m.encryptType,
            full_url: m.fullUrl,
          },
          file_name: "a.bin",
          md5: "0".repeat(32),
          len: String(data.length),
        },
      }],
    });
    const [bad] = await rig.wl.recv({ timeout: 2 });
    await assert.rejects(
      rig.wl.download(bad!),
      (e: unknown) => e instanceof CdnError && /MD5/.test(e.message),
    );
  } finally {
    await rig.close();
  }
});
