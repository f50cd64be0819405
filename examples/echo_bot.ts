/**
 * Echo bot: replies to every text with the same text.
 *
 * Against the local sandbox:
 *
 * ```sh
 * deno task sandbox            # prints WEILINK_BASE_URL / WEILINK_CDN_BASE_URL exports
 * export WEILINK_BASE_URL=... WEILINK_CDN_BASE_URL=... WEILINK_HOME=/tmp/weilink-demo
 * deno run -A examples/echo_bot.ts   # then confirm the login on the sandbox phone page
 * ```
 *
 * @module
 */
import { WeiLink } from "@weilink/core";

await using wl = new WeiLink();
const bot = await wl.login();
console.error(`Logged in as ${bot.botId}; Ctrl+C to stop`);

wl.onMessage(async (msg) => {
  if (!msg.text) return;
  await wl.sendTyping(msg.fromUser);
  const result = await wl.send(msg.fromUser, { text: `echo: ${msg.text}` });
  await wl.stopTyping(msg.fromUser);
  if (!result.success) console.error(`Reply failed: ${result.error}`);
});

await wl.runForever();
