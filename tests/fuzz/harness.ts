/**
 * What a fuzz target is, and how a failing case is told apart from an allowed outcome.
 *
 * A target generates an input from a seeded {@linkcode Rng}, runs the real code on it, and
 * returns normally when the outcome is allowed (a result, or one of the error classes the code
 * documents). Anything else it lets through is a failure: an unexpected error class, an
 * {@linkcode OracleError} (a result that breaks a stated property), or a hang (the runner's
 * watchdog).
 *
 * @module
 */

import type { Rng } from "./prng.ts";

/** Time one in-process case may take before it counts as a hang. */
export const CASE_TIMEOUT_MS = 2_000;

/** A result that breaks a property the code promises (not an exception the code threw). */
export class OracleError extends Error {
  /** What property broke, without the values: failures with the same summary share a cause. */
  readonly summary: string;

  /**
   * @param summary What property broke, without input-specific values.
   * @param options `cause`: the error behind it, whose stack the report shows; `detail`: the
   * values involved, shown after the summary.
   */
  constructor(summary: string, options?: ErrorOptions & { detail?: string }) {
    super(options?.detail ? `${summary}: ${options.detail}` : summary, options);
    this.name = "OracleError";
    this.summary = summary;
  }
}

/** No answer within the case's time limit. */
export class HangError extends Error {
  /** @param message What did not finish, and the limit. */
  constructor(message: string) {
    super(message);
    this.name = "HangError";
  }
}

/**
 * Throws an {@linkcode OracleError} unless `condition` holds. `detail` (the values involved) is
 * computed only on failure and kept out of the failure's signature.
 */
export function check(
  condition: unknown,
  summary: string,
  detail?: () => string,
): asserts condition {
  if (!condition) throw new OracleError(summary, detail ? { detail: detail() } : {});
}

/** An error class, by constructor or by `name` (for classes the harness does not import). */
export type ErrorKind = (abstract new (...args: never[]) => Error) | string;

/** Whether `error` is of one of `kinds`. */
export function isKind(error: unknown, kinds: readonly ErrorKind[]): boolean {
  if (!(error instanceof Error)) return false;
  return kinds.some((k) => typeof k === "string" ? error.name === k : error instanceof k);
}

/**
 * Runs `work`; an error of one of `kinds` is an allowed outcome (`undefined` is returned),
 * anything else propagates as a failure.
 */
export async function allowing<T>(
  kinds: readonly ErrorKind[],
  work: () => T | Promise<T>,
): Promise<T | undefined> {
  try {
    return await work();
  } catch (error) {
    if (isKind(error, kinds)) return undefined;
    throw error;
  }
}

/** Context of a target running in the fuzzer's worker (in-process targets). */
export interface LocalEnv {
  /** A private temporary folder, removed when the worker stops. */
  readonly dir: string;
  /** Placeholder values substituted into generated strings (`$FILES`, `$DATA`, …). */
  readonly vars: Readonly<Record<string, string>>;
}

/** Context of a target that talks to servers over HTTP. */
export interface HttpEnv {
  /** Root URL of the OpenAPI server (`http://127.0.0.1:PORT`). */
  readonly openapiUrl: string;
  /** API base of the sandbox behind the OpenAPI server. */
  readonly serverSandboxUrl: string;
  /** API base of the sandbox whose control API (`/_control`) is fuzzed. */
  readonly controlUrl: string;
  /** Placeholder values substituted into generated strings (`$USER`, `$CTL_BOT`, …). */
  readonly vars: Record<string, string>;
}

/** One fuzz target. */
export interface Target<I, E> {
  /** Name used by `--target` and in reports. */
  readonly name: string;
  /** One line: what runs and what is allowed. */
  readonly summary: string;
  /** Share of the cases of a full run. */
  readonly weight: number;
  /** A fresh input for one case. */
  generate(rng: Rng): I;
  /** Runs one case; returns when the outcome is allowed, throws on a failure. */
  run(input: I, env: E): Promise<void>;
  /** The input as text for a failure report. */
  describe(input: I): string;
  /**
   * Which parts of the input the shrinker may change (default: all of it): `edit` subtrees are
   * shrunk freely, `drop` nodes may only be removed. The rest (a tool name, an operation) stays,
   * so that a minimised input still means the same call.
   */
  shrinkable?(input: I): ShrinkPlan;
}

/** See {@linkcode Target.shrinkable}. */
export interface ShrinkPlan {
  /** Subtrees shrunk freely. */
  edit: (string | number)[][];
  /** Nodes that may be removed whole. */
  drop?: (string | number)[][];
}

/** A case that failed, as reported. */
export interface Failure {
  /** Target name. */
  target: string;
  /** Case index (with the run's seed, `--case` replays it). */
  index: number;
  /** `hang`, `unexpected` (an error class not allowed) or `oracle` (a broken property). */
  kind: "hang" | "unexpected" | "oracle";
  /** Error class and message. */
  error: string;
  /** Stack of the error, when there is one (first frames). */
  stack?: string;
  /** Groups failures with the same cause: kind, error class and message with values blanked. */
  signature: string;
  /** The input as generated. */
  input: string;
  /** The minimised input, when shrinking made it smaller. */
  minimised?: string;
  /** Accepted shrink steps. */
  shrinkSteps?: number;
}

/** `kind:Class:message` with quoted values, numbers and long tails blanked. */
export function signatureOf(kind: Failure["kind"], error: unknown): string {
  const name = error instanceof Error ? error.name : typeof error;
  const message = error instanceof OracleError
    ? error.summary
    : error instanceof Error
    ? error.message
    : String(error);
  const shape = message
    .split("\n")[0]!
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, "<v>")
    .replace(/\d+/g, "<n>")
    .slice(0, 100);
  return `${kind}:${name}:${shape}`;
}

/** Class and message of an error, for reports. */
export function errorText(error: unknown): string {
  if (error instanceof Error) return `${error.name}: ${error.message.slice(0, 500)}`;
  return `thrown non-error: ${String(error).slice(0, 200)}`;
}

/** The first frames of an error's stack. */
export function stackOf(error: unknown): string | undefined {
  // An oracle failure wrapping an exception points at the exception's origin.
  const origin = error instanceof OracleError && error.cause instanceof Error ? error.cause : error;
  if (!(origin instanceof Error) || !origin.stack) return undefined;
  return origin.stack.split("\n").slice(1, 6).map((l) => l.trim()).join("\n");
}

/** Whether `error` counts as an oracle failure rather than an unexpected exception. */
export function kindOf(error: unknown): Failure["kind"] {
  if (error instanceof HangError) return "hang";
  return error instanceof OracleError ? "oracle" : "unexpected";
}

/** `target.describe(input)`, or why it failed: a report must never crash the run. */
export function describeSafely<I, E>(target: Target<I, E>, input: I): string {
  try {
    return target.describe(input);
  } catch (error) {
    return `(cannot describe the input: ${errorText(error)})`;
  }
}
