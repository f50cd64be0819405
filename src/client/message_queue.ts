/**
 * The bounded buffer that feeds `recv()` while the dispatcher polls in the background. When full,
 * the oldest message is dropped (a slow or absent `recv()` consumer must not grow memory without
 * bound, and the newest messages are the ones worth replying to).
 *
 * @module
 */

/** A bounded FIFO with drop-oldest overflow and an awaitable "not empty" state. */
export class MessageQueue<T> {
  readonly #max: number;
  #items: T[] = [];
  #head = 0;
  #waiters: Array<() => void> = [];
  /** Messages dropped since the counter was last read. */
  #dropped = 0;

  /** Creates a queue holding at most `maxSize` items. */
  constructor(maxSize: number) {
    if (!Number.isInteger(maxSize) || maxSize < 1) {
      throw new RangeError(`Invalid queue size ${maxSize}: expected a positive integer`);
    }
    this.#max = maxSize;
  }

  /** Number of buffered items. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Append an item, dropping the oldest when full. Returns the dropped item, if any. */
  push(item: T): T | undefined {
    let dropped: T | undefined;
    if (this.size >= this.#max) {
      dropped = this.#items[this.#head];
      this.#head++;
      this.#dropped++;
    }
    this.#items.push(item);
    // Compact once the consumed prefix dominates, keeping push/drain amortised O(1).
    if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
      this.#items = this.#items.slice(this.#head);
      this.#head = 0;
    }
    if (this.#waiters.length) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const w of waiters) w();
    }
    return dropped;
  }

  /** Remove and return every buffered item. */
  drain(): T[] {
    const out = this.#items.slice(this.#head);
    this.#items = [];
    this.#head = 0;
    return out;
  }

  /** Items dropped since the counter was last read. */
  get droppedCount(): number {
    return this.#dropped;
  }

  /** Read and reset the count of dropped items. */
  takeDroppedCount(): number {
    const n = this.#dropped;
    this.#dropped = 0;
    return n;
  }

  /**
   * Wait until at least one item is buffered, `timeoutMs` passes or `signal` aborts; then drain.
   * Resolves to `[]` on timeout or abort.
   */
  async take(timeoutMs: number, signal?: AbortSignal): Promise<T[]> {
    if (this.size > 0) return this.drain();
    if (timeoutMs <= 0 || signal?.aborted) return [];
    await new Promise<void>((resolve) => {
      let done = false;
      const finish = () => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        signal?.removeEventListener("abort", finish);
        resolve();
      };
      const timer = setTimeout(finish, timeoutMs);
      signal?.addEventListener("abort", finish, { once: true });
      this.#waiters.push(finish);
    });
    return this.drain();
  }

  /** Wake every waiter (used on shutdown). */
  wakeAll(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
