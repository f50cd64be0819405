/**
 * `weilink history [--user --bot --type --direction --since --until --text --limit]
 * [--cursor C | --before-id ID | --offset N]`.
 *
 * Reads the message store directly: no client, no network, and a data
 * directory without a store simply has no history (nothing is created).
 *
 * Pages go back in time: a page ends with the cursor of the next one (`next_cursor` in
 * `--json`), which `--cursor` continues from. `--before-id` starts after a message that a
 * listing showed. Unlike `--offset`, neither shifts when messages arrive between two calls.
 *
 * @module
 */

import type { Message } from "../../models/mod.ts";
import { type HistoryPage, MessageStore, type QueryOptions } from "../../store/mod.ts";
import { historyJson } from "../../store/history_json.ts";
import type { CommandContext } from "../command.ts";
import { parseDirection, parseInteger, parseMessageType, parseTime } from "../flag_values.ts";
import { dataDirectory } from "../open_client.ts";
import { UsageError } from "../flags.ts";
import { describeMessage } from "../message_line.ts";

/** Default page size, as in the original. */
const DEFAULT_LIMIT = 50;
/** The store returns at most this many rows per page; asking for more is an error. */
const MAX_LIMIT = 200;

/** Builds store filters from the flags, rejecting any value it cannot read. */
export function historyQuery(values: CommandContext["values"], now = Date.now()): QueryOptions {
  const str = (name: string) => (typeof values[name] === "string" ? values[name] : undefined);
  const query: QueryOptions = { limit: DEFAULT_LIMIT, offset: 0 };
  const user = str("user");
  if (user) query.userId = user;
  const bot = str("bot");
  if (bot) query.botId = bot;
  const type = str("type");
  if (type !== undefined) query.msgType = parseMessageType(type);
  const direction = str("direction");
  if (direction !== undefined) query.direction = parseDirection(direction);
  const since = str("since");
  if (since !== undefined) query.since = parseTime(since, "--since", now);
  const until = str("until");
  if (until !== undefined) query.until = parseTime(until, "--until", now);
  if (
    typeof query.since === "number" && typeof query.until === "number" && query.since > query.until
  ) {
    throw new UsageError(`Invalid time range: --since '${since}' is after --until '${until}'`);
  }
  const text = str("text");
  if (text) query.textContains = text;
  const limit = str("limit");
  if (limit !== undefined) query.limit = parseInteger(limit, "--limit", { min: 1, max: MAX_LIMIT });
  const offset = str("offset");
  if (offset !== undefined) query.offset = parseInteger(offset, "--offset", { min: 0 });
  const cursor = str("cursor");
  const beforeId = str("before-id");
  if (cursor !== undefined && beforeId !== undefined) {
    throw new UsageError("Give --cursor or --before-id, not both");
  }
  if (cursor !== undefined) query.cursor = cursor.trim();
  if (beforeId !== undefined) {
    if (!/^\d{1,20}$/.test(beforeId.trim())) {
      throw new UsageError(`Invalid --before-id '${beforeId}': expected a message id (digits)`);
    }
    query.beforeId = beforeId.trim();
  }
  return query;
}

/**
 * One page from the store. A cursor the store cannot read was not printed by a page: a usage
 * error. The other flags were checked by {@linkcode historyQuery}.
 */
function readPage(store: MessageStore, query: QueryOptions): HistoryPage {
  try {
    return store.queryPage(query);
  } catch (error) {
    if (error instanceof RangeError && query.cursor !== undefined) {
      throw new UsageError(
        `Invalid --cursor '${query.cursor}': use the cursor that the previous page printed`,
      );
    }
    throw error;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** Prints one page of history, newest first, and the total number of matches. */
export async function runHistory(ctx: CommandContext): Promise<number> {
  const query = historyQuery(ctx.values);
  const path = `${dataDirectory(ctx.common)}/messages.db`;
  let messages: Message[] = [];
  let total = 0;
  let nextCursor: string | undefined;
  if (await exists(path)) {
    using store = new MessageStore(path, { maxAgeDays: null, maxCount: null });
    const { limit: _limit, offset: _offset, cursor: _cursor, beforeId: _id, ...filter } = query;
    ({ messages, nextCursor } = readPage(store, query));
    total = store.count(filter);
  }
  const rows = messages.map(historyJson);
  ctx.out.result(
    {
      messages: rows,
      total,
      limit: query.limit,
      offset: query.offset,
      next_cursor: nextCursor ?? null,
    },
    () => {
      if (rows.length === 0) return "No messages found.";
      return [
        ...messages.map((m, i) => {
          const row = rows[i]!;
          // from_user is the user of the conversation in both directions.
          return describeMessage(m, {
            peer: row.from_user,
            prefix: `${row.direction.padStart(8)} `,
            maxText: 80,
          });
        }),
        "",
        `  Showing ${rows.length} of ${total} message(s).`,
        ...(nextCursor === undefined ? [] : [`  Next page: --cursor ${nextCursor}`]),
      ];
    },
  );
  return 0;
}
