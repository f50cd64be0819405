/**
 * The `weilink` command line.
 *
 * Exit status: 0 on success, 1 when the command failed (including a failed
 * send), 2 for a usage error (unknown command or flag, bad flag value,
 * missing argument). Results go to stdout; logs, progress, QR codes and
 * errors go to stderr. With `--json`, stdout holds exactly one JSON document.
 *
 * Nothing here touches the network on start-up. `--help`, `--version` and
 * `help COMMAND` are answered without loading the argument parser; every
 * command loads its own dependencies when it runs.
 *
 * @example Run a command programmatically
 * ```ts ignore
 * import { main } from "./mod.ts";
 * Deno.exitCode = await main(["status", "--json"]);
 * ```
 *
 * @module
 */

import { COMMANDS } from "./command_table.ts";
import { reportUsageError, UsageError } from "./flags.ts";
import { globalHelp, helpFor, versionText } from "./help.ts";
import { Output, writeAllSync } from "./output.ts";
import { VERSION } from "../version.ts";

/** Version of the command line (the package's). */
export { VERSION };

export { COMMANDS } from "./command_table.ts";
export type {
  Command,
  CommandContext,
  CommonFlagName,
  CommonOptions,
  FlagSpec,
  PositionalSpec,
} from "./command.ts";
export { Output, type OutputOptions, type TextSink } from "./output.ts";
export { UsageError } from "./flags.ts";

/**
 * Runs the command line with `args` (without the program name) and resolves
 * to the exit status.
 */
export async function main(args: readonly string[]): Promise<number> {
  const [first] = args;
  const json = args.includes("--json");
  try {
    if (first === undefined) {
      writeAllSync(Deno.stderr, globalHelp(COMMANDS, VERSION));
      throw new UsageError("Missing command");
    }
    if (args.length === 1 && (first === "--help" || first === "-h")) {
      writeAllSync(Deno.stdout, globalHelp(COMMANDS, VERSION));
      return 0;
    }
    if (first === "--version" || first === "-V") {
      writeAllSync(Deno.stdout, versionText(VERSION, json));
      return 0;
    }
    if (first === "help") {
      writeAllSync(Deno.stdout, helpFor(args.slice(1).filter((a) => !a.startsWith("-")), VERSION));
      return 0;
    }
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(new Output({ json }), error);
    throw error;
  }
  const { runCommandLine } = await import("./run_command.ts");
  return await runCommandLine(args, VERSION);
}
