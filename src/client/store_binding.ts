/**
 * How the client uses the message store: record received and sent messages, follow the table for
 * the cooperative fallback of `recv()` and for the store watcher of a standby dispatcher. The
 * SQLite store module (and `node:sqlite`) is only loaded when a store is configured; PostgreSQL
 * storage brings its own binding, whose methods answer with promises.
 *
 * @module
 */

import { type Message, MessageDirection, MessageType, type UploadedMedia } from "../models/mod.ts";
import type { MessageStore, SentMessageRecord } from "../store/mod.ts";

/** A sent part to record. */
export interface SentPart {
  msgType: MessageType;
  text?: string;
  messageId?: string;
  uploaded?: UploadedMedia;
}

/** A value now (SQLite) or later (PostgreSQL). */
export type Answer<T> = T | Promise<T>;

/** The client's view of a message store. */
export interface StoreBinding {
  /** Record received messages (idempotent on message id). */
  storeReceived(messages: Message[]): Answer<void>;
  /** Record what a send delivered, media included. */
  storeSent(botId: string, to: string, parts: SentPart[], contextToken: string): Answer<void>;
  /** Current largest row id. */
  maxRowId(): Answer<number>;
  /** Received rows after `rowid`, oldest first, at most `limit`. */
  receivedAfter(rowid: number, limit: number): Answer<{ rowid: number; message: Message }[]>;
  /**
   * The position just before the first received row stored in the last `windowMs` (by the local
   * clock), or the current largest row id when there is none: where a new reader starts.
   */
  startPosition(windowMs: number): Answer<number>;
  /** Received rows after `mark`, and the new mark. */
  receivedSince(mark: number): Answer<{ messages: Message[]; maxRowId: number }>;
  /**
   * Cooperative fallback: received messages of `botIds` stored by another process and not yet
   * returned by this client. The first call starts `fallbackWindowMs` back; later calls continue
   * from a per-client high-water mark, so every row is returned once.
   */
  nextFallback(botIds: Set<string>): Answer<Message[]>;
  /** Close the database. */
  close(): void;
}

/** The records of a send's parts, as the stores take them. */
export function sentRecords(
  botId: string,
  to: string,
  parts: SentPart[],
  contextToken: string,
  now: number,
): SentMessageRecord[] {
  return parts.map((p) => {
    const u = p.uploaded;
    return {
      userId: to,
      botId,
      msgType: p.msgType,
      ...(p.text !== undefined ? { text: p.text } : {}),
      ...(p.messageId ? { messageId: p.messageId } : {}),
      contextToken,
      ...(u
        ? {
          media: {
            fileName: u.fileName,
            fileSize: u.fileSize,
            downloadParam: u.downloadParam,
            aesKeyHex: u.aesKeyHex,
            cipherSize: u.cipherSize,
          },
        }
        : {}),
      timestamp: now,
    };
  });
}

const PAGE = 1000;

/** Open (creating if needed) the store at `path` and wrap it for the client. */
export async function openMessageStore(
  path: string,
  fallbackWindowMs: number,
  now: () => number,
): Promise<StoreBinding> {
  const { MessageStore } = await import("../store/mod.ts");
  const store: MessageStore = new MessageStore(path);
  let fallbackMark: number | undefined;

  const since = (mark: number) => {
    const messages: Message[] = [];
    let last = mark;
    for (;;) {
      const rows = store.querySince(last, { direction: MessageDirection.RECEIVED, limit: PAGE });
      for (const r of rows) messages.push(r.message);
      if (rows.length > 0) last = rows[rows.length - 1]!.rowid;
      if (rows.length < PAGE) break;
    }
    return { messages, maxRowId: last };
  };

  return {
    storeReceived(messages) {
      store.store(messages);
    },
    storeSent(botId, to, parts, contextToken) {
      for (const record of sentRecords(botId, to, parts, contextToken, now())) {
        store.storeSent(record);
      }
    },
    maxRowId: () => store.maxRowId(),
    receivedAfter: (rowid, limit) =>
      store.querySince(rowid, { direction: MessageDirection.RECEIVED, limit }),
    startPosition(windowMs) {
      const [first] = store.queryRecent({ sinceMs: now() - windowMs, limit: 1 });
      return first ? first.rowid - 1 : store.maxRowId();
    },
    receivedSince: since,
    nextFallback(botIds) {
      let messages: Message[];
      if (fallbackMark === undefined) {
        const top = store.maxRowId();
        const rows = store.queryRecent({ sinceMs: now() - fallbackWindowMs, limit: 10_000 });
        messages = rows.map((r) => r.message);
        fallbackMark = rows.length ? rows[rows.length - 1]!.rowid : top;
        const rest = since(fallbackMark);
        messages.push(...rest.messages);
        fallbackMark = rest.maxRowId;
      } else {
        const next = since(fallbackMark);
        messages = next.messages;
        fallbackMark = next.maxRowId;
      }
      return messages.filter((m) => m.botId === undefined || botIds.has(m.botId));
    },
    close: () => store.close(),
  };
}
