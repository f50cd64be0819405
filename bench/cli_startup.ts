/**
 * Start-up cost of the command line: `deno run -A cli.ts --help` against
 * `deno run -A` of an empty file, run alternately N times each (default 21)
 * so that machine noise hits both alike. Prints both medians and their ratio;
 * the target is at most 2×. `cli.ts status` on an empty data directory is
 * measured too, as it must not load the servers either.
 *
 * Usage: `deno run -A bench/cli_startup.ts [N]`
 *
 * @module
 */

const runs = Number(Deno.args[0] ?? "21");
if (!Number.isInteger(runs) || runs < 1) {
  console.error(`Invalid run count '${Deno.args[0]}': expected a positive whole number`);
  Deno.exit(2);
}

const root = new URL("..", import.meta.url);
const tempDir = await Deno.makeTempDir({ prefix: "weilink-bench-" });
const emptyFile = `${tempDir}/empty.ts`;
await Deno.writeTextFile(emptyFile, "");

async function timeRun(args: string[]): Promise<number> {
  const start = performance.now();
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    stdout: "null",
    stderr: "piped",
    env: { WEILINK_HOME: `${tempDir}/home`, NO_COLOR: "1" },
  }).output();
  const elapsed = performance.now() - start;
  if (code !== 0) {
    throw new Error(`'deno ${args.join(" ")}' failed: ${new TextDecoder().decode(stderr)}`);
  }
  return elapsed;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? sorted[mid] as number
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

const cases = {
  empty: ["run", "-A", emptyFile],
  help: ["run", "-A", "cli.ts", "--help"],
  status: ["run", "-A", "cli.ts", "status", "--json"],
};
const times: Record<keyof typeof cases, number[]> = { empty: [], help: [], status: [] };

try {
  // One warm-up of each fills Deno's module and transpile caches.
  for (const args of Object.values(cases)) await timeRun(args);
  for (let i = 0; i < runs; i++) {
    for (const [name, args] of Object.entries(cases) as [keyof typeof cases, string[]][]) {
      times[name].push(await timeRun(args));
    }
  }
} finally {
  await Deno.remove(tempDir, { recursive: true });
}

const empty = median(times.empty);
const help = median(times.help);
const status = median(times.status);
console.log(`runs per case:                 ${runs} (alternating)`);
console.log(`deno run -A <empty file>:      ${empty.toFixed(1)} ms (median)`);
console.log(`deno run -A cli.ts --help:     ${help.toFixed(1)} ms (median)`);
console.log(`deno run -A cli.ts status:     ${status.toFixed(1)} ms (median)`);
console.log(`ratio --help / empty:          ${(help / empty).toFixed(2)}x (target <= 2x)`);
console.log(`ratio status / empty:          ${(status / empty).toFixed(2)}x`);
