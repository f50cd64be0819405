/**
 * Copies between a data directory and a PostgreSQL database, both ways: sessions (`token.json`),
 * context tokens with their counters (`contexts.json`), the default session, the positions of
 * named consumers, and the whole history (`messages.db`, row ids and `stored_at` included, so the
 * positions stay valid). Each copy goes into an empty target and leaves its source untouched.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { DataDir, joinPath, toPythonJson } from "../client/data_dir.ts";
import type { Logger } from "../client/logger.ts";
import { MessageStore } from "../store/mod.ts";
import { connectPostgres } from "./storage.ts";
import { migrate } from "./schema.ts";

/** What a copy moved. */
export interface CopyReport {
  /** Sessions copied. */
  sessions: number;
  /** Context entries copied (all sessions). */
  contexts: number;
  /** History rows copied. */
  messages: number;
  /** Consumer positions copied. */
  consumers: number;
}

const PAGE = 5_000;
const COLUMNS = [
  "id",
  "message_id",
  "user_id",
  "bot_id",
  "msg_type",
  "direction",
  "text",
  "timestamp_ms",
  "context_token",
  "data",
  "stored_at",
] as const;

type RawRow = Record<(typeof COLUMNS)[number], string | number | bigint | null>;

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

function consumerNames(dir: DataDir): string[] {
  const folder = joinPath(dir.basePath, ".consumers");
  try {
    return [...Deno.readDirSync(folder)]
      .filter((e) => e.isFile && e.name.endsWith(".json"))
      .map((e) => e.name.slice(0, -5))
      .sort();
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return [];
    throw err;
  }
}

/**
 * Copy the data directory at `basePath` into the database at `url` (migrated first).
 *
 * @throws {Error} When the database already holds sessions or messages.
 */
export async function copyDataDirToPostgres(
  basePath: string,
  url: string,
  logger: Logger = silent,
): Promise<CopyReport> {
  const dir = new DataDir(basePath, logger);
  const sql = await connectPostgres(url, { max: 1 });
  const report: CopyReport = { sessions: 0, contexts: 0, messages: 0, consumers: 0 };
  try {
    await migrate(sql);
    const [busy] = await sql<{ n: number }[]>`
      SELECT (SELECT COUNT(*) FROM weilink_sessions) + (SELECT COUNT(*) FROM
        (SELECT 1 FROM weilink_messages LIMIT 1) m) AS n`;
    if (Number(busy?.n) > 0) {
      throw new Error("Cannot copy into this database: it already holds sessions or messages");
    }
    await sql.begin(async (tx) => {
      for (const name of dir.discoverSessions()) {
        const t = dir.readToken(name);
        if (!t) continue;
        await tx`INSERT INTO weilink_sessions
          (name, bot_id, base_url, token, user_id, cursor, created_at, expired_at)
          VALUES (${name}, ${t.bot_id}, ${t.base_url}, ${t.token}, ${t.user_id}, ${t.cursor},
            ${t.created_at ?? null}, ${t.expired_at ?? null})`;
        report.sessions++;
        const contexts = dir.readContexts(name);
        for (const [user, entry] of Object.entries(contexts)) {
          await tx`INSERT INTO weilink_contexts (session, user_id, entry)
            VALUES (${name}, ${user}, ${JSON.stringify(entry)}::text::jsonb)`;
          report.contexts++;
        }
      }
      const saved = dir.readDefaultSessionName();
      if (saved !== undefined) {
        await tx`INSERT INTO weilink_settings (key, value) VALUES ('default_session', ${saved})`;
      }
      for (const name of consumerNames(dir)) {
        const value = JSON.parse(Deno.readTextFileSync(dir.consumerPath(name)));
        if (!Number.isSafeInteger(value?.rowid)) continue;
        await tx`INSERT INTO weilink_consumers (name, rowid, updated_at)
          VALUES (${name}, ${value.rowid}, ${Number(value.updated_at) || 0})`;
        report.consumers++;
      }
      const dbPath = joinPath(basePath, "messages.db");
      let exists = true;
      try {
        Deno.statSync(dbPath);
      } catch {
        exists = false;
      }
      if (exists) {
        const db = new DatabaseSync(dbPath, { readOnly: true });
        try {
          const page = db.prepare(
            `SELECT ${COLUMNS.join(", ")} FROM messages WHERE id > ? ORDER BY id LIMIT ${PAGE}`,
          );
          page.setReadBigInts(true);
          let last = 0n;
          for (;;) {
            const rows = page.all(last) as unknown as RawRow[];
            if (rows.length === 0) break;
            const columns = COLUMNS.map((c) =>
              rows.map((r) => {
                const v = r[c];
                return typeof v === "bigint" ? v.toString() : v;
              })
            );
            await tx.unsafe(
              `INSERT INTO weilink_messages (${COLUMNS.join(", ")}) SELECT * FROM unnest(` +
                "$1::bigint[], $2::bigint[], $3::text[], $4::text[], $5::int[], $6::int[], " +
                "$7::text[], $8::bigint[], $9::text[], $10::text[], $11::float8[])",
              columns as never[],
            );
            report.messages += rows.length;
            last = BigInt(rows[rows.length - 1]!.id!);
          }
        } finally {
          db.close();
        }
        await tx`SELECT setval(pg_get_serial_sequence('weilink_messages', 'id'),
          GREATEST((SELECT COALESCE(MAX(id), 0) FROM weilink_messages), 1))`;
      }
    });
  } finally {
    await sql.end({ timeout: 2 });
  }
  return report;
}

