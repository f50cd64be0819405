/**
 * WeiLink on PostgreSQL: the client's storage shared by many hosts (`new WeiLink({ storage:
 * "postgres://…" })`), the history reads of the servers, and the copies between a data directory
 * and a database (`weilink migrate to-postgres` / `from-postgres`). See `docs/deployment.md`.
 *
 * @module
 */

export { PostgresStorage, type PostgresStorageOptions } from "./storage.ts";
export { PgHistory } from "./messages_sql.ts";
export { copyDataDirToPostgres, copyPostgresToDataDir, type CopyReport } from "./data_dir_copy.ts";
export { PG_SCHEMA_VERSION } from "./schema.ts";

/** History reads of the database at `url` (connected and migrated); `close` ends its pool. */
export async function openPgHistory(
  url: string,
): Promise<{ history: import("./messages_sql.ts").PgHistory; close(): Promise<void> }> {
  const { connectPostgres } = await import("./storage.ts");
  const { migrate } = await import("./schema.ts");
  const { PgHistory } = await import("./messages_sql.ts");
  const sql = await connectPostgres(url, { max: 2 });
  await migrate(sql);
  return { history: new PgHistory(sql), close: () => sql.end({ timeout: 2 }) };
}
