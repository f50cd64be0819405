/**
 * A full-text index of `messages.text` for substring search: SQLite FTS5 with the trigram
 * tokenizer, so a Chinese substring of three characters or more matches as well as a Latin one.
 *
 * The index sits beside the original's schema without changing it: a contentless FTS5 table
 * (`messages_fts`, row ids only, no second copy of the texts) and a one-row mark table
 * (`messages_fts_mark`). No trigger keeps it current, because the Python original writes the
 * same file and its SQLite may lack FTS5. Instead every search first indexes the rows added since
 * the last one (`id` above the high-water mark: ids come from AUTOINCREMENT and are never
 * reused) and drops the entries of rows pruned from the bottom of the table; both happen in one
 * write transaction, so two processes never index a row twice. An entry whose row was deleted
 * some other way (rare) stays until its row id falls below the table's smallest id; a search
 * always joins back to `messages` and checks `LIKE` there, so stale entries never show up.
 *
 * Needles shorter than three characters cannot use trigrams: they are answered by the `LIKE`
 * scan, as before.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";

/** The index can help only needles of at least this many characters. */
export const MIN_INDEXED_CHARS = 3;

/** What the index needs from its store. */
export interface TextIndexHost {
  /** The connection. */
  db: DatabaseSync;
  /** A prepared statement, reused per SQL text. */
  cached(sql: string): StatementSync;
}

/** The FTS5 trigram index of a message store. */
export class TextIndex {
  readonly #host: TextIndexHost;

  private constructor(host: TextIndexHost) {
    this.#host = host;
  }

  /**
   * Creates the index tables when missing and returns the index; `undefined` when this SQLite
   * lacks FTS5 or the trigram tokenizer (searches then scan), or the file is read-only.
   */
  static open(host: TextIndexHost): TextIndex | undefined {
    try {
      host.db.exec(
        "CREATE VIRTUAL TABLE IF NOT EXISTS messages_fts USING fts5(" +
          "text, content='', contentless_delete=1, tokenize='trigram')",
      );
      host.db.exec(
        "CREATE TABLE IF NOT EXISTS messages_fts_mark (" +
          "id INTEGER PRIMARY KEY CHECK (id = 1), high INTEGER NOT NULL, low INTEGER NOT NULL)",
      );
      host.db.exec("INSERT OR IGNORE INTO messages_fts_mark (id, high, low) VALUES (1, 0, 0)");
    } catch {
      return undefined;
    }
    return new TextIndex(host);
  }

  /** Whether `needle` is long enough for the index. */
  static usable(needle: string): boolean {
    let chars = 0;
    for (const _ of needle) if (++chars >= MIN_INDEXED_CHARS) return true;
    return false;
  }

  /**
   * Brings the index up to date with the table: indexes rows above the high-water mark, drops
   * entries below the smallest row id. Returns `false` (and leaves the index as it was) when the
   * database cannot be written now.
   */
  catchUp(): boolean {
    const { db, cached } = this.#host;
    const mark = cached("SELECT high, low FROM messages_fts_mark WHERE id = 1");
    // Two statements: SQLite answers a lone MIN() or MAX() from the b-tree's edge.
    const min = cached("SELECT MIN(id) AS v FROM messages");
    const max = cached("SELECT MAX(id) AS v FROM messages");
    const bounds = () => ({ lo: Number(min.get()?.v ?? 0), hi: Number(max.get()?.v ?? 0) });
    // Cheap check without the write lock: the common case is "nothing new".
    const before = mark.get() as { high: number; low: number } | undefined;
    const seen = bounds();
    if (before && seen.hi === Number(before.high) && seen.lo <= Number(before.low)) return true;
    try {
      db.exec("BEGIN IMMEDIATE");
    } catch {
      return false;
    }
    try {
      // Read again under the write lock: another process may have indexed meanwhile.
      const m = mark.get() as { high: number; low: number };
      const { lo, hi } = bounds();
      let high = Number(m.high);
      let low = Number(m.low);
      if (hi < high) {
        // The table was emptied and ids started over (a new sqlite_sequence): index afresh.
        cached("INSERT INTO messages_fts (messages_fts) VALUES ('delete-all')").run();
        high = 0;
        low = 0;
      }
      if (hi > high) {
        cached(
          "INSERT INTO messages_fts (rowid, text) " +
            "SELECT id, text FROM messages WHERE id > ? AND text IS NOT NULL AND text <> ''",
        ).run(high);
        high = hi;
      }
      if (lo > low) {
        cached("DELETE FROM messages_fts WHERE rowid < ?").run(lo);
        low = lo;
      }
      cached("UPDATE messages_fts_mark SET high = ?, low = ? WHERE id = 1").run(high, low);
      db.exec("COMMIT");
      return true;
    } catch {
      db.exec("ROLLBACK");
      return false;
    }
  }

  /** Indexed rows whose text may contain `needle`, counted up to `limit`. */
  candidates(needle: string, limit: number): number {
    const row = this.#host.cached(
      "SELECT COUNT(*) AS n FROM " +
        "(SELECT rowid FROM messages_fts WHERE messages_fts MATCH ? LIMIT ?)",
    ).get(phrase(needle), limit);
    return Number(row?.n ?? 0);
  }
}

/** `needle` as an FTS5 phrase: in double quotes, inner quotes doubled. */
export function phrase(needle: string): string {
  return `"${needle.replaceAll('"', '""')}"`;
}

/** The clause that narrows a search to the index's candidates (its parameter: `phrase`). */
export const CANDIDATES_CLAUSE =
  "id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)";
