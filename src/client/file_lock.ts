/**
 * Cross-process advisory file locks that interoperate with the Python original.
 *
 * The Python version locks `.poll.lock` and `.data.lock` with `fcntl.flock` (exclusive, and
 * `LOCK_NB` for the try-lock). Deno 2.x has stable `Deno.FsFile.lock(exclusive)` and
 * `Deno.FsFile.tryLockSync(exclusive)`; on Linux and macOS they call `flock(2)` on the file's
 * descriptor (`tryLockSync(true)` is `flock(fd, LOCK_EX | LOCK_NB)`, `unlockSync()` is
 * `flock(fd, LOCK_UN)`, verified with strace on Deno 2.9.6), so a Deno process and a Python process
 * exclude each other on the same lock file.
 *
 * flock belongs to the open file description, not to the caller: two `lock()` calls on the same
 * descriptor both succeed, and two descriptors of the same file opened in one process exclude each
 * other (deadlock for a blocking lock). So each lock file is opened exactly once per process
 * (creation guarded by a shared promise) and an in-process queue serialises the async tasks that
 * use it, before the descriptor-level flock is taken.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/** Registry of lock objects per absolute path, so one process never opens a lock file twice. */
const registry = new Map<string, { lock: FileLock; refs: number }>();

/**
 * An exclusive advisory lock on one file, shared by every task of this process and excluding other
 * processes (Deno or Python) that flock the same file.
 *
 * Obtain instances with {@linkcode FileLock.acquireHandle} so that a path is opened only once per
 * process; release the handle with {@linkcode FileLock.releaseHandle}.
 */
export class FileLock {
  /** Path of the lock file. */
  readonly path: string;
  #file: Deno.FsFile | undefined;
  #opening: Promise<Deno.FsFile> | undefined;
  #held = false;
  #waiters: Array<() => void> = [];
  #closed = false;

  private constructor(path: string) {
    this.path = path;
  }

  /**
   * Get the process-wide lock object for `path` (created on first use) and count a reference.
   * Every call must be paired with {@linkcode FileLock.releaseHandle}.
   */
  static acquireHandle(path: string): FileLock {
    const entry = registry.get(path);
    if (entry) {
      entry.refs++;
      return entry.lock;
    }
    const lock = new FileLock(path);
    registry.set(path, { lock, refs: 1 });
    return lock;
  }

  /** Drop one reference; the descriptor is closed when the last user releases it. */
  static releaseHandle(lock: FileLock): void {
    const entry = registry.get(lock.path);
    if (!entry || entry.lock !== lock) return;
    entry.refs--;
    if (entry.refs <= 0) {
      registry.delete(lock.path);
      lock.#close();
    }
  }

  /** Whether a task of this process currently holds the lock. */
  get held(): boolean {
    return this.#held;
  }

  /** Open the lock file once; concurrent callers share the same pending open. */
  #ensureFile(): Promise<Deno.FsFile> {
    if (this.#closed) {
      return Promise.reject(new Error(`Cannot use lock "${this.path}": it is closed`));
    }
    if (this.#file) return Promise.resolve(this.#file);
    this.#opening ??= (async () => {
      const dir = this.path.slice(0, Math.max(this.path.lastIndexOf("/"), 0));
      if (dir) await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      const file = await Deno.open(this.path, {
        read: true,
        write: true,
        create: true,
        mode: 0o644,
      });
      if (this.#closed) {
        file.close();
        throw new WeiLinkError(`Cannot use lock "${this.path}": it is closed`);
      }
      this.#file = file;
      return file;
    })();
    this.#opening.catch(() => {
      this.#opening = undefined;
    });
    return this.#opening;
  }

  /**
   * Try to take the lock without waiting, neither for another task of this process nor for another
   * process. Returns `true` when the lock is now held by the caller.
   */
  async tryLock(): Promise<boolean> {
    if (this.#held) return false;
    this.#held = true;
    try {
      const file = this.#file ?? await this.#ensureFile();
      if (file.tryLockSync(true)) return true;
    } catch (error) {
      this.#releaseLocal();
      throw error;
    }
    this.#releaseLocal();
    return false;
  }

  /** Take the lock, waiting for other tasks of this process and for other processes. */
  async lock(): Promise<void> {
    if (this.#held) {
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    } else {
      this.#held = true;
    }
    try {
      const file = this.#file ?? await this.#ensureFile();
      // Uncontended (the usual case), a non-blocking flock answers at once and saves a round trip
      // through the async op pool; only a lock held by another process waits there.
      if (!file.tryLockSync(true)) await file.lock(true);
    } catch (error) {
      this.#releaseLocal();
      throw error;
    }
  }

  /** Release the lock held by the caller. */
  unlock(): Promise<void> {
    if (!this.#held) return Promise.resolve();
    try {
      // Releasing a flock never blocks, so it needs no trip through the async op pool.
      if (this.#file && !this.#closed) this.#file.unlockSync();
    } catch (error) {
      return Promise.reject(error);
    } finally {
      this.#releaseLocal();
    }
    return Promise.resolve();
  }

  /** Run `fn` while holding the lock (blocking acquire), releasing it afterwards. */
  async withLock<T>(fn: () => Promise<T> | T): Promise<T> {
    await this.lock();
    try {
      return await fn();
    } finally {
      await this.unlock();
    }
  }

  /** Hand the in-process slot to the next waiter, or mark the lock free. */
  #releaseLocal(): void {
    const next = this.#waiters.shift();
    if (next) {
      // The slot passes directly to the waiter, so #held stays true.
      next();
    } else {
      this.#held = false;
    }
  }

  #close(): void {
    this.#closed = true;
    if (this.#file) {
      try {
        this.#file.close();
      } catch {
        // Already closed.
      }
      this.#file = undefined;
    }
  }
}
