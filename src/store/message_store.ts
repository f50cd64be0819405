/**
 * {@linkcode MessageStore}: the SQLite message history on `node:sqlite`.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

import { DatabaseSync, type StatementSync } from "node:sqlite";
import { dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { Message, MessageDirection } from "../models/mod.ts";
import { encodeMessageId } from "./message_id.ts";
import { messageColumns, messageFromRow, type MessageRow } from "./message_data.ts";
import {
  compileFilter,
  DEFAULT_QUERY_LIMIT,
  encodeCursor,
  MAX_QUERY_LIMIT,
  type MessageFilter,
  optionalDirection,
  optionalInteger,
  pageAnchor,
  type PageKey,
  type QueryOptions,
  unknownBeforeId,
} from "./query_filter.ts";
import { migrateSchema } from "./schema.ts";
import { sentMessage, type SentMessageRecord } from "./sent_message.ts";

export type { SentMediaRecord, SentMessageRecord } from "./sent_message.ts";
import { Pruner } from "./pruner.ts";
import { RESTART_FRAMES, WalCheckpointer } from "./wal_checkpointer.ts";
import { TextIndex } from "./text_index.ts";

/** Options of {@linkcode MessageStore}. */
export interface MessageStoreOptions {
  /** Delete rows stored more than this many days ago; default 30, `null` disables. */
  maxAgeDays?: number | null;
  /** Keep at most this many rows (newest by creation time); default 100,000, `null` disables. */
  maxCount?: number | null;
  /** How long a write waits for another connection's lock, in ms; default 5000. */
  busyTimeoutMs?: number;
  /** Clock in epoch ms, for `stored_at` and age pruning; default `Date.now`. */
  now?: () => number;
}

/** A message together with its row id, the high-water mark of readers that follow the table. */
export interface StoredMessage {
  /** The row's `id` (strictly increasing in insertion order). */
  rowid: number;
  /** The message. */
  message: Message;
}

/** One page of {@linkcode MessageStore.queryPage}. */
export interface HistoryPage {
  /** The rows, newest first. */
  messages: Message[];
  /** Pass as `cursor` for the rows after this page; `undefined` when no row follows. */
  nextCursor: string | undefined;
}

/** Options of {@linkcode MessageStore.querySince}. */
export interface QuerySinceOptions {
  /** Only rows of this direction; default both. */
  direction?: MessageDirection;
  /** Most rows to return, default 1000, capped at 10,000; continue from the last `rowid`. */
  limit?: number;
}

/** Options of {@linkcode MessageStore.queryRecent}. */
export interface QueryRecentOptions {
  /** Only rows of this bot. */
  botId?: string;
  /** Only rows stored at or after this time (local clock, epoch ms). */
  sinceMs: number;
  /** Only rows of this direction; default {@linkcode MessageDirection.RECEIVED}. */
  direction?: MessageDirection;
  /** Most rows to return, default 1000, capped at 10,000; continue with `querySince`. */
  limit?: number;
}

/**
 * Rows an instance writes before it starts the checkpoint thread. Starting one takes about 20 ms
 * (a new isolate), which a process writing a message now and then should not pay.
 */
const THREAD_AFTER_ROWS = 1000;
/** `wal_autocheckpoint` while the writer checkpoints by itself. */
const OWN_CHECKPOINT_PAGES = 4000;
/**
 * `wal_autocheckpoint` while a background thread checkpoints: only a safety net, should the thread
 * fall far behind (it resets the log at RESTART_FRAMES).
 */
const BACKSTOP_CHECKPOINT_PAGES = 4 * RESTART_FRAMES;
/**
 * A needle with at most this many index candidates is searched through the index; a commoner one
 * by the newest-first scan, which meets enough matches early. Either way a page costs at most a
 * few milliseconds at 100,000 rows.
 */
