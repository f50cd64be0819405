/**
 * "Did you mean": the closest known name to a mistyped command or flag.
 *
 * @module
 */

/** Longest input compared; anything longer is not a typo of a short name. */
const MAX_INPUT = 64;

/**
 * Optimal string alignment distance: insertions, deletions, substitutions and swaps of two
 * neighbours (`--txet` → `--text`) each cost 1.
 */
export function editDistance(a: string, b: string): number {
  const rows = a.length + 1;
  const cols = b.length + 1;
  const d = new Array<number>(rows * cols);
  for (let i = 0; i < rows; i++) d[i * cols] = i;
  for (let j = 0; j < cols; j++) d[j] = j;
  for (let i = 1; i < rows; i++) {
    for (let j = 1; j < cols; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(
        d[(i - 1) * cols + j]! + 1,
        d[i * cols + j - 1]! + 1,
        d[(i - 1) * cols + j - 1]! + cost,
      );
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) {
        best = Math.min(best, d[(i - 2) * cols + j - 2]! + 1);
      }
      d[i * cols + j] = best;
    }
  }
  return d[rows * cols - 1]!;
}

/**
 * The candidate `input` most likely meant: the nearest by {@linkcode editDistance} within a
 * third of its length (at least 1, at most 3), else the only candidate that starts with it
 * (3 characters or more). Case is ignored. `undefined` when nothing is close.
 *
 * @example
 * ```ts
 * import { closest } from "./suggest.ts";
 *
 * console.log(closest("histroy", ["login", "history", "recv"])); // "history"
 * ```
 */
export function closest(input: string, candidates: readonly string[]): string | undefined {
  const typed = input.toLowerCase();
  if (typed === "" || typed.length > MAX_INPUT) return undefined;
  const limit = Math.min(3, Math.max(1, Math.floor(typed.length / 3)));
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of candidates) {
    const distance = editDistance(typed, candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  if (best !== undefined && bestDistance <= limit) return best;
  if (typed.length < 3) return undefined;
  const prefixed = candidates.filter((c) => c.toLowerCase().startsWith(typed));
  return prefixed.length === 1 ? prefixed[0] : undefined;
}

/** ` (did you mean 'x'?)`, or `""` when nothing is close. */
export function didYouMean(input: string, candidates: readonly string[]): string {
  const match = closest(input, candidates);
  return match === undefined || match === input ? "" : ` (did you mean '${match}'?)`;
}
