/**
 * Runs a fuzz campaign: splits the cases over the targets by weight, runs the in-process targets
 * in a watched worker and the HTTP targets against servers in a second worker (both at once),
 * minimises failing inputs, and reports.
 *
 * @module
 */

import {
  CASE_TIMEOUT_MS,
  describeSafely,
  errorText,
  type Failure,
  HangError,
  type HttpEnv,
  kindOf,
  type LocalEnv,
  signatureOf,
  stackOf,
  type Target,
} from "./harness.ts";
import { KNOWN_ISSUES, type KnownIssue, knownIssueOf } from "./known_issues.ts";
import { caseRng } from "./prng.ts";
import { shrink } from "./shrink.ts";
import { LOCAL_TARGETS } from "./targets.ts";
import {
  checkSandboxAfterFuzz,
  controlTarget,
  HTTP_TARGETS,
  maintainRestServer,
  resetHttpState,
  restTarget,
} from "./http_targets.ts";

/** Cases of a full run. */
export const DEFAULT_CASES = 100_000;

/** Options of {@linkcode runFuzz}. */
export interface FuzzOptions {
  /** Seed of the run; every case derives from it. */
  seed: number;
  /** Cases in total, split over the targets by weight. */
  cases: number;
  /** Names of the targets to run (default: all). */
  targets?: readonly string[];
  /** Replay only this case index (of each selected target). */
  caseIndex?: number;
  /** Minimise failing inputs (default true). */
  shrink?: boolean;
  /** Where progress and the report go (default `console.log`). */
  log?: (line: string) => void;
}

/** Per-target numbers. */
export interface TargetReport {
  /** Target name. */
  name: string;
  /** Cases run. */
  cases: number;
  /** Failing cases, known issues not counted. */
  failures: number;
  /** Failing cases that are instances of a known issue. */
  known: number;
  /** Wall time, in milliseconds. */
  ms: number;
}

/** A known issue seen in a run. */
export interface KnownReport {
  /** The issue. */
  issue: KnownIssue;
  /** Its failing cases (the first of them minimised). */
  failures: Failure[];
}

/** What a run found. */
export interface FuzzReport {
  /** The seed. */
  seed: number;
  /** Cases run in total. */
  cases: number;
  /** Every failing case that is no known issue (the first of each cause minimised). */
  failures: Failure[];
  /** Known issues that occurred, with their cases (they do not fail the run). */
  known: KnownReport[];
  /** Per target. */
  targets: TargetReport[];
  /** Wall time, in milliseconds. */
  ms: number;
}

/** Every target: name and one-line summary, in report order. */
export const TARGETS: readonly { name: string; summary: string }[] = [
  ...LOCAL_TARGETS,
  ...HTTP_TARGETS,
].map(({ name, summary }) => ({ name, summary }));

/** Every target name, in report order. */
export const TARGET_NAMES: readonly string[] = TARGETS.map((t) => t.name);

/** Splits `total` cases over targets by weight (every selected target gets at least one). */
export function allocate(
  targets: readonly { name: string; weight: number }[],
  total: number,
): Map<string, number> {
  const weight = targets.reduce((sum, t) => sum + t.weight, 0);
  const counts = new Map(
    targets.map((t) => [t.name, Math.max(1, Math.floor((total * t.weight) / weight))]),
  );
  let left = total - [...counts.values()].reduce((a, b) => a + b, 0);
  for (const t of targets) {
    if (left <= 0) break;
    counts.set(t.name, counts.get(t.name)! + 1);
    left--;
  }
  return counts;
}

// ------------------------------------------------------------------------------- local worker

/** Extra time the main thread grants a case before declaring the worker stuck. */
const WATCHDOG_SLACK_MS = 3_000;
/** Time a worker may spend minimising one failure. */
const SHRINK_LIMIT_MS = 30_000;

