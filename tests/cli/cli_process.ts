/**
 * Runs `cli.ts` as a real subprocess for the end-to-end tests.
 *
 * @module
 */

import assert from "node:assert/strict";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const decoder = new TextDecoder();

/** What a finished CLI run left behind. */
export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Environment for a CLI child: no inherited WEILINK_* settings, no colours. */
function childEnv(extra: Record<string, string>): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1" };
  for (const [key, value] of Object.entries(Deno.env.toObject())) {
    if (!key.startsWith("WEILINK_")) env[key] = value;
  }
  return { ...env, ...extra };
}

/** How a CLI child is started. */
export interface CliOptions {
  /** Variables added to the parent's environment (its `WEILINK_*` ones are dropped). */
  env?: Record<string, string>;
  /** Permission flags for `deno run` (default `["-A"]`). */
  denoFlags?: readonly string[];
  /** The program to run (default `cli.ts`). */
  script?: string;
  /** Working directory (default the test's). */
  cwd?: string;
  /** An executable to run with `args` instead of `deno run` (an installed `weilink`). */
  command?: string;
}

function commandOf(options: CliOptions): string {
  return options.command ?? Deno.execPath();
}

function denoArgs(args: readonly string[], options: CliOptions): string[] {
  if (options.command !== undefined) return [...args];
  return ["run", ...(options.denoFlags ?? ["-A"]), options.script ?? CLI, ...args];
}

/** Runs `deno run -A cli.ts ...args` to completion. */
export async function runCli(args: string[], options: CliOptions = {}): Promise<CliResult> {
  const { code, stdout, stderr } = await new Deno.Command(commandOf(options), {
    args: denoArgs(args, options),
    ...(options.cwd ? { cwd: options.cwd } : {}),
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: childEnv(options.env ?? {}),
    clearEnv: true,
  }).output();
  return { code, stdout: decoder.decode(stdout), stderr: decoder.decode(stderr) };
}

/**
 * Parses stdout of a `--json` run, asserting it holds exactly one JSON
 * document and nothing else.
 */
export function jsonOf(result: CliResult): unknown {
  const text = result.stdout;
  assert.ok(text.endsWith("\n"), `stdout does not end with a newline: ${JSON.stringify(text)}`);
  assert.equal(text.trimEnd().split("\n").length, 1, `more than one line on stdout: ${text}`);
  try {
    return JSON.parse(text);
  } catch {
    assert.fail(`stdout is not JSON: ${JSON.stringify(text)}\nstderr: ${result.stderr}`);
  }
}

/** A long-running CLI child (login, demo, servers) with line access to its output. */
export class CliChild {
  readonly #child: Deno.ChildProcess;
  readonly #stdoutLines: AsyncIterator<string>;
  #stderr = "";
  readonly #stderrDone: Promise<void>;
  readonly #stdoutRest: string[] = [];

  /** Spawns `deno run -A cli.ts ...args`. */
  constructor(args: string[], options: CliOptions = {}) {
    const child = new Deno.Command(commandOf(options), {
      args: denoArgs(args, options),
      ...(options.cwd ? { cwd: options.cwd } : {}),
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      env: childEnv(options.env ?? {}),
      clearEnv: true,
    }).spawn();
    this.#child = child;
    this.#stdoutLines = child.stdout
      .pipeThrough(new TextDecoderStream())
      .pipeThrough(lineSplitter())[Symbol.asyncIterator]();
    this.#stderrDone = (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) {
        this.#stderr += chunk;
      }
    })();
  }

  /** Process id of the child. */
  get pid(): number {
    return this.#child.pid;
  }

  /** Everything written to stderr so far. */
  get stderr(): string {
    return this.#stderr;
  }

  /** The next stdout line, failing after `timeoutMs`. */
  async nextLine(timeoutMs = 20_000): Promise<string> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`No stdout line within ${timeoutMs} ms; stderr:\n${this.#stderr}`)),
        timeoutMs,
      );
    });
    try {
      const next = await Promise.race([this.#stdoutLines.next(), timeout]);
      if (next.done) throw new Error(`stdout closed; stderr:\n${this.#stderr}`);
      return next.value;
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits until stderr contains `pattern`, polling. */
  async waitForStderr(pattern: RegExp, timeoutMs = 20_000): Promise<RegExpMatchArray> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      const match = this.#stderr.match(pattern);
      if (match) return match;
      await new Promise((r) => setTimeout(r, 25));
    }
    throw new Error(`stderr never matched ${pattern}:\n${this.#stderr}`);
  }

  /** Sends a signal to the child. */
  kill(signal: Deno.Signal = "SIGTERM"): void {
    try {
      this.#child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  /** Waits for exit; returns the code and the rest of stdout. */
  async finish(): Promise<CliResult> {
    for (;;) {
      const next = await this.#stdoutLines.next();
      if (next.done) break;
      this.#stdoutRest.push(next.value);
    }
    const status = await this.#child.status;
    await this.#stderrDone;
    return {
      code: status.code,
      stdout: this.#stdoutRest.map((l) => l + "\n").join(""),
      stderr: this.#stderr,
    };
  }
}

function lineSplitter(): TransformStream<string, string> {
  let buffer = "";
  return new TransformStream({
    transform(chunk, controller) {
      buffer += chunk;
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) controller.enqueue(line);
    },
    flush(controller) {
      if (buffer) controller.enqueue(buffer);
    },
  });
}
