/**
 * The sessions of one client: which exist, which is the default, their credentials and cursors,
 * the API client of each, and how they follow the data directory that other processes (and the
 * Python original) change underneath.
 *
 * @module
 */

import { ILinkApi, type ILinkApiOptions } from "../protocol/mod.ts";
import type { BotInfo } from "../models.ts";
import { clearTokens } from "./context_state.ts";
import {
  type ContextsFile,
  DEFAULT_SESSION,
  errorText,
  exists,
  type TokenFile,
  validateSessionName,
} from "./data_dir.ts";
import { NotLoggedInError, SessionNotFoundError } from "./errors.ts";
import type { ClientContext } from "./client_context.ts";

/** Per-session state held in memory (disk stays the source of truth). */
export interface SessionState {
  name: string;
  bot: BotInfo | undefined;
  cursor: string;
  /** Epoch seconds of the first save (Python's `created_at`). */
  createdAt: number | undefined;
  contexts: ContextsFile;
  expired: boolean;
  removed: boolean;
  api: ILinkApi | undefined;
  typing: Map<string, { ticket: string; fetchedAt: number }>;
  longPollMs: number | undefined;
  failures: number;
  retryAt: number;
}

/** A session with nothing loaded. */
export function emptyState(name: string): SessionState {
  return {
    name,
    bot: undefined,
    cursor: "",
    createdAt: undefined,
    contexts: {},
    expired: false,
    removed: false,
    api: undefined,
    typing: new Map(),
    longPollMs: undefined,
    failures: 0,
    retryAt: 0,
  };
}

/** Every session of the data directory, and the default one. */
export class SessionRegistry {
  readonly #ctx: ClientContext;
  readonly #sessions = new Map<string, SessionState>();
  #defaultName: string = DEFAULT_SESSION;

