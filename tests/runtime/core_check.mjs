// The runtime-agnostic core, run outside Deno: `core_runtimes_test.ts` starts this program
// under Node (and Bun) with the one-file bundle of src/core.ts and a sandbox started by the
// Deno test. Plain JavaScript on purpose: no TypeScript loader, no import map, nothing but the
// bundle.
//
//   node core_check.mjs <bundle.js> <sandbox base URL> <sandbox CDN base URL> <vectors JSON>
//
// It prints one JSON line per step on stdout, and the test answers through the sandbox:
//   {"step":"aes", …}          the known-answer vectors through both AES backends
//   {"step":"qr","qrcode":…}   waiting for the test to confirm this QR login
//   {"step":"logged_in",…}     the test now injects a message with an image
//   {"step":"media",…}         the image, downloaded from the CDN and decrypted; then it exits
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";

const [bundlePath, baseUrl, cdnBaseUrl, vectorsJson] = process.argv.slice(2);
const core = await import(pathToFileURL(bundlePath).href);
const {
  activeAesBackend,
  decryptAesEcb,
  downloadMedia,
  encryptAesEcb,
  fromHex,
  ILinkApi,
  Message,
  toHex,
} = core;

const say = (line) => process.stdout.write(JSON.stringify(line) + "\n");

// 1. AES-128-ECB known answers, each backend asked for by name, plus the default choice.
const vectors = JSON.parse(vectorsJson);
const aes = {};
for (const backend of ["pure", "native"]) {
  try {
    aes[backend] = vectors.map(({ key, plain, cipher }) => ({
      encrypted: toHex(encryptAesEcb(fromHex(plain), fromHex(key), { backend })),
      decrypted: toHex(decryptAesEcb(fromHex(cipher), fromHex(key), { backend })),
    }));
  } catch (error) {
    aes[backend] = { error: String(error?.message ?? error) };
  }
}
const runtime = process.versions.bun
  ? `bun ${process.versions.bun}`
  : `node ${process.versions.node}`;
say({ step: "aes", runtime, active: activeAesBackend(), results: aes });

// 2. A QR login through ILinkApi; the test plays the phone.
const qrApi = new ILinkApi({ qrBaseUrl: baseUrl });
const { qrcode } = await qrApi.getBotQrcode();
say({ step: "qr", qrcode });
let confirmed;
for (let i = 0; i < 60 && !confirmed; i++) {
  const status = await qrApi.getQrcodeStatus(qrcode, { timeoutMs: 5_000 });
  if (status.status === "confirmed") confirmed = status;
}
if (!confirmed) throw new Error("The QR login was never confirmed");
const api = new ILinkApi({ baseUrl: confirmed.baseurl || baseUrl, token: confirmed.bot_token });
say({ step: "logged_in", bot_id: confirmed.ilink_bot_id });

// 3. getupdates until the test's message arrives, then its image from the CDN.
let cursor = "";
let message;
for (let i = 0; i < 60 && !message; i++) {
  const result = await api.getUpdates(cursor, { timeoutMs: 5_000 });
  cursor = result.get_updates_buf;
  message = result.msgs.map((raw) => Message.fromWire(raw)).find((m) => m.image);
}
if (!message) throw new Error("No message with an image arrived");
const bytes = await downloadMedia(message.image.media, {
  aesKeyHex: message.image.aesKeyHex,
  cdnBaseUrl,
});
say({
  step: "media",
  backend: activeAesBackend(),
  size: bytes.length,
  // An MD5 of the runtime's own, not the bundle's: the bytes are checked independently.
  md5: createHash("md5").update(bytes).digest("hex"),
  text: message.text ?? null,
});
