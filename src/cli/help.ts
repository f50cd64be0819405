/**
 * Help text, generated from the command table so it cannot drift from the
 * flags the parser really accepts.
 *
 * @module
 */

import type { Command, FlagSpec } from "./command.ts";
import { COMMANDS } from "./command_table.ts";
import { flagsOf, PROGRAM, UsageError } from "./flags.ts";
import { program } from "./invocation.ts";
import { didYouMean } from "./suggest.ts";

const GROUP_TITLES: Record<Command["group"], string> = {
  bot: "bot commands",
  server: "server commands",
  other: "other commands",
};

function table(rows: readonly (readonly [string, string])[], indent = "  "): string[] {
  const width = Math.max(0, ...rows.map(([left]) => left.length));
  return rows.map(([left, right]) => `${indent}${left.padEnd(width)}  ${right}`.trimEnd());
}

function flagLabel(name: string, spec: FlagSpec): string {
  const long = `--${name}${spec.type === "string" ? ` ${spec.valueName ?? "VALUE"}` : ""}`;
  return spec.short ? `-${spec.short}, ${long}` : `    ${long}`;
}

/**
 * The text of `weilink --help`; `prog` is the command as the user started it (see
 * `invocation.ts`), so every line can be typed as shown.
 */
export function globalHelp(
  commands: readonly Command[],
  version: string,
  prog: string = program(),
): string {
  const lines = [
    `WeiLink ${version} — command line for the WeChat iLink Bot protocol.`,
    "",
    `Usage: ${prog} <command> [arguments] [options]`,
  ];
  for (const group of Object.keys(GROUP_TITLES) as Command["group"][]) {
    const members = commands.filter((c) => c.group === group);
    if (members.length === 0) continue;
    lines.push("", `${GROUP_TITLES[group]}:`, ...table(members.map((c) => [c.name, c.summary])));
  }
  lines.push(
    "",
    "options:",
    ...table([
      ["-h, --help", "show this help (also: <command> --help)"],
      ["-V, --version", "print the version"],
    ]),
    "",
    "Common command options: -d/--base-path DIR, --json, --log-level LEVEL, --base-url URL,",
    "--cdn-base-url URL, --store URL, -q/--quiet. Environment: WEILINK_HOME,",
    "WEILINK_BASE_URL, WEILINK_CDN_BASE_URL, WEILINK_STORE, WEILINK_LOG_LEVEL,",
    "WEILINK_MCP_TOKEN.",
    "Exit status: 0 success, 1 failure, 2 usage error.",
    "",
    `Try '${prog} demo' to chat with an echo bot on the embedded sandbox, no WeChat account needed.`,
  );
  return lines.join("\n") + "\n";
}

function usageLine(command: Command, path: string, prog: string): string {
  const parts = [prog, path];
  if (command.subcommands?.length) parts.push("[COMMAND]");
  for (const p of command.positionals ?? []) parts.push(p.optional ? `[${p.name}]` : p.name);
  parts.push("[options]");
  return parts.join(" ");
}

/** The text of `weilink <command> --help` (`prog` as in {@linkcode globalHelp}). */
export function commandHelp(command: Command, path: string, prog: string = program()): string {
  const lines = [
    `Usage: ${usageLine(command, path, prog)}`,
    "",
    command.description ?? command.summary,
  ];
  if (command.subcommands?.length) {
    lines.push(
      "",
      "commands:",
      ...table(command.subcommands.map((sub) => {
        const args = (sub.positionals ?? []).map((p) => (p.optional ? `[${p.name}]` : p.name));
        return [[sub.name, ...args].join(" "), sub.summary] as const;
      })),
    );
  }
  if (command.positionals?.length) {
    lines.push(
      "",
      "arguments:",
      ...table(command.positionals.map((p) => [p.name, p.description])),
    );
  }
  const flags = Object.entries(flagsOf(command));
  lines.push(
    "",
    "options:",
    ...table(flags.map(([name, spec]) => [flagLabel(name, spec), spec.description])),
  );
  if (command.examples?.length) {
    lines.push("", "examples:", ...command.examples.map((e) => `  ${prog} ${e}`));
  }
  return lines.join("\n") + "\n";
}

/** `weilink help [COMMAND...]`: help for the named command, or the global help. */
export function helpFor(
  words: readonly string[],
  version: string,
  table: readonly Command[] = COMMANDS,
  prog: string = program(),
): string {
  let commands = table;
  let found: Command | undefined;
  const path: string[] = [];
  for (const word of words) {
    found = commands.find((c) => c.name === word);
    if (!found) {
      const hint = didYouMean(word, commands.map((c) => c.name));
      throw new UsageError(`Unknown command '${[...path, word].join(" ")}'${hint}`);
    }
    path.push(word);
    commands = found.subcommands ?? [];
  }
  return found ? commandHelp(found, path.join(" "), prog) : globalHelp(table, version, prog);
}

/** What `--version` prints. */
export function versionText(version: string, json: boolean): string {
  return json ? JSON.stringify({ version }) + "\n" : `${PROGRAM} ${version}\n`;
}
