/**
 * Browser code of the panel's main view: status cards, the sessions table and its actions, the
 * QR login dialog, live events and start-up. The chat drawer is in `chat_script.ts`; both run in
 * one scope after `script_kit.ts`.
 *
 * @module
 */

/** The main view's browser code. */
export const PAGE_SCRIPT: string = String.raw`
var $ = function (id) { return document.getElementById(id); };
var view = { sessions: [], collapsed: {}, refreshTimer: 0, refreshSoon: 0 };

// ---- formatting ---------------------------------------------------------------------------

function pad2(n) { return (n < 10 ? "0" : "") + n; }

function formatDateTime(ms) {
  var d = new Date(ms);
  return d.getFullYear() + "-" + pad2(d.getMonth() + 1) + "-" + pad2(d.getDate()) + " " +
    pad2(d.getHours()) + ":" + pad2(d.getMinutes());
}

/** Epoch seconds as "3 min ago" (0: never), with the full time for a title. */
function relativeTime(seconds) {
  if (!seconds) return { text: t("time.never"), title: "" };
  var diff = Math.max(0, Date.now() / 1000 - seconds);
  var text = diff < 60 ? t("time.just_now")
    : diff < 3600 ? t("time.minutes_ago", { n: Math.floor(diff / 60) })
    : diff < 86400 ? t("time.hours_ago", { n: Math.floor(diff / 3600) })
    : t("time.days_ago", { n: Math.floor(diff / 86400) });
  return { text: text, title: formatDateTime(seconds * 1000) };
}

function timeCell(label, seconds) {
  var rel = relativeTime(seconds);
  return el("td", { text: rel.text, attrs: { "data-label": label, title: rel.title } });
}

function toast(message, bad) {
  var box = $("toast");
  box.textContent = message;
  box.className = bad ? "toast bad" : "toast";
  box.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(function () { box.hidden = true; }, bad ? 6000 : 3000);
}

function failed(error) {
  toast(t("actions.failed", { error: error && error.message ? error.message : String(error) }), true);
}

// ---- status and sessions ------------------------------------------------------------------

function refresh() {
  return Promise.all([api("/api/status"), api("/api/sessions")]).then(function (answers) {
    renderStatus(answers[0]);
    view.sessions = answers[1].sessions || [];
    renderSessions();
    if (typeof chatSessionsChanged === "function") chatSessionsChanged(view.sessions);
  }, function (error) {
    setDot("down", t("header.offline"));
    if (!(error instanceof ApiError)) return;
    failed(error);
  });
}

function refreshSoon() {
  clearTimeout(view.refreshSoon);
  view.refreshSoon = setTimeout(refresh, 800);
}

function setDot(kind, label) {
  var dot = $("conn-dot");
  dot.className = "dot " + kind;
  dot.setAttribute("aria-label", label);
  dot.setAttribute("title", label);
}

function renderStatus(status) {
  $("version").textContent = "v" + status.version;
  setDot(status.is_connected ? "on" : "off",
    t(status.is_connected ? "header.connected" : "header.disconnected"));
  $("card-sessions").textContent = String(status.session_count);
  $("card-connected").textContent = String(status.connected_count);
}

function renderSessions() {
  var box = $("sessions");
  var active = 0;
  view.sessions.forEach(function (s) {
    (s.users || []).forEach(function (u) { if (u.fresh) active++; });
  });
  $("card-users").textContent = String(active);
  if (!view.sessions.length) {
    box.replaceChildren(el("p", { className: "muted", text: t("sessions.empty") }));
    return;
  }
  box.replaceChildren.apply(box, view.sessions.map(sessionBlock));
}

function sessionBlock(s) {
  var state = s.connected ? ["ok", "sessions.connected"]
    : s.expired ? ["expired", "sessions.expired"] : ["", "sessions.not_connected"];
  var meta = [];
  if (s.bot_id) meta.push(t("sessions.bot") + ": " + s.bot_id);
  if (s.user_id) meta.push(t("sessions.owner") + ": " + s.user_id);
  if (s.created_at) meta.push(t("sessions.created") + ": " + formatDateTime(s.created_at * 1000));
  var actions = el("div", { className: "session-actions" }, [
    el("button", { text: t("actions.rename"), attrs: { type: "button", "data-action": "rename" },
      on: { click: function (e) { e.stopPropagation(); renameSession(s.name); } } }),
    s.is_default ? null : el("button", { text: t("actions.set_default"),
      attrs: { type: "button", "data-action": "set-default" },
      on: { click: function (e) { e.stopPropagation(); setDefault(s.name); } } }),
    el("button", { className: "danger", text: t("actions.logout"),
      attrs: { type: "button", "data-action": "logout" },
      on: { click: function (e) { e.stopPropagation(); logoutSession(s.name); } } }),
  ]);
  var head = el("div", {
    className: "session-head",
    attrs: { role: "button", tabindex: "0", "aria-expanded": String(!view.collapsed[s.name]) },
    on: {
      click: function () { toggleSession(s.name); },
      keydown: function (e) {
        if (e.target === head && (e.key === "Enter" || e.key === " ")) { e.preventDefault(); toggleSession(s.name); }
      },
    },
  }, [
    el("span", { className: "session-name", text: s.name }),
    s.is_default ? el("span", { className: "badge default", text: t("sessions.default") }) : null,
    el("span", { className: "badge " + state[0], text: t(state[1]) }),
    el("span", { className: "muted",
      text: s.user_count === 1 ? t("sessions.user_count_one") : t("sessions.user_count", { n: s.user_count }) }),
    actions,
    meta.length ? el("div", { className: "session-meta", text: meta.join(" · ") }) : null,
  ]);
  var block = el("div", { className: "session", attrs: { "data-session": s.name } }, [head]);
  if (!view.collapsed[s.name]) block.appendChild(usersTable(s));
  return block;
}

function usersTable(s) {
  if (!s.users || !s.users.length) return el("p", { className: "users-empty", text: t("users.empty") });
  var head = el("thead", {}, [el("tr", {}, [
    el("th", { text: t("users.user") }), el("th", { text: t("users.registered") }),
    el("th", { text: t("users.last_received") }), el("th", { text: t("users.last_sent") }),
    el("th", { text: t("users.reply") }), el("th", {}, [el("span", { className: "sr-only", text: t("users.chat") })]),
  ])]);
  var rows = s.users.map(function (u) {
    var open = function () { openChat({ session: s.name, botId: s.bot_id, userId: u.user_id }); };
    return el("tr", { attrs: { "data-user": u.user_id } }, [
      el("td", { className: "user-id", text: u.user_id }),
      timeCell(t("users.registered"), u.first_seen),
      timeCell(t("users.last_received"), u.last_interaction),
      timeCell(t("users.last_sent"), u.last_sent),
      el("td", { attrs: { "data-label": t("users.reply") } }, [
        el("span", { className: u.fresh ? "badge ok" : "badge", text: t(u.fresh ? "users.can_reply" : "users.cannot_reply") }),
      ]),
      el("td", {}, [el("button", { text: t("users.chat"), attrs: { type: "button", "data-action": "chat" }, on: { click: open } })]),
    ]);
  });
  return el("table", { className: "users" }, [head, el("tbody", {}, rows)]);
}

function toggleSession(name) {
  view.collapsed[name] = !view.collapsed[name];
  renderSessions();
}

function renameSession(name) {
  var next = window.prompt(t("actions.rename_prompt", { name: name }), name);
  if (next === null || !next.trim() || next.trim() === name) return;
  api("/api/sessions/" + encodeURIComponent(name) + "/rename", { method: "POST", json: { new_name: next.trim() } })
    .then(function () { toast(t("actions.done")); return refresh(); }, failed);
}

function setDefault(name) {
  api("/api/set-default", { method: "POST", json: { name: name } })
    .then(function () { toast(t("actions.done")); return refresh(); }, failed);
}

function logoutSession(name) {
  if (!window.confirm(t("actions.confirm_logout", { name: name }))) return;
  api("/api/sessions/" + encodeURIComponent(name) + "/logout", { method: "POST", json: {} })
    .then(function () { toast(t("actions.done")); return refresh(); }, failed);
}

// ---- QR login -----------------------------------------------------------------------------

var qr = { id: "", name: "", url: "", timer: 0, busy: false };

function openLogin() {
  stopLoginPolling();
  $("login-form").hidden = false;
  $("login-qr").hidden = true;
  $("login-modal").hidden = false;
  $("login-name").focus();
}

function closeLogin() {
  stopLoginPolling();
  $("login-modal").hidden = true;
}

function stopLoginPolling() {
  clearTimeout(qr.timer);
  qr.id = "";
}

function setLoginStatus(key, kind) {
  var line = $("login-status");
  line.textContent = t(key);
  line.className = "login-status" + (kind ? " " + kind : "");
}

function showCode(url, svg) {
  if (typeof svg === "string" && svg.indexOf("data:image/svg+xml;base64,") === 0) $("qr-image").src = svg;
  var link = $("qr-link");
  if (typeof url === "string" && /^https?:\/\//i.test(url)) { link.href = url; link.hidden = false; }
  else { link.removeAttribute("href"); link.hidden = true; }
  qr.url = url;
}

function startLogin(name) {
  if (qr.busy) return;
  qr.busy = true;
  stopLoginPolling();
  api("/api/sessions/login", { method: "POST", json: { name: name } }).then(function (answer) {
    qr.id = answer.qrcode;
    qr.name = name;
    $("login-form").hidden = true;
    $("login-qr").hidden = false;
    $("login-retry").hidden = true;
    showCode(answer.qr_url, answer.qr_svg);
    setLoginStatus("login.waiting");
    pollLogin(answer.qrcode);
  }, failed).then(function () { qr.busy = false; });
}

function pollLogin(id) {
  qr.timer = setTimeout(function () {
    if (qr.id !== id) return;
    api("/api/sessions/login/status?qrcode=" + encodeURIComponent(id)).then(function (s) {
      if (qr.id !== id) return;
      if (s.status === "confirmed") {
        setLoginStatus("login.confirmed", "ok");
        qr.id = "";
        refresh();
        setTimeout(function () { if (!qr.id) closeLogin(); }, 1200);
        return;
      }
      if (s.status === "expired") {
        setLoginStatus("login.expired", "bad");
        $("login-retry").hidden = false;
        qr.id = "";
        return;
      }
      if (s.qr_url && s.qr_url !== qr.url) {
        showCode(s.qr_url, s.qr_svg);
        setLoginStatus("login.refreshed");
      } else {
        setLoginStatus(s.status === "scaned" ? "login.scanned" : "login.waiting");
      }
      pollLogin(id);
    }, function (error) {
      if (qr.id !== id) return;
      setLoginStatus("login.expired", "bad");
      $("login-retry").hidden = false;
      qr.id = "";
      failed(error);
    });
  }, 1000);
}

// ---- live events --------------------------------------------------------------------------

function listen() {
  if (!window.EventSource) return;
  var source = new EventSource("/api/events");
  source.addEventListener("message", function (event) {
    var row = null;
    try { row = JSON.parse(event.data); } catch (e) { return; }
    if (typeof chatReceive === "function") chatReceive(row);
    refreshSoon();
  });
  source.addEventListener("open", function () { chatLive(true); });
  source.addEventListener("error", function () { chatLive(false); });
}

// ---- start --------------------------------------------------------------------------------

function start() {
  applyI18n(document);
  bindLanguagePicker(function () {
    renderSessions();
    chatLanguageChanged();
  });
  var auth = document.querySelector('meta[name="weilink-auth"]');
  if (auth && auth.getAttribute("content") === "token") {
    $("sign-out").hidden = false;
    $("sign-out").addEventListener("click", function () {
      api("/logout", { method: "POST", json: {} }).then(function () { window.location.assign("/login"); }, failed);
    });
  }
  $("refresh").addEventListener("click", refresh);
  $("new-login").addEventListener("click", openLogin);
  $("login-form").addEventListener("submit", function (e) {
    e.preventDefault();
    startLogin($("login-name").value.trim());
  });
  $("login-retry").addEventListener("click", function () { startLogin(qr.name); });
  var closers = document.querySelectorAll("#login-modal [data-close]");
  for (var i = 0; i < closers.length; i++) closers[i].addEventListener("click", closeLogin);
  $("login-modal").addEventListener("click", function (e) { if (e.target === $("login-modal")) closeLogin(); });
  document.addEventListener("keydown", function (e) {
    if (e.key !== "Escape") return;
    if (!$("login-modal").hidden) closeLogin();
    else if (!$("chat").hidden) closeChat();
  });
  chatStart();
  refresh();
  view.refreshTimer = setInterval(refresh, 15000);
  listen();
}

if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
else start();
`;
