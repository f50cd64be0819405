/**
 * The runtime-agnostic core, proven outside Deno. `src/core.ts` is bundled into one ESM file
 * (`deno bundle`), then:
 *
 * - **Node** runs `core_check.mjs` with it: the AES-128-ECB known answers through both backends,
 *   a QR login with `ILinkApi` against a sandbox started here, `getUpdates` of a message with an
 *   image, and `downloadMedia` of that image from the sandbox CDN, once with `WEILINK_AES=pure`
 *   and once with `WEILINK_AES=native`.
 * - **Bun** (from npm) runs the same program, when a Bun binary runs on this machine.
 * - **Chromium** loads the bundle in a page and runs the vectors and `downloadMedia` there, where
 *   only the pure backend exists. The sandbox sends no CORS headers, so a page on another origin
 *   cannot read its CDN: the page's server forwards `/c2c/download` to the sandbox CDN byte for
 *   byte (and the page checks that the direct request is refused), so the page's own `fetch`,
 *   its download code and its decryption all run in the browser.
 *
 * Ignored only where Chromium or Bun are missing; a bundling failure fails every test.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { ILinkApi } from "../../src/protocol/mod.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/mod.ts";
import { CHROMIUM, launchChromium } from "../web/chromium.ts";
import { bundleCore, prepareBun } from "./core_bundle.ts";

const CHECK = new URL("./core_check.mjs", import.meta.url).pathname;

/** AES-128-ECB with PKCS#7 known answers: NIST SP 800-38A F.1 and docs/protocol.md §7. */
const VECTORS = [
  {
    // The four NIST blocks, then the PKCS#7 padding block (16 x 0x10) under the same key.
    name: "NIST SP 800-38A F.1.1, 4 blocks + padding",
    key: "2b7e151628aed2a6abf7158809cf4f3c",
    plain: "6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51" +
      "30c81c46a35ce411e5fbc1191a0a52eff69f2445df4f9b17ad2b417be66c3710",
    cipher: "3ad77bb40d7a3660a89ecaf32466ef97f5d3d58503b9699de785895a96fdbaaf" +
      "43b1cd7f598ece23881b00e3ed0306887b0c785e27e8ad3f8223207104725dd4" +
      "a254be88e037ddd9d79fb6411c3f9df8",
  },
  {
    name: "§7 V2 empty",
    key: "000102030405060708090a0b0c0d0e0f",
    plain: "",
    cipher: "954f64f2e4e86e9eee82d20216684899",
  },
  {
    name: "§7 V3 one full block",
    key: "000102030405060708090a0b0c0d0e0f",
    plain: "00112233445566778899aabbccddeeff",
    cipher: "69c4e0d86a7b0430d8cdb78070b4c55a954f64f2e4e86e9eee82d20216684899",
  },
  {
    name: "§7 V4 hello",
    key: "000102030405060708090a0b0c0d0e0f",
    plain: "68656c6c6f",
    cipher: "5d8749e2af7531b2bf6661e9e5daf012",
  },
  {
    name: "§7 V5 15 x 0x41",
    key: "000102030405060708090a0b0c0d0e0f",
    plain: "41".repeat(15),
    cipher: "31e33487089e8df9770b33365557aba9",
  },
  {
    name: "§7 V6 17 x 0x41",
    key: "000102030405060708090a0b0c0d0e0f",
    plain: "41".repeat(17),
    cipher: "dd4b1a0b47daa7067d0b59d95d58a6aedccc6f2b042ab165aab7eceea77c196c",
  },
];

/** What the runtime computed for each vector. */
type AesResults = { encrypted: string; decrypted: string }[] | { error: string };

function assertVectors(results: AesResults | undefined, label: string): void {
  assert.ok(Array.isArray(results), `${label}: ${JSON.stringify(results)}`);
  assert.equal(results.length, VECTORS.length, label);
  VECTORS.forEach((v, i) => {
    assert.equal(results[i]?.encrypted, v.cipher, `${label}: ${v.name}, encrypt`);
    assert.equal(results[i]?.decrypted, v.plain, `${label}: ${v.name}, decrypt`);
  });
}

function md5(bytes: Uint8Array): string {
  return createHash("md5").update(bytes).digest("hex");
}

/** An image of a few AES blocks with an odd tail, random each run. */
function testImage(): Uint8Array {
  const image = new Uint8Array(70_001);
  // getRandomValues fills at most 64 KiB per call.
  for (let at = 0; at < image.length; at += 65_536) {
    crypto.getRandomValues(image.subarray(at, at + 65_536));
  }
  image.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  return image;
}

