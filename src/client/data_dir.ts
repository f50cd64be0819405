/**
 * The on-disk data directory, shared file-for-file with the Python original (`~/.weilink`):
 *
 * ```text
 * <base>/.default_session        name of the default session (plain text)
 * <base>/.poll.lock              flock: one poller per data directory
 * <base>/.data.lock              flock: read-modify-write of the JSON files
 * <base>/<session>/token.json    {"bot_id","base_url","token","user_id","cursor","created_at"[,"expired_at"]}
 * <base>/<session>/contexts.json {"<user_id>": {"t","ts","send_ts","sc","first_seen"}}
 * ```
 *
 * Timestamps are epoch **seconds** as floats, exactly as Python's `time.time()` writes them.
 * Every write is atomic (temp file in the same folder, fsync, rename); files holding secrets get
 * mode 0600 and folders 0700. Unreadable or corrupt files are reported once through the logger and
 * treated as absent, never as a crash.
 *
 * @module
 */

import type { Logger } from "./logger.ts";
import { joinPath, requirePermission } from "./paths.ts";

export { envGet, joinPath, resolveBasePath } from "./paths.ts";

/** Name of the session used when none is given. */
export const DEFAULT_SESSION = "default";
/** File holding the default session's name. */
export const DEFAULT_SESSION_FILE = ".default_session";
/** Non-blocking lock held around polling. */
export const POLL_LOCK_FILE = ".poll.lock";
/** Blocking lock held around JSON read-modify-write. */
export const DATA_LOCK_FILE = ".data.lock";
/** Credentials and cursor of one session. */
export const TOKEN_FILE = "token.json";
/** Folder of the durable read positions of named consumers (WeiLink only; Python ignores it). */
export const CONSUMERS_DIR = ".consumers";
/** Context tokens and send counters of one session. */
export const CONTEXTS_FILE = "contexts.json";

/** `token.json` exactly as the Python original writes it (snake_case keys). */
export interface TokenFile {
  bot_id: string;
  base_url: string;
  token: string;
  user_id: string;
  cursor: string;
  /** Epoch seconds (float) of the first save; `null`/absent in old files. */
  created_at?: number | null;
  /**
   * Epoch seconds when `getupdates` answered `-14` for this token; absent while it works. Written
   * by WeiLink so that every process sharing the folder knows; the Python original ignores the key
   * and drops it when it rewrites the file.
   */
  expired_at?: number | null;
}

/**
 * One user's entry in `contexts.json`. Keys as the Python original writes them; unknown keys are
 * kept when the entry is rewritten.
 */
export interface ContextEntry {
  /** Latest context token of the user. */
  t?: string;
  /** Epoch seconds when that token was received. */
  ts?: number;
  /** Epoch seconds of the last fully successful send to the user. */
  send_ts?: number;
  /** Messages sent with the current token (omitted when 0). */
  sc?: number;
  /** Epoch seconds of the first interaction with the user. */
  first_seen?: number;
  [key: string]: unknown;
}

/** `contexts.json`: user id → entry. */
export type ContextsFile = Record<string, ContextEntry>;

/** Session names become folder names: reject anything that could escape the data directory. */
export function validateSessionName(name: string): void {
  if (
    typeof name !== "string" || name === "" || name === "." || name === ".." ||
    /[\/\\\0]/.test(name) || name.startsWith(".") || name.length > 128
  ) {
    throw new TypeError(`Invalid session name "${name}": use a plain folder name`);
  }
}

/** Whether `err` means "the path does not exist". */
function isNotFound(err: unknown): boolean {
  return err instanceof Deno.errors.NotFound;
}

/** Writes above this size go through the async API so a large file never stalls the event loop. */
const SYNC_WRITE_LIMIT = 64 * 1024;

/**
 * A temp file already written and fsynced next to its target, waiting to be renamed over it.
 * Exactly one of `commit` or `abort` is called.
 */
export interface PreparedWrite {
  /** Rename the temp file over the target (the atomic step); resolves once it is done. */
  commit(): Promise<void>;
  /** The same rename, synchronously: one system call, for the narrowest crash window. */
  commitSync(): void;
  /** Remove the temp file, leaving the target untouched. */
  abort(): void;
}

