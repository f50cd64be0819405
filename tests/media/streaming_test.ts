/**
 * Media that never sits in memory whole: uploads from a file path and downloads streamed into a
 * file with `to:`, through a real client against the sandbox over HTTP. A small relay in front
 * of the sandbox's CDN cuts, stalls or un-sizes the answer where a test needs the CDN to fail
 * midway.
 */
import assert from "node:assert/strict";
import {
  AesError,
  decodeAesKey,
  decryptAesEcb,
  encodeAesKeyForSend,
  encryptAesEcb,
  fromHex,
  md5Hex,
} from "../../src/crypto/mod.ts";
import { CdnError } from "../../src/media/mod.ts";
import type { Message, UploadedMedia } from "../../src/models/mod.ts";
import { modeOf, type Rig, startRig } from "../client/harness.ts";

const MiB = 1024 * 1024;

function bytes(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed * 2654435761 >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x;
  }
  return out;
}

/** Names in `dir`, sorted. */
async function listDir(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(dir)) names.push(e.name);
  return names.sort();
}

/** A rig logged in, with a user who wrote (so uploads have a recipient) and a folder for files. */
async function setUp(): Promise<{ rig: Rig; to: string; out: string }> {
  const rig = await startRig();
  await rig.login();
  await rig.sandbox.injectMessage({ text: "hi" });
  const [hi] = await rig.wl.recv({ timeout: 2 });
  const out = `${rig.dir}/out`;
  await Deno.mkdir(out);
  return { rig, to: hi!.fromUser, out };
}

/** A received file message whose media is `media` (an upload, or another message's file). */
async function fileMessage(
  rig: Rig,
  media: { param: string; aesKey: string; fullUrl?: string },
  fields: { md5?: string; len: number },
): Promise<Message> {
  await rig.sandbox.injectMessage({
    items: [{
      type: 4,
      file_item: {
        media: {
          encrypt_query_param: media.param,
          aes_key: media.aesKey,
          encrypt_type: 1,
          ...(media.fullUrl ? { full_url: media.fullUrl } : {}),
        },
        file_name: "data.bin",
        ...(fields.md5 === undefined ? {} : { md5: fields.md5 }),
        len: String(fields.len),
      },
    }],
  });
  const [msg] = await rig.wl.recv({ timeout: 2 });
  assert.ok(msg?.file, "a file message arrived");
  return msg;
}

function uploadedAsMedia(up: UploadedMedia) {
  return { param: up.downloadParam, aesKey: encodeAesKeyForSend(fromHex(up.aesKeyHex)) };
}

/** Injects `data` as a plain file message (the sandbox encrypts it with a fresh key). */
async function injectedFile(rig: Rig, data: Uint8Array): Promise<Message> {
  await rig.sandbox.injectMessage({ file: data, fileName: "big.bin" });
  const [msg] = await rig.wl.recv({ timeout: 2 });
  assert.ok(msg?.file);
  return msg;
}

type RelayMode =
  | { kind: "cut"; after: number }
  | { kind: "stall"; after: number }
  | { kind: "unsized" };

/**
 * A CDN in front of the sandbox's: it fetches the real answer and passes it on, except that it
 * ends the connection after `after` bytes (`cut`), stops sending (`stall`), or drops the
 * `Content-Length` (`unsized`, sent chunked).
 */
