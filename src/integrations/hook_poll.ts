/**
 * `hook-poll`: the new received messages of a named reader, as text for an agent's context.
 *
 * The Python original remembered the wall-clock time of its last run and asked the store for
 * messages with a later server timestamp: a message stored late (a slow poll, a clock that
 * differs from the server's) was never shown, and one that arrived during a run could be shown
 * twice. Here the position is the store's row id, which SQLite hands out in commit order, so
 * "every row after the position" is exact: each message is delivered once, in order.
 *
 * The position is a named consumer's, in the same file and format as the SDK's consumers
 * (`<data dir>/.consumers/<name>.json`, `{"rowid", "updated_at"}`, mode 0600) under the same lock
 * (`<name>.lock`), so `weilink recv --consumer hook` and this hook share it, and two hooks running
 * at once never hand out the same message. It moves (one atomic rename) only after the output was
 * handed over: a run killed before that repeats its messages next time instead of losing them.
 *
 * It never polls the network and never waits long: an agent gives the hook a few seconds. The
 * store is opened without pruning or schema work (a missing store is "no messages", and is not
 * created), with a short busy timeout; a lock held by another reader for longer than
 * {@linkcode HookPollOptions.lockWaitMs} answers "no messages" rather than making the agent wait.
 *
 * @module
 */

import { DataDir, prepareAtomicWrite, toPythonJson } from "../client/data_dir.ts";
import { FileLock } from "../client/file_lock.ts";
import type { Logger } from "../client/logger.ts";
import { type Message, MessageDirection, MessageType, messageTypeName } from "../models/mod.ts";
import { sleep } from "../protocol/sleep.ts";
import type { MessageStore } from "../store/mod.ts";

/** Messages one call returns by default, as in the original. */
export const DEFAULT_HOOK_LIMIT = 20;
/** The consumer whose position `hook-poll` follows by default. */
export const DEFAULT_HOOK_CONSUMER = "hook";
/** A reader without a position starts with the messages of the last five minutes. */
export const FIRST_LOOKBACK_MS = 5 * 60 * 1000;
/** Largest `limit`: what an agent's context can take in one prompt. */
export const MAX_HOOK_LIMIT = 1000;

/** Same rule as the SDK's consumer names (they share the position files). */
const CONSUMER_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** What `hook-poll` prints: the original's three keys. */
export interface HookPollResult {
  /** Whether `context` holds messages. */
  has_messages: boolean;
  /** Number of messages in `context`. */
  count: number;
  /** The messages as text for the agent (empty when there are none). */
  context: string;
}

/** Options of {@linkcode hookPoll}. */
export interface HookPollOptions {
  /** Absolute data directory. */
  basePath: string;
  /** Most messages to return (default 20); the rest follow on the next calls. */
  limit?: number;
  /** Whose position to follow (default `hook`). */
  consumer?: string;
  /** Forget the position (the next call starts again with the last five minutes). */
  reset?: boolean;
  /** Clock in epoch ms (default `Date.now`). */
  now?: () => number;
  /** How long to wait for another reader of the same consumer (default 1500 ms). */
  lockWaitMs?: number;
  /** How long SQLite waits for a writer's lock (default 1000 ms). */
  busyTimeoutMs?: number;
  /** Where warnings go (a corrupt position file). */
  logger: Logger;
}

/**
 * Checks a consumer name (the rule of the SDK's consumers, whose position files these are).
 *
 * @throws {TypeError} When `name` is not 1-64 letters, digits, `.`, `_` or `-`.
 */
export function checkConsumerName(name: string): void {
  if (!CONSUMER_NAME.test(name)) {
    throw new TypeError(
      `Invalid consumer name "${name}": use 1-64 letters, digits, ".", "_" or "-"`,
    );
  }
}

/** The answer when there is nothing to show. */
export function noMessages(): HookPollResult {
  return { has_messages: false, count: 0, context: "" };
}

function clockTime(ms: number): string {
  if (!Number.isFinite(ms)) return "??:??:??";
  const date = new Date(ms);
  return Number.isNaN(date.getTime()) ? "??:??:??" : date.toISOString().slice(11, 19);
}

/** One message as the original's hook prints it: `[12:00:00] user (TEXT): text [file: a.pdf]`. */
export function hookLine(message: Message): string {
  const type = messageTypeName(message.msgType);
  let line = `[${clockTime(message.timestamp)}] ${message.fromUser || "unknown"} (${type})`;
  if (message.text) line += `: ${message.text}`;
  if (message.msgType === MessageType.IMAGE && message.image) {
    line += " [image]";
  } else if (message.msgType === MessageType.VOICE && message.voice) {
    line += ` [voice ${message.voice.playtime}ms]`;
    if (message.voice.text) line += ` transcription: ${message.voice.text}`;
  } else if (message.msgType === MessageType.FILE && message.file) {
    line += ` [file: ${message.file.fileName || "?"}]`;
  } else if (message.msgType === MessageType.VIDEO) {
    line += " [video]";
  }
  const quoted = message.refMsg?.text;
  if (quoted) line += ` (reply to: ${Array.from(quoted).slice(0, 40).join("")})`;
  return line;
}

