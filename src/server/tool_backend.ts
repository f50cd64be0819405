/**
 * What the tools need from the WeiLink client, and the shapes they exchange with it: the seam
 * between the tool registry (and the login flows) and `backend.ts`, which adapts the client.
 *
 * @module
 */

import type { Message, SendResult } from "../models/mod.ts";
import type { HistoryMessageJson } from "./schemas.ts";

/** Content of one `send` call, as bytes. */
export interface SendContent {
  /** Text, sent first. */
  text?: string;
  /** Image bytes. */
  image?: Uint8Array;
  /** File attachment bytes. */
  file?: Uint8Array;
  /** Display name of the file attachment. */
  fileName?: string;
  /** Video bytes. */
  video?: Uint8Array;
  /** Voice clip bytes. */
  voice?: Uint8Array;
}

/** One session as the `sessions` tool lists it. */
export interface SessionSummary {
  /** Session name (folder name in the data directory). */
  name: string;
  /** Bot id once logged in. */
  botId: string | null;
  /** WeChat user id of the account that scanned the QR code. */
  userId: string | null;
  /** Whether the session holds credentials. */
  connected: boolean;
  /** Whether this is the default session. */
  isDefault: boolean;
}

/** Filters of a history query, already parsed. */
export interface HistoryFilters {
  /** WeChat user id. */
  userId?: string;
  /** Bot session id. */
  botId?: string;
  /** Message type number (1–5). */
  msgType?: number;
  /** 1 = received, 2 = sent. */
  direction?: number;
  /** Start, unix milliseconds (inclusive). */
  since?: number;
  /** End, unix milliseconds (inclusive). */
  until?: number;
  /** Case-insensitive substring. */
  textContains?: string;
}

/** Which page of history to read. */
export interface HistoryPaging {
  /** Page size. */
  limit: number;
  /** Rows to skip (after `cursor`, when given). */
  offset: number;
  /** The `nextCursor` of an earlier page: continue after its last row. */
  cursor?: string;
}

/** One page of history. */
export interface HistoryPageJson {
  /** The rows, newest first. */
  messages: HistoryMessageJson[];
  /** The cursor of the next page, `null` after the last one. */
  nextCursor: string | null;
}

/** Progress callbacks of a QR login. */
export interface LoginHooks {
  /** A QR code to show (called again when the code is refreshed). */
  onQr(url: string): void;
  /** The code was scanned and waits for confirmation on the phone. */
  onScanned(): void;
}

/** What the tools need from the WeiLink client. */
export interface ToolBackend {
  /** Messages received within `timeoutSeconds`. */
  recv(timeoutSeconds: number): Promise<Message[]>;
  /** Send text and/or media to a user. */
  send(to: string, content: SendContent): Promise<SendResult>;
  /** Decrypted media bytes of a received message. */
  download(message: Message): Promise<Uint8Array>;
  /** Show (`on`) or clear the typing indicator. */
  typing(to: string, on: boolean): Promise<void>;
  /** All sessions. */
  sessions(): Promise<SessionSummary[]>;
  /** Name of the session used when none is given. */
  defaultSessionName(): Promise<string>;
  /** Run a QR login to completion; resolves with the logged-in bot. */
  login(
    sessionName: string | undefined,
    hooks: LoginHooks,
    signal: AbortSignal,
  ): Promise<{ botId: string; session: string }>;
  /** Log a session out; resolves with its name. */
  logout(sessionName: string | undefined): Promise<string>;
  /** Rename a session. */
  renameSession(oldName: string, newName: string): Promise<void>;
  /** Make a session the default. */
  setDefault(sessionName: string): Promise<void>;
  /** The message store, when persistence is on. */
  readonly history?: {
    query(filters: HistoryFilters, paging: HistoryPaging): Promise<HistoryPageJson>;
    count(filters: HistoryFilters): Promise<number>;
    getById(messageId: string): Promise<Message | undefined>;
  };
}