function startRelay(target: string, mode: RelayMode): { url: string; close(): Promise<void> } {
  const stalls: (() => void)[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, async (req) => {
    const path = new URL(req.url);
    const upstream = await fetch(`${target}${path.pathname.replace(/^\/c2c/, "")}${path.search}`);
    const reader = upstream.body!.getReader();
    let sent = 0;
    const body = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const { done, value } = await reader.read();
        if (done) return controller.close();
        if (mode.kind !== "unsized" && sent + value.length > mode.after) {
          controller.enqueue(value.subarray(0, mode.after - sent));
          if (mode.kind === "cut") return controller.error(new Error("relay cut"));
          await new Promise<void>((resolve) => stalls.push(resolve));
          return controller.close();
        }
        sent += value.length;
        controller.enqueue(value);
      },
      cancel: () => reader.cancel(),
    });
    const headers = new Headers(upstream.headers);
    if (mode.kind === "unsized") headers.delete("content-length");
    return new Response(body, { status: upstream.status, headers });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/c2c`,
    async close() {
      for (const resume of stalls) resume();
      await server.shutdown();
    },
  };
}

Deno.test("streaming: upload from a path and download to a file round-trip every size", async () => {
  const { rig, to, out } = await setUp();
  try {
    const sizes = [0, 1, 15, 16, 17, 31, 32, 33, 65_535, 65_536, 65_537, MiB - 1, MiB, MiB + 1];
    sizes.push(3 * MiB + 7);
    for (const [i, size] of sizes.entries()) {
      const data = bytes(size, i + 1);
      const source = `${rig.dir}/source-${size}.bin`;
      await Deno.writeFile(source, data);
      const up = await rig.wl.upload(to, { path: source }, "file");
      assert.equal(up.fileSize, size);
      assert.equal(up.fileName, `source-${size}.bin`);
      const msg = await fileMessage(rig, uploadedAsMedia(up), { md5: md5Hex(data), len: size });
      const path = `${out}/copy-${size}.bin`;
      const saved = await rig.wl.download(msg, { to: path });
      assert.deepEqual(saved, { path, bytes: size, md5: md5Hex(data) });
      assert.deepEqual(await Deno.readFile(path), data, `size ${size}`);
      assert.equal(await modeOf(path), 0o600);
      assert.deepEqual(await rig.wl.download(msg), data, "the in-memory download agrees");
    }
    assert.equal((await listDir(out)).filter((n) => n.endsWith(".part")).length, 0);
  } finally {
    await rig.close();
  }
});

Deno.test("streaming: a path upload sends the same bytes as a Uint8Array upload", async () => {
  const { rig, to } = await setUp();
  try {
    const data = bytes(100_003, 7);
    const source = `${rig.dir}/report.pdf`;
    await Deno.writeFile(source, data);
    const res = await rig.wl.send(to, { file: [{ path: source }, data], fileName: ["", "b.pdf"] });
    assert.equal(res.success, true, res.error);
    const sent = await rig.sandbox.sent({ to });
    assert.deepEqual(sent.map((s) => s.fileName), ["report.pdf", "b.pdf"]);
    for (const s of sent) assert.deepEqual(s.media?.bytes, data);
    // A missing file fails before anything is reserved or sent.
    await assert.rejects(
      rig.wl.send(to, { file: { path: `${rig.dir}/nope.bin` } }),
      Deno.errors.NotFound,
    );
    assert.equal((await rig.sandbox.sent({ to })).length, 2);
  } finally {
    await rig.close();
  }
});

Deno.test("streaming: a file that does not match its MD5 leaves nothing behind", async () => {
  const { rig, to, out } = await setUp();
  try {
    const data = bytes(70_000, 3);
    const up = await rig.wl.upload(to, data, "file", "a.bin");
    const msg = await fileMessage(rig, uploadedAsMedia(up), { md5: "0".repeat(32), len: 70_000 });
    await assert.rejects(
      rig.wl.download(msg, { to: `${out}/a.bin` }),
      (e: unknown) => e instanceof CdnError && /does not match its MD5/.test(e.message),
    );
    assert.deepEqual(await listDir(out), []);
    // An existing file under that name is left as it was; a good download replaces it.
    await Deno.writeTextFile(`${out}/a.bin`, "old");
    await assert.rejects(rig.wl.download(msg, { to: `${out}/a.bin` }), CdnError);
    assert.equal(await Deno.readTextFile(`${out}/a.bin`), "old");
    const good = await fileMessage(rig, uploadedAsMedia(up), { md5: md5Hex(data), len: 70_000 });
    await rig.wl.download(good, { to: `${out}/a.bin`, mode: 0o640 });
    assert.deepEqual(await Deno.readFile(`${out}/a.bin`), data);
    assert.equal(await modeOf(`${out}/a.bin`), 0o640);
    assert.deepEqual(await listDir(out), ["a.bin"]);
  } finally {
    await rig.close();
  }
});

Deno.test("streaming: an abort midway rejects with its reason and leaves no file", async () => {
  const { rig, out } = await setUp();
  try {
    const msg = await injectedFile(rig, bytes(4 * MiB, 5));
    const controller = new AbortController();
    const reason = new Error("stop");
    const progress: number[] = [];
    await assert.rejects(
      rig.wl.download(msg, {
        to: `${out}/big.bin`,
        signal: controller.signal,
        onProgress: (done) => {
          progress.push(done);
          controller.abort(reason);
        },
      }),
      (e: unknown) => e === reason,
    );
    assert.ok(progress.length >= 1 && progress[0]! < 4 * MiB + 16, "aborted after a first piece");
    assert.deepEqual(await listDir(out), []);
  } finally {
    await rig.close();
  }
});

Deno.test("streaming: a CDN that fails or stalls midway leaves no file", async () => {
  const { rig, out } = await setUp();
  const relays: { close(): Promise<void> }[] = [];
  try {
    const data = bytes(2 * MiB, 9);
    const msg = await injectedFile(rig, data);
    const cut = startRelay(rig.sandbox.cdnBaseUrl, { kind: "cut", after: 300_000 });
    const stall = startRelay(rig.sandbox.cdnBaseUrl, { kind: "stall", after: 300_000 });
    relays.push(cut, stall);
    // The message's full_url points at the sandbox, not an allowed host of these clients: the
    // download goes through the relay's `/download`.
    const viaCut = rig.client({ cdnBaseUrl: cut.url });
    await assert.rejects(
      viaCut.download(msg, { to: `${out}/cut.bin` }),
      (e: unknown) => e instanceof CdnError && e.retryable,
    );
    const viaStall = rig.client({ cdnBaseUrl: stall.url });
    const progress: number[] = [];
    await assert.rejects(
      viaStall.download(msg, {
        to: `${out}/stall.bin`,
        timeoutMs: 500,
        onProgress: (d) => progress.push(d),
      }),
      (e: unknown) => e instanceof CdnError && /timed out after 500 ms/.test(e.message),
    );
    assert.ok(progress.length > 0, "data arrived before the stall");
    assert.deepEqual(await listDir(out), []);
    // The buffered path fails the same way.
    await assert.rejects(viaCut.download(msg), (e: unknown) => e instanceof CdnError);
  } finally {
    for (const r of relays) await r.close();
    await rig.close();
  }
});

Deno.test("streaming: maxBytes is enforced on the declared and on the received length", async () => {
  const { rig, out } = await setUp();
  const relay = startRelay(rig.sandbox.cdnBaseUrl, { kind: "unsized" });
  try {
    const data = bytes(MiB, 11);
    const msg = await injectedFile(rig, data);
    await assert.rejects(
      rig.wl.download(msg, { to: `${out}/a.bin`, maxBytes: 500_000 }),
      (e: unknown) => e instanceof RangeError && /exceed the limit of/.test(e.message),
    );
    const unsized = rig.client({ cdnBaseUrl: relay.url });
    const progress: [number, number][] = [];
    await assert.rejects(
      unsized.download(msg, {
        to: `${out}/b.bin`,
        maxBytes: 500_000,
        onProgress: (d, t) => progress.push([d, t]),
      }),
      (e: unknown) => e instanceof RangeError && /received, the limit/.test(e.message),
    );
    assert.ok(progress.every(([d, t]) => d <= 500_000 && t === 0), "no total without a length");
    assert.deepEqual(await listDir(out), []);
    const saved = await unsized.download(msg, { to: `${out}/c.bin`, maxBytes: MiB + 16 });
    assert.equal(saved.bytes, MiB);
    assert.deepEqual(await Deno.readFile(`${out}/c.bin`), data);
  } finally {
    await relay.close();
    await rig.close();
  }
});

Deno.test("streaming: a wrong key fails the padding check as the in-memory download does", async () => {
  const { rig, out } = await setUp();
  try {
    const data = bytes(5000, 13);
    const good = await injectedFile(rig, data);
    const key = decodeAesKey(good.file!.media.aesKey!);
    const cipher = encryptAesEcb(data, key);
    // A wrong key that fails the padding check (about 255 keys in 256 do).
    let wrong = new Uint8Array(16);
    for (let i = 1;; i++) {
      wrong = new Uint8Array(16).fill(i);
      try {
        decryptAesEcb(cipher, wrong);
      } catch {
        break;
      }
    }
    const msg = await fileMessage(rig, {
      param: good.file!.media.encryptQueryParam!,
      aesKey: encodeAesKeyForSend(wrong),
    }, { len: data.length });
    const inMemory = await rig.wl.download(msg).then(() => undefined, (e: unknown) => e);
    assert.ok(inMemory instanceof AesError && inMemory.code === "padding");
    await assert.rejects(
      rig.wl.download(msg, { to: `${out}/x.bin` }),
      (e: unknown) =>
        e instanceof AesError && e.code === inMemory.code && e.message === inMemory.message,
    );
    assert.deepEqual(await listDir(out), []);
  } finally {
    await rig.close();
  }
});

Deno.test("streaming: a path that is not a file name is refused before any request", async () => {
  const { rig, out } = await setUp();
  try {
    const msg = await injectedFile(rig, bytes(10, 1));
    await assert.rejects(rig.wl.download(msg, { to: `${out}/` }), TypeError);
    await assert.rejects(
      rig.wl.download(msg, { to: `${out}/missing/x.bin` }),
      Deno.errors.NotFound,
    );
    assert.deepEqual(await listDir(out), []);
  } finally {
    await rig.close();
  }
});
