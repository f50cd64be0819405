/**
 * A one-line progress bar on stderr for uploads and downloads.
 *
 * Shown only for transfers larger than 1 MiB, only when stderr is a terminal
 * and `--quiet` is not set: piped or logged output never contains carriage
 * returns and escape codes.
 *
 * @module
 */

/** Transfers at or below this size get no progress bar. */
export const PROGRESS_THRESHOLD_BYTES = 1024 * 1024;

const UNITS = ["B", "KiB", "MiB", "GiB", "TiB"];

/** `1536` → `1.5 KiB`. */
export function formatBytes(bytes: number): string {
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  return unit === 0 ? `${value} B` : `${value.toFixed(1)} ${UNITS[unit]}`;
}

/** `75` → `1:15`, `3725` → `1:02:05`; unknown durations are `--:--`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return "--:--";
  const total = Math.round(seconds);
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = String(total % 60).padStart(2, "0");
  return h > 0 ? `${h}:${String(m).padStart(2, "0")}:${s}` : `${m}:${s}`;
}

/** Options of {@linkcode ProgressBar}. */
export interface ProgressBarOptions {
  /** Text before the bar, e.g. `Uploading report.pdf`. */
  label: string;
  /** Expected number of bytes. */
  total: number;
  /** Receives the rendered text (with `\r` and an erase-line code). */
  write: (text: string) => void;
  /** Clock in milliseconds (tests pass a fake one). */
  now?: () => number;
  /** Width of the bar itself, in cells. */
  width?: number;
  /** Minimum time between redraws. */
  minIntervalMs?: number;
}

/** Renders progress as `label [####----]  42%  4.2/10.0 MiB  1.3 MiB/s  ETA 0:04`. */
export class ProgressBar {
  readonly #options: Required<ProgressBarOptions>;
  readonly #start: number;
  #lastDraw = -Infinity;
  #done = 0;
  #finished = false;
  #lastText = "";

  /** Creates a bar; nothing is drawn until the first {@linkcode update}. */
  constructor(options: ProgressBarOptions) {
    this.#options = { now: () => performance.now(), width: 24, minIntervalMs: 100, ...options };
    this.#start = this.#options.now();
  }

  /** Records `done` bytes transferred and redraws at most every `minIntervalMs`. */
  update(done: number, total = this.#options.total): void {
    if (this.#finished) return;
    this.#done = done;
    this.#options.total = total;
    const now = this.#options.now();
    if (now - this.#lastDraw < this.#options.minIntervalMs && done < total) return;
    this.#lastDraw = now;
    this.#draw(this.render(now));
  }

  /** Draws the final state and ends the line. */
  finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    // A bar that just drew its final state only needs the line ended.
    if (this.#done >= this.#options.total && this.#lastText !== "") this.#options.write("\n");
    else this.#options.write("\r" + this.render(this.#options.now()) + "\x1b[K\n");
  }

  #draw(text: string): void {
    this.#lastText = text;
    this.#options.write("\r" + text + "\x1b[K");
  }

  /** The bar's text at time `now` (no control characters). */
  render(now: number): string {
    const { label, total, width } = this.#options;
    const done = Math.min(this.#done, total);
    const fraction = total > 0 ? done / total : 1;
    const filled = Math.round(fraction * width);
    const elapsed = Math.max((now - this.#start) / 1000, 1e-3);
    const rate = done / elapsed;
    const eta = done >= total ? 0 : rate > 0 ? (total - done) / rate : Infinity;
    if (done === 0 && total > 0) {
      // Nothing measured yet (an upload in flight): show the time spent, not a made-up rate.
      return [
        `${label} [${"-".repeat(width)}]`,
        "  0%",
        `${formatBytes(0)}/${formatBytes(total)}`,
        `elapsed ${formatDuration(elapsed)}`,
      ].join("  ");
    }
    return [
      `${label} [${"#".repeat(filled)}${"-".repeat(width - filled)}]`,
      `${Math.floor(fraction * 100)}%`.padStart(4),
      `${formatBytes(done)}/${formatBytes(total)}`,
      `${formatBytes(Math.round(rate))}/s`,
      `ETA ${formatDuration(eta)}`,
    ].join("  ");
  }
}

/**
 * Passes a byte stream through unchanged while reporting how many bytes went
 * by — for transfers whose API offers no progress callback.
 */
export function countingStream(
  onProgress: (done: number) => void,
): TransformStream<Uint8Array, Uint8Array> {
  let done = 0;
  return new TransformStream({
    transform(chunk, controller) {
      done += chunk.byteLength;
      onProgress(done);
      controller.enqueue(chunk);
    },
  });
}
