/**
 * {@linkcode PostgresStorage}: the client's storage in PostgreSQL, for many clients on many hosts
 * (see `src/client/storage.ts` for the boundary, `docs/deployment.md` for the topology).
 *
 * - A polled batch is one transaction: the messages are appended (idempotent on message id), the
 *   context tokens they carry recorded, and the session's cursor moved, but only if the cursor is
 *   still the one the batch was polled with. A second poller that slipped in (a worker that lost
 *   its claim and has not noticed yet) finds the cursor moved and writes nothing.
 * - A send locks the user's context rows (`SELECT … FOR UPDATE`), applies the §6.4 rules of
 *   `context_state.ts` to them and counts its messages, then commits before any request leaves;
 *   concurrent sends on any host queue on the row, so together they never exceed the quota.
 * - Readers are woken by `NOTIFY weilink_messages` and read by row id.
 *
 * The npm client (`postgres`) is loaded on the first use, so nothing of it is loaded by clients
 * that keep to the data directory.
 *
 * @module
 */

import type { Sql } from "postgres";
import type postgres from "postgres";
import type { Logger } from "../client/logger.ts";
import type { ContextsFile } from "../client/data_dir.ts";
import {
  contextStatus,
  dropToken,
  recordInboundBatch,
  reserveSends,
  settleSends,
} from "../client/context_state.ts";
import type {
  ClientStorage,
  CommitOutcome,
  ConsumerLock,
  ConsumerPositions,
  InboundBatch,
  SendLedger,
  SendRequest,
  SendReservation,
  SendSettlement,
} from "../client/storage.ts";
import { redactUrl } from "../client/storage.ts";
import { type SentPart, sentRecords, type StoreBinding } from "../client/store_binding.ts";
import { type Message, MessageDirection } from "../models/mod.ts";
import { CLAIMS_APPLICATION, LockConnection } from "./claims.ts";
import { appendMessages, appendSent, PgHistory } from "./messages_sql.ts";
import { PgRecords } from "./records.ts";
import { CHANNEL, migrate } from "./schema.ts";

/** Options of {@linkcode PostgresStorage}. */
export interface PostgresStorageOptions {
  /** Clock in epoch ms. */
  now: () => number;
  /** Where warnings go. */
  logger: Logger;
  /** Seconds of history a new fallback reader starts with. */
  fallbackWindowS: number;
  /** Connections of the query pool (default 4; one more holds the claims, one more listens). */
  poolSize?: number;
}

const PAGE = 1000;
/** SQLSTATEs worth one more try: serialization failure, deadlock detected. */
const RETRYABLE = new Set(["40001", "40P01"]);

type Postgres = typeof postgres;

/** Open a postgres.js client on `url` with WeiLink's settings. */
export async function connectPostgres(
  url: string,
  options: { max?: number; lifetime?: boolean } = {},
): Promise<Sql> {
  const connect = (await import("postgres")).default as Postgres;
  return connect(url, {
    max: options.max ?? 4,
    onnotice: () => {},
    // Claims live as long as their connection: it must never be recycled behind our back.
    ...(options.lifetime === false ? { max_lifetime: null, idle_timeout: 0 } : {}),
    // A half-open connection (a partition) is noticed by TCP keep-alives after about 10 s.
    keep_alive: 5,
    connect_timeout: 10,
    connection: { application_name: "weilink" },
  });
}

async function retrying<T>(fn: () => Promise<T>): Promise<T> {
  for (let attempt = 1;; attempt++) {
    try {
      return await fn();
    } catch (err) {
      const code = (err as { code?: string }).code;
      if (attempt >= 5 || !code || !RETRYABLE.has(code)) throw err;
      await new Promise((r) => setTimeout(r, 5 * attempt + Math.random() * 10));
    }
  }
}

