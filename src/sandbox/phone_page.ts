/**
 * The phone page: a self-contained web page (no external assets) where a person plays the WeChat
 * user. It confirms pending QR logins and chats with each bot through the control API: text and
 * attachments go to `/_control/inject`, replies come from long-polling `/_control/chat`, and media
 * the bot sent are shown from `/_control/media/:id`.
 *
 * When the sandbox has a control token, the page sends it as `Authorization: Bearer …`: it is
 * read once from the address (`/phone#token=<token>`, removed from the address bar at once, and
 * never sent to the server as part of a URL) or asked for on the first 401, and kept in
 * `sessionStorage`. Media are then fetched with the header and shown from `blob:` URLs, since
 * `<img>` and links cannot carry it.
 *
 * Embedded as a string constant, not read from disk, so the sandbox also works from a binary built
 * with `deno compile`.
 *
 * @module
 */

const STYLE = `
:root { --green: #07c160; --bubble: #95ec69; --bg: #ededed; --line: #d9d9d9; --muted: #888; }
* { box-sizing: border-box; }
/* The page is exactly the screen: the chat's message list scrolls, never the page. */
html, body { height: 100%; }
body { margin: 0; font: 15px/1.4 -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei",
  Roboto, sans-serif; background: #f7f7f7; color: #111; display: flex; flex-direction: column;
  height: 100vh; height: 100dvh; overflow: hidden; }
header { background: #fff; border-bottom: 1px solid var(--line); padding: 10px 16px;
  display: flex; align-items: center; gap: 12px; flex: none; min-width: 0; }
header h1 { font-size: 17px; margin: 0; font-weight: 600; white-space: nowrap; }
header .hint { color: var(--muted); font-size: 13px; min-width: 0; overflow: hidden;
  text-overflow: ellipsis; white-space: nowrap; }
main { display: flex; gap: 16px; padding: 16px; max-width: 1100px; width: 100%; margin: 0 auto;
  flex: 1; min-height: 0; }
aside { width: 300px; flex: none; display: flex; flex-direction: column; gap: 16px;
  overflow-y: auto; }
section.card { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 12px; }
section.card h2 { font-size: 14px; margin: 0 0 8px; color: #333; }
.empty { color: var(--muted); font-size: 13px; }
.login { border-top: 1px solid #f0f0f0; padding: 8px 0; }
.login:first-of-type { border-top: none; }
.login.focus { background: #f3fbf6; border-radius: 6px; padding: 8px; }
.login code { font-size: 12px; color: #555; }
.login .status { font-size: 12px; color: var(--muted); margin-left: 6px; }
.row { display: flex; gap: 6px; margin-top: 6px; }
input[type=text], textarea { font: inherit; border: 1px solid var(--line); border-radius: 6px;
  padding: 6px 8px; width: 100%; background: #fff; }
button { font: inherit; border: none; border-radius: 6px; padding: 6px 12px; cursor: pointer;
  background: #f2f2f2; color: #111; white-space: nowrap; }
button.primary { background: var(--green); color: #fff; }
button:disabled { opacity: .5; cursor: default; }
.bot { display: flex; align-items: center; gap: 8px; padding: 8px; border-radius: 6px;
  cursor: pointer; min-width: 0; }
.bot:hover { background: #f5f5f5; }
.bot.active { background: #e9f7ef; }
.bot > div { min-width: 0; }
.dot { width: 8px; height: 8px; border-radius: 50%; background: #ccc; flex: none; }
.dot.on { background: var(--green); }
.bot .id { font-size: 13px; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.bot .meta { font-size: 12px; color: var(--muted); white-space: nowrap; }
.chat { flex: 1; display: flex; flex-direction: column; background: var(--bg);
  border: 1px solid var(--line); border-radius: 8px; overflow: hidden; min-width: 0;
  min-height: 0; }
.chat-head { background: #f7f7f7; border-bottom: 1px solid var(--line); padding: 10px 14px;
  display: flex; justify-content: space-between; align-items: center; gap: 8px; }
.chat-head .title { font-weight: 600; min-width: 0; overflow: hidden; text-overflow: ellipsis;
  white-space: nowrap; }
.chat-head .typing { color: var(--muted); font-size: 13px; white-space: nowrap; }
#messages { flex: 1; min-height: 0; overflow-y: auto; padding: 14px; display: flex;
  flex-direction: column; gap: 10px; }
#messages:empty::before { content: attr(data-empty); margin: auto; color: var(--muted);
  font-size: 13px; text-align: center; max-width: 260px; }
.msg { display: flex; flex-direction: column; max-width: 75%; }
.msg.in { align-self: flex-end; align-items: flex-end; }
.msg.out { align-self: flex-start; align-items: flex-start; }
.bubble { padding: 8px 12px; border-radius: 6px; background: #fff; white-space: pre-wrap;
  word-break: break-word; }
.msg.in .bubble { background: var(--bubble); }
.bubble img { max-width: 260px; max-height: 260px; display: block; border-radius: 4px; }
.bubble a { color: #576b95; }
.who { font-size: 11px; color: var(--muted); margin-bottom: 2px; }
.composer { border-top: 1px solid var(--line); background: #f7f7f7; padding: 10px;
  display: flex; flex-direction: column; gap: 6px; }
.composer textarea { resize: none; height: 60px; }
.composer .row { margin: 0; align-items: center; }
.composer .from { max-width: 260px; font-size: 13px; }
.error { color: #d33; font-size: 13px; min-height: 1em; }
/*
 * A phone: the chat gets the screen. The side column becomes a strip above it: pending logins
 * only while there are some, the bots as one row of chips, no headings, no notes.
 */
@media (max-width: 720px) {
  header { padding: 8px 12px; }
  header h1 { font-size: 16px; }
  header .hint { display: none; }
  main { flex-direction: column; padding: 8px; gap: 8px; }
  aside { width: auto; gap: 8px; max-height: 40%; }
  section.card { padding: 8px; }
  #bots-card h2, #violations:empty { display: none; }
  #logins-card.idle { display: none; }
  #bots { display: flex; gap: 6px; overflow-x: auto; }
  .bot { flex: none; max-width: 75%; padding: 6px 8px; }
  .chat-head { padding: 8px 12px; }
  #messages { padding: 10px; }
  .msg { max-width: 85%; }
  .bubble img { max-width: 100%; }
  .composer { padding: 8px; }
  .composer textarea { height: 56px; }
  .composer .from { max-width: none; }
}
`;

