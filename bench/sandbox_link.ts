/**
 * The parent side of `bench/sandbox_child.ts`: starts the sandbox in its own process, injects
 * bursts, logs clients in, and reads the child's CPU time. Shared by the benches that drive a
 * client against the sandbox, with small helpers for their reports.
 *
 * @module
 */

import process from "node:process";
import type { WeiLink } from "../src/client/mod.ts";
import type { BotInfo } from "../src/models/mod.ts";

/** Absolute time in ms, comparable with the child's stamps. */
export function stamp(): number {
  return performance.timeOrigin + performance.now();
}

/** CPU time of this process, all threads, in µs. */
export function cpuMicros(): number {
  const { user, system } = process.cpuUsage();
  return user + system;
}

/** Median of some numbers. */
export function median(values: readonly number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/** The `p`th percentile of sorted values. */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** A sandbox running in a child process. */
export class SandboxChild implements AsyncDisposable {
  readonly baseUrl: string;
  readonly controlUrl: string;
  readonly #child: Deno.ChildProcess;
  readonly #in: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: ReadableStreamDefaultReader<string>;
  #buffer = "";
  #id = 0;

  private constructor(
    child: Deno.ChildProcess,
    lines: ReadableStreamDefaultReader<string>,
    buffer: string,
    urls: { baseUrl: string; controlUrl: string },
  ) {
    this.#child = child;
    this.#in = child.stdin.getWriter();
    this.#lines = lines;
    this.#buffer = buffer;
    this.baseUrl = urls.baseUrl;
    this.controlUrl = urls.controlUrl;
  }

  /** Starts a sandbox holding idle polls `longPollMs` and answering at most `updatesBatch`. */
  static async start(
    options: { longPollMs?: number; updatesBatch?: number } = {},
  ): Promise<SandboxChild> {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        new URL("./sandbox_child.ts", import.meta.url).pathname,
        String(options.longPollMs ?? 1000),
        String(options.updatesBatch ?? 100),
      ],
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const lines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    const first = await readLine(lines, "");
    return new SandboxChild(child, lines, first.rest, JSON.parse(first.line));
  }

  async #ask(command: Record<string, unknown>): Promise<Record<string, unknown>> {
    const id = ++this.#id;
    await this.#in.write(new TextEncoder().encode(JSON.stringify({ id, ...command }) + "\n"));
    const { line, rest } = await readLine(this.#lines, this.#buffer);
    this.#buffer = rest;
    const answer = JSON.parse(line);
    if (answer.id !== id) throw new Error(`Unexpected sandbox answer ${line}`);
    return answer;
  }

  /**
   * Injects `count` realistic messages `<prefix><i>:<stamp> <text>` for `botId`, yielding every
   * `chunk` (0: a backlog at once); resolves with the first and last injection times.
   */
  async inject(
    botId: string,
    prefix: string,
    count: number,
    chunk: number,
  ): Promise<{ t0: number; t1: number }> {
    const a = await this.#ask({ cmd: "inject", botId, prefix, count, chunk });
    return { t0: a.t0 as number, t1: a.t1 as number };
  }

  /** The child's CPU time, all threads, in µs. */
  async cpuMicros(): Promise<number> {
    const a = await this.#ask({ cmd: "cpu" });
    return (a.user as number) + (a.system as number);
  }

  /** Logs `wl` in as session `name`, confirming the QR code through the control API. */
  async login(wl: WeiLink, name: string): Promise<BotInfo> {
    const pending = wl.login({ name, onQr: () => {} });
    const res = await fetch(`${this.controlUrl}/confirm`, { method: "POST", body: "{}" });
    if (!res.ok) throw new Error(`Cannot confirm login: ${await res.text()}`);
    await res.body?.cancel();
    return await pending;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.#in.write(new TextEncoder().encode(JSON.stringify({ cmd: "close" }) + "\n"));
    await this.#in.close();
    await this.#lines.cancel();
    await this.#child.status;
  }
}

async function readLine(
  lines: ReadableStreamDefaultReader<string>,
  buffer: string,
): Promise<{ line: string; rest: string }> {
  for (;;) {
    const nl = buffer.indexOf("\n");
    if (nl >= 0) return { line: buffer.slice(0, nl), rest: buffer.slice(nl + 1) };
    const { value, done } = await lines.read();
    if (done) throw new Error("The sandbox child exited");
    buffer += value;
  }
}

/** Raw `getupdates` headers of a bare client. */
export function rawHeaders(token: string): Record<string, string> {
  return {
    "Content-Type": "application/json",
    "AuthorizationType": "ilink_bot_token",
    "Authorization": `Bearer ${token}`,
    "X-WECHAT-UIN": btoa(String(Math.floor(Math.random() * 2 ** 32))),
  };
}