/** The context block for `messages`, with a note when more are waiting. */
export function hookContext(messages: readonly Message[], more: boolean): string {
  const lines = ["== New WeChat Messages ==", ...messages.map(hookLine)];
  lines.push(
    `\n${messages.length} new message(s). Use WeiLink MCP tools to respond if needed.`,
  );
  if (more) {
    lines.push(
      "More new messages are waiting: they follow with the next prompt (or use the history tool).",
    );
  }
  return lines.join("\n");
}

/** The position in the file, or `undefined` when there is none (or it is unreadable). */
function readPosition(path: string, logger: Logger): number | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) logger.warn(`Cannot read "${path}": ${error}`);
    return undefined;
  }
  try {
    const rowid = (JSON.parse(text) as { rowid?: unknown }).rowid;
    if (typeof rowid === "number" && Number.isSafeInteger(rowid) && rowid >= 0) return rowid;
  } catch {
    // Reported below.
  }
  logger.warn(`Ignoring the corrupt position in "${path}": starting from the last five minutes`);
  return undefined;
}

function exists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Takes `lock` without blocking, retrying until `waitMs` has passed. */
async function tryLockFor(lock: FileLock, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await lock.tryLock()) return true;
    if (Date.now() >= deadline) return false;
    await sleep(Math.min(25, deadline - Date.now()));
  }
}

/**
 * The received messages after the consumer's position, at most `limit`, oldest first. `deliver`
 * is called with the result while the consumer is locked; the position moves past the delivered
 * messages right after it returns (not when it throws).
 *
 * @throws {TypeError} For an invalid consumer name.
 * @throws {RangeError} For a limit that is not an integer from 1 to 1000.
 */
export async function hookPoll(
  options: HookPollOptions,
  deliver: (result: HookPollResult) => void | Promise<void> = () => {},
): Promise<HookPollResult> {
  const name = options.consumer ?? DEFAULT_HOOK_CONSUMER;
  checkConsumerName(name);
  const limit = options.limit ?? DEFAULT_HOOK_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_HOOK_LIMIT) {
    throw new RangeError(`Invalid limit ${limit}: expected an integer from 1 to ${MAX_HOOK_LIMIT}`);
  }
  const now = options.now ?? Date.now;
  const dir = new DataDir(options.basePath, options.logger);
  const storePath = `${dir.basePath}/messages.db`;
  const positionPath = dir.consumerPath(name);
  // Nothing to read and nothing to forget: leave the data directory exactly as it is.
  if (!exists(storePath) && !(options.reset && exists(positionPath))) {
    const empty = noMessages();
    await deliver(empty);
    return empty;
  }
  const lock = FileLock.acquireHandle(dir.consumerLockPath(name));
  let store: MessageStore | undefined;
  try {
    if (!(await tryLockFor(lock, options.lockWaitMs ?? 1500))) {
      options.logger.debug(`Consumer "${name}" is being read by another process`);
      const busy = noMessages();
      await deliver(busy);
      return busy;
    }
    if (options.reset) {
      try {
        Deno.removeSync(positionPath);
      } catch (error) {
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
      const empty = noMessages();
      await deliver(empty);
      return empty;
    }
    const { MessageStore } = await import("../store/mod.ts");
    store = new MessageStore(storePath, {
      maxAgeDays: null,
      maxCount: null,
      busyTimeoutMs: options.busyTimeoutMs ?? 1000,
    });
    const saved = readPosition(positionPath, options.logger);
    let position = saved;
    // A position beyond the last row means the store was deleted and started over.
    if (position === undefined || position > store.maxRowId()) {
      const [first] = store.queryRecent({ sinceMs: now() - FIRST_LOOKBACK_MS, limit: 1 });
      position = first ? first.rowid - 1 : store.maxRowId();
    }
    const rows = store.querySince(position, {
      direction: MessageDirection.RECEIVED,
      limit: limit + 1,
    });
    const shown = rows.slice(0, limit);
    const result = shown.length === 0 ? noMessages() : {
      has_messages: true,
      count: shown.length,
      context: hookContext(shown.map((r) => r.message), rows.length > limit),
    };
    const next = shown[shown.length - 1]?.rowid ?? position;
    if (next === saved) {
      await deliver(result);
      return result;
    }
    const write = await prepareAtomicWrite(
      positionPath,
      toPythonJson({ rowid: next, updated_at: now() / 1000 }),
      0o600,
    );
    try {
      await deliver(result);
    } catch (error) {
      write.abort();
      throw error;
    }
    write.commitSync();
    return result;
  } finally {
    store?.close();
    await lock.unlock();
    FileLock.releaseHandle(lock);
  }
}

/**
 * The result in the hook protocol of Claude Code and Codex: the context as
 * `hookSpecificOutput.additionalContext` of a `UserPromptSubmit` hook, or `{}` when there is
 * nothing to add.
 */
export function hookOutput(result: HookPollResult): Record<string, unknown> {
  if (!result.has_messages) return {};
  return {
    hookSpecificOutput: { hookEventName: "UserPromptSubmit", additionalContext: result.context },
  };
}