/** What `core_check.mjs` reported, step by step. */
interface CheckReport {
  aes: { runtime: string; active: string; results: Record<string, AesResults> };
  media: { backend: string; size: number; md5: string; text: string | null };
}

/**
 * Runs `core_check.mjs` under `runtime` with `WEILINK_AES=<backend>`, playing the phone: it
 * confirms the QR login the program asks for, then injects a message with `image`.
 */
async function runCheck(
  runtime: string,
  backend: "pure" | "native",
  sandbox: Sandbox,
  image: Uint8Array,
): Promise<CheckReport> {
  const bundle = await bundleCore();
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(runtime, {
      args: [CHECK, bundle, sandbox.baseUrl, sandbox.cdnBaseUrl, JSON.stringify(VECTORS)],
      env: { WEILINK_AES: backend, NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
  } catch (error) {
    throw new Error(`Cannot run "${runtime}": ${error instanceof Error ? error.message : error}`);
  }
  const stderr = new Response(child.stderr).text();
  const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
  const report: Partial<CheckReport> = {};
  try {
    let buffer = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        const step = JSON.parse(line) as { step: string } & Record<string, unknown>;
        if (step.step === "aes") report.aes = step as unknown as CheckReport["aes"];
        if (step.step === "qr") await sandbox.confirmLogin({ qrcode: step.qrcode as string });
        if (step.step === "logged_in") await sandbox.injectMessage({ text: "photo", image });
        if (step.step === "media") report.media = step as unknown as CheckReport["media"];
      }
    }
    const status = await child.status;
    assert.equal(status.code, 0, `${runtime} core_check.mjs failed:\n${await stderr}`);
  } finally {
    clearTimeout(timer);
    await stderr.catch(() => {});
  }
  assert.ok(report.aes && report.media, `incomplete report: ${JSON.stringify(report)}`);
  return report as CheckReport;
}

/**
 * Both backends, each chosen through `WEILINK_AES`, against one sandbox each. `expected` is the
 * start of the runtime's own name and version (`node `, `bun `).
 */
async function checkRuntime(runtime: string, expected: string): Promise<void> {
  for (const backend of ["pure", "native"] as const) {
    const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
    try {
      const image = testImage();
      const report = await runCheck(runtime, backend, sandbox, image);
      assert.ok(report.aes.runtime.startsWith(expected), report.aes.runtime);
      console.log(`${report.aes.runtime}, WEILINK_AES=${backend}: ok`);
      assertVectors(report.aes.results.pure, `${runtime}, pure backend`);
      assertVectors(report.aes.results.native, `${runtime}, native backend`);
      assert.equal(report.aes.active, backend, "WEILINK_AES chose the default backend");
      assert.equal(report.media.backend, backend);
      assert.equal(report.media.size, image.length);
      assert.equal(report.media.md5, md5(image), `${runtime} decrypted the image exactly`);
      assert.equal(report.media.text, "photo");
      assert.deepEqual(await sandbox.violations(), []);
    } finally {
      await sandbox.close();
    }
  }
}

Deno.test("core bundle: one self-contained file", async () => {
  const code = await Deno.readTextFile(await bundleCore());
  assert.match(code, /export \{[^}]*\bILinkApi\b[^}]*\}/, "exports the protocol client");
  assert.match(code, /export \{[^}]*\bdownloadMedia\b[^}]*\}/);
  assert.doesNotMatch(code, /\bDeno\.[a-z]\w*\s*[.(]/, "no call into the Deno namespace");
});

Deno.test("core bundle under Node: AES vectors, QR login, getUpdates, downloadMedia", async () => {
  await checkRuntime("node", "node ");
});

const bun = await prepareBun();
if ("reason" in bun) console.warn(`Bun test ignored: ${bun.reason}`);

Deno.test({
  name: "core bundle under Bun: AES vectors, QR login, getUpdates, downloadMedia",
  ignore: !("path" in bun),
  fn: async () => {
    await checkRuntime((bun as { path: string }).path, "bun ");
  },
});