/** Open `tmp` as a new file, replacing a stale one and creating the folder only when needed. */
async function openNewFile(tmp: string, mode: number): Promise<Deno.FsFile> {
  const options = { write: true, createNew: true, mode };
  try {
    return await Deno.open(tmp, options);
  } catch (err) {
    if (err instanceof Deno.errors.AlreadyExists) {
      // A killed writer's leftover: writers hold `.data.lock`, so nobody else is using it.
      Deno.removeSync(tmp);
    } else if (isNotFound(err)) {
      Deno.mkdirSync(tmp.slice(0, tmp.lastIndexOf("/")), { recursive: true, mode: 0o700 });
    } else {
      throw err;
    }
    return await Deno.open(tmp, options);
  }
}

/**
 * First half of {@linkcode atomicWrite}: write `data` to `<path>.tmp` and fsync it. Creating the
 * file, the fsync and (in `commit`) the rename run on the async pool: each is a journalled
 * metadata operation that waits for the file system's journal, often for a millisecond or more
 * right after an fsync, and on the event loop that time would be taken from polling and
 * handlers. Small writes stay synchronous (a copy into the page cache). Several prepared writes
 * can be fsynced in parallel and then committed in the order their contents depend on.
 */
export async function prepareAtomicWrite(
  path: string,
  data: string,
  mode = 0o600,
): Promise<PreparedWrite> {
  const tmp = `${path}.tmp`;
  const bytes = new TextEncoder().encode(data);
  const file = await openNewFile(tmp, mode);
  try {
    let written = 0;
    while (written < bytes.length) {
      const rest = bytes.subarray(written);
      written += rest.length > SYNC_WRITE_LIMIT ? await file.write(rest) : file.writeSync(rest);
    }
    // fsync before the rename: after a power loss the new name never points at missing data.
    await file.sync();
  } catch (err) {
    file.close();
    removeQuietly(tmp);
    throw err;
  }
  file.close();
  return {
    commit: () => Deno.rename(tmp, path),
    commitSync: () => Deno.renameSync(tmp, path),
    abort: () => removeQuietly(tmp),
  };
}

/**
 * Wait for prepared writes (fsyncs running in parallel) and commit them in the given order, so a
 * crash can only leave a prefix of them applied. When any of them fails, none is committed and
 * the first error is thrown.
 */
export async function commitInOrder(writes: Promise<PreparedWrite>[]): Promise<void> {
  const settled = await Promise.allSettled(writes);
  const failed = settled.find((r) => r.status === "rejected");
  if (failed) {
    for (const r of settled) if (r.status === "fulfilled") r.value.abort();
    throw failed.reason;
  }
  for (const r of settled) if (r.status === "fulfilled") await r.value.commit();
}

/**
 * Write `data` to `path` atomically: a temp file in the same folder (so the rename never crosses
 * file systems) is written, fsynced and renamed over the target. A crash at any point leaves
 * either the old or the new complete file. The temp name is fixed (`<name>.tmp`, as the Python
 * original uses): writers hold `.data.lock`, and a stale temp file from a killed writer is simply
 * replaced.
 */
export async function atomicWrite(path: string, data: string, mode = 0o600): Promise<void> {
  await (await prepareAtomicWrite(path, data, mode)).commit();
}

/**
 * Replace `path` atomically at once (temp file and rename, no fsync first), then fsync it in the
 * background. Other processes see the new content as soon as this resolves, and a crash of this
 * process cannot undo it; only a power loss in the few milliseconds before the background fsync
 * can (on file systems that do not order a rename after the data it points at: ext4 does).
 * For small files on the path of a request, where a fsync would double its latency.
 */
export function replaceSoonSynced(path: string, data: string, mode = 0o600): void {
  const tmp = `${path}.tmp`;
  const bytes = new TextEncoder().encode(data);
  // Synchronous: a few system calls on a small file cost less than trips through the async pool.
  let file: Deno.FsFile;
  try {
    file = Deno.openSync(tmp, { write: true, createNew: true, mode });
  } catch (err) {
    if (!(err instanceof Deno.errors.AlreadyExists)) throw err;
    // A killed writer's leftover: writers hold `.data.lock`, so nobody else is using it.
    Deno.removeSync(tmp);
    file = Deno.openSync(tmp, { write: true, createNew: true, mode });
  }
  try {
    let written = 0;
    while (written < bytes.length) written += file.writeSync(bytes.subarray(written));
  } catch (err) {
    file.close();
    removeQuietly(tmp);
    throw err;
  }
  file.close();
  Deno.renameSync(tmp, path);
  syncSoon(path);
}

/** Paths waiting for their background fsync, and the flush that takes them. */
const unsynced = new Set<string>();
let syncing: Promise<void> | undefined;

