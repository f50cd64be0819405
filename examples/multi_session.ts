/**
 * Multi-session bot: one process serving two WeChat accounts ("alice" and "bob" sessions, each in
 * its own folder of the data directory). Replies are routed automatically to the session that
 * received the user's last message. Run it like `echo_bot.ts`; confirm two logins.
 *
 * @module
 */
import { WeiLink } from "@weilink/core";

await using wl = new WeiLink({
  onEvent: (e) => {
    if (e.type === "session_expired") console.error(`Session ${e.session} expired: log in again`);
  },
});
for (const name of ["alice", "bob"]) {
  const bot = await wl.login({ name });
  console.error(`Session ${name}: ${bot.botId}`);
}
for (const [name, s] of Object.entries(wl.sessions)) {
  console.error(`${name}: connected=${s.isConnected} default=${s.isDefault}`);
}

// Without the dispatcher: recv() polls every session in parallel and returns all their messages.
for (;;) {
  for (const msg of await wl.recv({ timeout: 35 })) {
    const session = Object.values(wl.sessions).find((s) => s.botId === msg.botId)?.name;
    await wl.send(msg.fromUser, `[${session}] you said: ${msg.text ?? "(media)"}`);
  }
}
