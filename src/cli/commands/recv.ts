/**
 * `weilink recv [-t SECONDS] [--consumer NAME]`.
 *
 * Each run prints the messages received after the consumer's durable position (default consumer
 * `cli`), so repeated runs show every message once, whether this process polls or another one
 * (an MCP server, a bot) does. The position moves only after the output is written: a run killed
 * before that prints the same messages again next time, never loses them.
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { describeMessage } from "../message_line.ts";
import { parseSeconds } from "../flag_values.ts";
import { withClient } from "../open_client.ts";
import { describePermission } from "../cli_errors.ts";
import type { WeiLinkEvent } from "../../client/mod.ts";

/** Default wait, as in the original CLI. */
const DEFAULT_TIMEOUT_SECONDS = 5;
/** Consumer whose position `recv` follows unless `--consumer` names another. */
export const DEFAULT_CONSUMER = "cli";

/** Waits up to `--timeout` seconds and prints what arrived. */
export async function runRecv(ctx: CommandContext): Promise<number> {
  const raw = ctx.values.timeout;
  const timeout = typeof raw === "string"
    ? parseSeconds(raw, "--timeout")
    : DEFAULT_TIMEOUT_SECONDS;
  const name = typeof ctx.values.consumer === "string" ? ctx.values.consumer : DEFAULT_CONSUMER;
  // The client retries failed polls until the timeout; one Deno refused (no --allow-net for the
  // API host) fails the same way every time, so it ends the command at once with the flag named.
  const refused = new AbortController();
  const signal = AbortSignal.any([ctx.signal, refused.signal]);
  const onEvent = (event: WeiLinkEvent) => {
    if (event.type === "poll_failed" && describePermission(event.error)) refused.abort(event.error);
  };
  await withClient(ctx.common, async (client) => {
    const reader = client.consumer(name);
    const messages = await reader.recv({ timeout, signal });
    // The new position is written (and fsynced) aside first; it takes effect with one rename
    // right after the output is written, so a kill repeats a batch at worst, never loses one.
    const commit = await reader.prepareAck();
    ctx.out.result(messages.map((m) => m.toJSON()), () => {
      if (messages.length === 0) return "No new messages.";
      return [
        ...messages.map((m) => describeMessage(m)),
        "",
        `  ${messages.length} message(s) received.`,
      ];
    });
    commit();
  }, { onEvent });
  return 0;
}
