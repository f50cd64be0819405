/**
 * The PostgreSQL schema of WeiLink, as numbered migrations applied on start.
 *
 * `weilink_migrations` lists the versions applied. Every start runs {@linkcode migrate}: one
 * transaction that first takes a transaction-level advisory lock, so hosts starting at once apply
 * each migration exactly once (the others wait, then find it applied). DDL is transactional in
 * PostgreSQL, so a failed migration leaves nothing half-done.
 *
 * The tables mirror the data directory: `weilink_sessions` is `token.json` (one row per session),
 * `weilink_contexts` is `contexts.json` (one row per session and user; `entry` is the JSON entry
 * as the files hold it, unknown keys included, so the §6.4 rules of `context_state.ts` apply to
 * it unchanged), `weilink_settings` holds `.default_session`, `weilink_messages` is `messages.db`
 * (the same columns), and `weilink_consumers` the positions of named consumers.
 *
 * @module
 */

import type { Sql } from "postgres";

/** Advisory lock classes (the first key of the two-key form): "WEIL" and two neighbours. */
export const LOCK_CLASS = {
  /** Applying migrations. */
  migrate: 1464158540,
  /** Polling one bot account (second key: `hashtext(bot_id)`). */
  account: 1464158541,
  /** Reading one named consumer (second key: `hashtext(name)`). */
  consumer: 1464158542,
  /** Appending to `weilink_messages` (second key 0); see `messages_sql.ts`. */
  append: 1464158543,
} as const;

/** Channels of `LISTEN`/`NOTIFY`. */
export const CHANNEL = {
  /** Payload: the largest row id of a committed batch of received rows. */
  messages: "weilink_messages",
  /** Payload: the session whose record changed (login, logout, rename, expiry, default). */
  sessions: "weilink_sessions",
} as const;

/** The schema version this module writes. */
export const PG_SCHEMA_VERSION = 1;

const MIGRATIONS: readonly { version: number; name: string; sql: string }[] = [{
  version: 1,
  name: "sessions, contexts, settings, messages, consumers",
  sql: `
CREATE TABLE weilink_sessions (
  name        text PRIMARY KEY,
  bot_id      text NOT NULL,
  base_url    text NOT NULL,
  token       text NOT NULL,
  user_id     text NOT NULL DEFAULT '',
  cursor      text NOT NULL DEFAULT '',
  created_at  double precision,
  expired_at  double precision,
  version     bigint NOT NULL DEFAULT 1
);
CREATE TABLE weilink_contexts (
  session  text NOT NULL REFERENCES weilink_sessions(name) ON DELETE CASCADE ON UPDATE CASCADE,
  user_id  text NOT NULL,
  entry    jsonb NOT NULL,
  PRIMARY KEY (session, user_id)
);
CREATE INDEX weilink_contexts_user ON weilink_contexts (user_id);
CREATE TABLE weilink_settings (
  key    text PRIMARY KEY,
  value  text NOT NULL
);
CREATE TABLE weilink_messages (
  id            bigserial PRIMARY KEY,
  message_id    bigint UNIQUE,
  user_id       text    NOT NULL,
  bot_id        text    NOT NULL DEFAULT '',
  msg_type      integer NOT NULL DEFAULT 1,
  direction     integer NOT NULL DEFAULT 1,
  text          text,
  timestamp_ms  bigint  NOT NULL DEFAULT 0,
  context_token text    NOT NULL DEFAULT '',
  data          text    NOT NULL DEFAULT '{}',
  stored_at     double precision NOT NULL
);
CREATE INDEX weilink_msg_user_ts ON weilink_messages (user_id, timestamp_ms DESC);
CREATE INDEX weilink_msg_bot_ts ON weilink_messages (bot_id, timestamp_ms DESC);
CREATE INDEX weilink_msg_ts ON weilink_messages (timestamp_ms DESC, id DESC);
CREATE INDEX weilink_msg_direction ON weilink_messages (direction, id);
CREATE INDEX weilink_msg_stored ON weilink_messages (stored_at);
CREATE TABLE weilink_consumers (
  name        text PRIMARY KEY,
  rowid       bigint NOT NULL,
  updated_at  double precision NOT NULL
);`,
}];

/**
 * Apply the migrations this database lacks, in one transaction under an advisory lock.
 *
 * @throws {Error} When the database was migrated by a newer WeiLink.
 */
export async function migrate(sql: Sql): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_CLASS.migrate}, 0)`;
    await tx`CREATE TABLE IF NOT EXISTS weilink_migrations (
      version     integer PRIMARY KEY,
      name        text NOT NULL,
      applied_at  timestamptz NOT NULL DEFAULT now()
    )`;
    const rows = await tx<{ version: number }[]>`SELECT version FROM weilink_migrations`;
    const applied = new Set(rows.map((r) => Number(r.version)));
    const newest = Math.max(0, ...applied);
    if (newest > PG_SCHEMA_VERSION) {
      throw new Error(
        `Cannot use this database: its WeiLink schema version ${newest} is newer than the ` +
          `supported version ${PG_SCHEMA_VERSION}`,
      );
    }
    for (const m of MIGRATIONS) {
      if (applied.has(m.version)) continue;
      await tx.unsafe(m.sql);
      await tx`INSERT INTO weilink_migrations (version, name) VALUES (${m.version}, ${m.name})`;
    }
  });
}
