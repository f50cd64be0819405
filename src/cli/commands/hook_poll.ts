/**
 * `weilink hook-poll [-d DIR] [--limit N] [--reset] [--consumer NAME] [--format json|hook]`.
 *
 * Prints the received messages after the consumer's position as one JSON line: the original's
 * `{"has_messages", "count", "context"}`, or with `--format hook` the answer of a
 * `UserPromptSubmit` hook (what the installed hook scripts ask for). Reads the message store
 * only: no network, no client. Every message is shown once; the position moves after the line
 * is written. A failure still prints valid JSON (with `error`) and exits 0, so a hook never
 * blocks the agent; the reason goes to stderr.
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { UsageError } from "../flags.ts";
import { parseInteger } from "../flag_values.ts";
import { dataDirectory } from "../open_client.ts";
import { createStderrLogger } from "../../client/logger.ts";
import {
  checkConsumerName,
  DEFAULT_HOOK_CONSUMER,
  DEFAULT_HOOK_LIMIT,
  hookOutput,
  hookPoll,
  type HookPollResult,
  MAX_HOOK_LIMIT,
} from "../../integrations/mod.ts";

const FORMATS = ["json", "hook"] as const;

/** Prints the new messages for an agent's context. */
export async function runHookPoll(ctx: CommandContext): Promise<number> {
  const str = (name: string) => {
    const value = ctx.values[name];
    return typeof value === "string" ? value : undefined;
  };
  const limitText = str("limit");
  const limit = limitText === undefined
    ? DEFAULT_HOOK_LIMIT
    : parseInteger(limitText, "--limit", { min: 1, max: MAX_HOOK_LIMIT });
  const format = str("format") ?? "json";
  if (!(FORMATS as readonly string[]).includes(format)) {
    throw new UsageError(`Invalid --format '${format}': expected json or hook`, ctx.commandPath);
  }
  const consumer = str("consumer") ?? DEFAULT_HOOK_CONSUMER;
  try {
    checkConsumerName(consumer);
  } catch (error) {
    throw new UsageError(`Invalid --consumer: ${(error as Error).message}`, ctx.commandPath);
  }
  let printed = false;
  const print = (result: HookPollResult & { error?: string }) => {
    printed = true;
    const value = format === "hook" ? hookOutput(result) : result;
    ctx.out.result(value, () => JSON.stringify(value));
  };
  try {
    await hookPoll({
      basePath: dataDirectory(ctx.common),
      limit,
      consumer,
      reset: ctx.values.reset === true,
      logger: createStderrLogger(ctx.common.logLevel),
    }, print);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    ctx.out.log("error", `hook-poll failed: ${message}`);
    if (!printed) print({ has_messages: false, count: 0, context: "", error: message });
  }
  return 0;
}
