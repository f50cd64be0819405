/**
 * Sessions, the default session and context tokens in PostgreSQL, read through a snapshot.
 *
 * The client reads its records synchronously (session getters, the registry's sync before every
 * poll and send), so this class keeps a copy of `weilink_sessions` and `weilink_settings` in
 * memory. It is loaded on start, reloaded when another client announces a change on the
 * `weilink_sessions` channel, and refreshed before every poll round and login. Context tokens are
 * mirrored the same way, but only for the sessions someone reads them for (contacts, the admin
 * panel), and at most once a second: sends and commits never use the mirror; they read and lock
 * the rows themselves.
 *
 * @module
 */

import type { Sql } from "postgres";
import type { ContextsFile, TokenFile } from "../client/data_dir.ts";
import type { RecordStamps, SessionRecords } from "../client/storage.ts";
import { CHANNEL } from "./schema.ts";

const DEFAULT_KEY = "default_session";
/** Least time between two reloads of the context mirror. */
const CONTEXTS_REFRESH_MS = 1_000;

/** A row of `weilink_sessions`. */
interface SessionRow {
  name: string;
  bot_id: string;
  base_url: string;
  token: string;
  user_id: string;
  cursor: string;
  created_at: number | null;
  expired_at: number | null;
  version: string;
}

function tokenOf(row: SessionRow): TokenFile {
  const token: TokenFile = {
    bot_id: row.bot_id,
    base_url: row.base_url,
    token: row.token,
    user_id: row.user_id,
    cursor: row.cursor,
    created_at: row.created_at,
  };
  if (row.expired_at !== null) token.expired_at = row.expired_at;
  return token;
}

/** Reads of a reload at most, while this client's own changes keep overlapping them. */
const MAX_LOAD_ATTEMPTS = 20;

/** The records of a PostgreSQL storage. */
export class PgRecords implements SessionRecords {
  readonly #sql: () => Promise<Sql>;
  #sessions = new Map<string, { token: TokenFile; version: string }>();
  #default: string | undefined;
  #listStamp = 0;
  #defaultStamp = 0;
  #contexts = new Map<string, ContextsFile>();
  #contextsWanted = new Set<string>();
  #contextsAt = 0;
  #contextsLoading: Promise<void> | undefined;
  #lock: Promise<unknown> = Promise.resolve();
  /**
   * Bumped by every change this client makes to the mirror. A reload whose queries overlapped
   * one may have read the rows from before it, so it reads them again rather than undo it.
   */
  #changes = 0;

  /** Records read and written through the pool `sql` resolves to. */
  constructor(sql: () => Promise<Sql>) {
    this.#sql = sql;
  }

