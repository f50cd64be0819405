/**
 * Waiting with wake-ups, for long polls and held requests.
 *
 * @module
 */

/** Outcome of {@linkcode WakeList.wait}. */
export type WakeReason = "wake" | "timeout" | "abort";

/**
 * A set of waiters that can all be woken at once. Long polls wait here for new messages; every
 * wait also ends on its abort signal (client gone, sandbox closing), so no timer outlives a request.
 */
export class WakeList {
  #waiters = new Set<(reason: WakeReason) => void>();

  /** Wakes every current waiter. */
  wake(): void {
    for (const done of [...this.#waiters]) done("wake");
  }

  /**
   * Resolves on the next {@linkcode WakeList.wake}, after `ms` (`Infinity` = never), or when
   * `signal` aborts, whichever comes first.
   */
  wait(ms: number, signal?: AbortSignal): Promise<WakeReason> {
    return new Promise((resolve) => {
      if (signal?.aborted) return resolve("abort");
      let timer: ReturnType<typeof setTimeout> | undefined;
      const onAbort = () => done("abort");
      const done = (reason: WakeReason) => {
        if (timer !== undefined) clearTimeout(timer);
        this.#waiters.delete(done);
        signal?.removeEventListener("abort", onAbort);
        resolve(reason);
      };
      if (Number.isFinite(ms)) timer = setTimeout(() => done("timeout"), Math.max(0, ms));
      this.#waiters.add(done);
      signal?.addEventListener("abort", onAbort, { once: true });
    });
  }
}