Deno.test({
  name: "core bundle in Chromium: the page downloads and decrypts CDN media (pure AES)",
  ignore: CHROMIUM === undefined,
  fn: async () => {
    const bundle = await Deno.readTextFile(await bundleCore());
    const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
    const page = pageServer(bundle, sandbox.cdnBaseUrl);
    const browser = await launchChromium();
    try {
      // The message comes from the sandbox like any bot would get it; the page gets it raw.
      const { qrcode } = await new ILinkApi({ qrBaseUrl: sandbox.baseUrl }).getBotQrcode();
      const { token } = await sandbox.confirmLogin({ qrcode });
      const image = testImage();
      await sandbox.injectMessage({ image });
      const api = new ILinkApi({ baseUrl: sandbox.baseUrl, token });
      const [raw] = (await api.getUpdates("", { timeoutMs: 5_000 })).msgs;
      assert.ok(raw, "the sandbox delivered the message");

      const tab = await browser.newPage();
      await tab.goto(page.url);
      await tab.waitForFunction(() => (globalThis as { core?: unknown }).core !== undefined);
      const result = await tab.evaluate(browserCheck, {
        raw: JSON.parse(JSON.stringify(raw)),
        vectors: VECTORS,
        sandboxCdn: sandbox.cdnBaseUrl,
      });
      assertVectors(result.aes, "Chromium, pure backend");
      assert.equal(result.active, "pure", "a browser has no node:crypto");
      assert.match(result.nativeError, /Cannot use AES backend "native"/);
      assert.match(result.direct, /^TypeError/, "the sandbox CDN is not readable cross-origin");
      assert.equal(result.size, image.length);
      assert.equal(md5(Uint8Array.from(result.bytes)), md5(image), "decrypted in the page");
      assert.ok(page.forwarded() >= 1, "the page fetched the ciphertext through its server");
    } finally {
      await browser.close();
      await page.close();
      await sandbox.close();
    }
  },
});

/** What the page reports. */
interface BrowserResult {
  active: string;
  aes: AesResults;
  nativeError: string;
  direct: string;
  size: number;
  bytes: number[];
}

/** Runs in the page: the bundle is `globalThis.core`. */
async function browserCheck(
  { raw, vectors, sandboxCdn }: { raw: unknown; vectors: typeof VECTORS; sandboxCdn: string },
): Promise<BrowserResult> {
  // deno-lint-ignore no-explicit-any
  const core = (globalThis as any).core;
  const aes = vectors.map((v) => ({
    encrypted: core.toHex(core.encryptAesEcb(core.fromHex(v.plain), core.fromHex(v.key), {
      backend: "pure",
    })),
    decrypted: core.toHex(core.decryptAesEcb(core.fromHex(v.cipher), core.fromHex(v.key), {
      backend: "pure",
    })),
  }));
  let nativeError = "";
  try {
    core.encryptAesEcb(new Uint8Array(1), new Uint8Array(16), { backend: "native" });
  } catch (error) {
    nativeError = String((error as Error).message);
  }
  const message = core.Message.fromWire(raw);
  const param = encodeURIComponent(message.image.media.encryptQueryParam);
  let direct: string;
  try {
    const res = await fetch(`${sandboxCdn}/download?encrypted_query_param=${param}`);
    direct = `readable: HTTP ${res.status}`;
  } catch (error) {
    direct = `${(error as Error).name}: ${(error as Error).message}`;
  }
  const bytes: Uint8Array = await core.downloadMedia(message.image.media, {
    aesKeyHex: message.image.aesKeyHex,
    cdnBaseUrl: `${location.origin}/c2c`,
  });
  return {
    active: core.activeAesBackend(),
    aes,
    nativeError,
    direct,
    size: bytes.length,
    bytes: Array.from(bytes),
  };
}

/**
 * Serves the page, the bundle, and `/c2c/*` forwarded to the sandbox CDN unchanged (the CDN
 * sends no CORS headers, so the page can only read it from its own origin).
 */
function pageServer(bundle: string, cdnBaseUrl: string) {
  let forwarded = 0;
  const html = '<!doctype html><meta charset="utf-8"><title>WeiLink core</title>' +
    '<script type="module">import * as core from "/core.js"; globalThis.core = core;</script>';
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const url = new URL(req.url);
    if (url.pathname === "/") {
      return new Response(html, { headers: { "content-type": "text/html" } });
    }
    if (url.pathname === "/core.js") {
      return new Response(bundle, { headers: { "content-type": "text/javascript" } });
    }
    if (url.pathname.startsWith("/c2c/")) {
      forwarded++;
      const upstream = await fetch(`${cdnBaseUrl}${url.pathname.slice(4)}${url.search}`);
      return new Response(upstream.body, {
        status: upstream.status,
        headers: {
          "content-type": upstream.headers.get("content-type") ?? "application/octet-stream",
        },
      });
    }
    return new Response("not found", { status: 404 });
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}/`,
    forwarded: () => forwarded,
    close: () => server.shutdown(),
  };
}
