/**
 * Background WAL checkpoints for a message store file.
 *
 * In WAL mode with `synchronous = NORMAL`, commits never wait for the disk, but every checkpoint
 * (copying the log back into the database) ends in two fsyncs. SQLite runs it inside the commit
 * that crosses `wal_autocheckpoint`, so the writer stalls for those fsyncs: on a disk with slow
 * flushes that is a third of the time of a bulk insert. Here a thread with its own connection
 * checkpoints instead, shortly after commits arrive.
 *
 * The log only starts over from its beginning when a write transaction begins with every frame
 * copied back, which a checkpoint running beside a busy writer never achieves. So once the log
 * holds {@linkcode RESTART_FRAMES} pages, the thread pauses and asks the writer to checkpoint the
 * few frames it has not copied yet; the writer's next transaction then restarts the log. The
 * writer pays two small fsyncs per 32 MiB of log instead of two large ones per 16 MiB.
 *
 * @module
 */

import { Worker } from "node:worker_threads";

/** Pages (4 KiB each) in the log after which it is started over (32 MiB). */
export const RESTART_FRAMES = 8192;
/** How long the thread lets commits gather before a checkpoint. */
const GATHER_MS = 10;
/** The thread's busy timeout (a PASSIVE checkpoint only waits to open the file). */
const THREAD_BUSY_MS = 1000;
/** How long `close` waits for the thread to close its connection. */
const CLOSE_WAIT_MS = 2000;

/** Slots of the shared control array. */
const COMMITS = 0;
const STOP = 1;
const CLOSED = 2;
/** Set by the thread when the writer should checkpoint; cleared by the writer. */
const WRITER_TURN = 3;
const SLOTS = 4;

/**
 * The thread's program (CommonJS, evaluated by `node:worker_threads`, so it ships inside this
 * module: nothing is read from disk at run time and `deno compile` needs no extra file).
 */
const THREAD_SOURCE = `
const { DatabaseSync } = require("node:sqlite");
const { workerData } = require("node:worker_threads");
const control = new Int32Array(workerData.control);
const [COMMITS, STOP, CLOSED, WRITER_TURN] = [${COMMITS}, ${STOP}, ${CLOSED}, ${WRITER_TURN}];
let db;
try {
  db = new DatabaseSync(workerData.path, { timeout: ${THREAD_BUSY_MS} });
  const passive = db.prepare("PRAGMA wal_checkpoint(PASSIVE)");
  let seen = 0;
  for (;;) {
    Atomics.wait(control, COMMITS, seen);
    if (Atomics.load(control, STOP)) break;
    Atomics.wait(control, STOP, 0, ${GATHER_MS});
    if (Atomics.load(control, STOP)) break;
    seen = Atomics.load(control, COMMITS);
    let log = 0;
    try {
      log = passive.get().log;
    } catch {
      // Busy (another process checkpointing): tried again after the next commit.
    }
    if (log >= ${RESTART_FRAMES}) {
      // The writer's turn: stay out of its way (no checkpoint lock held) until it is done.
      Atomics.store(control, WRITER_TURN, 1);
      while (Atomics.load(control, WRITER_TURN) === 1 && !Atomics.load(control, STOP)) {
        Atomics.wait(control, WRITER_TURN, 1);
      }
    }
  }
} catch {
  // Cannot open the file here: the writer's own checkpoints take over (see WalCheckpointer).
} finally {
  try { db?.close(); } catch {}
  Atomics.store(control, CLOSED, 1);
  Atomics.notify(control, CLOSED);
}
`;

/**
 * A thread that checkpoints the WAL of the SQLite file at `path` after commits. Create it with
 * {@linkcode WalCheckpointer.start}, call {@linkcode WalCheckpointer.committed} after each write
 * transaction and {@linkcode WalCheckpointer.close} before closing the writer's connection.
 */
export class WalCheckpointer {
  readonly #worker: Worker;
  readonly #control: Int32Array;
  #closed = false;

  private constructor(worker: Worker, control: Int32Array) {
    this.#worker = worker;
    this.#control = control;
  }

  /** Starts the thread, or returns `undefined` when threads are not available here. */
  static start(path: string): WalCheckpointer | undefined {
    const control = new Int32Array(new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT));
    let worker: Worker;
    try {
      worker = new Worker(THREAD_SOURCE, {
        eval: true,
        workerData: { path, control: control.buffer },
      });
    } catch {
      return undefined;
    }
    // The thread never keeps the process alive; an unclosed store simply loses it at exit.
    worker.unref();
    worker.on("error", () => {
      // A failed thread leaves checkpoints to the writer (its wal_autocheckpoint safety net).
    });
    return new WalCheckpointer(worker, control);
  }

  /** Whether the thread has stopped (closed, or its connection failed to open). */
  get stopped(): boolean {
    return Atomics.load(this.#control, CLOSED) === 1;
  }

  /**
   * Tells the thread that a write transaction committed (one atomic add and a wake-up). Returns
   * `true` when the writer should now run a PASSIVE checkpoint itself and then call
   * {@linkcode WalCheckpointer.writerCheckpointed}.
   */
  committed(): boolean {
    Atomics.add(this.#control, COMMITS, 1);
    Atomics.notify(this.#control, COMMITS);
    return Atomics.load(this.#control, WRITER_TURN) === 1;
  }

  /** The writer has checkpointed (or tried to): the thread resumes. */
  writerCheckpointed(): void {
    Atomics.store(this.#control, WRITER_TURN, 0);
    Atomics.notify(this.#control, WRITER_TURN);
  }

  /**
   * Stops the thread and waits (briefly) until it has closed its connection, so the writer's
   * connection closes last and SQLite removes the WAL. Idempotent.
   */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    Atomics.store(this.#control, STOP, 1);
    // The count moves too, so a thread that was busy checkpointing does not start a wait.
    Atomics.add(this.#control, COMMITS, 1);
    Atomics.notify(this.#control, STOP);
    Atomics.notify(this.#control, COMMITS);
    Atomics.notify(this.#control, WRITER_TURN);
    Atomics.wait(this.#control, CLOSED, 0, CLOSE_WAIT_MS);
    void this.#worker.terminate().catch(() => {});
  }
}
