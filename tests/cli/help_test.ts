/**
 * The help stays true to the parser: every command's help lists exactly the flags it accepts,
 * every example in it parses, and the command line prints the same text for `COMMAND --help`
 * and `help COMMAND`.
 */
import assert from "node:assert/strict";
import type { Command } from "../../src/cli/command.ts";
import { COMMANDS } from "../../src/cli/command_table.ts";
import { flagsOf } from "../../src/cli/flags.ts";
import { commandHelp, globalHelp } from "../../src/cli/help.ts";
import { parseCommandArgs } from "../../src/cli/parse.ts";
import { runCli } from "./cli_process.ts";

/** Every command and subcommand with its path (`sessions rename`). */
function allCommands(): [string, Command][] {
  const out: [string, Command][] = [];
  for (const command of COMMANDS) {
    out.push([command.name, command]);
    for (const sub of command.subcommands ?? []) out.push([`${command.name} ${sub.name}`, sub]);
  }
  return out;
}

/** Splits an example like a shell would, for the simple quoting the examples use. */
function words(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|'([^']*)'|(\S+)/g)].map((m) => m[1] ?? m[2] ?? m[3]!);
}

Deno.test("help: each command lists every flag it accepts, and nothing else", () => {
  for (const [path, command] of allCommands()) {
    const text = commandHelp(command, path, "weilink");
    assert.ok(text.startsWith(`Usage: weilink ${path}`), text);
    const listed = [...text.matchAll(/^ {2}(?:-\w, )? *--([\w-]+)/gm)].map((m) => m[1]);
    assert.deepEqual(listed.sort(), Object.keys(flagsOf(command)).sort(), path);
    for (const p of command.positionals ?? []) {
      assert.ok(text.includes(p.name), `${path} ${p.name}`);
    }
  }
});

Deno.test("help: every example in the help parses as the command it shows", () => {
  let examples = 0;
  for (const [path, command] of allCommands()) {
    for (const example of command.examples ?? []) {
      const argv = words(example);
      const pathWords = path.split(" ");
      assert.deepEqual(argv.slice(0, pathWords.length), pathWords, example);
      // An example may show a subcommand ('sessions rename a b' under 'sessions').
      let target = command;
      let rest = argv.slice(pathWords.length);
      const sub = target.subcommands?.find((s) => s.name === rest[0]);
      if (sub) [target, rest] = [sub, rest.slice(1)];
      // Throws a UsageError (failing the test) for an unknown flag or a missing argument.
      parseCommandArgs(target, path, rest);
      examples++;
    }
  }
  assert.ok(examples >= 10, `${examples} examples checked`);
});

Deno.test("help: the global help lists every command once, by group", () => {
  const text = globalHelp(COMMANDS, "9.9.9", "weilink");
  for (const command of COMMANDS) {
    const rows = text.split("\n").filter((l) => l.startsWith(`  ${command.name} `));
    assert.equal(rows.length, 1, command.name);
    assert.ok(rows[0]!.endsWith(command.summary), rows[0]);
  }
  assert.match(text, /^WeiLink 9\.9\.9 — /);
});

Deno.test("cli: COMMAND --help and help COMMAND print the same, on stdout, exit 0", async () => {
  const paths = allCommands().map(([path]) => path);
  const results = await Promise.all(
    paths.flatMap((
      path,
    ) => [runCli([...path.split(" "), "--help"]), runCli(["help", ...path.split(" ")])]),
  );
  paths.forEach((path, i) => {
    const [flag, word] = [results[2 * i]!, results[2 * i + 1]!];
    assert.equal(flag.code, 0, `${path}: ${flag.stderr}`);
    assert.equal(flag.stderr, "", path);
    assert.match(flag.stdout, new RegExp(`^Usage: deno run -A \\S*cli\\.ts ${path}`));
    assert.equal(word.stdout, flag.stdout, path);
  });
});