  /** Migrates a legacy flat layout, then loads every session and chooses the default. */
  constructor(ctx: ClientContext) {
    this.#ctx = ctx;
    try {
      ctx.dir.migrateFlatLayout();
    } catch (err) {
      ctx.logger.warn(`Cannot migrate the legacy flat layout: ${errorText(err)}`);
    }
    for (const name of ctx.dir.discoverSessions()) {
      this.#sessions.set(name, this.#loadSession(name));
    }
    this.#defaultName = this.#chooseDefault();
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

  /** Sessions with credentials that the server has not reported as expired. */
  usable(): SessionState[] {
    return this.all().filter((s) => s.bot && !s.expired);
  }

  /** Bot tokens still held, newest session first, for `local_token_list` (at most 10). */
  localTokens(): string[] {
    return this.all()
      .filter((x) => x.bot)
      .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))
      .map((x) => x.bot!.token)
      .slice(0, 10);
  }

  // ---- changes ------------------------------------------------------------------------------

  /** Make `name` the default session and persist it in `.default_session`. */
  async setDefault(name: string): Promise<void> {
    if (!this.#sessions.has(name)) throw new SessionNotFoundError(name);
    const { dir, dataLock } = this.#ctx;
    await dataLock.withLock(async () => {
      dir.ensure();
      await dir.writeDefaultSessionName(name);
    });
    this.#defaultName = name;
  }

  /** Rename a session, moving its folder. */
  async rename(oldName: string, newName: string): Promise<void> {
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
    const { dir, dataLock } = this.#ctx;
    await dataLock.withLock(async () => {
      if (exists(dir.sessionDir(oldName))) dir.renameSession(oldName, newName);
      const saved = dir.readDefaultSessionName();
      if (this.#defaultName === oldName || saved === oldName) {
        dir.ensure();
        await dir.writeDefaultSessionName(newName);
      }
    });
    this.#sessions.delete(oldName);
    s.name = newName;
    this.#sessions.set(newName, s);
    if (this.#defaultName === oldName) this.#defaultName = newName;
  }

  /** Delete a session's files and drop it; returns its bot id, if it had one. */
  async logout(key: string): Promise<string | undefined> {
    const s = this.#sessions.get(key);
    if (!s) throw new SessionNotFoundError(key);
    const botId = s.bot?.botId;
    const { dir, dataLock } = this.#ctx;
    await dataLock.withLock(async () => {
      dir.removeSession(key);
      this.#sessions.delete(key);
      s.removed = true;
      s.bot = undefined;
      const saved = dir.readDefaultSessionName();
      if (this.#defaultName === key || saved === key) {
        this.#defaultName = this.#chooseDefault();
        const placeholder = !this.#sessions.get(this.#defaultName)?.bot &&
          !exists(dir.tokenPath(this.#defaultName));
        await dir.writeDefaultSessionName(placeholder ? undefined : this.#defaultName);
      }
    });
    return botId;
  }

  /** Persist the credentials of a completed QR login and make them the session's. */
  async saveLogin(name: string, bot: BotInfo): Promise<SessionState> {
    let s = this.#sessions.get(name);
    if (!s) {
      s = emptyState(name);
      this.#sessions.set(name, s);
    }
    const state = s;
    const nowSec = this.#ctx.now() / 1000;
    const { dir, dataLock } = this.#ctx;
    await dataLock.withLock(async () => {
      dir.ensure();
      const disk = dir.readToken(name);
      const createdAt = disk?.created_at ?? state.createdAt ?? nowSec;
      await dir.writeToken(name, {
        bot_id: bot.botId,
        base_url: bot.baseUrl,
        token: bot.token,
        user_id: bot.userId,
        cursor: "",
        created_at: createdAt,
      });
      if (disk && disk.bot_id !== bot.botId) await dir.writeContexts(name, {});
      state.contexts = dir.readContexts(name);
      state.createdAt = createdAt;
      // A placeholder default (no credentials, nothing on disk) gives way to the first login.
      const current = this.#sessions.get(this.#defaultName);
      if (
        name !== this.#defaultName && current && !current.bot &&
        !exists(dir.tokenPath(this.#defaultName))
      ) {
        this.#sessions.delete(this.#defaultName);
        this.#defaultName = name;
        await dir.writeDefaultSessionName(name);
      }
    });
    Object.assign(state, {
      bot,
      cursor: "",
      expired: false,
      removed: false,
      api: undefined,
      failures: 0,
      retryAt: 0,
      longPollMs: undefined,
    });
    state.typing.clear();
    return state;
  }

  /** `-14`: stop polling the session, clear its cursor and context tokens on disk. */
  async expire(s: SessionState, bot: BotInfo): Promise<void> {
    s.expired = true;
    s.typing.clear();
    const { dir, dataLock } = this.#ctx;
    await dataLock.withLock(async () => {
      const disk = dir.readToken(s.name);
      if (disk && disk.token === bot.token) {
        if (disk.cursor) await dir.writeToken(s.name, { ...disk, cursor: "" });
        const contexts = dir.readContexts(s.name);
        clearTokens(contexts);
        await dir.writeContexts(s.name, contexts);
        s.contexts = contexts;
      }
    });
    s.cursor = "";
  }

  // ---- following the disk -------------------------------------------------------------------

  /** The API client of a session, made anew when its credentials or base URL change. */
  apiFor(s: SessionState): ILinkApi {
    const bot = s.bot;
    if (!bot) throw new NotLoggedInError(`Session "${s.name}" is not logged in`);
    const { baseUrl, qrBaseUrl, fetch } = this.#ctx;
    if (!s.api || s.api.baseUrl !== (bot.baseUrl || baseUrl)) {
      const opts: ILinkApiOptions = {
        baseUrl: bot.baseUrl || baseUrl,
        qrBaseUrl,
        token: bot.token,
      };
      if (fetch) opts.fetch = fetch;
      s.api = new ILinkApi(opts);
    }
    return s.api;
  }

  /** Adopt credentials read from disk; a changed token resets the session's runtime state. */
  adoptToken(s: SessionState, token: TokenFile): void {
    const changed = !s.bot || s.bot.token !== token.token || s.bot.baseUrl !== token.base_url;
    s.bot = {
      botId: token.bot_id,
      baseUrl: token.base_url,
      token: token.token,
      userId: token.user_id,
    };
    s.cursor = token.cursor;
    s.createdAt = token.created_at ?? undefined;
    if (changed) {
      s.api = undefined;
      s.expired = false;
      s.failures = 0;
      s.retryAt = 0;
      s.typing.clear();
    }
  }

  /** Pick up sessions created, re-logged or logged out by other processes. */
  refreshFromDisk(): void {
    const { dir } = this.#ctx;
    for (const name of dir.discoverSessions()) {
      if (!this.#sessions.has(name)) {
        this.#sessions.set(name, this.#loadSession(name));
        const def = this.#sessions.get(this.#defaultName);
        if (def && !def.bot && !exists(dir.tokenPath(this.#defaultName))) {
          this.#sessions.delete(this.#defaultName);
          this.#defaultName = this.#chooseDefault();
        }
      }
    }
    for (const s of this.#sessions.values()) this.#refreshSession(s);
  }

  /** Re-read one session's `token.json` (atomic writes make an unlocked read consistent). */
  #refreshSession(s: SessionState): void {
    if (s.removed) return;
    const { dir } = this.#ctx;
    const token = dir.readToken(s.name);
    if (token) this.adoptToken(s, token);
    else if (s.bot && !exists(dir.tokenPath(s.name))) s.bot = undefined;
  }

  #loadSession(name: string): SessionState {
    const s = emptyState(name);
    const token = this.#ctx.dir.readToken(name);
    if (token) this.adoptToken(s, token);
    s.contexts = this.#ctx.dir.readContexts(name);
    return s;
  }

  /**
   * The default session, as the Python original chooses it but honouring `.default_session` even
   * when a `default/` folder exists: the saved name, else `default`, else the connected session
   * created first, else the first discovered; with no session at all, a `default` placeholder.
   */
  #chooseDefault(): string {
    const saved = this.#ctx.dir.readDefaultSessionName();
    if (saved && this.#sessions.has(saved)) return saved;
    if (this.#sessions.has(DEFAULT_SESSION)) return DEFAULT_SESSION;
    if (this.#sessions.size === 0) {
      this.#sessions.set(DEFAULT_SESSION, emptyState(DEFAULT_SESSION));
      return DEFAULT_SESSION;
    }
    const all = [...this.#sessions.values()];
    const connected = all.filter((s) => s.bot)
      .sort((a, b) => (a.createdAt ?? Infinity) - (b.createdAt ?? Infinity));
    return (connected[0] ?? all[0]!).name;
  }
}
