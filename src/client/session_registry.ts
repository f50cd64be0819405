/**
 * The sessions of one client: which exist, which is the default, their credentials and cursors,
 * the API client of each, and how they follow the data directory that other processes (and the
 * Python original) change underneath.
 *
 * Each token's runtime state lives in its own {@linkcode Credentials} object. A new login, or a
 * token written by another process, gets a new object, so nothing of the old token — least of all
 * its cursor, which would skip the new bot's first messages — can leak into the new one: a poll
 * still in flight with the old token updates the old object, which nobody reads any more.
 *
 * @module
 */

import { ILinkApi, type ILinkApiOptions } from "../protocol/mod.ts";
import type { BotInfo } from "../models/mod.ts";
import {
  type ContextsFile,
  DEFAULT_SESSION,
  errorText,
  type TokenFile,
  validateSessionName,
} from "./data_dir.ts";
import { SessionNotFoundError } from "./errors.ts";
import type { ClientContext } from "./client_context.ts";

/** The runtime state of one bot token. Replaced, never reused, when the token changes. */
export interface Credentials {
  /** Bot id, base URL, token and owner. */
  readonly bot: BotInfo;
  /** Cursor to poll with; may run ahead of the committed one while batches are processed. */
  cursor: string;
  /** Cursor as last written to (or read from) `token.json`. */
  committedCursor: string;
  /** Cursor this process is writing to `token.json` right now, if any. */
  writingCursor: string | undefined;
  /**
   * Epoch seconds when `getupdates` answered `-14` for this token (persisted as `expired_at`);
   * `undefined` while the token works. An expired token is still probed, with growing pauses.
   */
  expiredAt: number | undefined;
  /** Failed probes since the token expired. */
  probes: number;
  /** A send saw `-14`: probe `getupdates` now instead of waiting for a backoff. */
  probeNow: boolean;
  /** API client of this token, made on first use. */
  api: ILinkApi | undefined;
  /** Typing tickets by user. */
  typing: Map<string, { ticket: string; fetchedAt: number }>;
  /** Long-poll time the server suggested last. */
  longPollMs: number | undefined;
  /** Consecutive failed polls (network or API errors other than `-14`). */
  failures: number;
  /** Epoch ms before which the next poll waits. */
  retryAt: number;
}

/** Per-session state held in memory (disk stays the source of truth). */
export interface SessionState {
  /** Folder name. */
  name: string;
  /** Credentials, when the session has a `token.json`. */
  cred: Credentials | undefined;
  /** Epoch seconds of the first save (Python's `created_at`). */
  createdAt: number | undefined;
  /** Context tokens as last read from `contexts.json`. */
  contexts: ContextsFile;
  /** Logged out or renamed away: loops still holding it stop. */
  removed: boolean;
  /** Fingerprint of `token.json` when it was last read. */
  stamp: string | undefined;
  /** Raw fingerprint of `token.json` as this process last wrote it (see `fileStamps`). */
  ownStamp?: string | undefined;
}

/** Whether a session can poll and send: it has credentials the server has not reported expired. */
export function isUsable(s: SessionState): boolean {
  return s.cred !== undefined && s.cred.expiredAt === undefined && !s.removed;
}

function emptyState(name: string): SessionState {
  return {
    name,
    cred: undefined,
    createdAt: undefined,
    contexts: {},
    removed: false,
    stamp: undefined,
  };
}

function newCredentials(bot: BotInfo, cursor: string, expiredAt?: number): Credentials {
  return {
    bot,
    cursor,
    committedCursor: cursor,
    writingCursor: undefined,
    expiredAt,
    probes: 0,
    probeNow: false,
    api: undefined,
    typing: new Map(),
    longPollMs: undefined,
    failures: 0,
    retryAt: 0,
  };
}

function botOf(token: TokenFile): BotInfo {
  return {
    botId: token.bot_id,
    baseUrl: token.base_url,
    token: token.token,
    userId: token.user_id,
  };
}

