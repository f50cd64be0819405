/**
 * A small leveled logger for the client. It writes to stderr (never stdout, which may carry a
 * JSON-RPC stream) and can be replaced by the caller. Callers must never pass secrets (bot tokens,
 * context tokens, AES keys) to it; the client only logs ids and counts.
 *
 * @module
 */

/**
 * Severity of a log record, from most to least verbose: the one vocabulary of the SDK, the CLI
 * (`--log-level`, which also takes the Python original's `DEBUG`, `INFO`, `WARNING`, `ERROR`)
 * and the servers.
 */
export type LogLevel = "debug" | "info" | "warn" | "error";

/** A threshold: the least severe level shown, or `"silent"` for nothing. */
export type LogThreshold = LogLevel | "silent";

/** The logging sink used by {@linkcode WeiLink}; every method receives a ready-made line. */
export interface Logger {
  /** Detailed tracing, off by default. */
  debug(message: string): void;
  /** Normal lifecycle events (login, session changes). */
  info(message: string): void;
  /** Something went wrong but the client carries on (corrupt file, dropped message). */
  warn(message: string): void;
  /** An operation failed (session expired, handler threw). */
  error(message: string): void;
}

const LEVEL_ORDER: Record<LogThreshold, number> = {
  debug: 10,
  info: 20,
  warn: 30,
  error: 40,
  silent: 100,
};

/** Every threshold, most verbose first. */
export const LOG_THRESHOLDS: readonly LogThreshold[] = ["debug", "info", "warn", "error", "silent"];

/**
 * Reads a threshold in any case, accepting the Python original's names too (`WARNING` for
 * `warn`); `undefined` when the text is none of them.
 */
export function parseLogLevel(text: string): LogThreshold | undefined {
  const name = text.trim().toLowerCase();
  const level = name === "warning" ? "warn" : name;
  return (LOG_THRESHOLDS as readonly string[]).includes(level) ? level as LogThreshold : undefined;
}

/** Whether a record at `level` is shown under `threshold`. */
export function shownAt(level: LogLevel, threshold: LogThreshold): boolean {
  return LEVEL_ORDER[level] >= LEVEL_ORDER[threshold];
}

/**
 * Create a logger that writes `weilink <LEVEL> message` lines to stderr for records at or above
 * `level`. `"silent"` discards everything.
 *
 * @example
 * ```ts
 * import { createStderrLogger } from "@weilink/core";
 * const log = createStderrLogger("warn");
 * log.info("not shown");
 * ```
 */
export function createStderrLogger(level: LogThreshold = "info"): Logger {
  const threshold = LEVEL_ORDER[level];
  const encoder = new TextEncoder();
  const write = (name: LogLevel, message: string) => {
    if (LEVEL_ORDER[name] < threshold) return;
    const line = `weilink ${name.toUpperCase()} ${message}\n`;
    try {
      Deno.stderr.writeSync(encoder.encode(line));
    } catch {
      // stderr closed (e.g. a detached child): logging must never break the client.
    }
  };
  return {
    debug: (m) => write("debug", m),
    info: (m) => write("info", m),
    warn: (m) => write("warn", m),
    error: (m) => write("error", m),
  };
}

/** Read the default level from `WEILINK_LOG_LEVEL` (debug|info|warn|error|silent), else `info`. */
export function defaultLogLevel(): LogThreshold {
  let value: string | undefined;
  try {
    value = Deno.env.get("WEILINK_LOG_LEVEL");
  } catch {
    // No env permission: keep the default.
  }
  return (value && parseLogLevel(value)) || "info";
}

/** The `console` methods that write to stdout. */
const STDOUT_METHODS = ["log", "info", "debug", "table", "dir", "dirxml", "group"] as const;

/**
 * Send everything `console` would print on stdout to stderr instead, so that stdout carries only
 * a program's results (the CLI's JSON, the MCP stdio transport's JSON-RPC) even when a
 * dependency logs with `console.log`. Returns a function that puts the original methods back.
 */
export function routeConsoleToStderr(): () => void {
  const saved = STDOUT_METHODS.map((name) => [name, console[name]] as const);
  const toStderr = (...args: unknown[]) => console.error(...args);
  for (const name of STDOUT_METHODS) console[name] = toStderr;
  return () => {
    for (const [name, method] of saved) {
      (console as unknown as Record<string, unknown>)[name] = method;
    }
  };
}
