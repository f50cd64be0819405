/**
 * The query string of `GET /api/messages`, read strictly: a value that is not what its parameter
 * takes is a 400 naming it (the original dropped the connection on `limit=abc`).
 *
 * @module
 */

import { MessageDirection, MessageType } from "../models/mod.ts";
import { parseTime } from "../input/mod.ts";
import { MAX_QUERY_LIMIT, type QueryOptions } from "../store/mod.ts";
import { AdminHttpError } from "./admin_errors.ts";

/** Page size when `limit` is not given (as the original). */
export const DEFAULT_PAGE = 30;

/**
 * `user_id`, `bot_id`, `msg_type` (1-5 or TEXT…VIDEO), `direction` (1/2 or received/sent),
 * `text_contains`, `limit` (at most 200), `offset`, `cursor` (the `next_cursor` of an earlier
 * page), `since` and `until` (the CLI's forms: ISO 8601, unix ms, `2h`, `7d`…) as store query
 * options. The store checks the cursor.
 *
 * @throws {AdminHttpError} 400 naming the first invalid parameter.
 */
export function historyQuery(params: URLSearchParams, now: number = Date.now()): QueryOptions {
  const text = (name: string) => {
    const value = params.get(name);
    return value === null || value === "" ? undefined : value;
  };
  const options: QueryOptions = {
    limit: Math.min(integer("limit", text("limit"), 0) ?? DEFAULT_PAGE, MAX_QUERY_LIMIT),
    offset: integer("offset", text("offset"), 0) ?? 0,
  };
  const userId = text("user_id");
  if (userId !== undefined) options.userId = userId;
  const botId = text("bot_id");
  if (botId !== undefined) options.botId = botId;
  const cursor = text("cursor");
  if (cursor !== undefined) options.cursor = cursor;
  const contains = text("text_contains");
  if (contains !== undefined) options.textContains = contains;
  const type = text("msg_type");
  if (type !== undefined) {
    const named = MessageType[type.toUpperCase() as keyof typeof MessageType];
    options.msgType = typeof named === "number" ? named : integer("msg_type", type, 0)!;
  }
  const direction = text("direction");
  if (direction !== undefined) {
    const lower = direction.toLowerCase();
    options.direction = lower === "received" || direction === "1"
      ? MessageDirection.RECEIVED
      : lower === "sent" || direction === "2"
      ? MessageDirection.SENT
      : invalid("direction", direction, "1 (received) or 2 (sent)");
  }
  for (const name of ["since", "until"] as const) {
    const value = text(name);
    if (value === undefined) continue;
    try {
      options[name] = parseTime(value, name, now);
    } catch (error) {
      throw new AdminHttpError(400, (error as Error).message, { cause: error });
    }
  }
  if (options.since !== undefined && options.until !== undefined && options.since > options.until) {
    throw new AdminHttpError(400, "Invalid range: 'since' is after 'until'");
  }
  return options;
}

function integer(name: string, value: string | undefined, min: number): number | undefined {
  if (value === undefined) return undefined;
  if (!/^\d{1,15}$/.test(value) || Number(value) < min) {
    invalid(name, value, `an integer >= ${min}`);
  }
  return Number(value);
}

function invalid(name: string, value: string, expected: string): never {
  throw new AdminHttpError(400, `Invalid '${name}' '${value}': expected ${expected}`);
}
