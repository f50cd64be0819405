/**
 * The panel's style sheet: WeChat's greens and chat bubbles, dark mode from the system setting,
 * and a layout that stays readable on a 390 px wide phone (the users table turns into stacked
 * rows, the chat takes the whole screen).
 *
 * @module
 */

/** `/assets/admin.css`. */
export const ADMIN_STYLE: string = String.raw`
:root {
  --bg: #f3f4f6; --surface: #ffffff; --text: #1f2328; --muted: #6b7280; --line: #e5e7eb;
  --accent: #07c160; --accent-text: #ffffff; --danger: #d93025; --warn: #b45309;
  --bubble-in: #ffffff; --bubble-out: #95ec69; --bubble-text: #111111; --chat-bg: #ededed;
  --shadow: 0 1px 3px rgba(0,0,0,.08), 0 4px 16px rgba(0,0,0,.06);
  color-scheme: light dark;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #111315; --surface: #1c1f22; --text: #e6e6e6; --muted: #9aa0a6; --line: #2e3338;
    --accent: #1aad5c; --danger: #f28b82; --warn: #fbbf24;
    --bubble-in: #2b2e31; --bubble-out: #2f8f4e; --bubble-text: #f1f1f1; --chat-bg: #17191b;
    --shadow: 0 1px 3px rgba(0,0,0,.5);
  }
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--text); line-height: 1.45;
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", "PingFang SC", "Microsoft YaHei", sans-serif;
}
h1 { font-size: 1.15rem; margin: 0; }
h2 { font-size: 1.05rem; margin: 0 0 .75rem; }
button, input, select, textarea { font: inherit; color: inherit; }
button {
  border: 1px solid var(--line); background: var(--surface); border-radius: 8px;
  padding: .4rem .8rem; cursor: pointer; min-height: 36px;
}
button:hover { filter: brightness(.97); }
button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible {
  outline: 2px solid var(--accent); outline-offset: 2px;
}
button.primary { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
button.ghost { background: transparent; }
button.danger { color: var(--danger); }
button.icon { border: none; background: transparent; font-size: 1.1rem; min-width: 36px; }
button:disabled { opacity: .55; cursor: default; }
input, select, textarea {
  background: var(--surface); border: 1px solid var(--line); border-radius: 8px; padding: .4rem .6rem;
  min-height: 36px; max-width: 100%;
}
a { color: var(--accent); }
.sr-only {
  position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap;
}
.muted { color: var(--muted); }
.center { text-align: center; }
.hint { color: var(--muted); font-size: .85rem; margin: .35rem 0 .75rem; }
.error { color: var(--danger); }

.topbar {
  display: flex; flex-wrap: wrap; align-items: center; justify-content: space-between; gap: .5rem;
  padding: .75rem 1rem; background: var(--surface); border-bottom: 1px solid var(--line);
  position: sticky; top: 0; z-index: 5;
}
.brand { display: flex; align-items: center; gap: .5rem; min-width: 0; }
.version { color: var(--muted); font-size: .8rem; }
.top-actions { display: flex; flex-wrap: wrap; align-items: center; gap: .4rem; }
.dot { width: 10px; height: 10px; border-radius: 50%; background: var(--muted); flex: none; }
.dot.on { background: var(--accent); box-shadow: 0 0 0 3px rgba(7,193,96,.2); }
.dot.off { background: var(--muted); }
.dot.down { background: var(--danger); }

main { max-width: 1100px; margin: 0 auto; padding: 1rem; }
.cards { display: grid; grid-template-columns: repeat(3, minmax(0, 1fr)); gap: .75rem; margin-bottom: 1rem; }
.card {
  background: var(--surface); border-radius: 12px; padding: .8rem 1rem; box-shadow: var(--shadow);
  display: flex; flex-direction: column; min-width: 0;
}
.card-value { font-size: 1.6rem; font-weight: 600; }
.card-label { color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; }
.panel { background: var(--surface); border-radius: 12px; padding: 1rem; box-shadow: var(--shadow); }

.session { border: 1px solid var(--line); border-radius: 10px; margin-bottom: .75rem; overflow: hidden; }
.session-head {
  display: flex; flex-wrap: wrap; align-items: center; gap: .5rem; padding: .7rem .8rem;
  cursor: pointer;
}
.session-name { font-weight: 600; overflow-wrap: anywhere; }
.session-meta { color: var(--muted); font-size: .85rem; overflow-wrap: anywhere; flex-basis: 100%; }
.session-actions { display: flex; flex-wrap: wrap; gap: .35rem; margin-left: auto; }
.badge {
  font-size: .75rem; padding: .05rem .45rem; border-radius: 999px; border: 1px solid var(--line);
  white-space: nowrap;
}
.badge.default { border-color: var(--accent); color: var(--accent); }
.badge.ok { background: var(--accent); border-color: var(--accent); color: var(--accent-text); }
.badge.expired { border-color: var(--warn); color: var(--warn); }
.users { width: 100%; border-collapse: collapse; font-size: .9rem; }
.users th, .users td { text-align: left; padding: .5rem .8rem; border-top: 1px solid var(--line); }
.users th { color: var(--muted); font-weight: 500; }
.users td.user-id { overflow-wrap: anywhere; }
.users-empty { padding: .6rem .8rem; color: var(--muted); border-top: 1px solid var(--line); margin: 0; }

.overlay {
  position: fixed; inset: 0; background: rgba(0,0,0,.45); display: flex; align-items: center;
  justify-content: center; padding: 1rem; z-index: 20;
}
.modal {
  background: var(--surface); border-radius: 14px; padding: 1.2rem; width: min(420px, 100%);
  box-shadow: var(--shadow); max-height: 100%; overflow: auto;
}
.modal label { display: block; margin-bottom: .3rem; }
.modal input { width: 100%; }
.modal-actions { display: flex; justify-content: flex-end; gap: .5rem; margin-top: .75rem; }
#login-qr { text-align: center; }
.qr { width: 240px; height: 240px; max-width: 100%; background: #fff; border-radius: 8px; }
.login-status { min-height: 1.4em; font-weight: 500; }
.login-status.ok { color: var(--accent); }
.login-status.bad { color: var(--danger); }

.drawer {
  position: fixed; top: 0; right: 0; bottom: 0; width: min(520px, 100vw); z-index: 10;
  background: var(--chat-bg); display: flex; flex-direction: column;
  box-shadow: -4px 0 24px rgba(0,0,0,.18);
}
.drawer-head {
  display: flex; align-items: center; gap: .5rem; padding: .6rem .8rem; background: var(--surface);
  border-bottom: 1px solid var(--line);
}
.drawer-title { flex: 1; min-width: 0; }
.drawer-title h2 { margin: 0; font-size: 1rem; overflow-wrap: anywhere; }
.drawer-title .muted { font-size: .8rem; }
.drawer-tools { display: flex; gap: .5rem; padding: .5rem .8rem; background: var(--surface); }
.drawer-tools input { flex: 1; min-width: 0; }
.drawer-body { flex: 1; overflow-y: auto; padding: .5rem .8rem; }
.drawer-count { margin: 0; padding: .2rem .8rem; font-size: .75rem; text-align: center; }
.older { display: block; margin: .25rem auto .5rem; font-size: .85rem; }
.bubbles { display: flex; flex-direction: column; gap: .35rem; }
.time-sep { align-self: center; font-size: .75rem; color: var(--muted); margin: .5rem 0 .2rem; }
.msg { display: flex; flex-direction: column; max-width: 82%; }
.msg.received { align-self: flex-start; align-items: flex-start; }
.msg.sent { align-self: flex-end; align-items: flex-end; }
.sender { font-size: .72rem; color: var(--muted); margin: 0 .3rem .1rem; }
.bubble {
  background: var(--bubble-in); color: var(--bubble-text); padding: .45rem .7rem; border-radius: 10px;
  white-space: pre-wrap; overflow-wrap: anywhere; max-width: 100%;
}
.msg.sent .bubble { background: var(--bubble-out); }
.bubble img { display: block; max-width: 100%; max-height: 260px; border-radius: 6px; }
.quote {
  font-size: .8rem; color: var(--muted); border-left: 3px solid var(--line); padding-left: .45rem;
  margin-bottom: .3rem; white-space: normal;
}
.msg.sent a { color: inherit; }
.msg.sent .quote { color: inherit; opacity: .75; border-color: rgba(0,0,0,.2); }
.media-line { display: flex; align-items: center; gap: .35rem; }
.transcript { font-style: italic; margin-top: .25rem; font-size: .9rem; }
.download { display: inline-flex; align-items: center; gap: .25rem; font-size: .8rem; margin-top: .3rem; }
.icon { flex: none; }
.meta { font-size: .7rem; color: var(--muted); margin: .1rem .3rem 0; }

.composer { background: var(--surface); border-top: 1px solid var(--line); padding: .5rem .8rem; }
.composer-row { display: flex; align-items: flex-end; gap: .45rem; }
.composer textarea { flex: 1; min-width: 0; resize: none; max-height: 8rem; }
.attach {
  display: inline-flex; align-items: center; justify-content: center; min-width: 36px; min-height: 36px;
  border: 1px solid var(--line); border-radius: 8px; cursor: pointer;
}
.attachment {
  display: flex; align-items: center; gap: .3rem; font-size: .85rem; margin-bottom: .35rem;
  overflow-wrap: anywhere;
}

.toast {
  position: fixed; left: 50%; bottom: 1rem; transform: translateX(-50%); z-index: 30;
  background: #323232; color: #fff; padding: .55rem 1rem; border-radius: 8px; max-width: calc(100vw - 2rem);
  box-shadow: var(--shadow); overflow-wrap: anywhere;
}
.toast.bad { background: var(--danger); color: #fff; }

.signin-page { display: flex; min-height: 100vh; align-items: center; justify-content: center; padding: 1rem; }
.signin {
  background: var(--surface); border-radius: 14px; padding: 1.5rem; width: min(420px, 100%);
  box-shadow: var(--shadow);
}
.signin-head { display: flex; align-items: flex-start; justify-content: space-between; gap: .5rem; margin-bottom: 1rem; }
.signin label { display: block; margin-bottom: .3rem; }
.signin input { width: 100%; }
.signin button { width: 100%; margin-top: .5rem; }

@media (max-width: 640px) {
  body { font-size: 14px; }
  main { padding: .6rem; }
  .cards { gap: .45rem; }
  .card { padding: .6rem; }
  .card-value { font-size: 1.3rem; }
  .session-actions { margin-left: 0; }
  .users thead { display: none; }
  .users, .users tbody, .users tr, .users td { display: block; width: 100%; }
  .users tr { border-top: 1px solid var(--line); padding: .4rem 0; }
  .users td { border: none; padding: .15rem .8rem; }
  .users td[data-label]::before {
    content: attr(data-label) ": "; color: var(--muted); font-size: .8rem;
  }
  .msg { max-width: 90%; }
}
`;
