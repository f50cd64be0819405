/**
 * `deno task fuzz`: a seeded fuzz run over every target (100,000 cases by default).
 *
 * ```sh
 * deno task fuzz                                   # all targets, a random seed (printed)
 * deno task fuzz --seed 42 --cases 20000           # reproducible, shorter
 * deno task fuzz --seed 42 --target wire,aes       # some targets only
 * deno task fuzz --seed 42 --target wire --case 7  # replay one case
 * ```
 *
 * Exits with status 1 when any case fails, 2 on a usage error.
 *
 * @module
 */

import { parseArgs } from "node:util";
import { randomSeed } from "./prng.ts";
import { DEFAULT_CASES, runFuzz, TARGETS } from "./runner.ts";

const USAGE =
  `Usage: deno task fuzz [--seed N] [--cases N] [--target NAME[,NAME]] [--case N] [--no-shrink]

  --seed N      seed of the run (default: random, printed first)
  --cases N     cases in total, split over the targets by weight (default ${DEFAULT_CASES})
  --target LIST only these targets (comma-separated; default all)
  --case N      replay case N of one --target (with the seed that found it)
  --no-shrink   report failing inputs as generated, without minimising them

Targets:
${TARGETS.map((t) => `  ${t.name.padEnd(16)}${t.summary}`).join("\n")}
`;

function whole(
  flag: string,
  value: string | undefined,
  min: number,
  max: number,
): number | undefined {
  if (value === undefined) return undefined;
  const n = /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new RangeError(
      `Invalid ${flag} '${value}': expected a whole number from ${min} to ${max}`,
    );
  }
  return n;
}

async function main(args: string[]): Promise<number> {
  let values;
  try {
    ({ values } = parseArgs({
      args,
      options: {
        seed: { type: "string" },
        cases: { type: "string" },
        target: { type: "string" },
        case: { type: "string" },
        "no-shrink": { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    console.error(`${(error as Error).message.split("\n")[0]}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  try {
    const seed = whole("--seed", values.seed, 0, 0xffff_ffff) ?? randomSeed();
    const cases = whole("--cases", values.cases, 1, 100_000_000) ?? DEFAULT_CASES;
    const caseIndex = whole("--case", values.case, 0, 100_000_000);
    const targets = values.target?.split(",").map((t) => t.trim()).filter(Boolean);
    if (caseIndex !== undefined && targets?.length !== 1) {
      throw new RangeError("--case needs exactly one --target");
    }
    const report = await runFuzz({
      seed,
      cases,
      ...(targets ? { targets } : {}),
      ...(caseIndex !== undefined ? { caseIndex } : {}),
      shrink: !values["no-shrink"],
    });
    return report.failures.length === 0 ? 0 : 1;
  } catch (error) {
    if (error instanceof RangeError) {
      console.error(`${error.message}\n\n${USAGE}`);
      return 2;
    }
    throw error;
  }
}

if (import.meta.main) Deno.exitCode = await main(Deno.args);