/** The worker running in-process targets, restarted when a case blocks it. */
class LocalRunner {
  #worker: Worker | undefined;
  #generation = 0;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async #start(): Promise<Worker> {
    const worker = new Worker(new URL("./local_worker.ts", import.meta.url).href, {
      type: "module",
    });
    const dir = `${this.#root}/local_${this.#generation++}`;
    await Deno.mkdir(dir, { recursive: true });
    await new Promise<void>((resolve, reject) => {
      worker.onmessage = (e) => {
        if (e.data?.type === "ready") resolve();
      };
      worker.onerror = (e) => {
        e.preventDefault();
        reject(new Error(`The fuzz worker failed to start: ${e.message}`));
      };
      worker.postMessage({ type: "init", dir });
    });
    return worker;
  }

  /** Runs cases `from`..`to` of a target; failures are appended to `failures`. */
  async run(
    target: Target<unknown, LocalEnv>,
    seed: number,
    from: number,
    to: number,
    doShrink: boolean,
    failures: Failure[],
  ): Promise<void> {
    let next = from;
    // A case that blocked the worker runs again, alone, in a fresh worker: only a case that
    // blocks it twice is a hang (a busy machine or a long collection pause is not).
    let suspect: number | undefined;
    while (next < to) {
      const worker = this.#worker ??= await this.#start();
      const end = suspect === undefined ? to : suspect + 1;
      next = await new Promise<number>((resolve) => {
        let current = next;
        let phase: "case" | "shrink" = "case";
        let last = Date.now();
        const finish = (resumeAt: number, stuck: boolean) => {
          clearInterval(watchdog);
          worker.onmessage = null;
          worker.onerror = null;
          if (stuck) {
            worker.terminate();
            this.#worker = undefined;
          }
          resolve(resumeAt);
        };
        let tick = Date.now();
        const watchdog = setInterval(() => {
          const now = Date.now();
          // A late tick means this thread was the one held up (a long synchronous step of the
          // HTTP targets): the worker's messages are queued behind it, so its clock restarts.
          if (now - tick > 1_000) last = now;
          tick = now;
          const limit = phase === "shrink" ? SHRINK_LIMIT_MS : CASE_TIMEOUT_MS + WATCHDOG_SLACK_MS;
          if (now - last <= limit) return;
          if (phase === "case" && suspect !== current) {
            suspect = current;
            finish(current, true);
            return;
          }
          if (phase === "case") {
            failures.push(
              localFailure(
                target,
                seed,
                current,
                "hang",
                new HangError("the case blocked the thread, twice"),
              ),
            );
          }
          suspect = undefined;
          finish(current + 1, true);
        }, 250);
        worker.onmessage = (e) => {
          last = Date.now();
          const m = e.data as Record<string, unknown>;
          switch (m.type) {
            case "start":
              current = m.index as number;
              phase = "case";
              break;
            case "failure":
              failures.push(m.failure as Failure);
              break;
            case "shrinking":
              phase = "shrink";
              break;
            case "shrunk": {
              phase = "case";
              const f = failures.find((x) => x.target === target.name && x.index === m.index);
              if (f && m.steps) {
                f.minimised = m.minimised as string;
                f.shrinkSteps = m.steps as number;
              }
              break;
            }
            case "done":
              suspect = undefined;
              finish(end, false);
              break;
          }
        };
        worker.onerror = (e) => {
          // An error nobody caught inside the worker (a floating promise of the code under test).
          e.preventDefault();
          failures.push(localFailure(target, seed, current, "unexpected", new Error(e.message)));
          suspect = undefined;
          finish(current + 1, true);
        };
        worker.postMessage({
          type: "run",
          target: target.name,
          seed,
          from: next,
          to: end,
          shrink: doShrink,
        });
      });
    }
  }

  async stop(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 2_000);
      worker.onmessage = (e) => {
        if (e.data?.type === "stopped") {
          clearTimeout(timer);
          resolve();
        }
      };
      worker.postMessage({ type: "stop" });
    });
    worker.terminate();
  }
}

/** A failure the main thread observed itself: the input is generated again from the seed. */
function localFailure<I, E>(
  target: Target<I, E>,
  seed: number,
  index: number,
  kind: Failure["kind"],
  error: Error,
): Failure {
  return {
    target: target.name,
    index,
    kind,
    error: errorText(error),
    signature: signatureOf(kind, error),
    input: describeCase(target, seed, index),
  };
}

