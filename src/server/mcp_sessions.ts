/**
 * The table of open MCP HTTP sessions, with a cap and an idle timeout.
 *
 * Each session holds an MCP server and its transport, so their number must be bounded. Dropping
 * the oldest session to make room (what this server once did) breaks a client in the middle of
 * its work: with 100 concurrent clients and room for 64, 36 of them failed with "Session not
 * found". Instead:
 *
 * - a session is **in use** while one of its requests is being answered (a streamed answer
 *   counts until its stream ends), and **idle** once its last request ended more than the idle
 *   timeout ago;
 * - only idle sessions are ever closed, by a periodic sweep and before a new session is refused;
 * - when the table is full of sessions in use (or used within the idle timeout), a new session
 *   is refused with HTTP 503 and a JSON-RPC error, so the newcomer knows to retry later while
 *   every established client keeps working.
 *
 * @module
 */

/** Options of {@linkcode SessionTable}. */
export interface SessionLimits {
  /** Most sessions open at once (default {@linkcode DEFAULT_MAX_SESSIONS}). */
  maxSessions?: number;
  /** Milliseconds after its last request ends before a session may be closed (default 10 min). */
  idleTimeoutMs?: number;
  /** The clock (for tests). */
  now?: () => number;
}

/** Default cap on open sessions. */
export const DEFAULT_MAX_SESSIONS = 64;
/** Default idle timeout: 10 minutes. */
export const DEFAULT_SESSION_IDLE_MS = 10 * 60_000;

interface Entry {
  close(): Promise<void>;
  lastUsed: number;
  inFlight: number;
}

/** Open sessions by id; see the module documentation for the rules. */
export class SessionTable {
  /** The cap on open sessions. */
  readonly maxSessions: number;
  /** The idle timeout, in milliseconds. */
  readonly idleTimeoutMs: number;

  readonly #entries = new Map<string, Entry>();
  readonly #now: () => number;
  #reserved = 0;
  #sweeper: ReturnType<typeof setInterval> | undefined;

  /**
   * Create an empty table.
   *
   * @throws {RangeError} when `maxSessions` is not a whole number >= 1 or the idle timeout is
   * not positive.
   */
  constructor(limits: SessionLimits = {}) {
    this.maxSessions = limits.maxSessions ?? DEFAULT_MAX_SESSIONS;
    this.idleTimeoutMs = limits.idleTimeoutMs ?? DEFAULT_SESSION_IDLE_MS;
    if (!Number.isInteger(this.maxSessions) || this.maxSessions < 1) {
      throw new RangeError(`Invalid maxSessions ${this.maxSessions}: use a whole number >= 1`);
    }
    if (!(this.idleTimeoutMs > 0)) {
      throw new RangeError(`Invalid session idle timeout ${this.idleTimeoutMs} ms: use > 0`);
    }
    this.#now = limits.now ?? Date.now;
  }

  /** Number of open sessions. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Reserve room for a session about to be created, closing idle sessions if needed. Returns
   * `false` when the table is full of sessions in use: refuse the newcomer.
   */
  reserve(): boolean {
    if (this.#entries.size + this.#reserved >= this.maxSessions) this.sweep();
    if (this.#entries.size + this.#reserved >= this.maxSessions) return false;
    this.#reserved++;
    // The sweeper runs only while there is something to sweep.
    this.#sweeper ??= setInterval(
      () => this.sweep(),
      Math.max(50, Math.min(this.idleTimeoutMs / 2, 60_000)),
    );
    return true;
  }

  /** Give back a reservation that did not become a session. */
  release(): void {
    if (this.#reserved > 0) this.#reserved--;
    this.#stopSweeperIfEmpty();
  }

  /** Turn a reservation into the open session `id`; `close` ends it. */
  add(id: string, close: () => Promise<void>): void {
    if (this.#reserved > 0) this.#reserved--;
    this.#entries.set(id, { close, lastUsed: this.#now(), inFlight: 0 });
  }

  /** Forget a session that ended by itself (closed by the client or its transport). */
  remove(id: string): void {
    this.#entries.delete(id);
    this.#stopSweeperIfEmpty();
  }

  /** Whether `id` is an open session. */
  has(id: string): boolean {
    return this.#entries.has(id);
  }

  /**
   * Answer a request of session `id` with `handle`, counting the session as in use until the
   * answer (a stream included) has ended.
   */
  async serve(id: string, handle: () => Promise<Response>): Promise<Response> {
    const entry = this.#entries.get(id);
    if (!entry) return await handle();
    entry.inFlight++;
    entry.lastUsed = this.#now();
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      entry.inFlight--;
      entry.lastUsed = this.#now();
    };
    try {
      return onBodyEnd(await handle(), end);
    } catch (error) {
      end();
      throw error;
    }
  }

  /** Seconds until a session could become free, for `Retry-After`. */
  retryAfterSeconds(): number {
    const now = this.#now();
    let soonest = this.idleTimeoutMs;
    for (const entry of this.#entries.values()) {
      if (entry.inFlight === 0) {
        soonest = Math.min(soonest, entry.lastUsed + this.idleTimeoutMs - now);
      }
    }
    return Math.max(1, Math.ceil(soonest / 1000));
  }

  /** Close every session idle for longer than the idle timeout. */
  sweep(): void {
    const cutoff = this.#now() - this.idleTimeoutMs;
    for (const [id, entry] of this.#entries) {
      if (entry.inFlight === 0 && entry.lastUsed < cutoff) {
        this.#entries.delete(id);
        void entry.close().catch(() => {});
      }
    }
    this.#stopSweeperIfEmpty();
  }

  /** Close every session and stop the sweeper. */
  async closeAll(): Promise<void> {
    const all = [...this.#entries.values()];
    this.#entries.clear();
    this.#reserved = 0;
    this.#stopSweeperIfEmpty();
    await Promise.allSettled(all.map((entry) => entry.close()));
  }

  #stopSweeperIfEmpty(): void {
    if (this.#entries.size === 0 && this.#reserved === 0 && this.#sweeper !== undefined) {
      clearInterval(this.#sweeper);
      this.#sweeper = undefined;
    }
  }
}

/** `response` with `end` called once its body has been read to the end, failed or cancelled. */
function onBodyEnd(response: Response, end: () => void): Response {
  if (!response.body) {
    end();
    return response;
  }
  const reader = response.body.getReader();
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      try {
        const { done, value } = await reader.read();
        if (done) {
          end();
          controller.close();
        } else {
          controller.enqueue(value);
        }
      } catch (error) {
        end();
        controller.error(error);
      }
    },
    cancel(reason) {
      end();
      return reader.cancel(reason);
    },
  });
  return new Response(body, {
    status: response.status,
    statusText: response.statusText,
    headers: response.headers,
  });
}