/**
 * Copy the database at `url` into the data directory at `basePath`.
 *
 * @throws {Error} When the data directory already holds sessions or a `messages.db`.
 */
export async function copyPostgresToDataDir(
  url: string,
  basePath: string,
  logger: Logger = silent,
): Promise<CopyReport> {
  const dir = new DataDir(basePath, logger);
  const dbPath = joinPath(basePath, "messages.db");
  let hasDb = true;
  try {
    Deno.statSync(dbPath);
  } catch {
    hasDb = false;
  }
  if (dir.discoverSessions().length > 0 || hasDb) {
    throw new Error(
      `Cannot copy into "${basePath}": it already holds sessions or a messages.db`,
    );
  }
  const sql = await connectPostgres(url, { max: 1 });
  const report: CopyReport = { sessions: 0, contexts: 0, messages: 0, consumers: 0 };
  try {
    await migrate(sql);
    dir.ensure();
    // One snapshot of everything, so the copy is consistent while other clients write.
    await sql.begin("ISOLATION LEVEL REPEATABLE READ READ ONLY", async (tx) => {
      const sessions = await tx<
        {
          name: string;
          bot_id: string;
          base_url: string;
          token: string;
          user_id: string;
          cursor: string;
          created_at: number | null;
          expired_at: number | null;
        }[]
      >`SELECT name, bot_id, base_url, token, user_id, cursor, created_at, expired_at
        FROM weilink_sessions ORDER BY name`;
      for (const s of sessions) {
        await dir.writeToken(s.name, {
          bot_id: s.bot_id,
          base_url: s.base_url,
          token: s.token,
          user_id: s.user_id,
          cursor: s.cursor,
          created_at: s.created_at,
          ...(s.expired_at !== null ? { expired_at: s.expired_at } : {}),
        });
        const rows = await tx<{ user_id: string; entry: Record<string, unknown> }[]>`
          SELECT user_id, entry FROM weilink_contexts WHERE session = ${s.name}
          ORDER BY user_id`;
        if (rows.length) {
          await dir.writeContexts(
            s.name,
            Object.fromEntries(rows.map((r) => [r.user_id, r.entry])),
          );
        }
        report.sessions++;
        report.contexts += rows.length;
      }
      const [saved] = await tx<{ value: string }[]>`
        SELECT value FROM weilink_settings WHERE key = 'default_session'`;
      if (saved) await dir.writeDefaultSessionName(saved.value);
      const consumers = await tx<{ name: string; rowid: string; updated_at: number }[]>`
        SELECT name, rowid::text AS rowid, updated_at FROM weilink_consumers ORDER BY name`;
      for (const c of consumers) {
        const path = dir.consumerPath(c.name);
        Deno.mkdirSync(path.replace(/\/[^/]+$/, ""), { recursive: true, mode: 0o700 });
        Deno.writeTextFileSync(
          path,
          toPythonJson({ rowid: Number(c.rowid), updated_at: c.updated_at }),
          { mode: 0o600 },
        );
        report.consumers++;
      }
      // The store creates the file (mode 0600) and its schema; rows then go in as they are.
      new MessageStore(dbPath, { maxAgeDays: null, maxCount: null }).close();
      const db = new DatabaseSync(dbPath);
      try {
        const insert = db.prepare(
          `INSERT INTO messages (${COLUMNS.join(", ")}) VALUES (${
            COLUMNS.map(() => "?").join(", ")
          })`,
        );
        let last = "0";
        for (;;) {
          const rows = await tx.unsafe<Record<string, string | number | null>[]>(
            `SELECT ${
              COLUMNS.join(", ")
            } FROM weilink_messages WHERE id > $1 ORDER BY id LIMIT ${PAGE}`,
            [last],
          );
          if (rows.length === 0) break;
          db.exec("BEGIN");
          for (const r of rows) {
            insert.run(
              ...COLUMNS.map((c) => {
                const v = r[c];
                if (v === null || v === undefined) return null;
                return c === "id" || c === "message_id" || c === "timestamp_ms" ? BigInt(v) : v;
              }),
            );
          }
          db.exec("COMMIT");
          report.messages += rows.length;
          last = String(rows[rows.length - 1]!.id);
        }
      } finally {
        db.close();
      }
    });
  } finally {
    await sql.end({ timeout: 2 });
  }
  return report;
}
