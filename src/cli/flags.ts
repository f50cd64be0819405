/**
 * Flag descriptions and the usage error, kept free of the argument parser so
 * that `weilink --help` and `--version` load as little as possible.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

import type { Command, CommonFlagName, FlagSpec } from "./command.ts";
import { program } from "./invocation.ts";

/** The program's name, as `--version` prints it. */
export const PROGRAM = "weilink";

/** A mistake in how the command was invoked; reported with exit code 2. */
export class UsageError extends WeiLinkError {
  /** Command path whose help the user should read, e.g. `send`. */
  readonly commandPath: string | undefined;

  /** Creates a usage error, optionally tied to a command path for the help hint. */
  constructor(message: string, commandPath?: string) {
    super(message);
    this.name = "UsageError";
    this.commandPath = commandPath;
  }
}

/** The shared flags, described once. */
export const COMMON_FLAGS: Readonly<Record<CommonFlagName, FlagSpec>> = {
  "base-path": {
    type: "string",
    short: "d",
    valueName: "DIR",
    description: "data directory (env WEILINK_HOME, default ~/.weilink)",
  },
  json: { type: "boolean", description: "print machine-readable JSON on stdout" },
  "log-level": {
    type: "string",
    valueName: "LEVEL",
    description: "DEBUG, INFO, WARNING or ERROR (env WEILINK_LOG_LEVEL, default INFO)",
  },
  "base-url": {
    type: "string",
    valueName: "URL",
    description: "iLink API base URL (env WEILINK_BASE_URL)",
  },
  "cdn-base-url": {
    type: "string",
    valueName: "URL",
    description: "iLink CDN base URL (env WEILINK_CDN_BASE_URL)",
  },
  store: {
    type: "string",
    valueName: "URL",
    description: "files (default) or postgres://… shared by many hosts (env WEILINK_STORE)",
  },
  quiet: { type: "boolean", short: "q", description: "no progress bars or notices on stderr" },
};

/** `--help` is accepted by every command. */
export const HELP_FLAG: FlagSpec = { type: "boolean", short: "h", description: "show this help" };

/** All flags a command accepts: its own, the shared ones it opts into, and `--help`. */
export function flagsOf(command: Command): Record<string, FlagSpec> {
  const flags: Record<string, FlagSpec> = { ...command.flags };
  for (const name of command.common ?? []) flags[name] = COMMON_FLAGS[name];
  flags.help = HELP_FLAG;
  return flags;
}

/**
 * Reports a usage error: the message (and `{"error": ...}` in `--json` mode)
 * plus a hint at the right help page. Returns exit status 2.
 */
export function reportUsageError(
  output: { error(message: string): void; stderr(text: string): void },
  error: UsageError,
  commandPath?: string,
): number {
  output.error(error.message);
  const path = error.commandPath ?? commandPath;
  output.stderr(`Run '${program()}${path ? ` ${path}` : ""} --help' for usage.\n`);
  return 2;
}
