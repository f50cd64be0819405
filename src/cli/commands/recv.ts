/**
 * `weilink recv [-t SECONDS]`.
 *
 * @module
 */

import type { Message } from "../../models.ts";
import { messageTypeName } from "../../models.ts";
import type { CommandContext } from "../command.ts";
import { parseSeconds } from "../flag_values.ts";
import { withClient } from "../open_client.ts";

/** Default wait, as in the original CLI. */
const DEFAULT_TIMEOUT_SECONDS = 5;

/** `2026-03-30 12:00:00` in UTC, as the original prints receive times. */
export function formatTimestamp(ms: number): string {
  return new Date(ms || 0).toISOString().replace("T", " ").slice(0, 19);
}

/** One human-readable line per message: time, sender, type, id and text. */
export function describeMessage(message: Message): string {
  let line = `  [${formatTimestamp(message.timestamp)}] ${message.fromUser} ` +
    `(${messageTypeName(message.msgType)})`;
  if (message.messageId) line += ` #${message.messageId}`;
  const text = message.text ?? message.voice?.text ?? message.file?.fileName;
  if (text) line += `: ${text}`;
  return line;
}

/** Waits up to `--timeout` seconds and prints what arrived. */
export async function runRecv(ctx: CommandContext): Promise<number> {
  const raw = ctx.values.timeout;
  const timeout = typeof raw === "string"
    ? parseSeconds(raw, "--timeout")
    : DEFAULT_TIMEOUT_SECONDS;
  const messages = await withClient(ctx.common, (client) => client.recv({ timeout }));
  ctx.out.result(messages.map((m) => m.toJSON()), () => {
    if (messages.length === 0) return "No new messages.";
    return [...messages.map(describeMessage), "", `  ${messages.length} message(s) received.`];
  });
  return 0;
}