/** The input of a case, generated again from its seed (or why that failed). */
function describeCase<I, E>(target: Target<I, E>, seed: number, index: number): string {
  let input: I;
  try {
    input = target.generate(caseRng(seed, target.name, index));
  } catch (error) {
    return `(cannot generate it again: ${errorText(error)})`;
  }
  return describeSafely(target, input);
}

// ------------------------------------------------------------------------------- server host

/** The worker hosting the servers of the HTTP targets. */
class ServerHost {
  #worker: Worker | undefined;
  #generation = 0;
  readonly #root: string;

  constructor(root: string) {
    this.#root = root;
  }

  async start(): Promise<HttpEnv> {
    await this.stop();
    const worker = new Worker(new URL("./server_host.ts", import.meta.url).href, {
      type: "module",
    });
    this.#worker = worker;
    const dir = `${this.#root}/host_${this.#generation++}`;
    await Deno.mkdir(dir, { recursive: true });
    resetHttpState();
    return await new Promise<HttpEnv>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("The server host did not start")), 60_000);
      worker.onmessage = (e) => {
        clearTimeout(timer);
        if (e.data?.type === "ready") resolve(e.data.env as HttpEnv);
        else reject(new Error(`The server host failed to start: ${e.data?.error}`));
      };
      worker.onerror = (e) => {
        e.preventDefault();
        clearTimeout(timer);
        reject(new Error(`The server host failed: ${e.message}`));
      };
      worker.postMessage({ type: "start", dir });
    });
  }

  async stop(): Promise<void> {
    const worker = this.#worker;
    if (!worker) return;
    this.#worker = undefined;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, 10_000);
      worker.onmessage = (e) => {
        if (e.data?.type === "stopped") {
          clearTimeout(timer);
          resolve();
        }
      };
      worker.onerror = (e) => e.preventDefault();
      worker.postMessage({ type: "stop" });
    });
    worker.terminate();
  }
}

/** Whether the servers still answer simple requests. */
async function serversAlive(env: HttpEnv): Promise<boolean> {
  try {
    const a = await fetch(`${env.openapiUrl}/tools`, { signal: AbortSignal.timeout(3_000) });
    await a.body?.cancel();
    const b = await fetch(`${env.controlUrl}/_control/state`, {
      signal: AbortSignal.timeout(3_000),
    });
    await b.body?.cancel();
    return a.ok && b.ok;
  } catch {
    return false;
  }
}

async function runHttpTargets(
  selected: readonly Target<unknown, HttpEnv>[],
  counts: Map<string, number>,
  options: FuzzOptions,
  failures: Failure[],
  reports: TargetReport[],
  root: string,
): Promise<void> {
  if (selected.length === 0) return;
  const host = new ServerHost(root);
  let env = await host.start();
  try {
    for (const target of selected) {
      const started = Date.now();
      const [from, to] = options.caseIndex !== undefined
        ? [options.caseIndex, options.caseIndex + 1]
        : [0, counts.get(target.name)!];
      const shrunk = new Set<string>();
      for (let index = from; index < to; index++) {
        if (target === restTarget && index % 5 === 0) {
          await maintainRestServer(env).catch(() => {});
        }
        let input: unknown;
        try {
          input = target.generate(caseRng(options.seed, target.name, index));
        } catch (error) {
          // A broken generator is the fuzzer's own bug: seen in the report, not a crashed run.
          failures.push({
            target: target.name,
            index,
            kind: "unexpected",
            error: `the generator failed: ${errorText(error)}`,
            signature: signatureOf("unexpected", error),
            input: "(none: generation failed)",
          });
          continue;
        }
        const attempt = async (): Promise<{ error: unknown } | undefined> => {
          try {
            await target.run(input, env);
            return undefined;
          } catch (error) {
            return { error };
          }
        };
        let outcome = await attempt();
        // A request that timed out is sent again: a real hang answers late twice, a busy
        // machine does not.
        if (outcome && kindOf(outcome.error) === "hang") outcome = await attempt();
        if (!outcome) continue;
        const error = outcome.error;
        const kind = kindOf(error);
        const signature = signatureOf(kind, error);
        const failure: Failure = {
          target: target.name,
          index,
          kind,
          error: errorText(error),
          signature,
          input: describeSafely(target, input),
        };
        const stack = stackOf(error);
        if (stack) failure.stack = stack;
        failures.push(failure);
        if (kind === "hang") {
          if (!(await serversAlive(env))) env = await host.start();
          continue;
        }
        if (options.shrink === false || shrunk.has(signature)) continue;
        shrunk.add(signature);
        const small = await shrink(
          input,
          async (candidate) => {
            try {
              await target.run(candidate, env);
              return false;
            } catch (e) {
              return signatureOf(kindOf(e), e) === signature;
            }
          },
          { attempts: 150, timeMs: 20_000 },
          target.shrinkable?.bind(target),
        );
        if (small.steps) {
          failure.minimised = describeSafely(target, small.value);
          failure.shrinkSteps = small.steps;
        }
      }
      // After the cases: the servers must still be serving.
      if (options.caseIndex === undefined) {
        await afterCheck(target, env, failures);
      }
      reports.push(targetReport(target.name, to - from, failures, started));
    }
  } finally {
    await host.stop();
  }
}

