/**
 * `GET /api/events`: new rows of the message store as server-sent events, received and sent
 * alike, as they land.
 *
 * The stream follows the table by row id (every 300 ms by default) rather than listening to this
 * process's client, so messages show up live whichever process polls and stores them: this one,
 * the CLI, a bot, or the Python original sharing the data directory. It starts after the rows
 * present when it opens, or after `Last-Event-ID` when the browser reconnects, so a dropped
 * connection loses nothing.
 *
 * @module
 */

import type {
  HistoryPage,
  MessageFilter,
  MessageStore,
  QueryOptions,
  StoredMessage,
} from "../store/mod.ts";
import type { Message } from "../models/mod.ts";

/**
 * What the panel reads of the history: `MessageStore` (SQLite, answers at once) or the
 * PostgreSQL history (answers with promises).
 */
export interface AdminHistory {
  queryPage(options: QueryOptions): HistoryPage | Promise<HistoryPage>;
  count(filter: MessageFilter): number | Promise<number>;
  getById(id: string): Message | undefined | Promise<Message | undefined>;
  maxRowId(): number | Promise<number>;
  querySince(
    rowid: number,
    options: { limit?: number },
  ): StoredMessage[] | Promise<StoredMessage[]>;
}

/** `MessageStore` is one. */
export type { MessageStore };
import { historyJson } from "../store/mod.ts";

/** Options of {@linkcode MessageEvents}. */
export interface MessageEventsOptions {
  /** Milliseconds between two reads of the table (default 300). */
  intervalMs?: number;
  /** Milliseconds between two keep-alive comments (default 15,000). */
  keepAliveMs?: number;
  /** Called when reading the store fails (the stream goes on). */
  onError?: (error: unknown) => void;
}

/** Rows read per turn; more wait for the next turn, so one turn stays short. */
const ROWS_PER_TURN = 500;
/** Events queued for a slow reader before reading pauses. */
const QUEUED_EVENTS = 256;

/** The open event streams of one panel. */
export class MessageEvents {
  readonly #store: () => AdminHistory;
  readonly #intervalMs: number;
  readonly #keepAliveMs: number;
  readonly #onError: (error: unknown) => void;
  readonly #open = new Set<() => void>();

  constructor(store: () => AdminHistory, options: MessageEventsOptions = {}) {
    this.#store = store;
    this.#intervalMs = options.intervalMs ?? 300;
    this.#keepAliveMs = options.keepAliveMs ?? 15_000;
    this.#onError = options.onError ?? (() => {});
  }

  /** Number of streams open. */
  get size(): number {
    return this.#open.size;
  }

  /**
   * A `text/event-stream` response: one `message` event per new row, `id` = row id, `data` = the
   * row as `/api/messages` shows it.
   *
   * @param lastEventId The browser's `Last-Event-ID` when it reconnects.
   */
  open(lastEventId?: string): Response {
    const encoder = new TextEncoder();
    let cursor: number | Promise<number> = /^\d{1,15}$/.test(lastEventId ?? "")
      ? Number(lastEventId)
      : this.#store().maxRowId();
    let busy = false;
    let timer: ReturnType<typeof setInterval> | undefined;
    let lastWrite = Date.now();
    let stop = () => {};
    const body = new ReadableStream<Uint8Array>({
      start: (controller) => {
        const write = (text: string) => {
          controller.enqueue(encoder.encode(text));
          lastWrite = Date.now();
        };
        stop = () => {
          clearInterval(timer);
          if (!this.#open.delete(stop)) return;
          try {
            controller.close();
          } catch {
            // Already closed by the reader.
          }
        };
        this.#open.add(stop);
        // Reconnect after 2 s, not the browser's default 3 s.
        write("retry: 2000\n\n");
        timer = setInterval(() => {
          // A reader that does not keep up gets nothing more until it has caught up.
          if ((controller.desiredSize ?? 0) <= 0) return;
          const turn = (rows: StoredMessage[]) => {
            for (const { rowid, message } of rows) {
              write(
                `id: ${rowid}\nevent: message\ndata: ${JSON.stringify(historyJson(message))}\n\n`,
              );
              cursor = rowid;
            }
            if (Date.now() - lastWrite >= this.#keepAliveMs) write(": keep-alive\n\n");
          };
          try {
            if (typeof cursor === "number") {
              const rows = this.#store().querySince(cursor, { limit: ROWS_PER_TURN });
              if (Array.isArray(rows)) return turn(rows);
              // An asynchronous history: one turn at a time.
              if (busy) return;
              busy = true;
              rows.then(turn, (error) => this.#onError(error)).finally(() => busy = false);
            } else if (!busy) {
              busy = true;
              cursor.then((at) => cursor = at, (error) => this.#onError(error))
                .finally(() => busy = false);
            }
          } catch (error) {
            this.#onError(error);
          }
        }, this.#intervalMs);
      },
      cancel: () => stop(),
    }, new CountQueuingStrategy({ highWaterMark: QUEUED_EVENTS }));
    return new Response(body, {
      headers: {
        "content-type": "text/event-stream; charset=utf-8",
        "cache-control": "no-store",
        "x-accel-buffering": "no",
      },
    });
  }

  /** End every open stream (the browser would reconnect; on shutdown nobody answers). */
  closeAll(): void {
    for (const stop of [...this.#open]) stop();
  }
}
