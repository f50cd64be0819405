/**
 * The shape of a command in the `weilink` command table.
 *
 * A command is plain data plus a `run` function. The table that lists them
 * (`command_table.ts`) must stay cheap to load: `run` reaches its real work
 * through a dynamic `import()`, so `weilink --help` or `weilink status` never
 * load the MCP SDK, Hono or the admin UI.
 *
 * @module
 */

import type { Output } from "./output.ts";
import type { LogThreshold } from "../client/logger.ts";

/** How a flag is parsed and described in the help text. */
export interface FlagSpec {
  /** `string` flags take a value, `boolean` flags do not. */
  type: "string" | "boolean";
  /** One-letter alias, e.g. `f` for `--force`. */
  short?: string;
  /** Help text, one line. */
  description: string;
  /** Placeholder shown in the help text for the value, e.g. `DIR`. */
  valueName?: string;
}

/** A positional argument, documented in the usage line and the help text. */
export interface PositionalSpec {
  /** Upper-case name shown in the usage line, e.g. `MESSAGE_ID`. */
  name: string;
  /** Help text, one line. */
  description: string;
  /** Whether the argument may be left out. */
  optional?: boolean;
}

/** Names of the flags shared by many commands (see `COMMON_FLAGS` in `flags.ts`). */
export type CommonFlagName =
  | "base-path"
  | "json"
  | "log-level"
  | "base-url"
  | "cdn-base-url"
  | "store"
  | "quiet";

/** Resolved values of the shared flags, with `WEILINK_*` environment fallbacks applied. */
export interface CommonOptions {
  /** Data directory (`-d`, else `WEILINK_HOME`, else undefined = the client's default). */
  basePath?: string;
  /** Machine-readable output on stdout. */
  json: boolean;
  /** Log threshold for messages written to stderr (the SDK's vocabulary). */
  logLevel: LogThreshold;
  /** iLink API base URL override (`--base-url`, else `WEILINK_BASE_URL`). */
  baseUrl?: string;
  /** CDN base URL override (`--cdn-base-url`, else `WEILINK_CDN_BASE_URL`). */
  cdnBaseUrl?: string;
  /** Storage: `files` or a `postgres://` URL (`--store`, else `WEILINK_STORE`). */
  store?: string;
  /** Hide progress bars and informational chatter on stderr. */
  quiet: boolean;
}

/** Everything a command's `run` receives. */
export interface CommandContext {
  /** Full command path, e.g. `sessions rename`. */
  commandPath: string;
  /** Parsed flag values of this command (common flags included). */
  values: Readonly<Record<string, string | boolean | undefined>>;
  /** Positional arguments after the command name. */
  positionals: readonly string[];
  /** Shared flags, resolved. */
  common: CommonOptions;
  /** Where results, notices and errors are written. */
  out: Output;
  /** Aborted on Ctrl-C / SIGTERM; long-running commands stop when it fires. */
  signal: AbortSignal;
}

/** One entry of the command table. */
export interface Command {
  /** Name typed by the user, e.g. `download`. */
  name: string;
  /** One-line summary for the global help. */
  summary: string;
  /** Heading under which the global help lists the command. */
  group: "bot" | "server" | "other";
  /** Longer text for `weilink <command> --help`. */
  description?: string;
  /** Positional arguments, in order. */
  positionals?: readonly PositionalSpec[];
  /** Command-specific flags, keyed by long name. */
  flags?: Readonly<Record<string, FlagSpec>>;
  /** Which shared flags the command accepts. */
  common?: readonly CommonFlagName[];
  /** Nested commands (`sessions rename`), chosen by the first positional. */
  subcommands?: readonly Command[];
  /** Example invocations shown in the help text (without the program name). */
  examples?: readonly string[];
  /**
   * Runs the command and resolves to its exit code. Implementations import
   * their heavy modules lazily so that the table itself stays light.
   */
  run(context: CommandContext): Promise<number>;
}
