/**
 * Drives the official Tencent client (`@tencent-weixin/openclaw-weixin`, compiled modules under
 * `dist/src/`) against a running WeiLink sandbox, under Node. Run by `official_client_test.ts`:
 *
 *   node driver.mjs <officialDist> <sandboxBaseUrl> <sandboxCdnBaseUrl> <workDir>
 *
 * Every protocol step is a call of the official client's own exported functions: QR login, the
 * getupdates long poll, inbound media download, getconfig, sendtyping, text and media sends
 * through its CDN upload path, notifystart/notifystop. The driver only chooses arguments,
 * generates the media files, and reports what happened as JSON lines prefixed with
 * `@@conformance ` on stdout (the official client writes its own lines there too). The test
 * answers on stdin with one JSON command per line.
 *
 * The official QR login always calls `https://ilinkai.weixin.qq.com` (and `https://<redirect_host>`
 * after an IDC redirect) and offers no override, while the sandbox speaks plain HTTP on loopback.
 * The driver therefore re-targets exactly those two origins to the sandbox, the way a hosts-file
 * entry plus a TLS-terminating proxy would; every other URL is fetched unchanged. Request and
 * response bodies are never touched.
 */

import { createHash, randomBytes } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import readline from "node:readline";
import { pathToFileURL } from "node:url";

const [officialDist, sandboxBaseUrl, cdnBaseUrl, workDir] = process.argv.slice(2);
if (!workDir) {
  process.stderr.write("usage: node driver.mjs <officialDist> <baseUrl> <cdnBaseUrl> <workDir>\n");
  process.exit(2);
}

const MARK = "@@conformance ";
const emit = (event) => process.stdout.write(`${MARK}${JSON.stringify(event)}\n`);
const md5 = (bytes) => createHash("md5").update(bytes).digest("hex");

/** Fails the run with a message the test shows. */
function fail(step, detail) {
  emit({ event: "error", step, detail: String(detail) });
  process.exit(1);
}

// ------------------------------------------------------------------ transport re-targeting

const FIXED_QR_ORIGIN = "https://ilinkai.weixin.qq.com";
const sandboxOrigin = new URL(sandboxBaseUrl).origin;
const redirectOrigin = `https://${new URL(sandboxBaseUrl).host}`;
const retargeted = new Set();
const networkFetch = globalThis.fetch;
globalThis.fetch = (input, init) => {
  if (typeof input !== "string") fail("fetch", "the official client passed a non-string URL");
  let url = input;
  for (const origin of [FIXED_QR_ORIGIN, redirectOrigin]) {
    if (url === origin || url.startsWith(`${origin}/`)) {
      retargeted.add(origin);
      url = sandboxOrigin + url.slice(origin.length);
    }
  }
  return networkFetch(url, init);
};

// ------------------------------------------------------------------ the official modules

const dist = pathToFileURL(`${officialDist}/`);
const load = (file) => import(new URL(file, dist).href);
const api = await load("api/api.js");
const loginQr = await load("auth/login-qr.js");
const send = await load("messaging/send.js");
const sendMedia = await load("messaging/send-media.js");
const mediaDownload = await load("media/media-download.js");

const commands = readline.createInterface({ input: process.stdin })[Symbol.asyncIterator]();
async function nextCommand() {
  const { value, done } = await commands.next();
  if (done) fail("stdin", "the test closed stdin");
  return JSON.parse(value);
}

// ------------------------------------------------------------------ QR login

const started = await loginQr.startWeixinLoginWithQr({ force: true });
if (!started.qrcodeUrl) fail("startWeixinLoginWithQr", started.message);
emit({ event: "qr", qrcodeUrl: started.qrcodeUrl });
const login = await loginQr.waitForWeixinLogin({
  sessionKey: started.sessionKey,
  timeoutMs: 60_000,
});
if (!login.connected) fail("waitForWeixinLogin", login.message);
emit({
  event: "login",
  accountId: login.accountId,
  baseUrl: login.baseUrl,
  userId: login.userId,
  hasToken: typeof login.botToken === "string" && login.botToken !== "",
});
const account = { baseUrl: login.baseUrl, token: login.botToken };

const start = await api.notifyStart(account);
if (start.ret !== 0) fail("notifyStart", JSON.stringify(start));

// ------------------------------------------------------------------ receive

const poll = await nextCommand();
const messages = [];
let cursor = "";
for (let attempt = 0; messages.length < poll.expect; attempt++) {
  if (attempt >= 10) fail("getUpdates", `${messages.length} of ${poll.expect} messages arrived`);
  const resp = await api.getUpdates({ ...account, get_updates_buf: cursor, timeoutMs: 10_000 });
  if ((resp.ret ?? 0) !== 0 || (resp.errcode ?? 0) !== 0) fail("getUpdates", JSON.stringify(resp));
  if (resp.get_updates_buf) cursor = resp.get_updates_buf;
  messages.push(...(resp.msgs ?? []));
}