const RARE_NEEDLE_ROWS = 1_000;
const DEFAULT_SINCE_LIMIT = 1_000;
const MAX_SINCE_LIMIT = 10_000;
const SQLITE_BUSY = 5;
const SQLITE_LOCKED = 6;

const COLUMNS =
  "id, message_id, user_id, bot_id, msg_type, direction, text, timestamp_ms, context_token, data";
/** `INSERT OR IGNORE` of `rows` rows in one statement. */
function insertSql(rows: number): string {
  return "INSERT OR IGNORE INTO messages " +
    "(message_id, user_id, bot_id, msg_type, direction, text, timestamp_ms, context_token, data, " +
    "stored_at) VALUES " + new Array(rows).fill("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)").join(", ");
}
/**
 * Largest multi-row `INSERT` (a power of two). A batch is written as a few multi-row statements
 * of power-of-two sizes (100 = 64 + 32 + 4): one native call per statement instead of per row,
 * and at most seven prepared statements, whatever the batch sizes. 64 rows bind 640 parameters,
 * far below SQLite's limit of 32,766.
 */
const MULTI_ROW_MAX = 64;

/** Columns bound per inserted row. */
const INSERT_COLUMNS = 10;

/** One bound value of an insert: a column of some row. */
type InsertParam = bigint | string | number | null;

function isBusy(error: unknown): boolean {
  const code = (error as { errcode?: unknown })?.errcode;
  return code === SQLITE_BUSY || code === SQLITE_LOCKED;
}

function checkLimitOption(
  name: string,
  value: number | null | undefined,
  fallback: number,
  min: number,
): number | null {
  if (value === null) return null;
  if (value === undefined) return fallback;
  if (typeof value !== "number" || !Number.isFinite(value) || value < min) {
    throw new RangeError(
      `Invalid option "${name}": ${String(value)} is not a number >= ${min} or null`,
    );
  }
  return value;
}

/**
 * Persistent message history in an SQLite file with the Python original's schema, so a
 * `messages.db` written by either implementation is read by the other.
 *
 * - WAL mode (readers never block the writer), a busy timeout, `synchronous = NORMAL`.
 * - Checkpoints (and their fsyncs) run on a background thread with its own connection, started
 *   once an instance has written 1,000 rows to a file; the writer then only appends, and takes one
 *   small checkpoint itself per 32 MiB of log so the log starts over. Until then, and where
 *   threads are missing, the writer checkpoints every 4000 pages.
 *   {@linkcode MessageStore.close} stops the thread.
 * - Idempotent: `INSERT OR IGNORE` on `message_id`; 64-bit ids are stored exactly (ids ≥ 2^63 as
 *   their two's complement, see `encodeMessageId`).
 * - Pruned by age and by count on open, then after every 100 inserted rows. Pruning deletes in
 *   chunks of short transactions so memory stays flat and other processes keep writing. Between
 *   runs the count rule tolerates 1% of `maxCount` extra rows so its check stays cheap;
 *   {@linkcode MessageStore.prune} is always exact. The age rule scans the table, so automatic
 *   runs do it at most once a minute.
 * - Synchronous (`node:sqlite`): each call completes before returning; several instances, in one
 *   or several processes, can share one file.
 *
 * @example Record and query history
 * ```ts
 * import { MessageStore } from "@weilink/core/store";
 * import { Message } from "@weilink/core";
 *
 * using store = new MessageStore(":memory:");
 * store.store([Message.fromWire({
 *   message_id: "7300000000000000123",
 *   from_user_id: "u1@im.wechat",
 *   create_time_ms: 1700000000000,
 *   item_list: [{ type: 1, text_item: { text: "hello" } }],
 * }, "bot@im.bot")]);
 * console.log(store.query({ userId: "u1@im.wechat" })[0]?.text); // "hello"
 * console.log(store.getById("7300000000000000123")?.messageId);
 * ```
 */
