/**
 * Pruning of the message store: rows older than `maxAgeDays`, and the oldest rows beyond
 * `maxCount`, deleted in chunks of short transactions so memory stays flat and other processes
 * keep writing.
 *
 * @module
 */

import type { DatabaseSync, StatementSync } from "node:sqlite";

/** Rows inserted between two automatic prune runs, as in the original. */
export const PRUNE_INTERVAL = 100;
/** The age rule scans the whole table (`stored_at` has no index), so it runs at most this often. */
const AGE_PRUNE_INTERVAL_MS = 60_000;
/** Rows deleted per write transaction while pruning, so other writers are never blocked long. */
const PRUNE_CHUNK = 5_000;
/** Row-id span examined per statement by the age rule. */
const AGE_SCAN_SPAN = 10_000;

/** What the pruner needs from its store. */
export interface PrunerHost {
  /** The connection (for transactions). */
  db: DatabaseSync;
  /** A prepared statement, reused per SQL text. */
  cached(sql: string): StatementSync;
  /** Called after every statement that may have written, with the rows it changed. */
  afterCommit(rows: number): void;
  /** Clock in epoch ms. */
  now(): number;
}

/** Deletes what the retention rules say is too old or too much. */
export class Pruner {
  readonly #host: PrunerHost;
  readonly #maxAgeDays: number | null;
  readonly #maxCount: number | null;
  #insertedSincePrune = 0;
  #lastAgePrune = 0;

  /** `null` disables a rule. */
  constructor(host: PrunerHost, maxAgeDays: number | null, maxCount: number | null) {
    this.#host = host;
    this.#maxAgeDays = maxAgeDays;
    this.#maxCount = maxCount;
  }

  /**
   * Deletes rows stored more than `maxAgeDays` ago, then the oldest rows (by creation time)
   * beyond `maxCount`, exactly. Returns the number of rows deleted.
   */
  pruneAll(): number {
    return this.#pruneByAge() + this.#pruneByCount(true);
  }

  /**
   * After `inserted` new rows: every PRUNE_INTERVAL rows, the count rule (tolerating 1% of
   * `maxCount` so its check stays cheap) and, at most once a minute, the age rule.
   *
   * @throws What SQLite throws, except a lost lock race (retried after the next insert).
   */
  afterInsert(inserted: number, isBusy: (error: unknown) => boolean): void {
    this.#insertedSincePrune += inserted;
    if (this.#insertedSincePrune < PRUNE_INTERVAL) return;
    try {
      const now = this.#host.now();
      if (now - this.#lastAgePrune >= AGE_PRUNE_INTERVAL_MS) this.#pruneByAge();
      this.#pruneByCount(false);
      this.#insertedSincePrune = 0;
    } catch (error) {
      // The rows are committed; a prune that lost the lock race is retried after the next insert.
      if (!isBusy(error)) throw error;
    }
  }

  #pruneByAge(): number {
    this.#lastAgePrune = this.#host.now();
    if (this.#maxAgeDays === null) return 0;
    const cutoff = this.#host.now() / 1000 - this.#maxAgeDays * 86_400;
    const bounds = this.#bounds();
    if (bounds === undefined) return 0;
    const probe = this.#host.cached(
      "SELECT 1 AS hit FROM messages WHERE id >= ? AND id < ? AND stored_at < ? LIMIT 1",
    );
    const remove = this.#host.cached(
      "DELETE FROM messages WHERE id >= ? AND id < ? AND stored_at < ?",
    );
    let deleted = 0;
    // Walk the primary key in spans: each statement is its own short transaction, and spans with
    // nothing to delete are only read, so no write lock is taken for them.
    for (let lo = bounds.min; lo <= bounds.max; lo += AGE_SCAN_SPAN) {
      const hi = lo + AGE_SCAN_SPAN;
      if (probe.get(lo, hi, cutoff) === undefined) continue;
      const n = Number(remove.run(lo, hi, cutoff).changes);
      this.#host.afterCommit(n);
      deleted += n;
    }
    return deleted;
  }

  #pruneByCount(exact: boolean): number {
    const max = this.#maxCount;
    if (max === null) return 0;
    // Row ids only grow, so the id span bounds the row count from above without a table scan.
    const slack = exact ? 0 : Math.floor(max / 100);
    const bounds = this.#bounds();
    if (bounds === undefined || bounds.max - bounds.min + 1 <= max + slack) return 0;
    if (this.#count() <= max + slack) return 0;
    let deleted = 0;
    if (max > 0) {
      // Rows strictly older than the max-th newest creation time are surplus however other
      // processes write meanwhile, so deleting them chunk by chunk is safe without a lock.
      const cut = this.#host.cached(
        "SELECT timestamp_ms AS ts FROM messages ORDER BY timestamp_ms DESC LIMIT 1 OFFSET ?",
      ).get(max - 1)?.ts;
      const chunk = this.#host.cached(
        "DELETE FROM messages WHERE id IN " +
          "(SELECT id FROM messages WHERE timestamp_ms < ? LIMIT ?)",
      );
      if (cut !== undefined && cut !== null) {
        for (;;) {
          const n = Number(chunk.run(cut, PRUNE_CHUNK).changes);
          this.#host.afterCommit(n);
          deleted += n;
          if (n < PRUNE_CHUNK) break;
        }
      }
    }
    // What is left over (ties at the cut, rows inserted meanwhile) is settled exactly under the
    // write lock; outside it two processes pruning at once could delete twice.
    const surplus = this.#host.cached(
      "DELETE FROM messages WHERE id IN " +
        "(SELECT id FROM messages ORDER BY timestamp_ms ASC, id ASC LIMIT ?)",
    );
    for (;;) {
      this.#host.db.exec("BEGIN IMMEDIATE");
      let n: number;
      try {
        const excess = this.#count() - max;
        n = excess > 0 ? Number(surplus.run(Math.min(excess, PRUNE_CHUNK)).changes) : 0;
        this.#host.db.exec("COMMIT");
      } catch (error) {
        this.#host.db.exec("ROLLBACK");
        throw error;
      }
      this.#host.afterCommit(n);
      deleted += n;
      if (n < PRUNE_CHUNK) break;
    }
    return deleted;
  }

  #bounds(): { min: number; max: number } | undefined {
    // Two statements: SQLite answers a lone MIN() or MAX() from the b-tree edge, but scans the
    // whole table for both in one SELECT.
    const lo = this.#host.cached("SELECT MIN(id) AS v FROM messages").get()?.v;
    if (lo === null || lo === undefined) return undefined;
    const hi = this.#host.cached("SELECT MAX(id) AS v FROM messages").get()?.v;
    return { min: Number(lo), max: Number(hi) };
  }

  #count(): number {
    return Number(this.#host.cached("SELECT COUNT(*) AS n FROM messages").get()?.n ?? 0);
  }
}
