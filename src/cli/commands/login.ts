/**
 * `weilink login [SESSION] [-f]` and `weilink logout [SESSION]`.
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { withClient } from "../open_client.ts";
import { renderLoginQr } from "../../client/qr.ts";

/** Logs a session in with a QR code shown on stderr; prints the bot and user ids. */
export async function runLogin(ctx: CommandContext): Promise<number> {
  const { out } = ctx;
  const name = ctx.positionals[0];
  const result = await withClient(ctx.common, async (client) => {
    const bot = await client.login({
      ...(name !== undefined ? { name } : {}),
      force: ctx.values.force === true,
      signal: ctx.signal,
      // The QR code is the whole point of this command: shown even with --quiet.
      onQr: async (event) =>
        out.stderr(await renderLoginQr(event.url, event.session, event.attempt)),
      onStatus: (status) => {
        if (status === "scanned") out.notice("Scanned. Confirm the login on the phone.");
      },
    });
    return { bot, session: name ?? client.defaultSessionName };
  }, { messageStore: false });
  const { bot, session } = result;
  out.result(
    { success: true, bot_id: bot.botId, user_id: bot.userId, session },
    () => [
      "Login successful!",
      `  Bot ID:  ${bot.botId}`,
      `  User ID: ${bot.userId}`,
      `  Session: ${session}`,
    ],
  );
  return 0;
}

/** Logs a session out and removes its credentials. */
export async function runLogout(ctx: CommandContext): Promise<number> {
  const name = ctx.positionals[0];
  const session = await withClient(ctx.common, async (client) => {
    const target = name ?? client.defaultSessionName;
    await client.logout(name);
    return target;
  }, { messageStore: false });
  ctx.out.result({ success: true, session }, () => `Session '${session}' logged out.`);
  return 0;
}