/** The client's storage in PostgreSQL. */
export class PostgresStorage implements ClientStorage {
  readonly kind = "postgres" as const;
  readonly location: string;
  readonly records: PgRecords;
  readonly claims: LockConnection;
  readonly positions: ConsumerPositions;
  readonly commits: { commit(batch: InboundBatch): Promise<CommitOutcome> };
  readonly ledger: SendLedger;
  readonly ready: Promise<void>;
  readonly #url: string;
  readonly #options: PostgresStorageOptions;
  #sql: Promise<Sql> | undefined;
  #history: PgHistory | undefined;
  readonly #messageListeners = new Set<() => void>();
  #unlisten: (() => Promise<void>) | undefined;
  #pendingPositions = new Set<Promise<void>>();
  #closed = false;

  /** Storage in the database at `url`; connects, migrates and loads in the background. */
  constructor(url: string, options: PostgresStorageOptions) {
    this.#url = url;
    this.#options = options;
    this.location = redactUrl(url);
    this.records = new PgRecords(() => this.pool());
    this.claims = new LockConnection(() =>
      // Made synchronously on demand (after `ready`); postgres.js connects on the first query.
      this.#postgres!(url, {
        max: 1,
        max_lifetime: null,
        idle_timeout: 0,
        keep_alive: 5,
        connect_timeout: 10,
        onnotice: () => {},
        connection: { application_name: CLAIMS_APPLICATION },
      })
    );
    this.commits = { commit: (batch) => retrying(() => this.#commit(batch)) };
    this.ledger = {
      reserve: (request, check) => retrying(() => this.#reserve(request, check)),
      settle: (settlement) => retrying(() => this.#settle(settlement)),
      sent: (session, to, nowSec) => this.#sent(session, to, nowSec),
    };
    this.positions = this.#positions();
    this.ready = this.#start();
    // Failures surface where `ready` is awaited.
    this.ready.catch(() => {});
  }

  /** The postgres.js factory, once loaded (the claims connection is made with it). */
  #postgres: Postgres | undefined;

  async #start(): Promise<void> {
    this.#postgres = (await import("postgres")).default as Postgres;
    const sql = await this.pool();
    await migrate(sql);
    await this.records.load();
    const listener = await sql.listen(CHANNEL.sessions, () => {
      void this.records.load().catch(() => {});
    });
    const messages = await sql.listen(CHANNEL.messages, () => {
      this.records.contextsChanged();
      for (const l of this.#messageListeners) l();
    });
    this.#unlisten = async () => {
      await listener.unlisten().catch(() => {});
      await messages.unlisten().catch(() => {});
    };
  }

  /** The query pool (connected on first use). */
  pool(): Promise<Sql> {
    this.#sql ??= connectPostgres(this.#url, { max: this.#options.poolSize ?? 4 });
    return this.#sql;
  }

  /** History reads over the pool. */
  async history(): Promise<PgHistory> {
    await this.ready;
    this.#history ??= new PgHistory(await this.pool());
    return this.#history;
  }

  async refresh(): Promise<void> {
    await this.ready;
    await this.records.load();
  }

  onMessages(listener: () => void): () => void {
    this.#messageListeners.add(listener);
    return () => this.#messageListeners.delete(listener);
  }

  // ---- receiving ----------------------------------------------------------------------------

  async #commit(batch: InboundBatch): Promise<CommitOutcome> {
    await this.ready;
    const sql = await this.pool();
    const outcome = await sql.begin(async (tx): Promise<CommitOutcome> => {
      const [row] = await tx<{ cursor: string; token: string }[]>`
        SELECT cursor, token FROM weilink_sessions WHERE name = ${batch.session} FOR UPDATE`;
      if (!row || row.token !== batch.token) return { kind: "gone" };
      if (row.cursor !== batch.from) return { kind: "moved", cursor: row.cursor };
      await appendMessages(tx, batch.messages, this.#options.now() / 1000);
      const pairs: (readonly [string, string])[] = [];
      for (const m of batch.messages) if (m.contextToken) pairs.push([m.fromUser, m.contextToken]);
      if (pairs.length) {
        const users = [...new Set(pairs.map(([u]) => u))].sort();
        const rows = await tx<{ user_id: string; entry: ContextsFile[string] }[]>`
          SELECT user_id, entry FROM weilink_contexts
          WHERE session = ${batch.session} AND user_id = ANY(${users}::text[])
          ORDER BY user_id FOR UPDATE`;
        const contexts: ContextsFile = {};
        for (const r of rows) contexts[r.user_id] = r.entry;
        recordInboundBatch(contexts, pairs, batch.nowSec);
        await tx`INSERT INTO weilink_contexts (session, user_id, entry)
          SELECT ${batch.session}, u, e::jsonb FROM unnest(${users}::text[], ${
          users.map((u) => JSON.stringify(contexts[u]))
        }::text[]) AS t(u, e)
          ON CONFLICT (session, user_id) DO UPDATE SET entry = EXCLUDED.entry`;
      }
      const cursor = batch.cursor || batch.from;
      const [updated] = await tx<{ version: string }[]>`
        UPDATE weilink_sessions SET cursor = ${cursor}, version = version + 1
        WHERE name = ${batch.session} RETURNING version::text AS version`;
      return { kind: "committed", raw: `v${updated!.version}` };
    });
    if (outcome.kind === "committed") {
      this.records.noteCursor(batch.session, batch.cursor || batch.from, outcome.raw.slice(1));
    }
    return outcome;
  }

  // ---- sending ------------------------------------------------------------------------------

  async #reserve(
    request: SendRequest,
    check: (session: string, entry: ContextsFile[string] | undefined) => void,
  ): Promise<SendReservation> {
    await this.ready;
    const sql = await this.pool();
    const sessions = request.explicit !== undefined ? [request.explicit] : request.candidates;
    return await sql.begin(async (tx) => {
      // Every candidate's row of this user, locked in one order (no deadlock between senders).
      const rows = await tx<{ session: string; entry: ContextsFile[string] }[]>`
        SELECT session, entry FROM weilink_contexts
        WHERE user_id = ${request.to} AND session = ANY(${sessions}::text[])
        ORDER BY session FOR UPDATE`;
      const entries = new Map(rows.map((r) => [r.session, r.entry]));
      let session = request.explicit;
      if (session === undefined) {
        let bestTs = -Infinity;
        // Registry order breaks ties, as the files do.
        for (const name of request.candidates) {
          const e = entries.get(name);
          if (e?.t && (e.ts ?? 0) > bestTs) {
            session = name;
            bestTs = e.ts ?? 0;
          }
        }
        session ??= request.fallback ?? request.candidates[0]!;
      }
      const contexts: ContextsFile = {};
      const entry = entries.get(session);
      if (entry) contexts[request.to] = entry;
      check(session, entry);
      contextStatus(entry, request.nowSec);
      reserveSends(contexts, request.to, request.total);
      if (entry) {
        await tx`UPDATE weilink_contexts SET entry = ${
          JSON.stringify(contexts[request.to])
        }::text::jsonb
          WHERE session = ${session} AND user_id = ${request.to}`;
      }
      return { session, entry: contexts[request.to] };
    });
  }

  async #settle(s: SendSettlement): Promise<number> {
    const sql = await this.pool();
    return await sql.begin(async (tx) => {
      const [row] = await tx<{ entry: ContextsFile[string] }[]>`
        SELECT entry FROM weilink_contexts WHERE session = ${s.session} AND user_id = ${s.to}
        FOR UPDATE`;
      const contexts: ContextsFile = row ? { [s.to]: row.entry } : {};
      const left = s.stale
        ? (dropToken(contexts, s.to, s.token), 0)
        : settleSends(contexts, s.to, s.token, s.unused, s.success, s.nowSec);
      if (row) {
        await tx`UPDATE weilink_contexts SET entry = ${JSON.stringify(contexts[s.to])}::text::jsonb
          WHERE session = ${s.session} AND user_id = ${s.to}`;
      }
      return left;
    });
  }

  async #sent(session: string, to: string, nowSec: number): Promise<void> {
    const sql = await this.pool();
    await sql`UPDATE weilink_contexts
      SET entry = jsonb_set(entry, '{send_ts}', to_jsonb(${nowSec}::float8))
      WHERE session = ${session} AND user_id = ${to}
        AND COALESCE((entry->>'send_ts')::float8, 0) < ${nowSec}`;
  }

  // ---- the message store --------------------------------------------------------------------

  async messages(): Promise<StoreBinding> {
    const history = await this.history();
    const sql = await this.pool();
    const now = this.#options.now;
    const windowS = this.#options.fallbackWindowS;
    let fallbackMark: number | undefined;
    const since = async (mark: number) => {
      const messages: Message[] = [];
      let last = mark;
      for (;;) {
        const rows = await history.querySince(last, {
          direction: MessageDirection.RECEIVED,
          limit: PAGE,
        });
        for (const r of rows) messages.push(r.message);
        if (rows.length > 0) last = rows[rows.length - 1]!.rowid;
        if (rows.length < PAGE) break;
      }
      return { messages, maxRowId: last };
    };
    return {
      storeReceived: async (messages) => {
        await sql.begin((tx) => appendMessages(tx, messages, now() / 1000));
      },
      storeSent: (botId: string, to: string, parts: SentPart[], contextToken: string) =>
        appendSent(sql, sentRecords(botId, to, parts, contextToken, now()), now()),
      maxRowId: () => history.maxRowId(),
      receivedAfter: (rowid, limit) =>
        history.querySince(rowid, { direction: MessageDirection.RECEIVED, limit }),
      startPosition: (windowMs) => history.startPosition((now() - windowMs) / 1000),
      receivedSince: since,
      nextFallback: async (botIds) => {
        fallbackMark ??= await history.startPosition(now() / 1000 - windowS);
        const next = await since(fallbackMark);
        fallbackMark = next.maxRowId;
        return next.messages.filter((m) => m.botId === undefined || botIds.has(m.botId));
      },
      close: () => {},
    };
  }

  // ---- consumers ----------------------------------------------------------------------------

  #positions(): ConsumerPositions {
    return {
      where: (name) => `${this.location} (weilink_consumers, "${name}")`,
      lock: (name): ConsumerLock => {
        let lock: ConsumerLock | undefined;
        const get = async () => {
          await this.ready;
          return lock ??= this.claims.consumerLock(name);
        };
        return {
          tryLock: async () => await (await get()).tryLock(),
          unlock: async () => await (await get()).unlock(),
          release: () => {},
        };
      },
      load: async (name) => {
        await this.ready;
        const sql = await this.pool();
        const [row] = await sql<{ rowid: string }[]>`
          SELECT rowid::text AS rowid FROM weilink_consumers WHERE name = ${name}`;
        return row ? Number(row.rowid) : undefined;
      },
      prepare: (name, rowid, nowSec) => {
        const write = async () => {
          const sql = await this.pool();
          await sql`INSERT INTO weilink_consumers (name, rowid, updated_at)
            VALUES (${name}, ${rowid}, ${nowSec})
            ON CONFLICT (name) DO UPDATE SET rowid = EXCLUDED.rowid,
              updated_at = EXCLUDED.updated_at`;
        };
        return Promise.resolve(() => {
          const p = write().catch((err) => {
            this.#options.logger.warn(
              `Cannot save the position of consumer "${name}": ${
                err instanceof Error ? err.message : String(err)
              }`,
            );
          }).finally(() => this.#pendingPositions.delete(p));
          this.#pendingPositions.add(p);
        });
      },
      settled: async () => {
        while (this.#pendingPositions.size) await Promise.all(this.#pendingPositions);
      },
    };
  }

  // ---- lifecycle ----------------------------------------------------------------------------

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.ready.catch(() => {});
    await this.positions.settled();
    await this.claims.close();
    await this.#unlisten?.();
    const sql = await this.#sql?.catch(() => undefined);
    await sql?.end({ timeout: 2 }).catch(() => {});
  }
}