export class MessageStore implements Disposable {
  /** The database file (or `":memory:"`). */
  readonly path: string;
  readonly #db: DatabaseSync;
  readonly #pruner: Pruner;
  readonly #now: () => number;
  /** Multi-row insert statements by row count (powers of two up to MULTI_ROW_MAX). */
  readonly #inserts = new Map<number, StatementSync>();
  readonly #statements = new Map<string, StatementSync>();
  #closed = false;
  /** Checkpoints the WAL off this thread; started once THREAD_AFTER_ROWS rows are written. */
  #checkpointer: WalCheckpointer | undefined;
  #checkpointerTried = false;
  /** The full-text index, opened at the first text search. */
  #textIndex: TextIndex | undefined;
  #textIndexTried = false;
  #rowsWritten = 0;

  /**
   * Opens (creating if needed) the store at `path`, migrates a fresh file to the schema, and
   * prunes once.
   *
   * @throws {Error} When the file's schema version is newer than this module understands.
   * @throws {RangeError} When an option is out of range.
   */
  constructor(path: string | URL, options: MessageStoreOptions = {}) {
    this.path = path instanceof URL ? fileURLToPath(path) : path;
    if (typeof this.path !== "string" || this.path === "") {
      throw new TypeError("Invalid message store path: expected a non-empty string or file URL");
    }
    const maxAgeDays = checkLimitOption("maxAgeDays", options.maxAgeDays, 30, 0);
    const maxCount = checkLimitOption("maxCount", options.maxCount, 100_000, 0);
    const busyTimeoutMs = optionalInteger("busyTimeoutMs", options.busyTimeoutMs, 0) ?? 5000;
    this.#now = options.now ?? Date.now;

    if (this.path !== ":memory:") createPrivateFile(this.path);
    this.#db = new DatabaseSync(this.path, { timeout: busyTimeoutMs });
    this.#pruner = new Pruner(
      {
        db: this.#db,
        cached: (sql) => this.#cached(sql),
        afterCommit: (rows) => this.#afterCommit(rows),
        now: () => this.#now(),
      },
      maxAgeDays,
      maxCount === null ? null : Math.floor(maxCount),
    );
    try {
      this.#db.exec(`PRAGMA busy_timeout = ${busyTimeoutMs}`);
      this.#db.exec("PRAGMA journal_mode = WAL");
      // In WAL mode NORMAL cannot corrupt the file; only the last commits may be lost on power
      // failure, an acceptable trade for a history log written about a thousand times a second.
      this.#db.exec("PRAGMA synchronous = NORMAL");
      // Each checkpoint ends in fsyncs of the WAL and the database, the dominant cost of bulk
      // inserts on disk. They move to a background thread once writes add up (see
      // #afterCommit); until then, and wherever threads are missing, the writer checkpoints every
      // 4000 pages (16 MiB of WAL, the default is 1000), which means a quarter as many of them.
      this.#db.exec(`PRAGMA wal_autocheckpoint = ${OWN_CHECKPOINT_PAGES}`);
      migrateSchema(this.#db, this.path);
      this.prune();
    } catch (error) {
      this.#db.close();
      throw error;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Writing
  // -------------------------------------------------------------------------------------------

  /**
   * Stores messages in one transaction; rows whose `messageId` is already stored are skipped.
   * The direction column comes from each message's `direction`; the `user_id` column is the
   * sender of received messages and the recipient of sent ones.
   *
   * @returns The number of rows inserted.
   * @throws {TypeError} When an element is not a message or its id is not a decimal string.
   * @throws {RangeError} When a message id does not fit in 64 bits.
   */
  store(messages: readonly Message[]): number {
    this.#assertOpen();
    if (!Array.isArray(messages)) {
      throw new TypeError("Cannot store messages: expected an array of Message");
    }
    const count = messages.length;
    if (count === 0) return 0;
    const storedAt = this.#now() / 1000;
    // One flat array of bound values, filled in place: no array per row. Every row is checked
    // before the transaction starts.
    const params = new Array<InsertParam>(count * INSERT_COLUMNS);
    for (let i = 0; i < count; i++) this.#row(messages[i]!, i, storedAt, params);
    const inserted = this.#insertRows(params, count);
    this.#pruner.afterInsert(inserted, isBusy);
    return inserted;
  }

  /**
   * Records a message the bot sent — text or media — with direction {@linkcode MessageDirection.SENT}.
   * Media sends keep their CDN references (download token, AES key) so they can be fetched again.
   *
   * @returns The stored row, or `undefined` when a row with the same `messageId` already exists.
   * @throws {TypeError} When `userId`/`botId` are not strings or `media` comes with a text type.
   */
  storeSent(record: SentMessageRecord): StoredMessage | undefined {
    this.#assertOpen();
    const message = sentMessage(record, this.#now());
    const params = new Array<InsertParam>(INSERT_COLUMNS);
    this.#row(message, 0, this.#now() / 1000, params);
    const inserted = this.#insertRows(params, 1);
    this.#pruner.afterInsert(inserted, isBusy);
    if (inserted === 0) return undefined;
    const rowid = Number(this.#cached("SELECT last_insert_rowid() AS id").get()?.id);
    return { rowid, message };
  }

  /** Writes the bound values of row `index` into `out`, at `index * INSERT_COLUMNS`. */
  #row(message: Message, index: number, storedAt: number, out: InsertParam[]): void {
    const columns = messageColumns(message, storedAt, index);
    const o = index * INSERT_COLUMNS;
    for (let i = 0; i < INSERT_COLUMNS; i++) out[o + i] = columns[i]!;
  }

  /** Inserts `count` rows whose values are laid out one after another in `params`. */
  #insertRows(params: InsertParam[], count: number): number {
    let inserted = 0;
    // IMMEDIATE takes the write lock up front, so a busy database is waited for (busy_timeout)
    // instead of failing on a read-to-write upgrade halfway through the batch. Prepared once:
    // `exec` would parse the statement again on every batch.
    this.#cached("BEGIN IMMEDIATE").run();
    try {
      let i = 0;
      for (let size = MULTI_ROW_MAX; size >= 1; size >>= 1) {
        for (; count - i >= size; i += size) {
          const chunk = size === count
            ? params
            : params.slice(i * INSERT_COLUMNS, (i + size) * INSERT_COLUMNS);
          inserted += Number(this.#insertStatement(size).run(...chunk).changes);
        }
      }
      this.#cached("COMMIT").run();
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
    this.#afterCommit(count);
    return inserted;
  }

  /** Wakes the checkpoint thread after a commit of `rows` rows, starting it when it is due. */
  #afterCommit(rows: number): void {
    // A statement that changed nothing wrote nothing to the log.
    if (rows === 0) return;
    if (this.#checkpointer === undefined) {
      if (this.#checkpointerTried || this.path === ":memory:") return;
      this.#rowsWritten += rows;
      if (this.#rowsWritten < THREAD_AFTER_ROWS) return;
      this.#checkpointerTried = true;
      this.#checkpointer = WalCheckpointer.start(this.path);
      if (this.#checkpointer === undefined) return;
      this.#db.exec(`PRAGMA wal_autocheckpoint = ${BACKSTOP_CHECKPOINT_PAGES}`);
    } else if (this.#checkpointer.stopped) {
      // The thread could not open the file: the writer checkpoints by itself again.
      this.#checkpointer.close();
      this.#checkpointer = undefined;
      this.#db.exec(`PRAGMA wal_autocheckpoint = ${OWN_CHECKPOINT_PAGES}`);
      return;
    }
    if (!this.#checkpointer.committed()) return;
    try {
      // Only the frames the thread has not copied yet: then the next transaction restarts the log.
      this.#cached("PRAGMA wal_checkpoint(PASSIVE)").get();
    } catch (error) {
      // The commit stands; a checkpoint that lost a lock race is left to the thread.
      if (!isBusy(error)) throw error;
    } finally {
      this.#checkpointer.writerCheckpointed();
    }
  }

  #insertStatement(rows: number): StatementSync {
    let statement = this.#inserts.get(rows);
    if (!statement) {
      statement = this.#db.prepare(insertSql(rows));
      this.#inserts.set(rows, statement);
    }
    return statement;
  }

  // -------------------------------------------------------------------------------------------
  // Pruning
  // -------------------------------------------------------------------------------------------

  /**
   * Deletes rows stored more than `maxAgeDays` ago, then the oldest rows (by creation time)
   * beyond `maxCount`. Works in chunks of short transactions; never holds a write transaction
   * between calls.
   *
   * @returns The number of rows deleted.
   */
  prune(): number {
    this.#assertOpen();
    return this.#pruner.pruneAll();
  }

  // -------------------------------------------------------------------------------------------
  // Reading
  // -------------------------------------------------------------------------------------------

  /**
   * One page of history, newest first (by creation time, then row id).
   *
   * @param options Filters, `limit` (default 50, capped at 200), and where the page starts:
   * `offset` rows in, or after a `cursor` or `beforeId` (see {@linkcode QueryOptions}).
   * @throws {TypeError | RangeError} When a filter or paging value is invalid, or no stored
   * message has the id `beforeId`.
   */
  query(options: QueryOptions = {}): Message[] {
    return this.queryPage(options).messages;
  }

  /**
   * {@linkcode MessageStore.query}, with the cursor of the next page: pass it as `cursor` to get
   * the rows after this page's last one. Unlike `offset`, a cursor does not shift when messages
   * are stored in between, so pages neither repeat nor skip a row.
   *
   * @example Walk the whole history, a page at a time
   * ```ts
   * import { MessageStore } from "@weilink/core/store";
   *
   * using store = new MessageStore(":memory:");
   * store.storeSent({ userId: "u1@im.wechat", botId: "bot@im.bot", text: "one" });
   * store.storeSent({ userId: "u1@im.wechat", botId: "bot@im.bot", text: "two" });
   * let page = store.queryPage({ limit: 1 });
   * console.log(page.messages[0]?.text); // "two"
   * page = store.queryPage({ limit: 1, cursor: page.nextCursor });
   * console.log(page.messages[0]?.text, page.nextCursor); // "one" undefined
   * ```
   *
   * @throws {TypeError | RangeError} As {@linkcode MessageStore.query}.
   */
  queryPage(options: QueryOptions = {}): HistoryPage {
    this.#assertOpen();
    const before = this.#pageStart(options);
    let { where, params } = compileFilter(options, false, before);
    if (this.#indexHelps(options.textContains, false)) {
      ({ where, params } = compileFilter(options, true, before));
    }
    const limit = Math.min(
      optionalInteger("limit", options.limit, 0) ?? DEFAULT_QUERY_LIMIT,
      MAX_QUERY_LIMIT,
    );
    const offset = optionalInteger("offset", options.offset, 0) ?? 0;
    const sql = `SELECT ${COLUMNS} FROM messages${where} ` +
      "ORDER BY timestamp_ms DESC, id DESC LIMIT ? OFFSET ?";
    // One row more than the page tells whether a next page exists.
    const rows = this.#cached(sql, true).all(
      ...params,
      limit + 1,
      offset,
    ) as unknown as MessageRow[];
    const last = rows.length > limit && limit > 0 ? rows[limit - 1] : undefined;
    return {
      messages: rows.slice(0, limit).map(messageFromRow),
      nextCursor: last === undefined ? undefined : encodeCursor({
        timestampMs: BigInt(last.timestamp_ms),
        id: BigInt(last.id!),
      }),
    };
  }

  /** Where a page starts: the place `cursor` or `beforeId` names, if either is given. */
  #pageStart(options: QueryOptions): PageKey | undefined {
    const anchor = pageAnchor(options);
    if (anchor === undefined || "key" in anchor) return anchor?.key;
    const row = this.#cached("SELECT timestamp_ms, id FROM messages WHERE message_id = ?", true)
      .get(encodeMessageId(anchor.beforeId)) as { timestamp_ms: bigint; id: bigint } | undefined;
    if (row === undefined) throw unknownBeforeId(anchor.beforeId);
    return { timestampMs: row.timestamp_ms, id: row.id };
  }

  /**
   * Number of stored messages matching `filter` (all when omitted).
   *
   * @throws {TypeError | RangeError} When a filter value is invalid.
   */
  count(filter: MessageFilter = {}): number {
    this.#assertOpen();
    let { where, params } = compileFilter(filter);
    if (this.#indexHelps(filter.textContains, true)) {
      ({ where, params } = compileFilter(filter, true));
    }
    const row = this.#cached(`SELECT COUNT(*) AS n FROM messages${where}`).get(...params);
    return Number(row?.n ?? 0);
  }

  /**
   * The message with this server id, or `undefined`.
   *
   * @throws {TypeError | RangeError} When `id` is not a 64-bit decimal string.
   */
  getById(id: string): Message | undefined {
    this.#assertOpen();
    const row = this.#cached(`SELECT ${COLUMNS} FROM messages WHERE message_id = ?`, true)
      .get(encodeMessageId(id)) as MessageRow | undefined;
    return row ? messageFromRow(row) : undefined;
  }

  /**
   * Rows with `id > rowid`, oldest first: what a reader following the table (the store watcher,
   * the cooperative fallback) has not seen yet. Pass the last returned `rowid` to continue.
   *
   * @throws {RangeError} When `rowid` or `limit` is not a non-negative integer.
   */
  querySince(rowid: number, options: QuerySinceOptions = {}): StoredMessage[] {
    this.#assertOpen();
    const after = optionalInteger("rowid", rowid, 0);
    if (after === undefined) throw new TypeError('Invalid option "rowid": expected a number');
    const direction = optionalDirection(options.direction);
    const limit = this.#sinceLimit(options.limit);
    const sql = `SELECT ${COLUMNS} FROM messages WHERE id > ?` +
      (direction === undefined ? "" : " AND direction = ?") + " ORDER BY id ASC LIMIT ?";
    const params = direction === undefined ? [after, limit] : [after, direction, limit];
    return this.#stored(this.#cached(sql, true).all(...params) as unknown as MessageRow[]);
  }

  /**
   * Rows stored since `sinceMs` (by the local clock at storing time, not the server's timestamp),
   * oldest first, received ones by default: the first window of a reader that then follows the
   * table with {@linkcode MessageStore.querySince} from the last returned `rowid`.
   *
   * @throws {TypeError | RangeError} When an option is invalid.
   */
  queryRecent(options: QueryRecentOptions): StoredMessage[] {
    this.#assertOpen();
    if (typeof options !== "object" || options === null) {
      throw new TypeError("Invalid options: expected an object with sinceMs");
    }
    const { sinceMs } = options;
    if (typeof sinceMs !== "number" || !Number.isFinite(sinceMs)) {
      throw new TypeError(`Invalid option "sinceMs": expected epoch milliseconds`);
    }
    if (options.botId !== undefined && typeof options.botId !== "string") {
      throw new TypeError(`Invalid option "botId": expected a string`);
    }
    const direction = optionalDirection(options.direction) ?? MessageDirection.RECEIVED;
    const limit = this.#sinceLimit(options.limit);
    // stored_at has no index, but rows are appended in time order: walk back from the newest
    // row and stop at the first one stored before the window.
    const cutoff = sinceMs / 1000;
    let first: number | undefined;
    const walk = this.#cached("SELECT id, stored_at FROM messages ORDER BY id DESC").iterate();
    for (const row of walk) {
      if (Number(row.stored_at) < cutoff) break;
      first = Number(row.id);
    }
    walk.return?.();
    if (first === undefined) return [];
    const botId = options.botId === "" ? undefined : options.botId;
    const sql = `SELECT ${COLUMNS} FROM messages WHERE id >= ?` +
      (botId === undefined ? "" : " AND bot_id = ?") + " AND direction = ? ORDER BY id ASC LIMIT ?";
    const params = botId === undefined
      ? [first, direction, limit]
      : [first, botId, direction, limit];
    return this.#stored(this.#cached(sql, true).all(...params) as unknown as MessageRow[]);
  }

  /** The largest row id, `0` when the table is empty: where a watcher starts following. */
  maxRowId(): number {
    this.#assertOpen();
    return Number(this.#cached("SELECT MAX(id) AS hi FROM messages").get()?.hi ?? 0);
  }

  /**
   * Whether a text search should start from the full-text index (brought up to date here). A
   * count always gains from it; a page sorted by time gains when the needle is rare: a common
   * one is found within the first rows of the newest-first scan, while its thousands of index
   * candidates would each be looked up and sorted.
   */
  #indexHelps(needle: unknown, counting: boolean): boolean {
    if (typeof needle !== "string" || !TextIndex.usable(needle)) return false;
    if (this.#textIndex === undefined && !this.#textIndexTried) {
      this.#textIndexTried = true;
      this.#textIndex = TextIndex.open({ db: this.#db, cached: (sql) => this.#cached(sql) });
    }
    const index = this.#textIndex;
    if (!index || !index.catchUp()) return false;
    return counting || index.candidates(needle, RARE_NEEDLE_ROWS + 1) <= RARE_NEEDLE_ROWS;
  }

  #sinceLimit(value: number | undefined): number {
    return Math.min(optionalInteger("limit", value, 0) ?? DEFAULT_SINCE_LIMIT, MAX_SINCE_LIMIT);
  }

  #stored(rows: MessageRow[]): StoredMessage[] {
    return rows.map((row) => ({ rowid: Number(row.id), message: messageFromRow(row) }));
  }

  /** A prepared statement, reused per SQL text; row readers get 64-bit integers as `bigint`. */
  #cached(sql: string, bigInts = false): StatementSync {
    const key = bigInts ? `B${sql}` : sql;
    let statement = this.#statements.get(key);
    if (statement === undefined) {
      statement = this.#db.prepare(sql);
      if (bigInts) statement.setReadBigInts(true);
      this.#statements.set(key, statement);
    }
    return statement;
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle
  // -------------------------------------------------------------------------------------------

  /** Whether {@linkcode MessageStore.close} has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Closes the database; later calls are no-ops, other methods then throw. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#statements.clear();
    // The thread's connection closes first, so this one is the last: SQLite then checkpoints and
    // removes the WAL (unless another process has the file open).
    this.#checkpointer?.close();
    this.#db.close();
  }

  /** Same as {@linkcode MessageStore.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw new WeiLinkError(`Message store "${this.path}" is closed`);
  }
}

/**
 * Make sure the database file exists with mode 0600 before SQLite opens it. The history holds
 * message texts and context tokens, and SQLite creates its `-wal` and `-shm` files with the mode
 * of the database file, so this keeps all three private. A file created earlier with a looser
 * mode (the Python original uses the umask) is tightened; where modes do not exist (Windows) or
 * the file is not ours, it is left as it is.
 */
function createPrivateFile(path: string): void {
  Deno.mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  Deno.openSync(path, { create: true, write: true, mode: 0o600 }).close();
  try {
    if (((Deno.statSync(path).mode ?? 0) & 0o077) !== 0) Deno.chmodSync(path, 0o600);
  } catch {
    // No POSIX modes here, or not the owner: nothing to tighten.
  }
}