  /** Reload sessions and the default (and the wanted context mirrors when due). */
  async load(): Promise<void> {
    const sql = await this.#sql();
    let rows: SessionRow[];
    let setting: { value: string } | undefined;
    // Bounded: under a steady stream of this client's own commits, the last read is kept (the
    // next notification reloads again).
    for (let attempt = 1;; attempt++) {
      const changes = this.#changes;
      rows = await sql<SessionRow[]>`
        SELECT name, bot_id, base_url, token, user_id, cursor, created_at, expired_at,
          version::text AS version
        FROM weilink_sessions ORDER BY name`;
      [setting] = await sql<{ value: string }[]>`
        SELECT value FROM weilink_settings WHERE key = ${DEFAULT_KEY}`;
      if (changes === this.#changes || attempt === MAX_LOAD_ATTEMPTS) break;
    }
    const next = new Map<string, { token: TokenFile; version: string }>();
    for (const row of rows) next.set(row.name, { token: tokenOf(row), version: row.version });
    if ([...next.keys()].join("\n") !== [...this.#sessions.keys()].join("\n")) this.#listStamp++;
    this.#sessions = next;
    if (setting?.value !== this.#default) {
      this.#default = setting?.value;
      this.#defaultStamp++;
    }
  }

  /** Note a cursor this client committed (the row's new version), without a reload. */
  noteCursor(name: string, cursor: string, version: string): void {
    const s = this.#sessions.get(name);
    if (s) this.#sessions.set(name, { token: { ...s.token, cursor }, version });
    this.#changes++;
  }

  /** Mark the context mirror stale (another client received messages). */
  contextsChanged(): void {
    this.#contextsAt = 0;
  }

  listStamp(): string | undefined {
    return `pg:${this.#listStamp}`;
  }

  names(): string[] {
    return [...this.#sessions.keys()];
  }

  stamps(name: string): RecordStamps | undefined {
    const s = this.#sessions.get(name);
    return s ? { stamp: `v${s.version}`, raw: `v${s.version}` } : undefined;
  }

  read(name: string): TokenFile | undefined {
    const s = this.#sessions.get(name);
    return s ? { ...s.token } : undefined;
  }

  has(name: string): boolean {
    return this.#sessions.has(name);
  }

  readDefault(): string | undefined {
    return this.#default;
  }

  defaultStamp(): string | undefined {
    return `pg:${this.#defaultStamp}`;
  }

  withLock<T>(fn: () => Promise<T> | T): Promise<T> {
    // Rows are changed by single statements; this only keeps this client's own
    // read-modify-write sequences from interleaving.
    const run = this.#lock.then(fn, fn);
    this.#lock = run.catch(() => {});
    return run;
  }

  async writeDefault(name: string | undefined): Promise<void> {
    const sql = await this.#sql();
    if (name === undefined) await sql`DELETE FROM weilink_settings WHERE key = ${DEFAULT_KEY}`;
    else {
      await sql`INSERT INTO weilink_settings (key, value) VALUES (${DEFAULT_KEY}, ${name})
        ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value`;
    }
    this.#changes++;
    await this.#announce(sql, "");
    if (name !== this.#default) {
      this.#default = name;
      this.#defaultStamp++;
    }
  }

  async write(name: string, token: TokenFile): Promise<void> {
    const sql = await this.#sql();
    const [row] = await sql<{ version: string }[]>`
      INSERT INTO weilink_sessions
        (name, bot_id, base_url, token, user_id, cursor, created_at, expired_at)
      VALUES (${name}, ${token.bot_id}, ${token.base_url}, ${token.token}, ${token.user_id},
        ${token.cursor}, ${token.created_at ?? null}, ${token.expired_at ?? null})
      ON CONFLICT (name) DO UPDATE SET bot_id = EXCLUDED.bot_id, base_url = EXCLUDED.base_url,
        token = EXCLUDED.token, user_id = EXCLUDED.user_id, cursor = EXCLUDED.cursor,
        created_at = EXCLUDED.created_at, expired_at = EXCLUDED.expired_at,
        version = weilink_sessions.version + 1
      RETURNING version::text AS version`;
    this.#changes++;
    if (!this.#sessions.has(name)) this.#listStamp++;
    this.#sessions.set(name, { token: { ...token }, version: row!.version });
    await this.#announce(sql, name);
  }

  async setExpiry(name: string, token: string, expiredAt: number | undefined): Promise<void> {
    const sql = await this.#sql();
    const rows = await sql<{ version: string }[]>`
      UPDATE weilink_sessions SET expired_at = ${expiredAt ?? null}, version = version + 1
      WHERE name = ${name} AND token = ${token}
        AND (expired_at IS NULL) = ${expiredAt !== undefined}
      RETURNING version::text AS version`;
    this.#changes++;
    const s = this.#sessions.get(name);
    if (rows[0] && s) {
      const next = { ...s.token };
      if (expiredAt === undefined) delete next.expired_at;
      else next.expired_at = expiredAt;
      this.#sessions.set(name, { token: next, version: rows[0].version });
      await this.#announce(sql, name);
    }
  }

  async remove(name: string): Promise<void> {
    const sql = await this.#sql();
    await sql`DELETE FROM weilink_sessions WHERE name = ${name}`;
    this.#changes++;
    if (this.#sessions.delete(name)) this.#listStamp++;
    this.#contexts.delete(name);
    await this.#announce(sql, name);
  }

  async rename(oldName: string, newName: string): Promise<void> {
    const sql = await this.#sql();
    const rows = await sql`UPDATE weilink_sessions SET name = ${newName}, version = version + 1
      WHERE name = ${oldName} RETURNING name`;
    if (rows.length === 0) return;
    this.#changes++;
    await this.load();
    this.#listStamp++;
    await this.#announce(sql, newName);
  }

  readContexts(name: string): ContextsFile {
    this.#contextsWanted.add(name);
    if (Date.now() - this.#contextsAt >= CONTEXTS_REFRESH_MS) void this.loadContexts();
    return structuredClone(this.#contexts.get(name) ?? {});
  }

  /** Reload the context mirror of the sessions whose contexts were read. */
  loadContexts(): Promise<void> {
    this.#contextsLoading ??= (async () => {
      try {
        const names = [...this.#contextsWanted];
        if (names.length === 0) return;
        this.#contextsAt = Date.now();
        const sql = await this.#sql();
        const rows = await sql<{ session: string; user_id: string; entry: ContextsFile[string] }[]>`
          SELECT session, user_id, entry FROM weilink_contexts
          WHERE session = ANY(${names}::text[])`;
        const next = new Map<string, ContextsFile>(names.map((n) => [n, {}]));
        for (const r of rows) next.get(r.session)![r.user_id] = r.entry;
        this.#contexts = next;
      } catch {
        // Kept as it was; the next read tries again.
        this.#contextsAt = 0;
      } finally {
        this.#contextsLoading = undefined;
      }
    })();
    return this.#contextsLoading;
  }

  async writeContexts(name: string, contexts: ContextsFile): Promise<void> {
    const sql = await this.#sql();
    const users = Object.keys(contexts);
    await sql.begin(async (tx) => {
      await tx`DELETE FROM weilink_contexts WHERE session = ${name}`;
      if (users.length) {
        await tx`INSERT INTO weilink_contexts (session, user_id, entry)
          SELECT ${name}, u, e::jsonb FROM unnest(${users}::text[], ${
          users.map((u) => JSON.stringify(contexts[u]))
        }::text[]) AS t(u, e)`;
      }
    });
    this.#contexts.set(name, structuredClone(contexts));
  }

  async #announce(sql: Sql, name: string): Promise<void> {
    await sql`SELECT pg_notify(${CHANNEL.sessions}, ${name})`;
  }
}
