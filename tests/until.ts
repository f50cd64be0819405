/**
 * Polls `check` until it holds, failing after `ms` milliseconds: for tests that wait on work done
 * by timers, other tasks, threads or processes.
 *
 * @module
 */

/** Resolves once `check()` returns `true`; rejects after `ms` (default 5 s). */
export async function until(check: () => boolean, ms = 5000, everyMs = 10): Promise<void> {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) throw new Error(`Condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
