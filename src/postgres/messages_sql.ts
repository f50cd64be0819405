/**
 * The message history in PostgreSQL (`weilink_messages`, the columns of `messages.db`): appending
 * batches, following the table by row id, and the history queries of the CLI, the servers and
 * the admin panel.
 *
 * Row ids come from a sequence, and sequences hand out numbers at insert time, not at commit: two
 * transactions appending at once could commit ids 8 and 7 in that order, and a reader that saw 8
 * before 7 committed would skip 7 for good. So appends take one transaction-level advisory lock
 * (`LOCK_CLASS.append`) right before they insert: ids are then committed in increasing order, and
 * a reader that has seen id N has seen every id below it. The lock is held only from the insert
 * to the commit (about a millisecond).
 *
 * @module
 */

import type { Sql, TransactionSql } from "postgres";
import { type Message, MessageDirection } from "../models/mod.ts";
import {
  type HistoryPage,
  type MessageColumns,
  messageColumns,
  type MessageFilter,
  messageFromRow,
  type MessageRow,
  type QueryOptions,
  type SentMessageRecord,
  type StoredMessage,
} from "../store/mod.ts";
// Internal pieces of the store shared with this second backend (not part of its public face).
import {
  compileFilter,
  DEFAULT_QUERY_LIMIT,
  encodeCursor,
  MAX_QUERY_LIMIT,
  optionalInteger,
  pageAnchor,
  type PageKey,
  unknownBeforeId,
} from "../store/query_filter.ts";
import { encodeMessageId } from "../store/message_id.ts";
import { sentMessage } from "../store/sent_message.ts";
import { CHANNEL, LOCK_CLASS } from "./schema.ts";

const COLUMNS =
  "id, message_id, user_id, bot_id, msg_type, direction, text, timestamp_ms, context_token, data";
const INSERT = "INSERT INTO weilink_messages (message_id, user_id, bot_id, msg_type, direction, " +
  "text, timestamp_ms, context_token, data, stored_at) SELECT * FROM unnest(" +
  "$1::bigint[], $2::text[], $3::text[], $4::int[], $5::int[], $6::text[], $7::bigint[], " +
  "$8::text[], $9::text[], $10::float8[]) ON CONFLICT (message_id) DO NOTHING RETURNING id";

/** A row as postgres.js returns it (int8 as decimal strings). */
interface PgRow {
  id: string;
  message_id: string | null;
  user_id: string;
  bot_id: string;
  msg_type: number;
  direction: number;
  text: string | null;
  timestamp_ms: string;
  context_token: string;
  data: string;
}

function toMessage(row: PgRow): Message {
  const r: MessageRow = {
    id: BigInt(row.id),
    message_id: row.message_id === null ? null : BigInt(row.message_id),
    user_id: row.user_id,
    bot_id: row.bot_id,
    msg_type: row.msg_type,
    direction: row.direction,
    text: row.text,
    timestamp_ms: BigInt(row.timestamp_ms),
    context_token: row.context_token,
    data: row.data,
  };
  return messageFromRow(r);
}

function stored(rows: readonly PgRow[]): StoredMessage[] {
  return rows.map((row) => ({ rowid: Number(row.id), message: toMessage(row) }));
}

/**
 * Append messages in the caller's transaction (idempotent on `message_id`), under the append
 * lock, and announce received rows with `NOTIFY` (sent at commit). Returns the new row ids.
 */
export async function appendMessages(
  tx: TransactionSql,
  messages: readonly Message[],
  storedAt: number,
): Promise<number[]> {
  if (messages.length === 0) return [];
  const columns: MessageColumns[] = messages.map((m, i) => messageColumns(m, storedAt, i));
  const arrays = Array.from({ length: 10 }, (_, c) =>
    columns.map((row) => {
      const v = row[c]!;
      return typeof v === "bigint" ? v.toString() : v;
    }));
  await tx`SELECT pg_advisory_xact_lock(${LOCK_CLASS.append}, 0)`;
  const rows = await tx.unsafe<{ id: string }[]>(INSERT, arrays as never[]);
  const ids = rows.map((r) => Number(r.id));
  if (ids.length && messages.some((m) => m.direction !== MessageDirection.SENT)) {
    await tx`SELECT pg_notify(${CHANNEL.messages}, ${String(Math.max(...ids))})`;
  }
  return ids;
}

/** Record what a send delivered (one row per part), in a transaction of its own. */
export async function appendSent(
  sql: Sql,
  records: SentMessageRecord[],
  now: number,
): Promise<void> {
  const messages = records.map((r) => sentMessage(r, now));
  await sql.begin((tx) => appendMessages(tx, messages, now / 1000));
}

