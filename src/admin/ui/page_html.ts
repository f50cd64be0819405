/**
 * The markup of the panel and of its sign-in page. Static: every value from the server is filled
 * in by the page script, as text. Elements with `data-i18n` get their text from the current
 * language (`data-i18n-placeholder`, `-title` and `-label` fill those attributes).
 *
 * @module
 */

import { VERSION } from "../../version.ts";

const HEAD = `<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="referrer" content="no-referrer">
<link rel="stylesheet" href="/assets/admin.css">`;

const LANGUAGE_PICKER = `<label class="lang">
  <span class="sr-only" data-i18n="header.language">Language</span>
  <select id="lang" data-i18n-title="header.language">
    <option value="en">English</option>
    <option value="zh">中文</option>
  </select>
</label>`;

/** The panel; `tokenRequired` shows the sign-out button. */
export function pageHtml(tokenRequired = false): string {
  return `<!doctype html>
<html lang="en">
<head>
${HEAD}
<meta name="weilink-auth" content="${tokenRequired ? "token" : "none"}">
<title>WeiLink Admin</title>
<script src="/assets/admin.js" defer></script>
</head>
<body>
<header class="topbar">
  <div class="brand">
    <span id="conn-dot" class="dot" role="img" data-i18n-label="header.disconnected"></span>
    <h1 data-i18n="app.title">WeiLink Admin</h1>
    <span id="version" class="version">v${VERSION}</span>
  </div>
  <div class="top-actions">
    ${LANGUAGE_PICKER}
    <button id="refresh" type="button" class="ghost" data-i18n="actions.refresh">Refresh</button>
    <button id="sign-out" type="button" class="ghost" hidden data-i18n="actions.sign_out">Sign out</button>
    <button id="new-login" type="button" class="primary" data-i18n="actions.new_login">Log in a session</button>
  </div>
</header>
<main>
  <section class="cards" aria-live="polite">
    <div class="card"><span class="card-value" id="card-sessions">–</span><span class="card-label" data-i18n="cards.sessions">Sessions</span></div>
    <div class="card"><span class="card-value" id="card-connected">–</span><span class="card-label" data-i18n="cards.connected">Connected</span></div>
    <div class="card"><span class="card-value" id="card-users">–</span><span class="card-label" data-i18n="cards.active_users">Users you can reply to</span></div>
  </section>
  <section class="panel">
    <h2 data-i18n="sessions.title">Sessions</h2>
    <div id="sessions"></div>
  </section>
</main>

<div id="login-modal" class="overlay" hidden>
  <div class="modal" role="dialog" aria-modal="true" aria-labelledby="login-title">
    <h2 id="login-title" data-i18n="login.title">Log in a session</h2>
    <form id="login-form">
      <label for="login-name" data-i18n="login.session_name">Session name</label>
      <input id="login-name" name="name" autocomplete="off" data-i18n-placeholder="login.placeholder">
      <p class="hint" data-i18n="login.hint"></p>
      <div class="modal-actions">
        <button type="button" class="ghost" data-close data-i18n="login.cancel">Cancel</button>
        <button type="submit" class="primary" data-i18n="login.start">Show QR code</button>
      </div>
    </form>
    <div id="login-qr" hidden>
      <p class="qr-caption" data-i18n="login.scan">Scan with WeChat</p>
      <img id="qr-image" class="qr" alt="QR code" width="240" height="240">
      <p><a id="qr-link" target="_blank" rel="noopener noreferrer" data-i18n="login.open_link">Open the login link</a></p>
      <p id="login-status" class="login-status" role="status"></p>
      <div class="modal-actions">
        <button type="button" class="ghost" data-close data-i18n="login.close">Close</button>
        <button type="button" id="login-retry" hidden data-i18n="login.retry">New QR code</button>
      </div>
    </div>
  </div>
</div>

<aside id="chat" class="drawer" hidden aria-labelledby="chat-title">
  <header class="drawer-head">
    <div class="drawer-title">
      <h2 id="chat-title"></h2>
      <span id="chat-via" class="muted"></span>
    </div>
    <button id="chat-close" type="button" class="icon" data-i18n-title="chat.close" data-i18n-label="chat.close">✕</button>
  </header>
  <div class="drawer-tools">
    <select id="chat-type" data-i18n-title="chat.filter" data-i18n-label="chat.filter">
      <option value="" data-i18n="type.all">All types</option>
      <option value="1" data-i18n="type.TEXT">Text</option>
      <option value="2" data-i18n="type.IMAGE">Image</option>
      <option value="3" data-i18n="type.VOICE">Voice</option>
      <option value="4" data-i18n="type.FILE">File</option>
      <option value="5" data-i18n="type.VIDEO">Video</option>
    </select>
    <input id="chat-search" type="search" data-i18n-placeholder="chat.search" data-i18n-label="chat.search">
  </div>
  <div id="chat-body" class="drawer-body">
    <button id="chat-older" type="button" class="ghost older" hidden data-i18n="chat.load_older">Load older messages</button>
    <p id="chat-empty" class="muted center" hidden data-i18n="chat.empty">No messages.</p>
    <div id="bubbles" class="bubbles" aria-live="polite"></div>
  </div>
  <p id="chat-count" class="drawer-count muted"></p>
  <form id="composer" class="composer">
    <div id="attachment" class="attachment" hidden>
      <span id="attachment-name"></span>
      <button id="attachment-remove" type="button" class="icon" data-i18n-title="chat.remove_attachment" data-i18n-label="chat.remove_attachment">✕</button>
    </div>
    <div class="composer-row">
      <label class="attach" data-i18n-title="chat.attach">
        <svg class="icon" viewBox="0 0 24 24" width="18" height="18" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M20 11.5l-8 8a5 5 0 01-7-7l8.5-8.5a3.5 3.5 0 015 5L10 17.5a2 2 0 01-3-3L14.5 7"/></svg><span class="sr-only" data-i18n="chat.attach">Attach a file</span>
        <input id="file-input" type="file" hidden>
      </label>
      <textarea id="chat-text" rows="1" data-i18n-placeholder="chat.placeholder" data-i18n-title="chat.keys" data-i18n-label="chat.placeholder"></textarea>
      <button id="chat-send" type="submit" class="primary" data-i18n="chat.send">Send</button>
    </div>
  </form>
</aside>
<div id="toast" class="toast" role="status" aria-live="polite" hidden></div>
</body>
</html>
`;
}

/** The sign-in page (served only when the panel has a token). */
export function loginHtml(): string {
  return `<!doctype html>
<html lang="en">
<head>
${HEAD}
<title>WeiLink Admin</title>
<script src="/assets/login.js" defer></script>
</head>
<body class="signin-page">
<main class="signin">
  <div class="signin-head">
    <h1 data-i18n="signin.title">Sign in to WeiLink Admin</h1>
    ${LANGUAGE_PICKER}
  </div>
  <form id="signin-form">
    <label for="token" data-i18n="signin.token">Admin token</label>
    <input id="token" name="token" type="password" autocomplete="current-password" required>
    <p class="hint" data-i18n="signin.hint"></p>
    <p id="signin-error" class="error" role="alert" hidden></p>
    <button type="submit" class="primary" data-i18n="signin.submit">Sign in</button>
  </form>
</main>
</body>
</html>
`;
}
