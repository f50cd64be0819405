/**
 * Minimising a failing input: drop keys and items, hoist a child (or a descendant far down a deep
 * chain) into its parent's place, shorten strings and byte arrays, zero numbers; keep a change
 * while the input still fails the same way, until nothing smaller fails or the budget is spent.
 *
 * Every accepted candidate is strictly smaller by {@linkcode measure}, so shrinking ends.
 *
 * @module
 */

import type { ShrinkPlan } from "./harness.ts";
import { isTreeObject, nodeAt, RawJson, replaceAt, type Tree, type TreePath } from "./values.ts";

/** A size that every accepted shrink step must reduce: nodes, characters, bytes, non-zeros. */
export function measure(root: unknown): number {
  let size = 0;
  const stack: unknown[] = [root];
  while (stack.length) {
    const v = stack.pop();
    size++;
    if (typeof v === "string") size += v.length;
    else if (typeof v === "number") size += v === 0 ? 0 : 1;
    else if (v instanceof RawJson) size += v.text.length;
    else if (v instanceof Uint8Array) size += v.length;
    else if (Array.isArray(v)) stack.push(...v);
    else if (isTreeObject(v)) {
      for (const k of Object.keys(v)) {
        size += k.length;
        stack.push(v[k]);
      }
    }
  }
  return size;
}

/** Paths of the input, breadth first, at most `limit`. */
function paths(root: unknown, limit: number): TreePath[] {
  const out: TreePath[] = [];
  const queue: [unknown, TreePath][] = [[root, []]];
  for (let head = 0; head < queue.length && out.length < limit; head++) {
    const [node, path] = queue[head]!;
    out.push(path);
    if (Array.isArray(node)) node.forEach((c, i) => queue.push([c, [...path, i]]));
    else if (isTreeObject(node)) {
      for (const k of Object.keys(node)) queue.push([node[k], [...path, k]]);
    }
  }
  return out;
}

/** The first child of a container, for following a deep chain. */
function firstChild(node: unknown): unknown {
  if (Array.isArray(node)) return node[0];
  if (isTreeObject(node)) {
    const keys = Object.keys(node);
    return keys.length ? node[keys[0]!] : undefined;
  }
  return undefined;
}

/** Smaller variants of `root`, most aggressive first (lazily). */
export function* shrinkCandidates(root: unknown): Generator<unknown> {
  const tree = root as Tree;
  const all = paths(root, 300);
  const set = (path: TreePath, v: unknown) => replaceAt(tree, path, v as Tree);
  for (const path of all) {
    const node = nodeAt(tree, path) as unknown;
    // Remove the node from its parent.
    if (path.length > 0) yield replaceAt(tree, path, undefined);
    if (Array.isArray(node)) {
      if (node.length >= 2) {
        const half = Math.ceil(node.length / 2);
        yield set(path, node.slice(0, half));
        yield set(path, node.slice(half));
      }
    }
    if (Array.isArray(node) || isTreeObject(node)) {
      // A descendant far down the first-child chain takes the node's place: deep nesting halves.
      const chain: unknown[] = [];
      let cursor: unknown = firstChild(node);
      while (cursor !== undefined && chain.length < 100_000) {
        chain.push(cursor);
        cursor = firstChild(cursor);
      }
      for (let d = chain.length >> 1; d >= 1; d >>= 1) {
        const target = chain[d];
        if (target !== undefined) yield set(path, target);
      }
      // Each child in the node's place.
      const children = Array.isArray(node) ? node : Object.values(node);
      for (const child of children.slice(0, 6)) yield set(path, child);
    } else if (typeof node === "string" && node.length > 0) {
      yield set(path, "");
      if (node.length > 1) {
        yield set(path, node.slice(0, node.length >> 1));
        yield set(path, node.slice(node.length >> 1));
        const quarter = Math.max(1, node.length >> 2);
        for (let at = 0; at < node.length; at += quarter) {
          yield set(path, node.slice(0, at) + node.slice(at + quarter));
        }
      }
    } else if (node instanceof Uint8Array && node.length > 0) {
      yield set(path, node.subarray(0, node.length >> 1));
      yield set(path, new Uint8Array(0));
    } else if (typeof node === "number" && node !== 0) {
      yield set(path, 0);
    } else if (node instanceof RawJson) {
      yield set(path, 0);
    }
  }
}

/** Candidates changing only the `plan`'s subtrees of `root` (see `Target.shrinkable`). */
export function* plannedCandidates(root: unknown, plan: ShrinkPlan): Generator<unknown> {
  for (const path of plan.drop ?? []) yield replaceAt(root as Tree, path, undefined);
  for (const path of plan.edit) {
    const subtree = nodeAt(root as Tree, path);
    if (subtree === undefined) continue;
    for (const candidate of shrinkCandidates(subtree)) {
      yield replaceAt(root as Tree, path, candidate as Tree);
    }
  }
}

/** Limits of one shrink. */
export interface ShrinkBudget {
  /** Most candidate runs (default 400). */
  attempts?: number;
  /** Longest time spent, in milliseconds (default 20,000). */
  timeMs?: number;
}

/** Result of a shrink. */
export interface Shrunk<T> {
  /** The smallest failing input found. */
  value: T;
  /** Accepted steps. */
  steps: number;
  /** Candidate runs. */
  attempts: number;
}

/** Greedily minimises `input` while `stillFails` holds. */
export async function shrink<T>(
  input: T,
  stillFails: (candidate: T) => Promise<boolean>,
  budget: ShrinkBudget = {},
  plan?: (input: T) => ShrinkPlan,
): Promise<Shrunk<T>> {
  const maxAttempts = budget.attempts ?? 400;
  const deadline = Date.now() + (budget.timeMs ?? 20_000);
  let best = input;
  let bestSize = measure(best);
  let steps = 0;
  let attempts = 0;
  search: while (attempts < maxAttempts && Date.now() < deadline) {
    const candidates = plan ? plannedCandidates(best, plan(best)) : shrinkCandidates(best);
    for (const candidate of candidates) {
      const size = measure(candidate);
      if (size >= bestSize) continue;
      if (attempts++ >= maxAttempts || Date.now() >= deadline) break search;
      if (await stillFails(candidate as T)) {
        best = candidate as T;
        bestSize = size;
        steps++;
        continue search;
      }
    }
    break;
  }
  return { value: best, steps, attempts };
}

/**
 * A string fit for a terminal: non-printable and non-ASCII characters escaped as `\uXXXX`, long
 * text cut in the middle with its length noted.
 */
export function printable(text: string, max = 600): string {
  const cut = text.length > max
    ? `${text.slice(0, max - 120)}…(${text.length} chars)…${text.slice(-100)}`
    : text;
  return cut.replace(
    /[^\x20-\x7e]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
}
