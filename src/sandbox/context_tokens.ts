/**
 * Context tokens of one bot (spec §6.4), per user.
 *
 * Every token the sandbox issued stays valid for `windowMs` from its own issue time and for
 * `quota` replies of its own, whatever the user writes after it. Whether the real server still
 * accepts an older token of the same user is unknown (spec §8 Q3); refusing it would make an
 * ordinary chat fail in the sandbox only, because real clients answer message 1 after message 2
 * has arrived. A reply with an older token is therefore accepted and reported as a note.
 *
 * @module
 */

import { contextToken } from "./wire_json.ts";

/** What the sandbox knows about one issued token. */
export interface TokenState {
  /** The user it was issued to. */
  readonly user: string;
  /** Epoch milliseconds of the inbound message that carried it. */
  readonly issuedAt: number;
  /** Replies accepted with it so far. */
  sent: number;
  /** Marked by `staleContext`: a send answers -14 while the bot session stays valid. */
  stale: boolean;
}

/** Outcome of {@linkcode ContextTokens.check}. */
export type TokenCheck =
  | { ok: true; state: TokenState; older: boolean }
  | { ok: false; reason: "unknown" | "expired" | "stale" | "quota" };

interface UserTokens {
  newest: string;
  /** Tokens still inside the window, oldest first. */
  issued: string[];
}

/** The context tokens one bot has issued, by token and by user. */
export class ContextTokens {
  readonly #windowMs: number;
  readonly #quota: number;
  readonly #byToken = new Map<string, TokenState>();
  readonly #byUser = new Map<string, UserTokens>();

  constructor(windowMs: number, quota: number) {
    this.#windowMs = windowMs;
    this.#quota = quota;
  }

  /** Issues a fresh token for a new inbound message of `user`. */
  issue(user: string, now: number): string {
    const token = contextToken();
    this.#byToken.set(token, { user, issuedAt: now, sent: 0, stale: false });
    let entry = this.#byUser.get(user);
    if (!entry) {
      entry = { newest: token, issued: [] };
      this.#byUser.set(user, entry);
    }
    // Tokens past their window can never be used again; forgetting them bounds the memory of a
    // long-running sandbox (an unknown token gets the same answer as an expired one).
    while (entry.issued.length > 0) {
      const oldest = this.#byToken.get(entry.issued[0]!);
      if (oldest && now - oldest.issuedAt <= this.#windowMs) break;
      this.#byToken.delete(entry.issued.shift()!);
    }
    entry.newest = token;
    entry.issued.push(token);
    return token;
  }

  /** Whether `user` ever wrote to this bot. */
  has(user: string): boolean {
    return this.#byUser.has(user);
  }

  /** Users who wrote to this bot. */
  users(): string[] {
    return [...this.#byUser.keys()];
  }

  /** Marks every token issued so far to `user` as stale; false when the user never wrote. */
  markStale(user: string): boolean {
    const entry = this.#byUser.get(user);
    if (!entry) return false;
    for (const token of entry.issued) {
      const state = this.#byToken.get(token);
      if (state) state.stale = true;
    }
    return true;
  }

  /** Whether `token` may carry one more reply to `user` at `now`. */
  check(user: string, token: string, now: number): TokenCheck {
    const state = this.#byToken.get(token);
    if (!state || state.user !== user) return { ok: false, reason: "unknown" };
    if (state.stale) return { ok: false, reason: "stale" };
    if (now - state.issuedAt > this.#windowMs) return { ok: false, reason: "expired" };
    if (state.sent >= this.#quota) return { ok: false, reason: "quota" };
    return { ok: true, state, older: this.#byUser.get(user)?.newest !== token };
  }
}
