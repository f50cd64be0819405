/**
 * The storage boundary: everything the client persists, behind one interface with two
 * implementations.
 *
 * - **Files + SQLite** (the default, `file_storage.ts`): the data directory shared file for file
 *   with the Python original (`token.json`, `contexts.json`, `.default_session`, `.consumers/`,
 *   `messages.db`), coordinated by `flock` (`.poll.lock`, `.data.lock`). Its batches are committed
 *   behind the poll by the write-behind committer (`committer.ts`) and its sends reserve the quota
 *   in `contexts.json` under `.data.lock` (`sender.ts`).
 * - **PostgreSQL** (`src/postgres/`, loaded only when a `postgres://` URL is given): the same
 *   records in tables, shared by any number of hosts. A batch, its cursor and its context tokens
 *   are one transaction; a send reserves the quota under a row lock; each bot account is polled by
 *   the one client holding its advisory lock; readers follow `LISTEN/NOTIFY`.
 *
 * Records keep the on-disk shapes ({@linkcode TokenFile}, {@linkcode ContextsFile}): they are the
 * protocol's own, the §6.4 rules of `context_state.ts` work on them, and the migration between the
 * two storages copies them as they are.
 *
 * @module
 */

import type { Message } from "../models/mod.ts";
import type { ContextsFile, TokenFile } from "./data_dir.ts";
import type { StoreBinding } from "./store_binding.ts";

/** A fingerprint of a record and its raw form (see `fileStamps`). */
export interface RecordStamps {
  /** Changes whenever the record changes (never equal for a record changed just now). */
  stamp: string;
  /** The record's fingerprint as its writer last saw it. */
  raw: string;
}

/**
 * Sessions, the default session and context tokens. Reads are synchronous: the files are read
 * from disk, PostgreSQL's from a snapshot kept current by `NOTIFY` and by
 * {@linkcode ClientStorage.refresh}. Writes happen inside {@linkcode SessionRecords.withLock}.
 */
export interface SessionRecords {
  /** Fingerprint of the set of sessions: changes when one is added, removed or renamed. */
  listStamp(): string | undefined;
  /** Names that may hold a session, sorted. */
  names(): string[];
  /** Fingerprint of a session's record; `undefined` when it has none. */
  stamps(name: string): RecordStamps | undefined;
  /** A session's record; `undefined` when absent or unreadable. */
  read(name: string): TokenFile | undefined;
  /** Whether a session's record exists. */
  has(name: string): boolean;
  /** The saved default session name. */
  readDefault(): string | undefined;
  /** Fingerprint of the saved default. */
  defaultStamp(): string | undefined;
  /** Run a read-modify-write of records, excluding other writers. */
  withLock<T>(fn: () => Promise<T> | T): Promise<T>;
  /** Save (or with `undefined`, clear) the default session name. */
  writeDefault(name: string | undefined): Promise<void>;
  /** Save a session's record whole (a new login: its cursor starts over). */
  write(name: string, token: TokenFile): Promise<void>;
  /** Record (or with `undefined`, clear) the expiry of a session whose token is still `token`. */
  setExpiry(name: string, token: string, expiredAt: number | undefined): Promise<void>;
  /** Remove a session and its context tokens. */
  remove(name: string): Promise<void>;
  /** Move a session to a new name. */
  rename(oldName: string, newName: string): Promise<void>;
  /** A session's context tokens. */
  readContexts(name: string): ContextsFile;
  /** Replace a session's context tokens. */
  writeContexts(name: string, contexts: ContextsFile): Promise<void>;
}

/** One polled batch to commit: its messages, the context tokens they carry, and its cursor. */
export interface InboundBatch {
  /** Session it was polled for. */
  session: string;
  /** Bot token it was polled with (nothing is written beside another token). */
  token: string;
  /** Cursor it was polled with. */
  from: string;
  /** Next cursor (`""`: unchanged). */
  cursor: string;
  /** Inbound user messages, in order. */
  messages: readonly Message[];
  /** Epoch seconds of arrival (the context tokens' `ts`). */
  nowSec: number;
}

/** How a transactional commit of a batch went. */
export type CommitOutcome =
  /** Stored, with its cursor and context tokens; the new record fingerprint. */
  | { kind: "committed"; raw: string }
  /** The session was logged out or logged in again meanwhile: nothing written. */
  | { kind: "gone" }
  /** Another poller moved the cursor: nothing written; poll again from `cursor`. */
  | { kind: "moved"; cursor: string };

/** What a send needs to reserve its quota. */
export interface SendRequest {
  /** Recipient. */
  to: string;
  /** Session named by the caller, if any. */
  explicit: string | undefined;
  /** Usable sessions (credentials not expired), in registry order. */
  candidates: string[];
  /** The default session, when usable: the route when no session holds a token of `to`. */
  fallback: string | undefined;
  /** Messages to send. */
  total: number;
  /** Epoch seconds now. */
  nowSec: number;
}