const SCRIPT = `
"use strict";
const TOKEN_KEY = "sandbox.controlToken";
const tokenInHash = /(?:^#|&)token=([^&]+)/.exec(location.hash);
if (tokenInHash) {
  sessionStorage.setItem(TOKEN_KEY, decodeURIComponent(tokenInHash[1]));
  history.replaceState(null, "", location.pathname + location.search);
}
const controlToken = () => sessionStorage.getItem(TOKEN_KEY);
const authHeaders = () => controlToken() ? { Authorization: "Bearer " + controlToken() } : {};
let tokenAsked = false;
function askToken() {
  if (tokenAsked) return;
  tokenAsked = true;
  const t = prompt("This sandbox's control API needs its control token:");
  if (t && t.trim()) { sessionStorage.setItem(TOKEN_KEY, t.trim()); tokenAsked = false; }
}
const api = (path, body) => fetch("/_control" + path, body === undefined
  ? { headers: authHeaders() }
  : { method: "POST", headers: { "Content-Type": "application/json", ...authHeaders() },
      body: JSON.stringify(body) },
).then(async (r) => {
  const json = await r.json().catch(() => ({}));
  if (r.status === 401) {
    askToken();
    throw new Error("This sandbox needs its control token (open the page as /phone#token=…)");
  }
  if (!r.ok) throw new Error(json.error || ("HTTP " + r.status));
  return json;
});
const $ = (id) => document.getElementById(id);
const el = (tag, props, ...kids) => {
  const n = document.createElement(tag);
  Object.assign(n, props || {});
  for (const k of kids) if (k != null) n.append(k);
  return n;
};
const focusQr = new URLSearchParams(location.search).get("qrcode");
let bots = [], current = null, since = 0, chatGen = 0;
// Whether the person picked the current bot; until then the page follows the conversation.
let pinned = false;
// Messages in and out per bot at the last look, to see which conversation moved.
let activity = null;

function showError(e) { $("error").textContent = e ? String(e.message || e) : ""; }

function renderLogins(logins) {
  const box = $("logins");
  box.replaceChildren();
  $("logins-card").classList.toggle("idle", logins.length === 0);
  if (logins.length === 0) {
    box.append(el("div", { className: "empty", textContent:
      "No pending login. Start your bot (or call get_bot_qrcode) and it appears here." }));
    return;
  }
  for (const l of logins) {
    const user = el("input", { type: "text", placeholder: "user id (optional)",
      value: localStorage.getItem("sandbox.user") || "" });
    const confirm = el("button", { className: "primary", textContent: "Confirm" });
    const scan = el("button", { textContent: "Scan" });
    const act = (scanOnly) => async () => {
      confirm.disabled = scan.disabled = true;
      try {
        const body = { qrcode: l.qrcode, scanOnly };
        if (user.value.trim()) {
          body.userId = user.value.trim();
          localStorage.setItem("sandbox.user", body.userId);
        }
        const r = await api("/confirm", body);
        showError(null);
        await refresh();
        if (!scanOnly) selectBot(r.botId);
      } catch (e) { showError(e); confirm.disabled = scan.disabled = false; }
    };
    confirm.onclick = act(false);
    scan.onclick = act(true);
    box.append(el("div", { className: "login" + (l.qrcode === focusQr ? " focus" : "") },
      el("div", {}, el("code", { textContent: l.qrcode.slice(0, 12) + "…" }),
        el("span", { className: "status", textContent: l.status })),
      el("div", { className: "row" }, user),
      el("div", { className: "row" }, scan, confirm)));
  }
}

function renderBots() {
  const box = $("bots");
  box.replaceChildren();
  if (bots.length === 0) {
    box.append(el("div", { className: "empty", textContent: "No bot logged in yet." }));
    return;
  }
  for (const b of bots) {
    const row = el("div", { className: "bot" + (b.botId === current ? " active" : "") },
      el("span", { className: "dot" + (b.online ? " on" : ""), title: b.online ? "online" : "offline" }),
      el("div", { style: "min-width:0" },
        el("div", { className: "id", textContent: b.botId }),
        el("div", { className: "meta", textContent: (b.expired ? "session expired · " : "") +
          b.inbound + " in · " + b.sent + " out" })));
    row.onclick = () => { pinned = true; selectBot(b.botId); };
    box.append(row);
  }
}

function selectBot(botId) {
  if (current === botId && chatGen > 0) return;
  current = botId;
  since = 0;
  chatGen++;
  $("messages").replaceChildren();
  const bot = bots.find((b) => b.botId === botId);
  $("messages").dataset.empty = bot
    ? "No messages yet. Write below as the WeChat user; the bot's replies appear here."
    : "No bot yet. Start your bot and confirm its login here.";
  $("chat-title").textContent = bot ? "Chat with " + bot.botId : "Chat";
  $("from").value = bot ? bot.userId : "";
  $("send").disabled = $("attach").disabled = !bot;
  renderBots();
  pollChat(chatGen);
}

function mediaNode(ev) {
  const src = "/_control/media/" + encodeURIComponent(ev.messageId);
  const label = ev.type === 4 ? (ev.fileName || "file") : ev.type === 3 ? "voice message" : "video";
  if (!controlToken()) {
    if (ev.type === 2) return el("a", { href: src, target: "_blank" }, el("img", { src, alt: "image" }));
    return el("a", { href: src + "?download=1", textContent: "📎 " + label });
  }
  // The media route needs the Authorization header, which <img> and links cannot send.
  const link = el("a", { href: "#", target: "_blank", textContent: ev.type === 2 ? "" : "📎 " + label });
  const img = ev.type === 2 ? el("img", { alt: "image" }) : null;
  if (img) link.append(img);
  else link.download = label;
  fetch(src, { headers: authHeaders() })
    .then((r) => r.ok ? r.blob() : Promise.reject(new Error("HTTP " + r.status)))
    .then((blob) => {
      const url = URL.createObjectURL(blob);
      link.href = url;
      if (img) img.src = url;
    })
    .catch(showError);
  return link;
}

function renderEvent(ev) {
  const bubble = el("div", { className: "bubble" });
  if (ev.media) bubble.append(mediaNode(ev));
  else if (ev.type === 4 && ev.fileName) bubble.append("📎 " + ev.fileName);
  if (ev.text !== undefined && ev.text !== "") {
    if (ev.media) bubble.append(el("div", { textContent: ev.text }));
    else bubble.append(ev.text);
  }
  if (!bubble.hasChildNodes()) bubble.append("[item type " + ev.type + "]");
  const who = ev.direction === "in" ? ev.user + " (you)" : "bot → " + ev.user;
  const time = new Date(ev.at).toLocaleTimeString();
  const box = $("messages");
  const atBottom = box.scrollHeight - box.scrollTop - box.clientHeight < 40;
  box.append(el("div", { className: "msg " + ev.direction },
    el("div", { className: "who", textContent: who + " · " + time }), bubble));
  if (atBottom || ev.direction === "in") box.scrollTop = box.scrollHeight;
}

async function pollChat(gen) {
  while (gen === chatGen && current) {
    try {
      const view = await api("/chat?botId=" + encodeURIComponent(current) + "&since=" + since +
        "&wait=20000");
      if (gen !== chatGen) return;
      for (const ev of view.events) { renderEvent(ev); since = ev.index + 1; }
      $("typing").textContent = view.typing.length ? "bot is typing…" : "";
    } catch (e) {
      if (gen !== chatGen) return;
      await new Promise((r) => setTimeout(r, 1500));
    }
  }
}

async function refresh() {
  try {
    const s = await api("/state");
    renderLogins(s.pendingLogins);
    bots = s.bots;
    if (current && !bots.some((b) => b.botId === current)) {
      current = null;
      pinned = false;
      chatGen++;
    }
    const next = conversationBot();
    if (next && next !== current) selectBot(next);
    else renderBots();
    $("violations").textContent = s.violations ? s.violations + " protocol violation(s) recorded" : "";
  } catch (e) { showError(e); }
}

/**
 * The bot whose chat to show, unless the person picked one: the bot a message arrived for (or
 * was sent by) since the last look, else a bot that just logged in; on the first look the
 * newest bot that has messages, else the newest bot. Bots are listed in login order.
 */
function conversationBot() {
  const count = (b) => b.inbound + b.sent;
  const before = activity;
  activity = Object.fromEntries(bots.map((b) => [b.botId, count(b)]));
  if (pinned && current) return current;
  if (before === null) {
    const talking = bots.filter((b) => count(b) > 0);
    const newest = talking.length ? talking[talking.length - 1] : bots[bots.length - 1];
    return newest ? newest.botId : null;
  }
  const moved = bots.filter((b) => before[b.botId] !== undefined && count(b) > before[b.botId]);
  if (moved.some((b) => b.botId === current)) return current;
  const fresh = bots.filter((b) => before[b.botId] === undefined);
  const pick = moved.length ? moved[moved.length - 1] : fresh[fresh.length - 1];
  if (pick) return pick.botId;
  return current || (bots.length ? bots[bots.length - 1].botId : null);
}

async function sendText() {
  const text = $("text").value;
  if (!current || text.trim() === "") return;
  try {
    const body = { botId: current, text };
    if ($("from").value.trim()) body.from = $("from").value.trim();
    await api("/inject", body);
    $("text").value = "";
    showError(null);
  } catch (e) { showError(e); }
}

function readBase64(file) {
  return new Promise((resolve, reject) => {
    const r = new FileReader();
    r.onload = () => resolve(String(r.result).split(",")[1] || "");
    r.onerror = () => reject(r.error);
    r.readAsDataURL(file);
  });
}

async function sendFiles(files) {
  for (const file of files) {
    try {
      const data = await readBase64(file);
      const body = { botId: current };
      if ($("from").value.trim()) body.from = $("from").value.trim();
      if (file.type.startsWith("image/")) body.image = data;
      else if (file.type.startsWith("video/")) body.video = data;
      else { body.file = data; body.fileName = file.name; }
      await api("/inject", body);
      showError(null);
    } catch (e) { showError(e); }
  }
}

$("send").onclick = sendText;
$("text").addEventListener("keydown", (e) => {
  if (e.key === "Enter" && !e.shiftKey) { e.preventDefault(); sendText(); }
});
$("attach").onclick = () => $("file").click();
$("file").onchange = () => { sendFiles([...$("file").files]); $("file").value = ""; };
refresh();
setInterval(refresh, 1500);
`;