const mediaDir = path.join(workDir, "inbound");
const downloadErrors = [];
const received = [];
for (const msg of messages) {
  const items = [];
  for (const item of msg.item_list ?? []) {
    const seen = { type: item.type };
    const text = item.text_item?.text ?? item.voice_item?.text;
    if (text !== undefined) seen.text = text;
    if (item.file_item?.file_name) seen.fileName = item.file_item.file_name;
    // Read losslessly by the official parser (a string), although sent as a JSON number.
    if (item.ref_msg?.svr_id !== undefined) seen.refSvrId = item.ref_msg.svr_id;
    if (item.type >= 2 && item.type <= 5) {
      await mediaDownload.downloadMediaFromItem(item, {
        cdnBaseUrl,
        label: "conformance",
        log: () => {},
        errLog: (line) => downloadErrors.push(line),
        saveMedia: async (buf, _contentType, subdir, _maxBytes, name) => {
          seen.md5 = md5(buf);
          seen.size = buf.length;
          const dir = path.join(mediaDir, subdir ?? "");
          await fs.mkdir(dir, { recursive: true });
          const file = path.join(dir, `${received.length}-${items.length}-${name ?? "media"}`);
          await fs.writeFile(file, buf);
          return { path: file };
        },
      });
    }
    items.push(seen);
  }
  received.push({
    messageId: msg.message_id,
    from: msg.from_user_id,
    contextToken: msg.context_token,
    items,
  });
}
if (downloadErrors.length > 0) fail("downloadMediaFromItem", downloadErrors.join("; "));
emit({ event: "received", messages: received, cursorKept: cursor !== "" });

// ------------------------------------------------------------------ reply

const to = login.userId;
// The official channel answers with the newest context token it holds for the user.
const contextToken = received.at(-1).contextToken;
const replyOpts = { ...account, contextToken };

const config = await api.getConfig({ ...account, ilinkUserId: to, contextToken });
if (config.ret !== 0 || !config.typing_ticket) fail("getConfig", JSON.stringify(config));
const typing = (status) =>
  api.sendTyping({
    ...account,
    body: { ilink_user_id: to, typing_ticket: config.typing_ticket, status },
  });
await typing(1);

const sends = [];
const text = "hello from the official client";
const sentText = await send.sendMessageWeixin({ to, text, opts: replyOpts });
sends.push({ kind: "text", text, serverMessageId: sentText.serverMessageId });

const outDir = path.join(workDir, "outbound");
await fs.mkdir(outDir, { recursive: true });
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const outbound = [
  { kind: "image", name: "photo.png", bytes: Buffer.concat([PNG_SIGNATURE, randomBytes(3000)]) },
  {
    kind: "file",
    name: "notes.txt",
    bytes: Buffer.from(`notes ${randomBytes(600).toString("hex")}`),
  },
  { kind: "video", name: "clip.mp4", bytes: randomBytes(70_001) },
];
for (const media of outbound) {
  const filePath = path.join(outDir, media.name);
  await fs.writeFile(filePath, media.bytes);
  const r = await sendMedia.sendWeixinMediaFile({
    filePath,
    to,
    text: "",
    opts: replyOpts,
    cdnBaseUrl,
  });
  sends.push({
    kind: media.kind,
    fileName: media.name,
    md5: md5(media.bytes),
    size: media.bytes.length,
    serverMessageId: r.serverMessageId,
  });
}
await typing(2);

const stop = await api.notifyStop(account);
if (stop.ret !== 0) fail("notifyStop", JSON.stringify(stop));

emit({
  event: "done",
  sends,
  // Outbound VOICE: the official client has no sender for it (spec §4.6.5).
  voiceSenders: [...Object.keys(send), ...Object.keys(sendMedia)].filter((n) => /voice/i.test(n)),
  retargeted: [...retargeted].sort(),
});

// ------------------------------------------------------------------ probes

// After the main flow the test may ask for single sends, to see how the official client reacts
// to answers the sandbox was told to give (faults, stale context tokens).
while (true) {
  const command = await nextCommand();
  if (command.cmd === "exit") break;
  try {
    if (command.cmd === "send_text") {
      const r = await send.sendMessageWeixin({ to, text: command.text, opts: replyOpts });
      emit({ event: "probe", ok: true, serverMessageId: r.serverMessageId });
    } else if (command.cmd === "send_file") {
      const bytes = randomBytes(command.size ?? 1000);
      const filePath = path.join(outDir, command.name);
      await fs.writeFile(filePath, bytes);
      const r = await sendMedia.sendWeixinMediaFile({
        filePath,
        to,
        text: "",
        opts: replyOpts,
        cdnBaseUrl,
      });
      emit({ event: "probe", ok: true, md5: md5(bytes), serverMessageId: r.serverMessageId });
    } else {
      fail("probe", `unknown command ${JSON.stringify(command)}`);
    }
  } catch (error) {
    emit({ event: "probe", ok: false, error: String(error?.message ?? error) });
  }
}
commands.return?.();
process.exit(0);
