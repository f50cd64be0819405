/**
 * History filters: validation and translation into a parameterised `WHERE` clause.
 *
 * @module
 */

import { MessageDirection } from "../models/mod.ts";
import { CANDIDATES_CLAUSE, phrase } from "./text_index.ts";

/** Filters shared by {@linkcode MessageStore.query} and {@linkcode MessageStore.count}. */
export interface MessageFilter {
  /** The conversation's WeChat user (sender of received rows, recipient of sent rows). */
  userId?: string;
  /** Bot account. */
  botId?: string;
  /** Type of the first item, a `MessageType` value (or another wire item type such as 11). */
  msgType?: number;
  /** Received or sent. */
  direction?: MessageDirection;
  /** Earliest creation time, epoch ms or `Date`, inclusive. */
  since?: number | Date;
  /** Latest creation time, epoch ms or `Date`, inclusive. */
  until?: number | Date;
  /** Substring of the text; `%`, `_` and `\` match literally (ASCII case-insensitive). */
  textContains?: string;
}

/**
 * A page of history: {@linkcode MessageFilter} plus paging.
 *
 * Pages are in the order `timestamp_ms DESC, id DESC` (newest first). Offset paging counts rows
 * from the newest, so a message stored between two requests shifts every later page by one:
 * the next page repeats a row. Keyset paging (`cursor` or `beforeId`) names a place in that
 * order instead, and a page holds only rows after it, whatever arrived since.
 */
export interface QueryOptions extends MessageFilter {
  /** Page size, default 50, capped at {@linkcode MAX_QUERY_LIMIT}. */
  limit?: number;
  /** Rows to skip, default 0 (counted after the `cursor` or `beforeId` row when one is given). */
  offset?: number;
  /**
   * Continue after an earlier page: its `nextCursor` ({@linkcode MessageStore.queryPage}). The
   * text is opaque; only rows older in page order than the last row of that page are returned.
   */
  cursor?: string | undefined;
  /**
   * Only rows older in page order than the stored message with this server id (a decimal
   * string): the page that a listing showing that message continues with.
   */
  beforeId?: string | undefined;
}

/** A place in page order: the `timestamp_ms` and row `id` of a row. */
export interface PageKey {
  /** The row's `timestamp_ms`. */
  timestampMs: bigint;
  /** The row's `id`. */
  id: bigint;
}

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const CURSOR = /^(-?\d{1,19})\.(\d{1,19})$/;

/**
 * The cursor of a row: its `timestamp_ms` and `id` in decimal, joined by a dot. Callers treat it
 * as opaque; the format may change between versions.
 */
export function encodeCursor(key: PageKey): string {
  return `${key.timestampMs}.${key.id}`;
}

/**
 * The place a cursor names.
 *
 * @throws {TypeError} When `cursor` is not a string.
 * @throws {RangeError} When it is not a cursor this module made.
 */
export function decodeCursor(cursor: unknown): PageKey {
  if (typeof cursor !== "string") {
    throw new TypeError(`Invalid option "cursor": expected a string, got ${typeof cursor}`);
  }
  const match = CURSOR.exec(cursor);
  const timestampMs = match ? BigInt(match[1]!) : 0n;
  const id = match ? BigInt(match[2]!) : 0n;
  if (!match || timestampMs < INT64_MIN || timestampMs > INT64_MAX || id > INT64_MAX) {
    throw new RangeError(
      `Invalid option "cursor": "${cursor.slice(0, 40)}" is not the next_cursor of a page`,
    );
  }
  return { timestampMs, id };
}

/** Where a keyset page starts: a decoded `cursor`, or the id of a message to look up. */
export type PageAnchor = { key: PageKey } | { beforeId: string };

/**
 * Where the page of `options` starts: the place its `cursor` names, the message id its
 * `beforeId` gives (for the store to look up), or `undefined` for the newest rows.
 *
 * @throws {TypeError} When both are given, or `cursor` is not a string.
 * @throws {RangeError} When `cursor` is not a cursor this module made.
 */
export function pageAnchor(
  options: Pick<QueryOptions, "cursor" | "beforeId"> | undefined,
): PageAnchor | undefined {
  const { cursor, beforeId } = options ?? {};
  const hasCursor = cursor !== undefined && cursor !== null && cursor !== "";
  const hasId = beforeId !== undefined && beforeId !== null && beforeId !== "";
  if (hasCursor && hasId) {
    throw new TypeError('Invalid options: give "cursor" or "beforeId", not both');
  }
  if (hasCursor) return { key: decodeCursor(cursor) };
  return hasId ? { beforeId } : undefined;
}

/** The error for a `beforeId` that names no stored message. */
export function unknownBeforeId(beforeId: string): RangeError {
  return new RangeError(`Invalid option "beforeId": no stored message has the id "${beforeId}"`);
}

