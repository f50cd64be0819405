#!/usr/bin/env -S deno run -A
/**
 * The `weilink` command line: `deno run -A cli.ts --help`.
 *
 * This file stays tiny so that start-up is fast; the commands live in
 * `src/cli/` and each one loads its own dependencies on demand.
 *
 * @module
 */

if (import.meta.main) {
  const { main } = await import("./src/cli/mod.ts");
  // Exit as soon as the command is done: its output is written synchronously, and a timer some
  // library left behind must not keep a finished command alive.
  Deno.exit(await main(Deno.args));
}
