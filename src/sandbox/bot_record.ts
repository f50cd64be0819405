/**
 * What the sandbox keeps per logged-in bot: its session and how it expires, its inbound queue with
 * the opaque cursor over it, its context tokens, typing tickets and the phone page's chat view.
 *
 * @module
 */

import { ContextTokens } from "./context_tokens.ts";
import type { ConfirmedLogin, SessionExpiryField } from "./types.ts";
import { WakeList } from "./wake_list.ts";
import type { WireBody } from "./wire_json.ts";

/** `errmsg` of every `-14` answer. */
export const SESSION_TIMEOUT = "session timeout";

/**
 * One entry of a bot's inbound queue, already serialised: a message is written once when it is
 * queued (not on every delivery), and raw entries are kept exactly as given.
 */
export interface InboundRecord {
  seq: number;
  json: string;
}

/**
 * Index of the first record with `seq > after`. `inbound` is in increasing `seq` order (records
 * are only ever appended, each with the next `seq`), so a binary search finds it: a poll costs
 * O(log n) in the bot's history instead of a scan of all of it.
 */
export function firstAfter(inbound: readonly InboundRecord[], after: number): number {
  let lo = 0;
  let hi = inbound.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inbound[mid]!.seq > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** The opaque `get_updates_buf` after the message numbered `seq`. */
export function cursorFor(seq: number): string {
  return btoa(`sandbox-cursor:${seq}`);
}

/** The `seq` a cursor of {@linkcode cursorFor} names (0 for `""`); undefined for any other text. */
export function cursorSeq(cursor: string): number | undefined {
  if (cursor === "") return 0;
  try {
    const m = /^sandbox-cursor:(\d+)$/.exec(atob(cursor));
    if (m) return Number(m[1]);
  } catch {
    // Not base64: not a cursor of ours.
  }
  return undefined;
}

/** One line of the phone page's chat view. */
export interface ChatEvent {
  index: number;
  direction: "in" | "out";
  user: string;
  type: number;
  text?: string;
  fileName?: string;
  messageId: string;
  at: number;
  media: boolean;
}

/** A logged-in bot account and its per-user state. */
export interface BotRecord {
  botId: string;
  token: string;
  userId: string;
  createdAt: number;
  expired?: SessionExpiryField | undefined;
  /** Epoch milliseconds at which an expired session becomes valid again by itself. */
  reviveAt?: number | undefined;
  seq: number;
  inbound: InboundRecord[];
  wake: WakeList;
  contexts: ContextTokens;
  tickets: Map<string, string>;
  typing: Map<string, number>;
  online: boolean;
  lastUin?: string;
  chat: ChatEvent[];
}

/** The record of a bot whose login was just confirmed: no messages, offline. */
export function newBotRecord(
  login: ConfirmedLogin,
  contexts: { windowMs: number; quota: number },
): BotRecord {
  return {
    botId: login.botId,
    token: login.token,
    userId: login.userId,
    createdAt: Date.now(),
    seq: 0,
    inbound: [],
    wake: new WakeList(),
    contexts: new ContextTokens(contexts.windowMs, contexts.quota),
    tickets: new Map(),
    typing: new Map(),
    online: false,
    chat: [],
  };
}

/**
 * The `-14` body of an expired session, or undefined while it is valid. A session whose
 * `reviveAt` has passed is valid again from here on.
 */
export function sessionExpiry(bot: BotRecord): WireBody | undefined {
  if (bot.reviveAt !== undefined && Date.now() >= bot.reviveAt) {
    bot.expired = undefined;
    bot.reviveAt = undefined;
  }
  switch (bot.expired) {
    case undefined:
      return undefined;
    case "ret":
      return { ret: -14, errmsg: SESSION_TIMEOUT };
    case "both":
      return { ret: -14, errcode: -14, errmsg: SESSION_TIMEOUT };
    default:
      return { errcode: -14, errmsg: SESSION_TIMEOUT };
  }
}

/**
 * Expires a bot's session: every later call with its token answers -14 in `field`, until it is
 * revived or, when given, `reviveAfterMs` later. A held poll answers at once.
 */
export function expireSession(
  bot: BotRecord,
  field: SessionExpiryField,
  reviveAfterMs: number | undefined,
): void {
  if (!["errcode", "ret", "both"].includes(field)) {
    throw new TypeError(`Cannot expire session: unknown field "${field}"`);
  }
  if (reviveAfterMs !== undefined && (!Number.isFinite(reviveAfterMs) || reviveAfterMs < 0)) {
    throw new RangeError(
      `Cannot expire session: reviveAfterMs must be a non-negative number, got ${reviveAfterMs}`,
    );
  }
  bot.expired = field;
  bot.reviveAt = reviveAfterMs === undefined ? undefined : Date.now() + reviveAfterMs;
  bot.wake.wake();
}

/** Decoded media kept for the phone page and `sent()`. */
export interface StoredMedia {
  bytes: Uint8Array;
  type: number;
  fileName?: string;
}