/** Every session of the data directory, and the default one. */
export class SessionRegistry {
  readonly #ctx: ClientContext;
  readonly #sessions = new Map<string, SessionState>();
  #defaultName: string = DEFAULT_SESSION;
  /** Fingerprints of the data directory and `.default_session` when last read. */
  #baseStamp: string | undefined;
  #defaultStamp: string | undefined;
  #folders: string[] = [];
  /** Called when a send asks for an immediate probe of a session (see `requestProbe`). */
  onProbeRequest: ((s: SessionState) => void) | undefined;

  /** Migrates a legacy flat layout, then loads every session and chooses the default. */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
    if (!ctx.shared) {
      try {
        ctx.dir.migrateFlatLayout();
      } catch (err) {
        ctx.logger.warn(`Cannot migrate the legacy flat layout: ${errorText(err)}`);
      }
    }
    this.sync();
  }

  /** Name of the default session. */
  get defaultName(): string {
    return this.#defaultName;
  }

  /** The session called `name`, if any. */
  get(name: string): SessionState | undefined {
    return this.#sessions.get(name);
  }

  /** Every session, in discovery order then creation order. */
  all(): SessionState[] {
    return [...this.#sessions.values()];
  }

  /** Sessions with credentials (expired or not). */
  withCredentials(): SessionState[] {
    return this.all().filter((s) => s.cred !== undefined);
  }

  /** Sessions with credentials the server has not reported as expired. */
  usable(): SessionState[] {
    return this.all().filter(isUsable);
  }

  /** Bot tokens still held, newest session first, for `local_token_list` (at most 10). */
  localTokens(): string[] {
    return this.withCredentials()
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
      .map((x) => x.cred!.bot.token)
      .slice(0, 10);
  }

  // ---- following the disk -------------------------------------------------------------------

  /**
   * Bring the sessions in line with the data directory: sessions created, re-logged, renamed,
   * logged out or expired by other processes, and a changed `.default_session`. Cheap when
   * nothing changed (one `stat` per folder, plus the folder list only when it changed), so it runs
   * before every poll, every send and every read of the session list.
   */
  sync(): void {
    const records = this.#ctx.storage.records;
    const baseStamp = records.listStamp();
    if (baseStamp === undefined) this.#folders = [];
    else if (baseStamp !== this.#baseStamp) this.#folders = records.names();
    this.#baseStamp = baseStamp;
    let changed = false;
    const onDisk = new Set<string>();
    for (const name of this.#folders) {
      const stamps = records.stamps(name);
      if (stamps === undefined) continue;
      const stamp = stamps.stamp;
      onDisk.add(name);
      let s = this.#sessions.get(name);
      if (!s) {
        s = emptyState(name);
        this.#sessions.set(name, s);
        changed = true;
      }
      // The file this process wrote last (its cursor, by the committer) needs no reading.
      if (s.stamp !== stamp && stamps.raw !== s.ownStamp) this.#reload(s, stamp);
    }
    for (const s of this.#sessions.values()) {
      if (onDisk.has(s.name) || (s.cred === undefined && s.stamp === undefined)) continue;
      // Its token.json is gone: logged out, or renamed, by another process.
      this.#forget(s);
      changed = true;
    }
    if (onDisk.size > 0) {
      // A placeholder default (no credentials, never saved) gives way to real sessions.
      for (const s of this.#sessions.values()) {
        if (s.cred === undefined && s.stamp === undefined && !onDisk.has(s.name)) {
          this.#sessions.delete(s.name);
          changed = true;
        }
      }
    }
    const defaultStamp = records.defaultStamp();
    if (changed || defaultStamp !== this.#defaultStamp || !this.#sessions.has(this.#defaultName)) {
      this.#defaultStamp = defaultStamp;
      this.#defaultName = this.#chooseDefault();
    }
  }

  /** Read a session's `token.json` again after its fingerprint changed. */
  #reload(s: SessionState, stamp: string): void {
    const token = this.#ctx.storage.records.read(s.name);
    s.stamp = stamp;
    if (!token) {
      // Unreadable or corrupt (reported once by DataDir): no usable credentials for now.
      s.cred = undefined;
      return;
    }
    s.createdAt = token.created_at ?? undefined;
    const cred = s.cred;
    const expiredAt = token.expired_at ?? undefined;
    if (cred && cred.bot.token === token.token && cred.bot.baseUrl === token.base_url) {
      // The same credentials: take what another process changed.
      if (token.cursor !== cred.committedCursor && token.cursor !== cred.writingCursor) {
        cred.cursor = token.cursor;
        cred.committedCursor = token.cursor;
      }
      if (expiredAt === undefined && cred.expiredAt !== undefined) this.#clearExpiry(cred);
      else if (expiredAt !== undefined && cred.expiredAt === undefined) cred.expiredAt = expiredAt;
      return;
    }
    s.cred = newCredentials(botOf(token), token.cursor, expiredAt);
  }

  #forget(s: SessionState): void {
    s.removed = true;
    s.cred = undefined;
    this.#sessions.delete(s.name);
  }

  /**
   * The default session, as the Python original chooses it but honouring `.default_session` even
   * when a `default/` folder exists: the saved name, else `default`, else the connected session
   * created first, else the first discovered; with no session at all, a `default` placeholder.
   */
  #chooseDefault(): string {
    const saved = this.#ctx.storage.records.readDefault();
    if (saved && this.#sessions.has(saved)) return saved;
    if (this.#sessions.has(DEFAULT_SESSION)) return DEFAULT_SESSION;
    if (this.#sessions.size === 0) {
      this.#sessions.set(DEFAULT_SESSION, emptyState(DEFAULT_SESSION));
      return DEFAULT_SESSION;
    }
    const all = [...this.#sessions.values()];
    const connected = all.filter((s) => s.cred)
      .sort((a, b) => (a.createdAt ?? Infinity) - (b.createdAt ?? Infinity));
    return (connected[0] ?? all[0]!).name;
  }

  /** The API client of a token, made on first use. */
  apiFor(cred: Credentials): ILinkApi {
    if (!cred.api) {
      const { baseUrl, qrBaseUrl, fetch, sendFetch } = this.#ctx;
      const opts: ILinkApiOptions = {
        baseUrl: cred.bot.baseUrl || baseUrl,
        qrBaseUrl,
        token: cred.bot.token,
        sendFetch,
      };
      if (fetch) opts.fetch = fetch;
      cred.api = new ILinkApi(opts);
    }
    return cred.api;
  }

  // ---- changes ------------------------------------------------------------------------------

  /** Make `name` the default session and persist it in `.default_session`. */
  async setDefault(name: string): Promise<void> {
    this.sync();
    if (!this.#sessions.has(name)) throw new SessionNotFoundError(name);
    const records = this.#ctx.storage.records;
    await records.withLock(() => records.writeDefault(name));
    this.#defaultName = name;
    this.#defaultStamp = records.defaultStamp();
  }

  /** Rename a session, moving its folder. */
  async rename(oldName: string, newName: string): Promise<void> {
    this.sync();
    const s = this.#sessions.get(oldName);
    if (!s) throw new SessionNotFoundError(oldName);
    validateSessionName(newName);
    if (newName === DEFAULT_SESSION) {
      throw new TypeError(
        `Cannot rename to "${DEFAULT_SESSION}": use setDefault() to choose the default session`,
      );
    }
    if (this.#sessions.has(newName)) {
      throw new TypeError(`Cannot rename to "${newName}": a session with that name exists`);
    }
    const records = this.#ctx.storage.records;
    await records.withLock(async () => {
      await records.rename(oldName, newName);
      const saved = records.readDefault();
      if (this.#defaultName === oldName || saved === oldName) {
        await records.writeDefault(newName);
      }
    });
    this.#sessions.delete(oldName);
    s.name = newName;
    this.#sessions.set(newName, s);
    if (this.#defaultName === oldName) this.#defaultName = newName;
    s.stamp = records.stamps(newName)?.stamp;
    this.#defaultStamp = records.defaultStamp();
  }

  /** Delete a session's files and drop it; returns its bot id, if it had one. */
  async logout(key: string): Promise<string | undefined> {
    this.sync();
    const s = this.#sessions.get(key);
    if (!s) throw new SessionNotFoundError(key);
    const botId = s.cred?.bot.botId;
    const records = this.#ctx.storage.records;
    await records.withLock(async () => {
      await records.remove(key);
      this.#forget(s);
      const saved = records.readDefault();
      if (this.#defaultName === key || saved === key) {
        this.#defaultName = this.#chooseDefault();
        const placeholder = !this.#sessions.get(this.#defaultName)?.cred &&
          !records.has(this.#defaultName);
        await records.writeDefault(placeholder ? undefined : this.#defaultName);
      }
    });
    this.#defaultStamp = records.defaultStamp();
    return botId;
  }

  /**
   * Persist the credentials of a completed QR login and make them the session's: a new token
   * starts from an empty cursor, and the context tokens of another bot are dropped.
   */
  async saveLogin(name: string, bot: BotInfo): Promise<SessionState> {
    let s = this.#sessions.get(name);
    if (!s) {
      s = emptyState(name);
      this.#sessions.set(name, s);
    }
    const state = s;
    const nowSec = this.#ctx.now() / 1000;
    const records = this.#ctx.storage.records;
    await records.withLock(async () => {
      const disk = records.read(name);
      const createdAt = disk?.created_at ?? state.createdAt ?? nowSec;
      await records.write(name, {
        bot_id: bot.botId,
        base_url: bot.baseUrl,
        token: bot.token,
        user_id: bot.userId,
        cursor: "",
        created_at: createdAt,
      });
      if (disk && disk.bot_id !== bot.botId) await records.writeContexts(name, {});
      state.contexts = records.readContexts(name);
      state.createdAt = createdAt;
      // A placeholder default (no credentials, nothing on disk) gives way to the first login.
      const current = this.#sessions.get(this.#defaultName);
      if (
        name !== this.#defaultName && current && !current.cred &&
        !records.has(this.#defaultName)
      ) {
        this.#sessions.delete(this.#defaultName);
        this.#defaultName = name;
        await records.writeDefault(name);
      }
      state.cred = newCredentials(bot, "");
      state.removed = false;
      state.stamp = records.stamps(name)?.stamp;
    });
    this.#defaultStamp = records.defaultStamp();
    return state;
  }

  /**
   * `-14` from `getupdates`: the token is expired. Keeps token, cursor and context tokens (the
   * server may accept the token again, and a new login replaces them anyway), persists the expiry
   * so every process sharing the folder knows, and schedules the next probe with a growing pause.
   * Returns `true` when this is news (the token was working until now).
   */
  async markExpired(s: SessionState, cred: Credentials): Promise<boolean> {
    const { retry, now } = this.#ctx;
    const news = cred.expiredAt === undefined;
    const expiredAt = cred.expiredAt ??= now() / 1000;
    cred.probes++;
    cred.probeNow = false;
    cred.retryAt = now() + Math.min(
      retry.expiredFirstMs * 2 ** (cred.probes - 1),
      retry.expiredMaxMs,
    );
    cred.typing.clear();
    const records = this.#ctx.storage.records;
    await records.withLock(() => records.setExpiry(s.name, cred.bot.token, expiredAt));
    return news;
  }

  /**
   * A poll with an expired token succeeded: the server accepts it again. Clears the expiry on
   * disk. Returns `true` when the token was marked expired.
   */
  async markResumed(s: SessionState, cred: Credentials): Promise<boolean> {
    if (cred.expiredAt === undefined) return false;
    this.#clearExpiry(cred);
    const records = this.#ctx.storage.records;
    await records.withLock(() => records.setExpiry(s.name, cred.bot.token, undefined));
    return true;
  }

  #clearExpiry(cred: Credentials): void {
    cred.expiredAt = undefined;
    cred.probes = 0;
    cred.retryAt = 0;
  }

  /**
   * Ask for `getupdates` to decide at once whether a session's token still works (after a `-14`
   * on a send, which may only mean a stale context token).
   */
  requestProbe(s: SessionState, cred: Credentials): void {
    cred.probeNow = true;
    this.onProbeRequest?.(s);
  }
}