/** `?` placeholders of a compiled SQLite filter as PostgreSQL's `$n`. */
function numbered(where: string, offset = 0): string {
  let n = offset;
  // SQLite's LIKE ignores ASCII case; ILIKE is PostgreSQL's counterpart.
  return where.replace(/\?/g, () => `$${++n}`).replace(/\btext LIKE\b/g, "text ILIKE");
}

/** Reads of the history, as `MessageStore` offers them, over PostgreSQL (every call async). */
export class PgHistory {
  readonly #sql: Sql;

  /** Reads through `sql` (a pool). */
  constructor(sql: Sql) {
    this.#sql = sql;
  }

  /** Received rows (or both directions) with `id > rowid`, oldest first. */
  async querySince(
    rowid: number,
    options: { direction?: MessageDirection; limit?: number } = {},
  ): Promise<StoredMessage[]> {
    const limit = Math.min(options.limit ?? 1000, 10_000);
    const rows = options.direction === undefined
      ? await this.#sql.unsafe<PgRow[]>(
        `SELECT ${COLUMNS} FROM weilink_messages WHERE id > $1 ORDER BY id LIMIT $2`,
        [rowid, limit],
      )
      : await this.#sql.unsafe<PgRow[]>(
        `SELECT ${COLUMNS} FROM weilink_messages WHERE id > $1 AND direction = $2 ` +
          "ORDER BY id LIMIT $3",
        [rowid, options.direction, limit],
      );
    return stored(rows);
  }

  /** The largest row id, `0` when empty. */
  async maxRowId(): Promise<number> {
    const [row] = await this.#sql`SELECT COALESCE(MAX(id), 0) AS hi FROM weilink_messages`;
    return Number(row?.hi ?? 0);
  }

  /**
   * Where a new reader starts: just before the first row stored at or after `sinceSec` (epoch
   * seconds), or at the largest row id when there is none.
   */
  async startPosition(sinceSec: number): Promise<number> {
    const [row] = await this.#sql`
      SELECT COALESCE(
        (SELECT MIN(id) - 1 FROM weilink_messages WHERE stored_at >= ${sinceSec}),
        (SELECT MAX(id) FROM weilink_messages), 0) AS at`;
    return Number(row?.at ?? 0);
  }

  /** See `MessageStore.queryPage`. */
  async queryPage(options: QueryOptions = {}): Promise<HistoryPage> {
    const before = await this.#pageStart(options);
    const { where, params } = compileFilter(options, false, before);
    const limit = Math.min(
      optionalInteger("limit", options.limit, 0) ?? DEFAULT_QUERY_LIMIT,
      MAX_QUERY_LIMIT,
    );
    const offset = optionalInteger("offset", options.offset, 0) ?? 0;
    const n = params.length;
    const rows = await this.#sql.unsafe<PgRow[]>(
      `SELECT ${COLUMNS} FROM weilink_messages${numbered(where)} ` +
        `ORDER BY timestamp_ms DESC, id DESC LIMIT $${n + 1} OFFSET $${n + 2}`,
      [...params.map(String), limit + 1, offset],
    );
    const last = rows.length > limit && limit > 0 ? rows[limit - 1] : undefined;
    return {
      messages: rows.slice(0, limit).map(toMessage),
      nextCursor: last === undefined
        ? undefined
        : encodeCursor({ timestampMs: BigInt(last.timestamp_ms), id: BigInt(last.id) }),
    };
  }

  /** See `MessageStore.query`. */
  async query(options: QueryOptions = {}): Promise<Message[]> {
    return (await this.queryPage(options)).messages;
  }

  /** See `MessageStore.count`. */
  async count(filter: MessageFilter = {}): Promise<number> {
    const { where, params } = compileFilter(filter);
    const [row] = await this.#sql.unsafe<{ n: string }[]>(
      `SELECT COUNT(*) AS n FROM weilink_messages${numbered(where)}`,
      params.map(String),
    );
    return Number(row?.n ?? 0);
  }

  /** See `MessageStore.getById`. */
  async getById(id: string): Promise<Message | undefined> {
    const rows = await this.#sql.unsafe<PgRow[]>(
      `SELECT ${COLUMNS} FROM weilink_messages WHERE message_id = $1`,
      [encodeMessageId(id).toString()],
    );
    return rows[0] ? toMessage(rows[0]) : undefined;
  }

  async #pageStart(options: QueryOptions): Promise<PageKey | undefined> {
    const anchor = pageAnchor(options);
    if (anchor === undefined || "key" in anchor) return anchor?.key;
    const rows = await this.#sql.unsafe<{ timestamp_ms: string; id: string }[]>(
      "SELECT timestamp_ms, id FROM weilink_messages WHERE message_id = $1",
      [encodeMessageId(anchor.beforeId).toString()],
    );
    if (!rows[0]) throw unknownBeforeId(anchor.beforeId);
    return { timestampMs: BigInt(rows[0].timestamp_ms), id: BigInt(rows[0].id) };
  }
}
