/**
 * The default storage: the data directory shared file for file with the Python original, and the
 * SQLite message store beside it (see `storage.ts` for the boundary, `data_dir.ts` for the files).
 *
 * @module
 */

import {
  type ContextsFile,
  DataDir,
  errorText,
  exists,
  fileStamp,
  fileStamps,
  prepareAtomicWrite,
  type TokenFile,
  toPythonJson,
} from "./data_dir.ts";
import { FileLock } from "./file_lock.ts";
import type { Logger } from "./logger.ts";
import type {
  AccountClaims,
  ClientStorage,
  ConsumerLock,
  ConsumerPositions,
  RecordStamps,
  SessionRecords,
} from "./storage.ts";
import { openMessageStore, type StoreBinding } from "./store_binding.ts";

/** What a consumer's position file holds. */
interface PositionFile {
  rowid: number;
  updated_at: number;
}

/** Sessions as folders with `token.json` and `contexts.json`, under `.data.lock`. */
class FileRecords implements SessionRecords {
  readonly #dir: DataDir;
  readonly #lock: FileLock;

  constructor(dir: DataDir, lock: FileLock) {
    this.#dir = dir;
    this.#lock = lock;
  }

  listStamp(): string | undefined {
    return fileStamp(this.#dir.basePath);
  }

  names(): string[] {
    return this.#dir.listFolders();
  }

  stamps(name: string): RecordStamps | undefined {
    return fileStamps(this.#dir.tokenPath(name));
  }

  read(name: string): TokenFile | undefined {
    return this.#dir.readToken(name);
  }

  has(name: string): boolean {
    return exists(this.#dir.tokenPath(name));
  }

  readDefault(): string | undefined {
    return this.#dir.readDefaultSessionName();
  }

  defaultStamp(): string | undefined {
    return fileStamp(this.#dir.defaultSessionPath);
  }

  withLock<T>(fn: () => Promise<T> | T): Promise<T> {
    return this.#lock.withLock(async () => await fn());
  }

  async writeDefault(name: string | undefined): Promise<void> {
    if (name !== undefined) this.#dir.ensure();
    await this.#dir.writeDefaultSessionName(name);
  }

  async write(name: string, token: TokenFile): Promise<void> {
    this.#dir.ensure();
    await this.#dir.writeToken(name, token);
  }

  async setExpiry(name: string, token: string, expiredAt: number | undefined): Promise<void> {
    const disk = this.#dir.readToken(name);
    if (!disk || disk.token !== token) return;
    if (expiredAt !== undefined && disk.expired_at === undefined) {
      await this.#dir.writeToken(name, { ...disk, expired_at: expiredAt });
    } else if (expiredAt === undefined && disk.expired_at !== undefined) {
      const { expired_at: _, ...rest } = disk;
      await this.#dir.writeToken(name, rest);
    }
  }

  remove(name: string): Promise<void> {
    this.#dir.removeSession(name);
    return Promise.resolve();
  }

  rename(oldName: string, newName: string): Promise<void> {
    if (exists(this.#dir.sessionDir(oldName))) this.#dir.renameSession(oldName, newName);
    return Promise.resolve();
  }

  readContexts(name: string): ContextsFile {
    return this.#dir.readContexts(name);
  }

  writeContexts(name: string, contexts: ContextsFile): Promise<void> {
    return this.#dir.writeContexts(name, contexts);
  }
}

/** `.poll.lock`: one poller for every account of the data directory. */
class PollLockClaims implements AccountClaims {
  readonly perAccount = false;
  readonly #lock: FileLock;
  #locked = false;
  #held = new Set<string>();

  constructor(lock: FileLock) {
    this.#lock = lock;
  }

  async claim(botIds: readonly string[]): Promise<Set<string>> {
    if (!this.#locked) {
      if (!(await this.#lock.tryLock())) return new Set();
      this.#locked = true;
    }
    for (const b of botIds) this.#held.add(b);
    return new Set(botIds);
  }

  async release(): Promise<void> {
    if (!this.#locked) return;
    this.#locked = false;
    this.#held = new Set();
    await this.#lock.unlock();
  }

  held(): Set<string> {
    return new Set(this.#held);
  }

  onLost(): () => void {
    // A lock file is never lost while the process lives.
    return () => {};
  }
}

/** Positions in `<data dir>/.consumers/<name>.json`, one reader per `<name>.lock`. */
function filePositions(dir: DataDir, logger: Logger): ConsumerPositions {
  return {
    where: (name) => dir.consumerPath(name),
    lock(name): ConsumerLock {
      const lock = FileLock.acquireHandle(dir.consumerLockPath(name));
      return {
        tryLock: () => lock.tryLock(),
        unlock: () => lock.unlock(),
        release: () => FileLock.releaseHandle(lock),
      };
    },
    load(name) {
      const path = dir.consumerPath(name);
      let text: string | undefined;
      try {
        text = Deno.readTextFileSync(path);
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound)) {
          logger.warn(`Cannot read "${path}": ${errorText(err)}`);
        }
        return Promise.resolve(undefined);
      }
      try {
        const value = JSON.parse(text) as Partial<PositionFile>;
        if (Number.isSafeInteger(value.rowid) && value.rowid! >= 0) {
          return Promise.resolve(value.rowid!);
        }
      } catch {
        // Reported below.
      }
      logger.warn(
        `Ignoring the corrupt position of consumer "${name}": starting from the last minute`,
      );
      return Promise.resolve(undefined);
    },
    async prepare(name, rowid, nowSec) {
      const path = dir.consumerPath(name);
      Deno.mkdirSync(path.replace(/\/[^/]+$/, ""), { recursive: true, mode: 0o700 });
      const position: PositionFile = { rowid, updated_at: nowSec };
      const prepared = await prepareAtomicWrite(path, toPythonJson(position), 0o600);
      return () => prepared.commitSync();
    },
    settled: () => Promise.resolve(),
  };
}

/** The data directory and its SQLite store. */
export class FileStorage implements ClientStorage {
  readonly kind = "files" as const;
  readonly location: string;
  readonly records: SessionRecords;
  readonly claims: AccountClaims;
  readonly positions: ConsumerPositions;
  readonly commits = undefined;
  readonly ledger = undefined;
  readonly ready: Promise<void> = Promise.resolve();
  readonly #storePath: string | undefined;
  readonly #options: { fallbackWindowMs: number; now: () => number };
  #store: Promise<StoreBinding> | undefined;

  /**
   * Storage in `dir`, its records under `dataLock`, its polling under `pollLock`; `storePath` is
   * the SQLite file of the message store (`undefined`: no store).
   */
  constructor(
    dir: DataDir,
    locks: { data: FileLock; poll: FileLock },
    storePath: string | undefined,
    options: { fallbackWindowMs: number; now: () => number; logger: Logger },
  ) {
    this.location = dir.basePath;
    this.records = new FileRecords(dir, locks.data);
    this.claims = new PollLockClaims(locks.poll);
    this.positions = filePositions(dir, options.logger);
    this.#storePath = storePath;
    this.#options = options;
  }

  refresh(): Promise<void> {
    return Promise.resolve();
  }

  messages(): Promise<StoreBinding | undefined> {
    if (this.#storePath === undefined) return Promise.resolve(undefined);
    this.#store ??= openMessageStore(
      this.#storePath,
      this.#options.fallbackWindowMs,
      this.#options.now,
    ).catch((err) => {
      this.#store = undefined;
      throw err;
    });
    return this.#store;
  }

  onMessages(): () => void {
    // Files have no notifications: readers look at the store every `watchIntervalMs`.
    return () => {};
  }

  async close(): Promise<void> {
    const store = this.#store;
    this.#store = undefined;
    (await store?.catch(() => undefined))?.close();
  }
}
