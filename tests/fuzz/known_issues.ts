/**
 * Bugs the fuzzer found in code that is being changed by its owner at the moment, so they are
 * not fixed here. A failure matching an entry (its target and signature) is reported as a known
 * issue, with its count and a minimised input, and does not fail the run; every other failure
 * does. A run in which a listed issue no longer occurs says so: remove the entry once the fix has
 * landed, so that a regression fails again.
 *
 * @module
 */

import type { Failure } from "./harness.ts";

/** One open bug, matched narrowly. */
export interface KnownIssue {
  /** Target that finds it. */
  target: string;
  /** Matches the failure's signature (`kind:Class:summary`). */
  signature: RegExp;
  /** Where the bug is. */
  file: string;
  /** What is wrong, in one sentence. */
  summary: string;
}

/** The open issues. */
export const KNOWN_ISSUES: readonly KnownIssue[] = [];

/** The known issue a failure is an instance of, if any. */
export function knownIssueOf(failure: Failure): KnownIssue | undefined {
  return KNOWN_ISSUES.find((k) =>
    k.target === failure.target && k.signature.test(failure.signature)
  );
}
