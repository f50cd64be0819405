/**
 * "Did you mean": the edit distance, the choice of a suggestion, and the hints the command line
 * gives for mistyped commands, subcommands and flags.
 */
import assert from "node:assert/strict";
import { closest, didYouMean, editDistance } from "../../src/cli/suggest.ts";
import { COMMANDS } from "../../src/cli/command_table.ts";
import { runCli } from "./cli_process.ts";

Deno.test("editDistance counts edits, a swap of neighbours as one", () => {
  assert.equal(editDistance("", ""), 0);
  assert.equal(editDistance("", "abc"), 3);
  assert.equal(editDistance("kitten", "sitting"), 3);
  assert.equal(editDistance("--txet", "--text"), 1);
  assert.equal(editDistance("histroy", "history"), 1);
  assert.equal(editDistance("recv", "recv"), 0);
  assert.equal(editDistance("abc", "cab"), 2);
});

Deno.test("closest: near names within a third of the length, else a unique prefix", () => {
  const names = COMMANDS.map((c) => c.name);
  assert.equal(closest("histroy", names), "history");
  assert.equal(closest("stauts", names), "status");
  assert.equal(closest("LOGIN", names), "login", "case is ignored");
  assert.equal(closest("snd", names), "send");
  assert.equal(closest("sandbx", names), "sandbox");
  assert.equal(closest("open", names), "openapi", "the only name starting with it");
  assert.equal(closest("s", names), undefined, "too short to guess");
  assert.equal(closest("zzzzzz", names), undefined);
  assert.equal(closest("se", names), undefined, "send, sessions: no unique prefix");
  assert.equal(closest("x".repeat(5000), names), undefined, "long input is not a typo");
  assert.equal(didYouMean("--jsno", ["--json", "--quiet"]), " (did you mean '--json'?)");
  assert.equal(didYouMean("--nothing-like-it", ["--json", "--quiet"]), "");
});

Deno.test("cli: unknown commands and flags suggest the closest name, still exit 2", async () => {
  const [command, sub, flag, commonFlag, helpTopic, far] = await Promise.all([
    runCli(["histroy", "--json"]),
    runCli(["sessions", "renam", "a", "b"]),
    runCli(["send", "x@im.wechat", "--txet", "hi"]),
    runCli(["recv", "--jsno"]),
    runCli(["help", "stauts"]),
    runCli(["frobnicate"]),
  ]);
  for (const result of [command, sub, flag, commonFlag, helpTopic, far]) {
    assert.equal(result.code, 2, result.stderr);
  }
  assert.match(command.stderr, /Unknown command 'histroy' \(did you mean 'history'\?\)/);
  assert.deepEqual(JSON.parse(command.stdout), {
    error: "Unknown command 'histroy' (did you mean 'history'?)",
  });
  assert.match(sub.stderr, /Unknown command 'sessions renam' \(did you mean 'sessions rename'\?\)/);
  assert.match(flag.stderr, /Unknown option '--txet' \(did you mean '--text'\?\)/);
  assert.match(commonFlag.stderr, /Unknown option '--jsno' \(did you mean '--json'\?\)/);
  assert.match(helpTopic.stderr, /Unknown command 'stauts' \(did you mean 'status'\?\)/);
  assert.match(far.stderr, /Unknown command 'frobnicate'\n/, "no suggestion when nothing is close");
});
