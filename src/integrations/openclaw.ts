/**
 * Importing the WeChat bot accounts of the OpenClaw Weixin plugin
 * (`@tencent-weixin/openclaw-weixin`) as WeiLink sessions.
 *
 * What the plugin keeps, under its state folder (`OPENCLAW_STATE_DIR`, default `~/.openclaw`):
 *
 * ```text
 * openclaw-weixin/accounts.json                         ["b0f5860fdecb-im-bot", ...]
 * openclaw-weixin/accounts/<id>.json                    {"token","savedAt","baseUrl","userId"}
 * openclaw-weixin/accounts/<id>.sync.json               {"get_updates_buf": "<cursor>"}
 * openclaw-weixin/accounts/<id>.context-tokens.json     {"<user id>": "<context token>"}
 * ```
 *
 * Account ids are the bot id made file-safe (`b0f5860fdecb@im.bot` becomes `b0f5860fdecb-im-bot`;
 * old installs used the raw id, and so may the file names). Each account becomes the session
 * named after its bot (`b0f5860fdecb`), with `token.json` (token, base URL, owner, cursor,
 * `created_at` from `savedAt`) and `contexts.json` (each context token stamped with the time its
 * file was last written, the latest it can have been received).
 *
 * The Python original crashed before importing anything. Here every account is reported on its
 * own (imported, skipped or failed, with the reason), a damaged index or file fails only what it
 * holds, and an existing session is replaced only when the OpenClaw login is newer, or with
 * `force`. Writes hold the data directory's `.data.lock`, like every WeiLink process. Tokens are
 * never printed.
 *
 * @module
 */

import {
  commitInOrder,
  type ContextsFile,
  DATA_LOCK_FILE,
  DataDir,
  errorText,
  exists,
  type PreparedWrite,
  type TokenFile,
  validateSessionName,
} from "../client/data_dir.ts";
import { FileLock } from "../client/file_lock.ts";
import type { Logger } from "../client/logger.ts";
import { DEFAULT_BASE_URL } from "../protocol/mod.ts";
import { WeiLinkError } from "../weilink_error.ts";

/** How one account went. */
export interface OpenClawAccountReport {
  /** The account id as OpenClaw lists it. */
  account_id: string;
  /** The WeiLink session it maps to (`null` when even that could not be worked out). */
  session: string | null;
  /** The iLink bot id (`null` when unknown). */
  bot_id: string | null;
  /** `imported` (or, in a dry run, would be), `skipped` or `failed`. */
  status: "imported" | "skipped" | "failed";
  /** Why, in one sentence. */
  reason: string;
  /** Context tokens imported. */
  context_tokens: number;
  /** Whether a `getupdates` cursor was imported. */
  cursor: boolean;
}

/** What a migration did. */
export interface OpenClawMigration {
  /** The OpenClaw state folder read. */
  source: string;
  /** The WeiLink data directory written. */
  target: string;
  /** Nothing was written. */
  dry_run: boolean;
  /** One report per account. */
  accounts: OpenClawAccountReport[];
  /** Problems with the folder as a whole (an unreadable index). */
  warnings: string[];
}

/** Options of {@linkcode migrateOpenClaw}. */
export interface OpenClawOptions {
  /** The OpenClaw state folder (the one holding `openclaw-weixin/`). */
  source: string;
  /** Absolute WeiLink data directory. */
  basePath: string;
  /** Report what would happen, write nothing. */
  dryRun?: boolean;
  /** Replace existing sessions even when they are newer. */
  force?: boolean;
  /** Where the data directory reports unreadable files. */
  logger: Logger;
  /** Clock in epoch ms (default `Date.now`), for files without a time of their own. */
  now?: () => number;
}

/** The OpenClaw Weixin folder is not there. */
export class OpenClawNotFoundError extends WeiLinkError {
  /** Creates the error for `folder`. */
  constructor(folder: string) {
    super(`Cannot import from OpenClaw: "${folder}" does not exist`);
  }
}

const WEIXIN = "openclaw-weixin";
const SUFFIXES: readonly [string, string][] = [["-im-bot", "@im.bot"], ["@im.bot", "@im.bot"]];

/** `b0f5860fdecb-im-bot` or `b0f5860fdecb@im.bot`: the session name and the raw bot id. */
function namesOf(accountId: string): { session: string; botId: string; rawId: string } {
  for (const [suffix, raw] of SUFFIXES) {
    if (accountId.endsWith(suffix) && accountId.length > suffix.length) {
      const session = accountId.slice(0, -suffix.length);
      return { session, botId: session + raw, rawId: session + "@im.bot" };
    }
  }
  return { session: accountId, botId: accountId, rawId: accountId };
}

