/**
 * Runs every bench, each in its own `deno` process so one bench's heap and JIT state cannot skew
 * the next. `deno task bench` runs them all; `deno task bench aes` runs only the named ones.
 *
 * To add a bench: write `bench/<name>_bench.ts` (runnable on its own, printing its own report)
 * and add it to {@linkcode BENCHES}. Benches run with `-A`.
 *
 * @module
 */

/** Known benches: short name and file, relative to this directory. */
export const BENCHES: readonly { name: string; file: string }[] = [
  { name: "aes", file: "aes_bench.ts" },
  { name: "store", file: "store_bench.ts" },
  { name: "search", file: "search_bench.ts" },
  { name: "recv", file: "recv_bench.ts" },
  { name: "send", file: "send_bench.ts" },
  { name: "mcp", file: "mcp_bench.ts" },
  { name: "cli", file: "cli_startup.ts" },
  { name: "postgres", file: "postgres_bench.ts" },
  { name: "media", file: "media_bench.ts" },
];

/** Runs the benches named in `names` (all when empty); returns the names of those that failed. */
export async function runBenches(names: readonly string[]): Promise<string[]> {
  const unknown = names.filter((n) => !BENCHES.some((b) => b.name === n));
  if (unknown.length > 0) {
    throw new Error(
      `Unknown bench "${unknown.join('", "')}": expected one of ${BENCHES.map((b) => b.name)}`,
    );
  }
  const failed: string[] = [];
  for (const bench of BENCHES) {
    if (names.length > 0 && !names.includes(bench.name)) continue;
    console.log(`\n=== bench: ${bench.name} (${bench.file})\n`);
    const { success } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", new URL(bench.file, import.meta.url).pathname],
      stdin: "null",
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (!success) failed.push(bench.name);
  }
  return failed;
}

if (import.meta.main) {
  const failed = await runBenches(Deno.args);
  if (failed.length > 0) {
    console.error(`\nFailed benches: ${failed.join(", ")}`);
    Deno.exit(1);
  }
}
