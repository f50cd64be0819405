/**
 * Where the command line writes: results on stdout, everything else on stderr.
 *
 * In `--json` mode stdout carries exactly one JSON document per command (the
 * result, or `{"error": ...}` on failure) and nothing else, so scripts can
 * pipe it straight into a JSON parser.
 *
 * @module
 */

import { type LogLevel, type LogThreshold, shownAt } from "../client/logger.ts";

const encoder = new TextEncoder();

/** Labels as the Python original prints them. */
const LABEL: Record<LogLevel, string> = {
  debug: "DEBUG",
  info: "INFO",
  warn: "WARNING",
  error: "ERROR",
};

/** A sink for text; tests pass an array-backed one. */
export type TextSink = (text: string) => void;

/** Writes all of `text` to a Deno stream synchronously (short writes are retried). */
export function writeAllSync(stream: { writeSync(p: Uint8Array): number }, text: string): void {
  let bytes = encoder.encode(text);
  while (bytes.length > 0) {
    const n = stream.writeSync(bytes);
    bytes = bytes.subarray(n);
  }
}

/** Options of {@linkcode Output}. */
export interface OutputOptions {
  /** Emit JSON on stdout instead of human text. */
  json?: boolean;
  /** Suppress notices (QR hints, URLs banners are still shown) and progress bars. */
  quiet?: boolean;
  /** Threshold for {@linkcode Output.log}. */
  logLevel?: LogThreshold;
  /** stdout writer (default: the process stdout). */
  stdout?: TextSink;
  /** stderr writer (default: the process stderr). */
  stderr?: TextSink;
}

/** Formats and routes everything a command prints. */
export class Output {
  /** Whether `--json` was given. */
  readonly json: boolean;
  /** Whether `--quiet` was given. */
  readonly quiet: boolean;
  /** Current log threshold. */
  readonly logLevel: LogThreshold;
  readonly #stdout: TextSink;
  readonly #stderr: TextSink;
  #jsonWritten = false;

  /** Creates an output bound to the process streams unless sinks are given. */
  constructor(options: OutputOptions = {}) {
    this.json = options.json ?? false;
    this.quiet = options.quiet ?? false;
    this.logLevel = options.logLevel ?? "info";
    this.#stdout = options.stdout ?? ((text) => writeAllSync(Deno.stdout, text));
    this.#stderr = options.stderr ?? ((text) => writeAllSync(Deno.stderr, text));
  }

  /** Whether the single JSON document of this run has been written. */
  get jsonWritten(): boolean {
    return this.#jsonWritten;
  }

  /**
   * Prints a command's result: `value` as one JSON line in `--json` mode,
   * otherwise the lines produced by `human`.
   */
  result(value: unknown, human: () => string | readonly string[]): void {
    if (this.json) {
      this.#writeJson(value);
      return;
    }
    const lines = human();
    this.#stdout((typeof lines === "string" ? [lines] : lines).map((l) => l + "\n").join(""));
  }

  /** Prints human text on stdout; ignored in `--json` mode. */
  print(text: string): void {
    if (!this.json) this.#stdout(text + "\n");
  }

  /** Writes a notice for the person at the terminal on stderr, unless `--quiet`. */
  notice(text: string): void {
    if (!this.quiet) this.#stderr(text + "\n");
  }

  /** Writes raw text on stderr (QR codes, progress bars); callers decide visibility. */
  stderr(text: string): void {
    this.#stderr(text);
  }

  /** Writes a log line on stderr when `level` reaches the `--log-level` threshold. */
  log(level: LogLevel, message: string): void {
    if (shownAt(level, this.logLevel)) this.#stderr(`[${LABEL[level]}] ${message}\n`);
  }

  /**
   * Reports a failure: `Error: message` on stderr, and in `--json` mode also
   * `{"error": message, ...extra}` on stdout unless a JSON document was already written.
   */
  error(message: string, extra: Record<string, unknown> = {}): void {
    this.#stderr(`Error: ${message}\n`);
    if (this.json && !this.#jsonWritten) this.#writeJson({ ...extra, error: message });
  }

  #writeJson(value: unknown): void {
    if (this.#jsonWritten) throw new Error("Cannot write a second JSON document to stdout");
    this.#jsonWritten = true;
    this.#stdout(JSON.stringify(value) + "\n");
  }
}