/** Fsync `path` in the background; several calls before the flush runs share one fsync. */
function syncSoon(path: string): void {
  unsynced.add(path);
  syncing ??= (async () => {
    while (unsynced.size > 0) {
      const paths = [...unsynced];
      unsynced.clear();
      await Promise.all(paths.map(async (p) => {
        try {
          using file = await Deno.open(p, { read: true, write: true });
          await file.sync();
        } catch {
          // Replaced or removed meanwhile: its successor is synced by its own writer.
        }
      }));
    }
    syncing = undefined;
  })();
}

/** Resolves once every background fsync started so far has finished. */
export function syncedSoon(): Promise<void> {
  return syncing ?? Promise.resolve();
}

function removeQuietly(path: string): void {
  try {
    Deno.removeSync(path);
  } catch {
    // Already gone, or not ours to remove: the next writer replaces it.
  }
}

/** Serialise like Python's `json.dumps(data, indent=2)` (same layout for these plain shapes). */
export function toPythonJson(data: unknown): string {
  return JSON.stringify(data, null, 2);
}

/**
 * Access to one data directory's files. Methods do no locking themselves: callers hold
 * `.data.lock` around read-modify-write sequences.
 */
export class DataDir {
  /** Absolute path of the data directory. */
  readonly basePath: string;
  #logger: Logger;
  /** Paths currently known to be corrupt, so each problem is reported once, not per poll. */
  #reported = new Set<string>();

  /**
   * Opens the data directory at `basePath` (nothing is created yet).
   *
   * @throws {WeiLinkError} When Deno does not grant reading it (`--allow-read`).
   */
  constructor(basePath: string, logger: Logger) {
    // The first touch: without read access every later step would fail with a raw NotCapable.
    requirePermission({ name: "read", path: basePath }, "the data directory");
    this.basePath = basePath;
    this.#logger = logger;
  }

  /** Folder of a session. */
  sessionDir(name: string): string {
    return joinPath(this.basePath, name);
  }

  /** `token.json` of a session. */
  tokenPath(name: string): string {
    return joinPath(this.basePath, name, TOKEN_FILE);
  }

  /** `contexts.json` of a session. */
  contextsPath(name: string): string {
    return joinPath(this.basePath, name, CONTEXTS_FILE);
  }

  /** Read position of a named consumer. */
  consumerPath(name: string): string {
    return joinPath(this.basePath, CONSUMERS_DIR, `${name}.json`);
  }

  /** Lock held by the reader of a named consumer. */
  consumerLockPath(name: string): string {
    return joinPath(this.basePath, CONSUMERS_DIR, `${name}.lock`);
  }

  /** Path of a lock file in the data directory. */
  lockPath(file: typeof POLL_LOCK_FILE | typeof DATA_LOCK_FILE): string {
    return joinPath(this.basePath, file);
  }

  /** Create the data directory (mode 0700) if needed. */
  ensure(): void {
    Deno.mkdirSync(this.basePath, { recursive: true, mode: 0o700 });
  }

