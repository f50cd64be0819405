/**
 * The on-disk schema of `messages.db`, identical to the Python original's (schema version 1), so a
 * database written by either implementation is read by the other.
 *
 * @module
 */

import type { DatabaseSync } from "node:sqlite";

/** The schema version this module writes and understands (`PRAGMA user_version`). */
export const SCHEMA_VERSION = 1;

/**
 * Statements that move a database from version N to N + 1. The text is kept byte-for-byte equal
 * to the original's, because SQLite stores it in `sqlite_master` and both sides compare it there.
 */
const MIGRATIONS: readonly (readonly string[])[] = [
  [
    `CREATE TABLE IF NOT EXISTS messages (
    id            INTEGER PRIMARY KEY AUTOINCREMENT,
    message_id    INTEGER UNIQUE,
    user_id       TEXT    NOT NULL,
    bot_id        TEXT    NOT NULL DEFAULT '',
    msg_type      INTEGER NOT NULL DEFAULT 1,
    direction     INTEGER NOT NULL DEFAULT 1,
    text          TEXT,
    timestamp_ms  INTEGER NOT NULL DEFAULT 0,
    context_token TEXT    NOT NULL DEFAULT '',
    data          TEXT    NOT NULL DEFAULT '{}',
    stored_at     REAL    NOT NULL
)`,
    "CREATE INDEX IF NOT EXISTS idx_msg_user_ts ON messages(user_id, timestamp_ms DESC)",
    "CREATE INDEX IF NOT EXISTS idx_msg_bot_ts ON messages(bot_id, timestamp_ms DESC)",
    "CREATE INDEX IF NOT EXISTS idx_msg_ts ON messages(timestamp_ms DESC)",
    "CREATE INDEX IF NOT EXISTS idx_msg_direction ON messages(direction, timestamp_ms DESC)",
  ],
];

function userVersion(db: DatabaseSync): number {
  const row = db.prepare("PRAGMA user_version").get() as { user_version: number } | undefined;
  return Number(row?.user_version ?? 0);
}

/**
 * Brings the schema of an open database up to {@linkcode SCHEMA_VERSION}.
 *
 * Runs in one `BEGIN IMMEDIATE` transaction so two processes opening a fresh file at once do not
 * both create it; the version is read again under the write lock for the same reason.
 *
 * @throws {Error} When the file was written by a newer schema version.
 */
export function migrateSchema(db: DatabaseSync, label: string): void {
  const newer = (v: number) =>
    new Error(
      `Cannot open message store "${label}": schema version ${v} is newer than the supported version ${SCHEMA_VERSION}`,
    );
  const seen = userVersion(db);
  if (seen === SCHEMA_VERSION) return;
  if (seen > SCHEMA_VERSION) throw newer(seen);
  db.exec("BEGIN IMMEDIATE");
  try {
    const current = userVersion(db);
    if (current > SCHEMA_VERSION) throw newer(current);
    for (let version = current; version < SCHEMA_VERSION; version++) {
      for (const sql of MIGRATIONS[version] ?? []) db.exec(sql);
      db.exec(`PRAGMA user_version = ${version + 1}`);
    }
    db.exec("COMMIT");
  } catch (error) {
    db.exec("ROLLBACK");
    throw error;
  }
}