/** HTML of `/phone`: self-contained, no external assets. */
export const PHONE_PAGE_HTML: string = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>WeiLink sandbox · phone</title>
<style>${STYLE}</style>
</head>
<body>
<header>
  <h1>WeiLink sandbox · phone</h1>
  <span class="hint">You play the WeChat user. Nothing here talks to real WeChat.</span>
</header>
<main>
  <aside>
    <section class="card" id="logins-card">
      <h2>Pending logins</h2>
      <div id="logins"></div>
    </section>
    <section class="card" id="bots-card">
      <h2>Bots</h2>
      <div id="bots"></div>
    </section>
    <div class="empty" id="violations"></div>
  </aside>
  <section class="chat" id="chat">
    <div class="chat-head">
      <span class="title" id="chat-title">Chat</span>
      <span class="typing" id="typing"></span>
    </div>
    <div id="messages" data-empty="No bot yet. Start your bot and confirm its login here."></div>
    <div class="composer">
      <div class="row">
        <input type="text" class="from" id="from" placeholder="from user id" title="Sender">
      </div>
      <textarea id="text" placeholder="Type a message (Enter to send, Shift+Enter for a new line)"></textarea>
      <div class="row">
        <button id="attach" title="Send an image or a file" disabled>Attach…</button>
        <input type="file" id="file" multiple hidden>
        <span style="flex:1"></span>
        <button class="primary" id="send" disabled>Send</button>
      </div>
      <div class="error" id="error"></div>
    </div>
  </section>
</main>
<script>${SCRIPT}</script>
</body>
</html>
`;
