/**
 * Claims on a dedicated connection: which bot accounts this client polls, and which named
 * consumers it reads, as session-level advisory locks (`pg_try_advisory_lock`).
 *
 * A session-level advisory lock lives exactly as long as the connection that took it: a worker
 * killed with `kill -9` loses its socket, its backend ends, and the lock is free at once for the
 * next worker's retry. The dangerous case is the other way round: this client believing it still
 * holds a lock after its connection was lost. postgres.js reconnects silently, so a heartbeat
 * asks the connection for its backend pid every second: a different pid (a new connection), an
 * error, or no answer within `HEARTBEAT_TIMEOUT_MS` means every claim is gone, and the pollers of
 * those accounts are told to stop. The cursor check of each commit (`storage.ts`) covers the
 * seconds in between.
 *
 * @module
 */

import type { Sql } from "postgres";
import type { AccountClaims, ConsumerLock } from "../client/storage.ts";
import { LOCK_CLASS } from "./schema.ts";

/** `application_name` of claims connections, by which {@linkcode LockConnection.peers} counts. */
export const CLAIMS_APPLICATION = "weilink-claims";
const HEARTBEAT_MS = 1_000;
const HEARTBEAT_TIMEOUT_MS = 3_000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return Promise.race([
    p,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`No answer within ${ms} ms`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}

/** Advisory-lock claims of one client, on one connection of their own. */
export class LockConnection implements AccountClaims {
  readonly perAccount = true;
  readonly #connect: () => Sql;
  #conn: Sql | undefined;
  /** Backend pid of the connection the locks were taken on. */
  #pid: number | undefined;
  readonly #accounts = new Set<string>();
  readonly #consumers = new Set<string>();
  readonly #listeners = new Set<(botIds: Set<string>) => void>();
  #timer: ReturnType<typeof setInterval> | undefined;
  #beating = false;
  #closed = false;

  /** Claims taken on connections made by `connect` (a client with `max: 1`, no lifetime). */
  constructor(connect: () => Sql) {
    this.#connect = connect;
  }

  /** The connection, made on first use. */
  get #sql(): Sql {
    return this.#conn ??= this.#connect();
  }

  /** See {@linkcode AccountClaims.claim}. */
  async claim(botIds: readonly string[]): Promise<Set<string>> {
    const wanted = botIds.filter((b) => !this.#accounts.has(b));
    if (wanted.length && !this.#closed) {
      await this.#ensurePid();
      const rows = await this.#sql<{ bot: string; ok: boolean }[]>`
        SELECT bot, pg_try_advisory_lock(${LOCK_CLASS.account}, hashtext(bot)) AS ok
        FROM unnest(${wanted}::text[]) AS bot`;
      if (await this.#samePid()) {
        for (const r of rows) if (r.ok) this.#accounts.add(r.bot);
      }
    }
    return new Set(botIds.filter((b) => this.#accounts.has(b)));
  }

  /** See {@linkcode AccountClaims.release}. */
  async release(botIds?: readonly string[]): Promise<void> {
    const gone = (botIds ?? [...this.#accounts]).filter((b) => this.#accounts.delete(b));
    if (gone.length === 0 || this.#closed) return;
    try {
      await this.#sql`
        SELECT pg_advisory_unlock(${LOCK_CLASS.account}, hashtext(bot))
        FROM unnest(${gone}::text[]) AS bot`;
    } catch {
      // The connection is gone: so are its locks.
    }
  }

  /** See {@linkcode AccountClaims.held}. */
  held(): Set<string> {
    return new Set(this.#accounts);
  }

  /** See {@linkcode AccountClaims.onLost}. */
  onLost(listener: (botIds: Set<string>) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Clients with a claims connection to this database (this one included): the workers that
   * share the accounts. Counted from `pg_stat_activity` by application name; a role sees its own
   * sessions there (other roles' need `pg_read_all_stats`).
   */
  async peers(): Promise<number> {
    await this.#ensurePid();
    const [row] = await this.#sql<{ n: number }[]>`
      SELECT COUNT(*)::int AS n FROM pg_stat_activity
      WHERE datname = current_database() AND application_name = ${CLAIMS_APPLICATION}`;
    return Math.max(1, row?.n ?? 1);
  }

  /** The lock of a named consumer, on this connection. */
  consumerLock(name: string): ConsumerLock {
    return {
      tryLock: async () => {
        if (this.#consumers.has(name)) return true;
        await this.#ensurePid();
        const [row] = await this.#sql<{ ok: boolean }[]>`
          SELECT pg_try_advisory_lock(${LOCK_CLASS.consumer}, hashtext(${name})) AS ok`;
        if (row?.ok && await this.#samePid()) this.#consumers.add(name);
        return this.#consumers.has(name);
      },
      unlock: async () => {
        if (!this.#consumers.delete(name) || this.#closed) return;
        await this.#sql`SELECT pg_advisory_unlock(${LOCK_CLASS.consumer}, hashtext(${name}))`
          .catch(() => {});
      },
      release: () => {},
    };
  }

  /** Stop the heartbeat and close the connection (every lock goes with it). */
  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#timer);
    this.#accounts.clear();
    this.#consumers.clear();
    await this.#conn?.end({ timeout: 1 }).catch(() => {});
  }

  async #ensurePid(): Promise<void> {
    if (this.#pid !== undefined) return;
    const [row] = await this.#sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`;
    this.#pid = row!.pid;
    if (this.#timer === undefined) {
      this.#timer = setInterval(() => void this.#beat(), HEARTBEAT_MS);
      Deno.unrefTimer(this.#timer);
    }
  }

  /** Whether the connection is still the one the locks were taken on; else they are lost. */
  async #samePid(): Promise<boolean> {
    let pid: number | undefined;
    try {
      const [row] = await withTimeout(
        this.#sql<{ pid: number }[]>`SELECT pg_backend_pid() AS pid`,
        HEARTBEAT_TIMEOUT_MS,
      );
      pid = row?.pid;
    } catch {
      pid = undefined;
    }
    if (pid !== undefined && pid === this.#pid) return true;
    this.#lose();
    return false;
  }

  async #beat(): Promise<void> {
    if (this.#beating || this.#closed || this.#pid === undefined) return;
    if (this.#accounts.size === 0 && this.#consumers.size === 0) return;
    this.#beating = true;
    try {
      await this.#samePid();
    } finally {
      this.#beating = false;
    }
  }

  /**
   * The connection changed or is unreachable: every claim is gone. The old connection is closed
   * for good (should it come back, its locks must not outlive what this client believes), and
   * the next claim starts on a new one.
   */
  #lose(): void {
    const lost = new Set(this.#accounts);
    this.#accounts.clear();
    this.#consumers.clear();
    this.#pid = undefined;
    if (this.#closed) return;
    const old = this.#conn;
    this.#conn = undefined;
    void old?.end({ timeout: 0 }).catch(() => {});
    if (lost.size === 0) return;
    for (const listener of this.#listeners) {
      try {
        listener(lost);
      } catch {
        // A listener's failure must not keep the others from hearing it.
      }
    }
  }
}
