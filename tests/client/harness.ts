/**
 * Shared set-up of the client tests: temporary data directories, fixture copies and a logger that
 * records lines instead of printing them.
 *
 * @module
 */

import type { Logger } from "../../src/client/mod.ts";

/** A logger that keeps every line, for assertions. */
export interface RecordingLogger extends Logger {
  lines: string[];
}

/** Create a logger that records `LEVEL message` lines. */
export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  return {
    lines,
    debug: (m) => lines.push(`DEBUG ${m}`),
    info: (m) => lines.push(`INFO ${m}`),
    warn: (m) => lines.push(`WARN ${m}`),
    error: (m) => lines.push(`ERROR ${m}`),
  };
}

/** Recursively copy a folder. */
export async function copyDir(from: string | URL, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true });
  for await (const e of Deno.readDir(from)) {
    const src = from instanceof URL
      ? new URL(e.name + (e.isDirectory ? "/" : ""), from)
      : `${from}/${e.name}`;
    const dst = `${to}/${e.name}`;
    if (e.isDirectory) await copyDir(src, dst);
    else await Deno.copyFile(src, dst);
  }
}

/** URL of a fixture folder under `tests/fixtures/python_datadir/`. */
export function pythonFixture(name: "multi" | "flat"): URL {
  return new URL(`../fixtures/python_datadir/${name}/`, import.meta.url);
}

/** Run `fn` with a fresh temporary directory that is removed afterwards. */
export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await Deno.makeTempDir({ prefix: "weilink-client-" });
  try {
    return await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

/** Read and parse a JSON file. */
export async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** Permission bits of a path. */
export async function modeOf(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o777;
}

/** Epoch ms for a fixture timestamp in seconds. */
export function atSeconds(s: number): () => number {
  return () => s * 1000;
}

import { startSandbox } from "../../src/sandbox/mod.ts";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/mod.ts";
import { WeiLink, type WeiLinkOptions } from "../../src/client/mod.ts";
import type { BotInfo } from "../../src/models/mod.ts";

/** A sandbox, a temp data dir and a fast-configured client; everything is cleaned up by `close`. */
export interface Rig {
  sandbox: Sandbox;
  dir: string;
  logger: RecordingLogger;
  wl: WeiLink;
  /** Another client on the same data dir and sandbox (closed by `close`). */
  client(options?: WeiLinkOptions): WeiLink;
  /** Log `wl` (or another client) in through the sandbox; returns the bot and the sandbox user. */
  login(
    name?: string,
    client?: WeiLink,
    userId?: string,
  ): Promise<BotInfo & { ownerId: string }>;
  close(): Promise<void>;
}

/** Client options that make tests fast: short login polls, short backoff, quiet logs. */
export function fastOptions(sandbox: Sandbox, dir: string, logger: Logger): WeiLinkOptions {
  return {
    basePath: dir,
    baseUrl: sandbox.baseUrl,
    cdnBaseUrl: sandbox.cdnBaseUrl,
    logger,
    loginPollIntervalMs: 30,
    watchIntervalMs: 100,
    retry: { shortMs: 50, longMs: 150, longAfter: 3, expiredFirstMs: 100, expiredMaxMs: 400 },
  };
}

/** Start a sandbox and a client on a fresh data dir. */
export async function startRig(
  sandboxOptions: SandboxOptions = {},
  clientOptions: WeiLinkOptions = {},
): Promise<Rig> {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true, ...sandboxOptions });
  const dir = await Deno.makeTempDir({ prefix: "weilink-client-" });
  const logger = recordingLogger();
  const clients: WeiLink[] = [];
  const client = (options: WeiLinkOptions = {}) => {
    const c = new WeiLink({ ...fastOptions(sandbox, dir, logger), ...clientOptions, ...options });
    clients.push(c);
    return c;
  };
  const wl = client();
  return {
    sandbox,
    dir,
    logger,
    wl,
    client,
    async login(name, c = wl, userId) {
      const pending = c.login({ ...(name ? { name } : {}), onQr: () => {} });
      const confirmed = await sandbox.confirmLogin(userId ? { userId } : {});
      const bot = await pending;
      return { ...bot, ownerId: confirmed.userId };
    },
    async close() {
      for (const c of clients) await c.close();
      await sandbox.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}