/** Default page size of {@linkcode MessageStore.query}. */
export const DEFAULT_QUERY_LIMIT = 50;
/** Largest page {@linkcode MessageStore.query} returns; larger limits are capped to it. */
export const MAX_QUERY_LIMIT = 200;

/** A compiled filter: SQL text after `FROM messages` and its parameters. */
export interface CompiledFilter {
  where: string;
  params: (string | number | bigint)[];
}

function optionalString(name: string, value: unknown): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") {
    throw new TypeError(`Invalid filter "${name}": expected a string, got ${typeof value}`);
  }
  // An empty string means "no filter", as in the original (query strings often carry `x=`).
  return value === "" ? undefined : value;
}

/** Validates an integer option; `undefined`/`null` yields `undefined`. */
export function optionalInteger(name: string, value: unknown, min: number): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || Number.isNaN(value)) {
    throw new TypeError(`Invalid option "${name}": expected a number, got ${String(value)}`);
  }
  if (!Number.isSafeInteger(value) || value < min) {
    throw new RangeError(
      `Invalid option "${name}": ${value} is not an integer greater than or equal to ${min}`,
    );
  }
  return value;
}

function optionalTime(name: string, value: unknown): number | undefined {
  if (value === undefined || value === null) return undefined;
  const ms = value instanceof Date ? value.getTime() : value;
  if (typeof ms !== "number") {
    throw new TypeError(`Invalid filter "${name}": expected epoch milliseconds or a Date`);
  }
  if (!Number.isFinite(ms)) {
    throw new RangeError(`Invalid filter "${name}": ${String(value)} is not a valid time`);
  }
  return ms;
}

/** Validates a direction value; `undefined` yields `undefined`. */
export function optionalDirection(value: unknown): MessageDirection | undefined {
  if (value === undefined || value === null) return undefined;
  if (value !== MessageDirection.RECEIVED && value !== MessageDirection.SENT) {
    throw new RangeError(
      `Invalid filter "direction": ${
        String(value)
      } is neither ${MessageDirection.RECEIVED} (received) nor ${MessageDirection.SENT} (sent)`,
    );
  }
  return value;
}

/** Escapes `LIKE` wildcards so the needle matches literally under `ESCAPE '\'`. */
export function likeContains(needle: string): string {
  return `%${needle.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}

/**
 * Validates a filter object and compiles it into a `WHERE` clause (empty when unfiltered). With
 * `indexed`, a text filter is narrowed to the full-text index's candidates first (see
 * `text_index.ts`); the `LIKE` test stays, so the rows are the same. With `before`, only rows
 * after that place in page order (`timestamp_ms DESC, id DESC`) match.
 */
export function compileFilter(
  filter: MessageFilter | undefined,
  indexed = false,
  before?: PageKey,
): CompiledFilter {
  if (filter !== undefined && (typeof filter !== "object" || filter === null)) {
    throw new TypeError("Invalid filter: expected an object");
  }
  const f = filter ?? {};
  const clauses: string[] = [];
  const params: (string | number | bigint)[] = [];
  const userId = optionalString("userId", f.userId);
  if (userId !== undefined) {
    clauses.push("user_id = ?");
    params.push(userId);
  }
  const botId = optionalString("botId", f.botId);
  if (botId !== undefined) {
    clauses.push("bot_id = ?");
    params.push(botId);
  }
  const msgType = optionalInteger("msgType", f.msgType, 0);
  if (msgType !== undefined) {
    clauses.push("msg_type = ?");
    params.push(msgType);
  }
  const direction = optionalDirection(f.direction);
  if (direction !== undefined) {
    clauses.push("direction = ?");
    params.push(direction);
  }
  const since = optionalTime("since", f.since);
  const until = optionalTime("until", f.until);
  if (since !== undefined && until !== undefined && since > until) {
    throw new RangeError(`Invalid filter: "since" (${since}) is later than "until" (${until})`);
  }
  if (since !== undefined) {
    clauses.push("timestamp_ms >= ?");
    params.push(since);
  }
  if (until !== undefined) {
    clauses.push("timestamp_ms <= ?");
    params.push(until);
  }
  const text = optionalString("textContains", f.textContains);
  if (text !== undefined) {
    if (indexed) {
      clauses.push(CANDIDATES_CLAUSE);
      params.push(phrase(text));
    }
    clauses.push("text LIKE ? ESCAPE '\\'");
    params.push(likeContains(text));
  }
  if (before !== undefined) {
    // Equal to `timestamp_ms < t OR (timestamp_ms = t AND id < i)`; the first term alone lets
    // SQLite walk the time index from t down instead of testing every row.
    clauses.push("timestamp_ms <= ? AND (timestamp_ms < ? OR id < ?)");
    params.push(before.timestampMs, before.timestampMs, before.id);
  }
  return { where: clauses.length ? ` WHERE ${clauses.join(" AND ")}` : "", params };
}