/** The health check after a target's cases, recorded as case -1 when it fails. */
async function afterCheck(
  target: Target<unknown, HttpEnv>,
  env: HttpEnv,
  failures: Failure[],
): Promise<void> {
  try {
    if (target === controlTarget) await checkSandboxAfterFuzz(env);
    else {
      const res = await fetch(`${env.openapiUrl}/tools/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "{}",
        signal: AbortSignal.timeout(5_000),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`the server answers sessions with HTTP ${res.status}`);
    }
  } catch (error) {
    const kind = kindOf(error);
    failures.push({
      target: target.name,
      index: -1,
      kind,
      error: errorText(error),
      signature: signatureOf(kind, error),
      input: target === controlTarget
        ? "after the run: getupdates for every known bot, then reset, login and one message"
        : "after the run: POST /tools/sessions {}",
    });
  }
}

// ------------------------------------------------------------------------------- the run

/** Runs the campaign and prints the report. */
export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const log = options.log ?? ((line: string) => console.log(line));
  const started = Date.now();
  const wanted = options.targets?.length ? options.targets : TARGET_NAMES;
  for (const name of wanted) {
    if (!TARGET_NAMES.includes(name)) {
      throw new RangeError(
        `Unknown fuzz target "${name}": expected one of ${TARGET_NAMES.join(", ")}`,
      );
    }
  }
  const local = LOCAL_TARGETS.filter((t) => wanted.includes(t.name)) as Target<unknown, LocalEnv>[];
  const http = HTTP_TARGETS.filter((t) => wanted.includes(t.name)) as Target<unknown, HttpEnv>[];
  const counts = allocate([...local, ...http], options.cases);
  log(
    `fuzz: seed ${options.seed}${
      options.caseIndex !== undefined ? `, case ${options.caseIndex}` : ""
    } (replay with --seed ${options.seed})`,
  );

  const root = await Deno.makeTempDir({ prefix: "weilink_fuzz_" });
  const failures: Failure[] = [];
  const reports: TargetReport[] = [];
  try {
    const runLocal = async () => {
      const runner = new LocalRunner(root);
      try {
        for (const target of local) {
          const t0 = Date.now();
          const [from, to] = options.caseIndex !== undefined
            ? [options.caseIndex, options.caseIndex + 1]
            : [0, counts.get(target.name)!];
          await runner.run(target, options.seed, from, to, options.shrink !== false, failures);
          const report = targetReport(target.name, to - from, failures, t0);
          reports.push(report);
          log(line(report));
        }
      } finally {
        await runner.stop();
      }
    };
    const runHttp = async () => {
      const from = reports.length;
      await runHttpTargets(http, counts, options, failures, reports, root);
      for (const report of reports.slice(from)) {
        if (http.some((t) => t.name === report.name)) log(line(report));
      }
    };
    await Promise.all([runLocal(), runHttp()]);
  } finally {
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }

  const order = [...local, ...http].map((t) => t.name);
  reports.sort((a, b) => order.indexOf(a.name) - order.indexOf(b.name));
  const known: KnownReport[] = [];
  for (const failure of failures) {
    const issue = knownIssueOf(failure);
    if (!issue) continue;
    const entry = known.find((k) => k.issue === issue);
    if (entry) entry.failures.push(failure);
    else known.push({ issue, failures: [failure] });
  }
  const report: FuzzReport = {
    seed: options.seed,
    cases: reports.reduce((sum, r) => sum + r.cases, 0),
    failures: failures.filter((f) => !knownIssueOf(f)),
    known,
    targets: reports,
    ms: Date.now() - started,
  };
  for (const text of describeFailures(report)) log(text);
  for (const text of describeKnown(report)) log(text);
  if (options.caseIndex === undefined) {
    for (const issue of KNOWN_ISSUES) {
      const ran = reports.some((r) => r.name === issue.target && r.cases >= 1_000);
      if (ran && !known.some((k) => k.issue === issue)) {
        log(
          `NOTE known issue in ${issue.file} did not occur in ${issue.target}: if it is fixed, ` +
            "remove it from tests/fuzz/known_issues.ts",
        );
      }
    }
  }
  const knownCases = known.reduce((sum, k) => sum + k.failures.length, 0);
  const n = report.failures.length;
  log(
    `fuzz: ${report.cases} cases, ${n} failure${n === 1 ? "" : "s"}` +
      (known.length
        ? `, ${known.length} known issue${
          known.length === 1 ? "" : "s"
        } still open (${knownCases} ` +
          `case${knownCases === 1 ? "" : "s"})`
        : "") +
      ` (${(report.ms / 1000).toFixed(1)} s, seed ${report.seed})`,
  );
  return report;
}

/** The numbers of one target; `all` holds other targets' failures too (runs overlap). */
function targetReport(
  name: string,
  cases: number,
  all: Failure[],
  started: number,
): TargetReport {
  const found = all.filter((f) => f.target === name);
  const known = found.filter((f) => knownIssueOf(f)).length;
  return { name, cases, failures: found.length - known, known, ms: Date.now() - started };
}

/** The known issues that occurred: where, what, how often, and a minimised example. */
export function describeKnown(report: FuzzReport): string[] {
  return report.known.map(({ issue, failures }) => {
    const f = failures.find((x) => x.minimised) ?? failures[0]!;
    return [
      `KNOWN ${issue.target}, open in ${issue.file}: ${issue.summary}`,
      `  ${failures.length} case(s); e.g. case ${f.index}: ${f.minimised ?? f.input}`,
    ].join("\n");
  });
}

function line(r: TargetReport): string {
  return `  ${r.name.padEnd(16)} ${String(r.cases).padStart(7)} cases ${
    String(r.failures).padStart(5)
  } failures ${(r.ms / 1000).toFixed(1).padStart(7)} s${r.known ? `  (${r.known} known)` : ""}`;
}

/** The failures, one block per cause (target and signature), with how to replay each. */
export function describeFailures(report: FuzzReport): string[] {
  const groups = new Map<string, Failure[]>();
  for (const f of report.failures) {
    const key = `${f.target} ${f.signature}`;
    groups.set(key, [...(groups.get(key) ?? []), f]);
  }
  const out: string[] = [];
  for (const group of groups.values()) {
    const f = group.find((x) => x.minimised) ?? group[0]!;
    const lines = [
      `FAIL ${f.target} case ${f.index} (${f.kind}): ${f.error}`,
      `  input: ${f.input}`,
    ];
    if (f.minimised) lines.push(`  minimised (${f.shrinkSteps} steps): ${f.minimised}`);
    if (f.stack) lines.push(...f.stack.split("\n").map((l) => `    ${l}`));
    if (f.index >= 0) {
      lines.push(
        `  replay: deno task fuzz --seed ${report.seed} --target ${f.target} --case ${f.index}`,
      );
    }
    if (group.length > 1) lines.push(`  (${group.length - 1} more case(s) with the same cause)`);
    out.push(lines.join("\n"));
  }
  return out;
}
