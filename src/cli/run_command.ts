/**
 * The full command-line path: find the command, parse its flags strictly
 * with `node:util` `parseArgs`, run it, and map failures to exit statuses.
 *
 * @module
 */

import type { Command, CommandContext, FlagSpec } from "./command.ts";
import { COMMANDS } from "./command_table.ts";
import { COMMON_FLAGS, flagsOf, reportUsageError, UsageError } from "./flags.ts";
import { commandHelp, globalHelp, helpFor, versionText } from "./help.ts";
import { Output, writeAllSync } from "./output.ts";
import { dataDirectoryOf, describeFailure } from "./cli_errors.ts";
import { program } from "./invocation.ts";
import { didYouMean } from "./suggest.ts";
import { routeConsoleToStderr } from "../client/logger.ts";
import {
  firstPositionalIndex,
  parseCommandArgs,
  resolveCommonOptions,
  wantsHelp,
} from "./parse.ts";

function stdout(text: string): void {
  writeAllSync(Deno.stdout, text);
}

const TOP_LEVEL_FLAGS: Record<string, FlagSpec> = {
  ...COMMON_FLAGS,
  help: { type: "boolean", short: "h", description: "show help" },
  version: { type: "boolean", short: "V", description: "print the version" },
};

/** Resolves the command named at `args[index]`, walking into subcommands. */
function resolveCommand(
  args: readonly string[],
  index: number,
): { command: Command; path: string; rest: string[] } {
  const name = args[index] as string;
  let command = COMMANDS.find((c) => c.name === name);
  if (!command) {
    throw new UsageError(
      `Unknown command '${name}'${didYouMean(name, COMMANDS.map((c) => c.name))}`,
    );
  }
  let path = command.name;
  let rest = [...args.slice(0, index), ...args.slice(index + 1)];
  while (command.subcommands?.length) {
    const subIndex = firstPositionalIndex(rest, flagsOf(command));
    if (subIndex < 0) break;
    const sub: Command | undefined = command.subcommands.find((s) => s.name === rest[subIndex]);
    if (!sub) {
      if (command.positionals?.length) break;
      const typed = rest[subIndex] as string;
      const hint = didYouMean(
        `${path} ${typed}`,
        command.subcommands.map((s) => `${path} ${s.name}`),
      );
      throw new UsageError(`Unknown command '${path} ${typed}'${hint}`, path);
    }
    command = sub;
    path = `${path} ${sub.name}`;
    rest = [...rest.slice(0, subIndex), ...rest.slice(subIndex + 1)];
  }
  return { command, path, rest };
}

/** Aborts on the first Ctrl-C/SIGTERM; a second one exits at once. */
function interruptSignal(): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const signals: Deno.Signal[] = Deno.build.os === "windows" ? ["SIGINT"] : ["SIGINT", "SIGTERM"];
  const onSignal = () => {
    if (controller.signal.aborted) Deno.exit(130);
    controller.abort(new DOMException("Interrupted", "AbortError"));
  };
  for (const sig of signals) Deno.addSignalListener(sig, onSignal);
  return {
    signal: controller.signal,
    dispose: () => {
      for (const sig of signals) Deno.removeSignalListener(sig, onSignal);
    },
  };
}

/**
 * Parses `args` (without the program name), runs the command and resolves to
 * the exit status. Library code that writes with `console.log` is routed to
 * stderr while the command runs, so that stdout only carries results.
 */
export async function runCommandLine(args: readonly string[], version: string): Promise<number> {
  const jsonRequested = args.includes("--json");
  let output = new Output({ json: jsonRequested });
  let commandPath: string | undefined;
  let dataDir: string | undefined;
  try {
    const positionalIndex = firstPositionalIndex(args, TOP_LEVEL_FLAGS);
    const beforeCommand = positionalIndex < 0 ? args : args.slice(0, positionalIndex);
    if (beforeCommand.includes("--version") || beforeCommand.includes("-V")) {
      stdout(versionText(version, jsonRequested));
      return 0;
    }
    if (positionalIndex >= 0 && args[positionalIndex] === "help") {
      stdout(helpFor(args.slice(positionalIndex + 1).filter((a) => !a.startsWith("-")), version));
      return 0;
    }
    if (positionalIndex < 0) {
      if (wantsHelp(args)) {
        stdout(globalHelp(COMMANDS, version));
        return 0;
      }
      writeAllSync(Deno.stderr, globalHelp(COMMANDS, version));
      throw new UsageError("Missing command");
    }
    const { command, path, rest } = resolveCommand(args, positionalIndex);
    commandPath = path;
    if (wantsHelp(rest)) {
      stdout(commandHelp(command, path));
      return 0;
    }
    const parsed = parseCommandArgs(command, path, rest);
    const common = resolveCommonOptions(parsed.values, path);
    dataDir = dataDirectoryOf(common.basePath);
    output = new Output({ json: common.json, quiet: common.quiet, logLevel: common.logLevel });
    // stdout carries results only: library output goes to stderr while the command runs.
    const restoreConsole = routeConsoleToStderr();
    const interrupt = interruptSignal();
    try {
      const context: CommandContext = {
        commandPath: path,
        values: parsed.values,
        positionals: parsed.positionals,
        common,
        out: output,
        signal: interrupt.signal,
      };
      try {
        return await command.run(context);
      } catch (error) {
        // A command cut short by Ctrl-C (a login waiting for a scan, a long recv) is not a failure
        // to report with a stack of abort errors: say so and exit like an interrupted program.
        if (interrupt.signal.aborted && !(error instanceof UsageError)) {
          output.error("Interrupted");
          return 130;
        }
        throw error;
      }
    } finally {
      interrupt.dispose();
      restoreConsole();
    }
  } catch (error) {
    if (error instanceof UsageError) return reportUsageError(output, error, commandPath);
    // The client's errors, and Deno's permission errors, in the words of this command line.
    output.error(describeFailure(error, program(), dataDir));
    if (error instanceof Error && error.stack) output.log("debug", error.stack);
    return 1;
  }
}