/** The outcome of a reservation: the context entry of `to` in the chosen session, reserved. */
export interface SendReservation {
  /** Session that sends. */
  session: string;
  /** The entry after the reservation (`undefined` when the user has none in that session). */
  entry: ContextsFile[string] | undefined;
}

/** What a send settles after its requests. */
export interface SendSettlement {
  session: string;
  to: string;
  /** The token sent with. */
  token: string;
  /** Reserved messages not used. */
  unused: number;
  /** Whether every part went out. */
  success: boolean;
  /** The server refused the token as stale: forget it. */
  stale: boolean;
  nowSec: number;
}

/**
 * Reservation of the reply quota across processes and hosts. `reserve` checks the window and the
 * quota with `check` on the current entry (which throws to refuse) and counts the messages.
 */
export interface SendLedger {
  /** Route, check and reserve in one critical section. */
  reserve(
    request: SendRequest,
    check: (session: string, entry: ContextsFile[string] | undefined) => void,
  ): Promise<SendReservation>;
  /** Give back what was not used, or forget a stale token; returns the replies left. */
  settle(settlement: SendSettlement): Promise<number>;
  /** A send went through completely: record its time. */
  sent(session: string, to: string, nowSec: number): Promise<void>;
}

/** Claims on polling bot accounts: one poller per account among every client of the storage. */
export interface AccountClaims {
  /** Whether claims are per account (PostgreSQL) rather than one lock for every account (files). */
  readonly perAccount: boolean;
  /**
   * Try to become the poller of each of `botIds`; resolves with the ones this client holds now
   * (held before or newly taken). Files: all or none.
   */
  claim(botIds: readonly string[]): Promise<Set<string>>;
  /** Stop polling these accounts (`undefined`: every account). */
  release(botIds?: readonly string[]): Promise<void>;
  /** Accounts held now. */
  held(): Set<string>;
  /** Calls `listener` with the accounts lost (connection gone); returns an unsubscribe. */
  onLost(listener: (botIds: Set<string>) => void): () => void;
  /**
   * How many clients (this one included) take part in claiming, so that each polls its fair
   * share of the accounts; `undefined` where one client polls every account (files).
   */
  peers?(): Promise<number>;
}

/** One named consumer's lock: one reader per name at a time. */
export interface ConsumerLock {
  tryLock(): Promise<boolean>;
  unlock(): Promise<void>;
  /** Drop the handle for good. */
  release(): void;
}

/** Durable read positions of named consumers. */
export interface ConsumerPositions {
  /** Where positions live, for messages (a path or a table). */
  where(name: string): string;
  lock(name: string): ConsumerLock;
  /** The saved position; `undefined` when none (or unreadable, after a warning). */
  load(name: string): Promise<number | undefined>;
  /**
   * Prepare saving `rowid` and return the function that makes it the position. Files: a fsynced
   * temp file renamed by that function. PostgreSQL: the function starts the `UPDATE`;
   * {@linkcode ConsumerPositions.settled} waits for it.
   */
  prepare(name: string, rowid: number, nowSec: number): Promise<() => void>;
  /** Resolves once every position handed to the database so far is written. */
  settled(): Promise<void>;
}

/** Everything the client persists; see the module doc. */
export interface ClientStorage {
  /** Which implementation. */
  readonly kind: "files" | "postgres";
  /** Where: the data directory, or the database URL without its password. */
  readonly location: string;
  /** Sessions, default, contexts. */
  readonly records: SessionRecords;
  /** Per-account polling claims. */
  readonly claims: AccountClaims;
  /** Consumer positions. */
  readonly positions: ConsumerPositions;
  /** Transactional batch commits; `undefined` for the files (write-behind committer). */
  readonly commits: { commit(batch: InboundBatch): Promise<CommitOutcome> } | undefined;
  /** Cross-host quota reservation; `undefined` for the files (`.data.lock` in the sender). */
  readonly ledger: SendLedger | undefined;
  /** Resolves once the first snapshot of the records is loaded. */
  readonly ready: Promise<void>;
  /** Bring the record snapshot up to date (files: nothing to do). */
  refresh(): Promise<void>;
  /** The message store (`undefined` when files run without one). */
  messages(): Promise<StoreBinding | undefined>;
  /** Calls `listener` when another client committed received messages; returns an unsubscribe. */
  onMessages(listener: () => void): () => void;
  /** Release every claim and connection. */
  close(): Promise<void>;
}

/** Whether a `storage` option names a PostgreSQL database. */
export function isPostgresUrl(value: string): boolean {
  return /^postgres(ql)?:\/\//i.test(value);
}

/** A database URL without its password, for logs and messages. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = "***";
    return u.href;
  } catch {
    return "postgres://…";
  }
}