type Read<T> = { ok: true; value: T; mtime: number | undefined } | { ok: false; why: string };

/** A JSON file: its value and modification time, or why it could not be had. */
function readJson(path: string): Read<unknown> | undefined {
  let text: string;
  let mtime: number | undefined;
  try {
    text = Deno.readTextFileSync(path);
    mtime = Deno.statSync(path).mtime?.getTime();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    return { ok: false, why: errorText(error) };
  }
  try {
    return { ok: true, value: JSON.parse(text), mtime };
  } catch {
    return { ok: false, why: `not valid JSON (${text.length} bytes)` };
  }
}

/** The first of `names` that exists in `dir`, read. */
function readFirst(
  dir: string,
  names: string[],
): { name: string; read: Read<unknown> } | undefined {
  for (const name of new Set(names)) {
    const read = readJson(`${dir}/${name}`);
    if (read) return { name, read };
  }
  return undefined;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** The account ids: from the index, or from the account files when the index is unusable. */
function accountIds(weixin: string, warnings: string[]): string[] {
  const index = readJson(`${weixin}/accounts.json`);
  if (index?.ok && Array.isArray(index.value)) {
    return index.value.filter((id): id is string => typeof id === "string" && id.trim() !== "");
  }
  warnings.push(
    index === undefined
      ? "accounts.json is missing: importing every account file found"
      : `accounts.json is unusable (${index.ok ? "not a list" : index.why}): ` +
        "importing every account file found",
  );
  const ids: string[] = [];
  try {
    for (const entry of Deno.readDirSync(`${weixin}/accounts`)) {
      const name = entry.name;
      if (!entry.isFile || !name.endsWith(".json")) continue;
      if (name.endsWith(".sync.json") || name.endsWith(".context-tokens.json")) continue;
      ids.push(name.slice(0, -".json".length));
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return ids.sort();
}

/** Epoch seconds of an ISO time, or `undefined`. */
function isoSeconds(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms / 1000 : undefined;
}

interface Candidate {
  report: OpenClawAccountReport;
  token?: TokenFile;
  contexts?: ContextsFile;
}

/** Reads one account into a session, or says why it cannot be imported. */
function readAccount(accounts: string, accountId: string, nowS: number): Candidate {
  const { session, botId, rawId } = namesOf(accountId);
  const report: OpenClawAccountReport = {
    account_id: accountId,
    session,
    bot_id: botId,
    status: "failed",
    reason: "",
    context_tokens: 0,
    cursor: false,
  };
  const fail = (reason: string): Candidate => ({ report: { ...report, reason } });
  try {
    validateSessionName(session);
  } catch {
    return {
      report: { ...report, session: null, reason: `"${accountId}" is not a usable session name` },
    };
  }
  const credentials = readFirst(accounts, [`${accountId}.json`, `${rawId}.json`]);
  if (!credentials) return fail(`no credentials file (accounts/${accountId}.json)`);
  if (!credentials.read.ok) {
    return fail(`accounts/${credentials.name} is unreadable: ${credentials.read.why}`);
  }
  const cred = credentials.read.value;
  if (!isRecord(cred) || typeof cred.token !== "string" || cred.token.trim() === "") {
    return fail(`no token in accounts/${credentials.name} (log in again with OpenClaw or WeiLink)`);
  }
  const baseUrl = typeof cred.baseUrl === "string" && cred.baseUrl.trim() !== ""
    ? cred.baseUrl.trim()
    : DEFAULT_BASE_URL;
  if (!/^https?:\/\//.test(baseUrl) || !URL.canParse(baseUrl)) {
    return fail(`accounts/${credentials.name} has an invalid baseUrl`);
  }
  const notes: string[] = [];
  let cursor = "";
  const sync = readFirst(accounts, [`${accountId}.sync.json`, `${rawId}.sync.json`]);
  if (
    sync?.read.ok && isRecord(sync.read.value) &&
    typeof sync.read.value.get_updates_buf === "string"
  ) {
    cursor = sync.read.value.get_updates_buf;
  } else if (sync) {
    notes.push("unreadable cursor ignored");
  }
  const contexts: ContextsFile = {};
  const tokens = readFirst(accounts, [
    `${accountId}.context-tokens.json`,
    `${rawId}.context-tokens.json`,
  ]);
  if (tokens?.read.ok && isRecord(tokens.read.value)) {
    const ts = (tokens.read.mtime ?? nowS * 1000) / 1000;
    for (const [user, value] of Object.entries(tokens.read.value)) {
      if (typeof value === "string" && value !== "") contexts[user] = { t: value, ts };
    }
  } else if (tokens) {
    notes.push("unreadable context tokens ignored");
  }
  const createdAt = isoSeconds(cred.savedAt) ??
    (credentials.read.mtime === undefined ? nowS : credentials.read.mtime / 1000);
  const token: TokenFile = {
    bot_id: botId,
    base_url: baseUrl,
    token: cred.token.trim(),
    user_id: typeof cred.userId === "string" ? cred.userId.trim() : "",
    cursor,
    created_at: createdAt,
  };
  return {
    report: {
      ...report,
      status: "imported",
      reason: notes.join("; "),
      context_tokens: Object.keys(contexts).length,
      cursor: cursor !== "",
    },
    token,
    contexts,
  };
}

/** Context entries of both, the more recently received token winning for each user. */
function mergeContexts(existing: ContextsFile, imported: ContextsFile): ContextsFile {
  const out: ContextsFile = { ...existing };
  for (const [user, entry] of Object.entries(imported)) {
    const current = out[user];
    if (!current || (current.ts ?? 0) < (entry.ts ?? 0)) out[user] = { ...current, ...entry };
  }
  return out;
}

function sentence(parts: string[]): string {
  return parts.filter((p) => p !== "").join("; ");
}

/**
 * Imports every OpenClaw Weixin account found under `source` into the data directory.
 *
 * @throws {OpenClawNotFoundError} When `source` has no `openclaw-weixin` folder.
 */
export async function migrateOpenClaw(options: OpenClawOptions): Promise<OpenClawMigration> {
  const weixin = `${options.source.replace(/\/+$/, "")}/${WEIXIN}`;
  try {
    if (!Deno.statSync(weixin).isDirectory) throw new OpenClawNotFoundError(weixin);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new OpenClawNotFoundError(weixin);
    throw error;
  }
  const nowS = (options.now ?? Date.now)() / 1000;
  const warnings: string[] = [];
  const accounts = `${weixin}/accounts`;
  const candidates = accountIds(weixin, warnings).map((id) => readAccount(accounts, id, nowS));
  const dir = new DataDir(options.basePath, options.logger);
  const migration: OpenClawMigration = {
    source: options.source,
    target: dir.basePath,
    dry_run: options.dryRun === true,
    accounts: [],
    warnings,
  };
  const importAll = async () => {
    const claimed = new Map<string, string>();
    for (const candidate of candidates) {
      const { report, token, contexts } = candidate;
      migration.accounts.push(report);
      if (!token || report.session === null) continue;
      const name = report.session;
      const twin = claimed.get(name);
      if (twin !== undefined) {
        Object.assign(report, { status: "skipped", reason: `same bot as account "${twin}"` });
        continue;
      }
      claimed.set(name, report.account_id);
      const existing = dir.readToken(name);
      const present = existing !== undefined || exists(dir.tokenPath(name));
      let replaced = "";
      if (existing && existing.token === token.token && existing.bot_id === token.bot_id) {
        Object.assign(report, {
          status: "skipped",
          reason: `already imported as session "${name}"`,
        });
        continue;
      }
      if (present && !options.force) {
        const ours = existing?.created_at ?? undefined;
        if (ours === undefined || ours >= (token.created_at ?? 0)) {
          Object.assign(report, {
            status: "skipped",
            reason: existing
              ? `session "${name}" is newer than this login (--force replaces it)`
              : `session "${name}" has an unreadable token.json (--force replaces it)`,
          });
          continue;
        }
      }
      if (present) replaced = `replaced the older session "${name}"`;
      if (options.dryRun) {
        report.reason = sentence([`would import as session "${name}"`, replaced, report.reason]);
        continue;
      }
      const merged = mergeContexts(dir.readContexts(name), contexts ?? {});
      const writes: Promise<PreparedWrite>[] = [];
      // contexts.json first: a reader that finds the new token.json finds its contexts too.
      if (Object.keys(merged).length > 0) writes.push(dir.prepareContexts(name, merged));
      writes.push(dir.prepareToken(name, token));
      try {
        await commitInOrder(writes);
        report.reason = sentence([`imported as session "${name}"`, replaced, report.reason]);
      } catch (error) {
        Object.assign(report, { status: "failed", reason: `cannot write: ${errorText(error)}` });
      }
    }
  };
  if (options.dryRun || !candidates.some((c) => c.token)) {
    await importAll();
    return migration;
  }
  dir.ensure();
  const lock = FileLock.acquireHandle(dir.lockPath(DATA_LOCK_FILE));
  try {
    await lock.withLock(importAll);
  } finally {
    FileLock.releaseHandle(lock);
  }
  return migration;
}
