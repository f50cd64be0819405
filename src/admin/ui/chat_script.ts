/**
 * Browser code of the chat drawer: one user of one bot, WeChat-style bubbles with time
 * separators, quotes and voice transcripts, type filter and search, "load older" paging, live
 * rows from the event stream, and a composer that sends text and one attachment (multipart, its
 * kind chosen by MIME type).
 *
 * @module
 */

/** The chat drawer's browser code. */
export const CHAT_SCRIPT: string = String.raw`
var PAGE_SIZE = 30;
var GAP_MS = 5 * 60 * 1000;
var TYPE_NUMBERS = { TEXT: 1, IMAGE: 2, VOICE: 3, FILE: 4, VIDEO: 5 };
var chat = null;
var chatFile = null;
var liveOk = true;

function chatStart() {
  $("chat-close").addEventListener("click", closeChat);
  $("chat-older").addEventListener("click", function () { loadMessages(true); });
  $("chat-type").addEventListener("change", function () { reloadChat(); });
  var searchTimer = 0;
  $("chat-search").addEventListener("input", function () {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(reloadChat, 300);
  });
  $("composer").addEventListener("submit", function (e) { e.preventDefault(); sendReply(); });
  $("chat-text").addEventListener("keydown", function (e) {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing && e.keyCode !== 229) {
      e.preventDefault();
      sendReply();
    }
  });
  $("chat-text").addEventListener("input", fitComposer);
  $("file-input").addEventListener("change", function () {
    var input = $("file-input");
    setAttachment(input.files && input.files[0] ? input.files[0] : null);
    input.value = "";
  });
  $("attachment-remove").addEventListener("click", function () { setAttachment(null); });
}

function openChat(target) {
  chat = {
    session: target.session, botId: target.botId, userId: target.userId,
    items: [], byKey: {}, total: 0, live: 0, loading: false, nextCursor: null, ranked: 0,
  };
  $("chat-type").value = "";
  $("chat-search").value = "";
  setAttachment(null);
  $("chat-text").value = "";
  renderChatTitle();
  $("chat").hidden = false;
  loadMessages(false);
  $("chat-text").focus();
}

function closeChat() {
  $("chat").hidden = true;
  chat = null;
}

function renderChatTitle() {
  if (!chat) return;
  $("chat-title").textContent = t("chat.title", { user: chat.userId });
  $("chat-via").textContent = t("chat.via", { session: chat.session });
}

function chatSessionsChanged(sessions) {
  if (!chat) return;
  // A rename keeps the bot: follow it, so replies go through the right session.
  sessions.forEach(function (s) { if (chat.botId && s.bot_id === chat.botId) chat.session = s.name; });
  renderChatTitle();
}

function chatLanguageChanged() {
  if (!chat) return;
  renderChatTitle();
  chat.items.forEach(function (item) { item.node = null; });
  renderBubbles("keep");
}

function chatLive(ok) {
  if (ok === liveOk) return;
  liveOk = ok;
  if (!ok) toast(t("chat.live_lost"), true);
}

function reloadChat() {
  if (!chat) return;
  chat.items = [];
  chat.byKey = {};
  chat.total = 0;
  chat.live = 0;
  chat.nextCursor = null;
  chat.ranked = 0;
  renderBubbles("bottom");
  loadMessages(false);
}

function chatFilter() {
  return { type: $("chat-type").value, search: $("chat-search").value.trim() };
}

/**
 * Load the newest page, or with older the page after the last one loaded. Older pages continue
 * from the cursor of the page before: rows that arrived meanwhile (shown live) do not shift it,
 * as they would shift an offset.
 */
function loadMessages(older) {
  if (!chat || chat.loading) return;
  if (older && !chat.nextCursor) return;
  var current = chat;
  var filter = chatFilter();
  var query = "user_id=" + encodeURIComponent(chat.userId) + "&limit=" + PAGE_SIZE;
  if (older) query += "&cursor=" + encodeURIComponent(chat.nextCursor);
  if (chat.botId) query += "&bot_id=" + encodeURIComponent(chat.botId);
  if (filter.type) query += "&msg_type=" + encodeURIComponent(filter.type);
  if (filter.search) query += "&text_contains=" + encodeURIComponent(filter.search);
  current.loading = true;
  api("/api/messages?" + query).then(function (answer) {
    if (chat !== current) return;
    var before = chat.items.length;
    // Pages come newest first: the n-th row of the history ranks -n, below every live row.
    answer.messages.forEach(function (row) { addRow(row, -(chat.ranked++)); });
    chat.nextCursor = answer.next_cursor;
    chat.total = Math.max(answer.total, chat.items.length);
    renderBubbles(older ? "keep-bottom-distance" : "bottom");
    if (!chat.nextCursor || (older && chat.items.length === before)) chat.total = chat.items.length;
  }, failed).then(function () { current.loading = false; updateCount(); });
}

function rowKey(row) {
  return row.message_id ? "id:" + row.message_id
    : "x:" + row.direction + ":" + row.timestamp + ":" + (row.text || "") + ":" + row.msg_type;
}

/**
 * Add a row unless shown already. rank orders rows of the same millisecond as the store does
 * (by arrival): negative for history pages, increasing for live rows, which are newer.
 */
function addRow(row, rank) {
  var key = rowKey(row);
  if (chat.byKey[key]) return false;
  var item = { key: key, row: row, rank: rank, node: null };
  chat.byKey[key] = item;
  chat.items.push(item);
  return true;
}

function matchesChat(row) {
  if (!chat || row.from_user !== chat.userId) return false;
  if (chat.botId && row.bot_id !== chat.botId) return false;
  var filter = chatFilter();
  if (filter.type && String(TYPE_NUMBERS[row.msg_type]) !== filter.type) return false;
  if (filter.search && (row.text || "").toLowerCase().indexOf(filter.search.toLowerCase()) < 0) return false;
  return true;
}

/** A row from the event stream. */
function chatReceive(row) {
  if (!matchesChat(row)) return;
  if (!addRow(row, ++chat.live)) return;
  chat.total += 1;
  renderBubbles(row.direction === "sent" ? "bottom" : "follow");
}

function updateCount() {
  if (!chat) return;
  var shown = chat.items.length;
  $("chat-count").textContent = t("chat.showing", { n: shown, total: chat.total });
  $("chat-older").hidden = shown >= chat.total;
  $("chat-empty").hidden = shown > 0 || chat.loading;
}

/**
 * Lay the bubbles out oldest first. scroll: "bottom" (show the newest), "follow" (stay at the
 * bottom if the reader was there), "keep-bottom-distance" (older rows were added above).
 */
function renderBubbles(scroll) {
  if (!chat) return;
  var body = $("chat-body");
  var fromBottom = body.scrollHeight - body.scrollTop;
  var atBottom = body.scrollHeight - body.scrollTop - body.clientHeight < 80;
  chat.items.sort(function (a, b) {
    return (a.row.timestamp || 0) - (b.row.timestamp || 0) || a.rank - b.rank;
  });
  var nodes = [];
  var previous = 0;
  chat.items.forEach(function (item, index) {
    var ts = item.row.timestamp || 0;
    if (index === 0 || ts - previous > GAP_MS) {
      nodes.push(el("div", { className: "time-sep", text: ts ? formatDateTime(ts) : "" }));
    }
    previous = ts;
    if (!item.node) item.node = bubble(item.row);
    nodes.push(item.node);
  });
  var box = $("bubbles");
  box.replaceChildren.apply(box, nodes);
  updateCount();
  if (scroll === "bottom" || (scroll === "follow" && atBottom)) body.scrollTop = body.scrollHeight;
  else if (scroll === "keep-bottom-distance") body.scrollTop = body.scrollHeight - fromBottom;
}

function downloadUrl(row) {
  return "/api/messages/" + encodeURIComponent(row.message_id) + "/download";
}

function downloadLink(row) {
  if (!row.message_id) return null;
  return el("a", { className: "download", attrs: { href: downloadUrl(row), download: "" } },
    [icon("download"), t("chat.download")]);
}

function mediaLine(name, label) {
  return el("div", { className: "media-line" }, [icon(name), el("span", { text: label })]);
}

function sizeText(bytes) {
  var n = Number(bytes);
  if (!n) return "";
  if (n < 1024) return n + " B";
  if (n < 1048576) return (n / 1024).toFixed(1) + " KB";
  return (n / 1048576).toFixed(1) + " MB";
}

function quoteOf(ref) {
  var type = ref.msg_type && t("type." + ref.msg_type) !== "type." + ref.msg_type ? t("type." + ref.msg_type) : "";
  var text = ref.text || ref.title || (ref.file && ref.file.file_name) || type;
  return el("div", { className: "quote", text: t("chat.quote") + ": " + text });
}

function bubble(row) {
  var content = [];
  if (row.ref_msg) content.push(quoteOf(row.ref_msg));
  if (row.text) content.push(el("div", { className: "text", text: row.text }));
  if (row.image) {
    if (row.message_id) {
      var image = el("img", { attrs: { src: downloadUrl(row), alt: t("type.IMAGE"), loading: "lazy" } });
      image.addEventListener("error", function () {
        image.replaceWith(mediaLine("image", t("type.IMAGE")));
      });
      image.addEventListener("load", function () {
        if (chat && $("chat-body").scrollHeight - $("chat-body").scrollTop - $("chat-body").clientHeight < image.height + 80) {
          $("chat-body").scrollTop = $("chat-body").scrollHeight;
        }
      });
      content.push(el("a", { attrs: { href: downloadUrl(row), download: "" } }, [image]));
    } else {
      content.push(mediaLine("image", t("type.IMAGE")));
    }
  }
  if (row.voice) {
    var seconds = Math.round((Number(row.voice.playtime) || 0) / 1000);
    content.push(mediaLine("voice", t("type.VOICE") + (seconds ? " · " + t("chat.seconds", { n: seconds }) : "")));
    if (row.voice.text) {
      content.push(el("div", { className: "transcript", text: row.voice.text,
        attrs: { title: t("chat.transcript") } }));
    }
    content.push(downloadLink(row));
  }
  if (row.file) {
    var size = sizeText(row.file.file_size);
    content.push(mediaLine("file", (row.file.file_name || t("type.FILE")) + (size ? " · " + size : "")));
    content.push(downloadLink(row));
  }
  if (row.video) {
    content.push(mediaLine("video", t("type.VIDEO")));
    content.push(downloadLink(row));
  }
  if (!content.length || (content.length === 1 && row.ref_msg)) {
    content.push(el("div", { className: "text", text: "[" + row.msg_type + "]" }));
  }
  var sent = row.direction === "sent";
  var time = row.timestamp ? new Date(row.timestamp) : null;
  return el("div", { className: "msg " + (sent ? "sent" : "received"),
    attrs: { "data-message-id": row.message_id || "" } }, [
    el("div", { className: "sender", text: t(sent ? "chat.bot" : "chat.user") }),
    el("div", { className: "bubble" }, content),
    el("div", { className: "meta", text: time ? pad2(time.getHours()) + ":" + pad2(time.getMinutes()) : "",
      attrs: { title: time ? formatDateTime(row.timestamp) : "" } }),
  ]);
}

// ---- composer -----------------------------------------------------------------------------

function fitComposer() {
  var box = $("chat-text");
  box.style.height = "auto";
  box.style.height = Math.min(box.scrollHeight + 2, 128) + "px";
}

function setAttachment(file) {
  chatFile = file;
  $("attachment").hidden = !file;
  $("attachment-name").textContent = file ? file.name + (file.size ? " · " + sizeText(file.size) : "") : "";
}

/** The kind a file is sent as: images and videos as such, anything else as a file. */
function kindOf(file) {
  var type = (file.type || "").toLowerCase();
  if (type.indexOf("image/") === 0) return "image";
  if (type.indexOf("video/") === 0) return "video";
  return "file";
}

function sendReply() {
  if (!chat) return;
  var text = $("chat-text").value;
  var file = chatFile;
  if (!text.trim() && !file) return;
  var button = $("chat-send");
  if (button.disabled) return;
  button.disabled = true;
  var request;
  if (file) {
    var form = new FormData();
    form.append("to", chat.userId);
    if (text.trim()) form.append("text", text);
    if (chat.session) form.append("session", chat.session);
    form.append("kind", kindOf(file));
    form.append("file", file, file.name);
    request = api("/api/send", { method: "POST", form: form });
  } else {
    var body = { to: chat.userId, text: text };
    if (chat.session) body.session = chat.session;
    request = api("/api/send", { method: "POST", json: body });
  }
  request.then(function (answer) {
    if (!answer.success) {
      toast(t("chat.send_failed", { error: answer.error || "" }), true);
      return;
    }
    $("chat-text").value = "";
    fitComposer();
    setAttachment(null);
    toast(answer.remaining === null || answer.remaining === undefined
      ? t("chat.sent_plain") : t("chat.sent", { n: answer.remaining }));
    refreshSoon();
  }, function (error) {
    toast(t("chat.send_failed", { error: error.message }), true);
  }).then(function () {
    button.disabled = false;
    $("chat-text").focus();
  });
}
`;