  /**
   * Move a legacy flat layout (`<base>/token.json`, `<base>/contexts.json`, written by the first
   * single-session versions) into `<base>/default/`, as the Python original does on start-up.
   * Nothing happens when `default/token.json` already exists. A concurrent migration by another
   * process is harmless (the loser sees NotFound). Returns whether a migration happened.
   */
  migrateFlatLayout(): boolean {
    const flatToken = joinPath(this.basePath, TOKEN_FILE);
    const destDir = this.sessionDir(DEFAULT_SESSION);
    const destToken = joinPath(destDir, TOKEN_FILE);
    if (!(exists(flatToken)) || (exists(destToken))) return false;
    Deno.mkdirSync(destDir, { recursive: true, mode: 0o700 });
    try {
      Deno.renameSync(flatToken, destToken);
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
    const flatContexts = joinPath(this.basePath, CONTEXTS_FILE);
    try {
      Deno.renameSync(flatContexts, joinPath(destDir, CONTEXTS_FILE));
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    this.#logger.info(`Migrated legacy flat session files into "${DEFAULT_SESSION}/"`);
    return true;
  }

  /** Names of sub-folders holding a `token.json`, sorted like Python's `sorted(iterdir())`. */
  discoverSessions(): string[] {
    return this.listFolders().filter((name) => exists(this.tokenPath(name)));
  }

  /** Names of the sub-folders that may hold a session (dot-folders are WeiLink's own), sorted. */
  listFolders(): string[] {
    const names: string[] = [];
    try {
      for (const entry of Deno.readDirSync(this.basePath)) {
        if (entry.isDirectory && !entry.name.startsWith(".")) names.push(entry.name);
      }
    } catch (err) {
      if (isNotFound(err)) return [];
      throw err;
    }
    // Python sorts by code point; JS default sort on strings compares UTF-16 units, close enough
    // for folder names and stable across runs.
    return names.sort();
  }

  /** Path of `.default_session`. */
  get defaultSessionPath(): string {
    return joinPath(this.basePath, DEFAULT_SESSION_FILE);
  }

  /** Read `.default_session`; `undefined` when absent, empty or unreadable. */
  readDefaultSessionName(): string | undefined {
    try {
      const text = Deno.readTextFileSync(joinPath(this.basePath, DEFAULT_SESSION_FILE)).trim();
      return text || undefined;
    } catch (err) {
      if (!isNotFound(err)) {
        this.#logger.warn(`Cannot read "${DEFAULT_SESSION_FILE}": ${errorText(err)}`);
      }
      return undefined;
    }
  }

  /** Write (or with `undefined`, remove) `.default_session`. */
  async writeDefaultSessionName(name: string | undefined): Promise<void> {
    const path = joinPath(this.basePath, DEFAULT_SESSION_FILE);
    if (name === undefined) {
      try {
        Deno.removeSync(path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
      return;
    }
    await atomicWrite(path, name, 0o644);
  }

  /**
   * Read a session's `token.json`. Returns `undefined` when it is absent, unreadable, corrupt or
   * lacks a required key (`bot_id`, `base_url`, `token`), with a warning for the last three.
   */
  readToken(name: string): TokenFile | undefined {
    const path = this.tokenPath(name);
    const raw = this.#readJson(path);
    if (raw === undefined) return undefined;
    if (
      !isRecord(raw) || typeof raw.bot_id !== "string" || typeof raw.base_url !== "string" ||
      typeof raw.token !== "string"
    ) {
      this.#report(path, 'missing "bot_id", "base_url" or "token"');
      return undefined;
    }
    let createdAt = typeof raw.created_at === "number" ? raw.created_at : undefined;
    if (createdAt === undefined) {
      // Old files have no created_at: Python falls back to the file's mtime.
      try {
        const mtime = Deno.statSync(path).mtime;
        if (mtime) createdAt = mtime.getTime() / 1000;
      } catch {
        // Leave undefined.
      }
    }
    const token: TokenFile = {
      bot_id: raw.bot_id,
      base_url: raw.base_url,
      token: raw.token,
      user_id: typeof raw.user_id === "string" ? raw.user_id : "",
      cursor: typeof raw.cursor === "string" ? raw.cursor : "",
      created_at: createdAt ?? null,
    };
    if (typeof raw.expired_at === "number" && Number.isFinite(raw.expired_at)) {
      token.expired_at = raw.expired_at;
    }
    return token;
  }

  /** Atomically write a session's `token.json` (mode 0600), keys in the Python order. */
  async writeToken(name: string, token: TokenFile): Promise<void> {
    await (await this.prepareToken(name, token)).commit();
  }

  /** {@linkcode DataDir.writeToken} up to the rename, for {@linkcode commitInOrder}. */
  prepareToken(name: string, token: TokenFile): Promise<PreparedWrite> {
    const data: Record<string, unknown> = {
      bot_id: token.bot_id,
      base_url: token.base_url,
      token: token.token,
      user_id: token.user_id,
      cursor: token.cursor,
      created_at: token.created_at ?? null,
    };
    if (typeof token.expired_at === "number") data.expired_at = token.expired_at;
    return prepareAtomicWrite(this.tokenPath(name), toPythonJson(data), 0o600);
  }

  /** Read a session's `contexts.json`; malformed entries are skipped, a corrupt file reads as `{}`. */
  readContexts(name: string): ContextsFile {
    const path = this.contextsPath(name);
    const raw = this.#readJson(path);
    if (raw === undefined) return {};
    if (!isRecord(raw)) {
      this.#report(path, "not a JSON object");
      return {};
    }
    const out: ContextsFile = {};
    for (const [user, entry] of Object.entries(raw)) {
      if (!isRecord(entry)) continue;
      const clean: ContextEntry = { ...entry };
      for (const key of ["t"] as const) {
        if (key in clean && typeof clean[key] !== "string") delete clean[key];
      }
      for (const key of ["ts", "send_ts", "sc", "first_seen"] as const) {
        if (key in clean && typeof clean[key] !== "number") delete clean[key];
      }
      out[user] = clean;
    }
    return out;
  }

  /** Atomically write a session's `contexts.json` (mode 0600). */
  async writeContexts(name: string, contexts: ContextsFile): Promise<void> {
    await (await this.prepareContexts(name, contexts)).commit();
  }

  /**
   * {@linkcode DataDir.writeContexts} for the path of a send: visible at once, fsynced in the
   * background (see {@linkcode replaceSoonSynced}).
   */
  updateContexts(name: string, contexts: ContextsFile): void {
    replaceSoonSynced(this.contextsPath(name), toPythonJson(contexts), 0o600);
  }

  /** {@linkcode DataDir.writeContexts} up to the rename, for {@linkcode commitInOrder}. */
  prepareContexts(name: string, contexts: ContextsFile): Promise<PreparedWrite> {
    return prepareAtomicWrite(this.contextsPath(name), toPythonJson(contexts), 0o600);
  }

  /** Remove a session's files and, when empty, its folder. */
  removeSession(name: string): void {
    for (const path of [this.tokenPath(name), this.contextsPath(name)]) {
      try {
        Deno.removeSync(path);
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    try {
      Deno.removeSync(this.sessionDir(name));
    } catch {
      // Not empty (user files) or already gone: leave it, as the Python original does.
    }
  }

  /**
   * Move a session's files to a new folder. Fails with `AlreadyExists` when the target already has
   * a `token.json`.
   */
  renameSession(oldName: string, newName: string): void {
    if (exists(this.tokenPath(newName))) {
      throw new Deno.errors.AlreadyExists(`Session "${newName}" already exists on disk`);
    }
    Deno.mkdirSync(this.sessionDir(newName), { recursive: true, mode: 0o700 });
    for (const file of [TOKEN_FILE, CONTEXTS_FILE]) {
      try {
        Deno.renameSync(
          joinPath(this.sessionDir(oldName), file),
          joinPath(this.sessionDir(newName), file),
        );
      } catch (err) {
        if (!isNotFound(err)) throw err;
      }
    }
    try {
      Deno.removeSync(this.sessionDir(oldName), { recursive: true });
    } catch {
      // Already gone.
    }
  }

  #readJson(path: string): unknown {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch (err) {
      if (isNotFound(err)) {
        this.#reported.delete(path);
        return undefined;
      }
      this.#report(path, errorText(err));
      return undefined;
    }
    try {
      const value = JSON.parse(text);
      this.#reported.delete(path);
      return value;
    } catch {
      this.#report(path, `invalid JSON (${text.length} bytes)`);
      return undefined;
    }
  }

  #report(path: string, why: string): void {
    if (this.#reported.has(path)) return;
    this.#reported.add(path);
    this.#logger.warn(`Ignoring unreadable file "${path}": ${why}`);
  }
}

/**
 * A cheap fingerprint of a file or folder (inode, size, modification and change times), to tell
 * whether it changed since it was last read; `undefined` when it does not exist. A path modified
 * within the last 100 ms gets a fingerprint that never matches, since a second change within the
 * clock's resolution would not alter it (atomic writes replace the inode, but inodes are reused).
 */
export function fileStamp(path: string): string | undefined {
  return fileStamps(path)?.stamp;
}

/**
 * {@linkcode fileStamp}, and beside it the file's raw fingerprint (inode, size, times) even when
 * it changed lately: a writer that records the raw fingerprint of the file it just wrote can tell
 * its own write from another process's at once.
 */
export function fileStamps(path: string): { stamp: string; raw: string } | undefined {
  let info: Deno.FileInfo;
  try {
    info = Deno.statSync(path);
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
  const mtime = info.mtime?.getTime() ?? 0;
  const raw = `${info.ino ?? ""}:${info.size}:${mtime}:${info.ctime?.getTime() ?? ""}`;
  if (Date.now() - mtime < 100) return { stamp: `recent:${crypto.randomUUID()}`, raw };
  return { stamp: raw, raw };
}

/** Whether a path exists (any type). */
export function exists(path: string): boolean {
  try {
    Deno.lstatSync(path);
    return true;
  } catch (err) {
    if (isNotFound(err)) return false;
    throw err;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Error text without stack, for log lines. */
export function errorText(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
