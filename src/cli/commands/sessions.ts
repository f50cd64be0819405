/**
 * `weilink status`, `weilink sessions`, `sessions rename OLD NEW`, `sessions default NAME`.
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { withClient } from "../open_client.ts";

/** One row of `status --json`: the original's shape, plus `expired`. */
interface SessionRow {
  name: string;
  bot_id: string | null;
  user_id: string | null;
  connected: boolean;
  default: boolean;
  /** The server answered -14 for the session's token (seen by any process). */
  expired: boolean;
}

/** Lists the sessions of the data directory. Makes no network call. */
export async function runList(ctx: CommandContext): Promise<number> {
  const rows = await withClient(
    ctx.common,
    (client) =>
      Promise.resolve(
        Object.values(client.sessions).map((s): SessionRow => ({
          name: s.name,
          bot_id: s.botId ?? null,
          user_id: s.userId ?? null,
          connected: s.isConnected,
          default: s.isDefault,
          expired: s.isExpired,
        })),
      ),
    { messageStore: false },
  );
  ctx.out.result(rows, () => {
    if (rows.length === 0) return "No sessions found. Run 'weilink login' to add one.";
    return rows.map((s) => {
      const marker = s.default ? "*" : " ";
      const bot = s.bot_id ? `  (bot: ${s.bot_id})` : "";
      const state = s.connected
        ? "connected"
        : s.expired
        ? "expired (log in again)"
        : "disconnected";
      return `  ${marker} ${s.name}: ${state}${bot}`;
    });
  });
  return 0;
}

/** Renames a session folder. */
export async function runRename(ctx: CommandContext): Promise<number> {
  const [oldName, newName] = ctx.positionals as [string, string];
  await withClient(ctx.common, (client) => client.renameSession(oldName, newName), {
    messageStore: false,
  });
  ctx.out.result(
    { success: true, old_name: oldName, new_name: newName },
    () => `Session '${oldName}' renamed to '${newName}'.`,
  );
  return 0;
}

/** Makes a session the default one. */
export async function runSetDefault(ctx: CommandContext): Promise<number> {
  const [name] = ctx.positionals as [string];
  await withClient(ctx.common, (client) => client.setDefault(name), { messageStore: false });
  ctx.out.result(
    { success: true, default_session: name },
    () => `Default session set to '${name}'.`,
  );
  return 0;
}
