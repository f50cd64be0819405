/**
 * Reply rules of a context token (spec §6.4) applied to `contexts.json` entries: the 24-hour window
 * counted from when the token was received, and the quota of 10 bot messages per inbound message.
 * Pure functions over the on-disk shape, so the same rules hold whether the entry was written by
 * this process, another one, or the Python original.
 *
 * @module
 */

import type { ContextEntry, ContextsFile } from "./data_dir.ts";

/** Replies are accepted only within this many seconds of the user's last message. */
export const CONTEXT_WINDOW_SECONDS = 24 * 3600;
/** Bot messages allowed per inbound user message. */
export const CONTEXT_QUOTA = 10;

/** State of one user's context in a session at a given time. */
export type ContextStatus =
  | { kind: "missing" }
  | { kind: "expired"; receivedAt: number }
  | { kind: "live"; token: string; receivedAt: number; remaining: number };

/** Classify an entry at `nowSec` (epoch seconds). */
export function contextStatus(entry: ContextEntry | undefined, nowSec: number): ContextStatus {
  if (!entry || !entry.t) return { kind: "missing" };
  const ts = entry.ts ?? 0;
  if (nowSec - ts >= CONTEXT_WINDOW_SECONDS) return { kind: "expired", receivedAt: ts };
  return {
    kind: "live",
    token: entry.t,
    receivedAt: ts,
    remaining: Math.max(0, CONTEXT_QUOTA - (entry.sc ?? 0)),
  };
}

/**
 * Record a context token received from `user` at `nowSec`. A different token resets the send
 * count (a new inbound message opens a new quota), as the Python original does.
 */
export function recordInbound(
  contexts: ContextsFile,
  user: string,
  token: string,
  nowSec: number,
): void {
  const entry: ContextEntry = { ...(contexts[user] ?? {}) };
  if (entry.t !== token) delete entry.sc;
  entry.t = token;
  entry.ts = nowSec;
  entry.first_seen ??= nowSec;
  contexts[user] = entry;
}

/**
 * {@linkcode recordInbound} for a batch of `(user, token)` pairs in arrival order, touching each
 * user's entry once: the result is the same as recording the pairs one by one (the last token
 * wins; the send count is reset when any token of the user differs from the one stored).
 */
export function recordInboundBatch(
  contexts: ContextsFile,
  pairs: Iterable<readonly [user: string, token: string]>,
  nowSec: number,
): void {
  const last = new Map<string, { token: string; mixed: boolean }>();
  for (const [user, token] of pairs) {
    const seen = last.get(user);
    if (!seen) last.set(user, { token, mixed: false });
    else if (seen.token !== token) {
      seen.token = token;
      seen.mixed = true;
    }
  }
  for (const [user, { token, mixed }] of last) {
    recordInbound(contexts, user, token, nowSec);
    // Tokens that changed within the batch opened a new quota even if the last equals the old one.
    if (mixed) delete contexts[user]!.sc;
  }
}

/** Count `n` messages against the quota of `user`'s token (a reservation made before sending). */
export function reserveSends(contexts: ContextsFile, user: string, n: number): void {
  const entry = contexts[user];
  if (!entry) return;
  entry.sc = (entry.sc ?? 0) + n;
}

/**
 * Settle a reservation after sending: give back `unused` reserved messages (only while the token
 * is still `token`; a newer token already reset the count) and, after a fully successful send,
 * stamp `send_ts`. Returns the replies left on the current token.
 */
export function settleSends(
  contexts: ContextsFile,
  user: string,
  token: string,
  unused: number,
  success: boolean,
  nowSec: number,
): number {
  const entry = contexts[user];
  if (!entry) return CONTEXT_QUOTA;
  if (entry.t === token && unused > 0) {
    entry.sc = Math.max(0, (entry.sc ?? 0) - unused);
  }
  if (!entry.sc) delete entry.sc;
  if (success) entry.send_ts = nowSec;
  return Math.max(0, CONTEXT_QUOTA - (entry.sc ?? 0));
}

/**
 * Forget `user`'s context token when it is still `token` (the server refused it as stale), keeping
 * first-seen and send times; a newer token that arrived meanwhile is kept.
 */
export function dropToken(contexts: ContextsFile, user: string, token: string): void {
  const entry = contexts[user];
  if (!entry || entry.t !== token) return;
  delete entry.t;
  delete entry.ts;
  delete entry.sc;
}
