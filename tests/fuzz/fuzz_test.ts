import assert from "node:assert/strict";
import { describeFailures, runFuzz } from "./runner.ts";

// A fixed seed, so that a failure here replays exactly with `deno task fuzz --seed 20260330`
// plus the `--target` and `--case` it names. The long run (`deno task fuzz`) does 100,000 cases.
const SEED = 20260330;

Deno.test("fuzz: hostile input never crashes or hangs any target (short seeded run)", async () => {
  const lines: string[] = [];
  const report = await runFuzz({ seed: SEED, cases: 3_000, log: (l) => lines.push(l) });
  assert.equal(report.cases, 3_000);
  for (const target of report.targets) assert.ok(target.cases > 0, `${target.name} ran no case`);
  assert.equal(report.failures.length, 0, `\n${describeFailures(report).join("\n\n")}`);
});
