/**
 * `weilink migrate openclaw [--source DIR] [-d DIR] [--dry-run] [--force]`.
 *
 * Imports the WeChat bot accounts of the OpenClaw Weixin plugin as sessions, one report line per
 * account. Exits with status 1 when an account could not be imported (the others still are).
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { UsageError } from "../flags.ts";
import { dataDirectory } from "../open_client.ts";
import { createStderrLogger } from "../../client/logger.ts";
import { envGet, homeDirectory, resolveBasePath } from "../../client/paths.ts";
import { migrateOpenClaw, type OpenClawAccountReport } from "../../integrations/mod.ts";

/** Where OpenClaw keeps its state: `OPENCLAW_STATE_DIR`, else `~/.openclaw`. */
function defaultSource(): string {
  const dir = envGet("OPENCLAW_STATE_DIR") ?? envGet("CLAWDBOT_STATE_DIR");
  if (dir) return resolveBasePath(dir);
  const home = homeDirectory();
  if (!home) throw new Error("Cannot find the OpenClaw folder: set HOME or pass --source");
  return `${home}/.openclaw`;
}

const MARK: Record<OpenClawAccountReport["status"], string> = {
  imported: "+",
  skipped: "-",
  failed: "!",
};

/**
 * Imports the accounts of the tool named by the positional argument (`openclaw`), or copies the
 * data directory to PostgreSQL and back (`to-postgres`, `from-postgres`).
 */
export function runMigrate(ctx: CommandContext): Promise<number> {
  const source = ctx.positionals[0];
  if (source === "to-postgres" || source === "from-postgres") return runCopy(ctx, source);
  if (source !== "openclaw") {
    throw new UsageError(
      `Unknown source '${source}': expected openclaw, to-postgres or from-postgres`,
      ctx.commandPath,
    );
  }
  return runMigrateOpenClaw(ctx);
}

/** Copies the data directory into the database of `--store`, or the database into it. */
async function runCopy(
  ctx: CommandContext,
  direction: "to-postgres" | "from-postgres",
): Promise<number> {
  const url = ctx.common.store;
  if (url === undefined || url === "files") {
    throw new UsageError(
      `migrate ${direction} needs the database: --store postgres://… (or WEILINK_STORE)`,
      ctx.commandPath,
    );
  }
  const { copyDataDirToPostgres, copyPostgresToDataDir } = await import(
    "../../postgres/mod.ts"
  );
  const { redactUrl } = await import("../../client/storage.ts");
  const dir = dataDirectory(ctx.common);
  const logger = createStderrLogger(ctx.common.logLevel);
  const report = direction === "to-postgres"
    ? await copyDataDirToPostgres(dir, url, logger)
    : await copyPostgresToDataDir(url, dir, logger);
  const [from, to] = direction === "to-postgres" ? [dir, redactUrl(url)] : [redactUrl(url), dir];
  ctx.out.result(
    { direction, from, to, ...report },
    () =>
      `Copied ${report.sessions} session(s), ${report.contexts} context token(s), ` +
      `${report.messages} message(s) and ${report.consumers} consumer position(s)\n` +
      `from ${from}\nto   ${to}\n`,
  );
  return 0;
}

/** Imports OpenClaw Weixin accounts into the data directory. */
async function runMigrateOpenClaw(ctx: CommandContext): Promise<number> {
  const raw = ctx.values.source;
  const source = typeof raw === "string" ? resolveBasePath(raw) : defaultSource();
  const migration = await migrateOpenClaw({
    source,
    basePath: dataDirectory(ctx.common),
    dryRun: ctx.values["dry-run"] === true,
    force: ctx.values.force === true,
    logger: createStderrLogger(ctx.common.logLevel),
  });
  const count = (status: OpenClawAccountReport["status"]) =>
    migration.accounts.filter((a) => a.status === status).length;
  const totals = {
    imported: count("imported"),
    skipped: count("skipped"),
    failed: count("failed"),
  };
  ctx.out.result({ ...migration, ...totals }, () => {
    const lines = [
      `${migration.dry_run ? "[dry run] " : ""}OpenClaw: ${migration.source}`,
      `${migration.dry_run ? "[dry run] " : ""}WeiLink:  ${migration.target}`,
      ...migration.warnings.map((w) => `  warning: ${w}`),
    ];
    for (const a of migration.accounts) {
      const who = a.session ?? a.account_id;
      lines.push(`  ${MARK[a.status]} ${who}: ${a.status}${a.reason ? ` (${a.reason})` : ""}`);
    }
    if (migration.accounts.length === 0) lines.push("  No accounts found.");
    const verb = migration.dry_run ? "would be imported" : "imported";
    lines.push(
      `Done: ${totals.imported} ${verb}, ${totals.skipped} skipped, ${totals.failed} failed.`,
    );
    return lines;
  });
  return totals.failed > 0 ? 1 : 0;
}
