/**
 * Unified diffs of planned file changes, for `weilink setup --dry-run`.
 *
 * Config files are small, so a longest-common-subsequence table over the lines that differ
 * (after the common head and tail are set aside) is plenty; past about four million cells the
 * middle is shown as one replaced block instead.
 *
 * @module
 */

/** Cells of the LCS table beyond which the changed middle is shown as a single replacement. */
const MAX_CELLS = 4_000_000;
/** Unchanged lines shown around each change. */
const CONTEXT = 3;

type Op = { kind: " " | "-" | "+"; line: string };

function linesOf(text: string): string[] {
  if (text === "") return [];
  const lines = text.split("\n");
  if (lines[lines.length - 1] === "") lines.pop();
  return lines;
}

/** The edit script turning `a` into `b`, line by line. */
function editScript(a: string[], b: string[]): Op[] {
  let head = 0;
  while (head < a.length && head < b.length && a[head] === b[head]) head++;
  let tail = 0;
  while (
    tail < a.length - head && tail < b.length - head &&
    a[a.length - 1 - tail] === b[b.length - 1 - tail]
  ) tail++;
  const midA = a.slice(head, a.length - tail);
  const midB = b.slice(head, b.length - tail);
  const ops: Op[] = a.slice(0, head).map((line) => ({ kind: " ", line }));
  if (midA.length * midB.length > MAX_CELLS) {
    ops.push(...midA.map((line): Op => ({ kind: "-", line })));
    ops.push(...midB.map((line): Op => ({ kind: "+", line })));
  } else {
    // lcs[i][j]: length of the LCS of midA[i..] and midB[j..].
    const width = midB.length + 1;
    const lcs = new Uint32Array((midA.length + 1) * width);
    for (let i = midA.length - 1; i >= 0; i--) {
      for (let j = midB.length - 1; j >= 0; j--) {
        lcs[i * width + j] = midA[i] === midB[j]
          ? lcs[(i + 1) * width + j + 1]! + 1
          : Math.max(lcs[(i + 1) * width + j]!, lcs[i * width + j + 1]!);
      }
    }
    let i = 0;
    let j = 0;
    while (i < midA.length || j < midB.length) {
      if (i < midA.length && j < midB.length && midA[i] === midB[j]) {
        ops.push({ kind: " ", line: midA[i]! });
        i++;
        j++;
      } else if (
        j < midB.length &&
        (i === midA.length || lcs[i * width + j + 1]! >= lcs[(i + 1) * width + j]!)
      ) {
        ops.push({ kind: "+", line: midB[j++]! });
      } else {
        ops.push({ kind: "-", line: midA[i++]! });
      }
    }
  }
  ops.push(...a.slice(a.length - tail).map((line): Op => ({ kind: " ", line })));
  return ops;
}

/**
 * A unified diff from `before` to `after` (`undefined`: the file does not exist), with `---`/`+++`
 * headers naming `path` (or `/dev/null`). Empty when the texts are equal.
 *
 * @example
 * ```ts
 * import { unifiedDiff } from "./unified_diff.ts";
 * console.log(unifiedDiff("/tmp/a.json", "{}\n", '{"a": 1}\n'));
 * ```
 */
export function unifiedDiff(
  path: string,
  before: string | undefined,
  after: string | undefined,
): string {
  if (before === after) return "";
  const ops = editScript(linesOf(before ?? ""), linesOf(after ?? ""));
  const out = [
    `--- ${before === undefined ? "/dev/null" : path}`,
    `+++ ${after === undefined ? "/dev/null" : path}`,
  ];
  let index = 0;
  while (index < ops.length) {
    // Next change, and the hunk around it (changes closer than 2 * CONTEXT lines share one).
    while (index < ops.length && ops[index]!.kind === " ") index++;
    if (index >= ops.length) break;
    const start = Math.max(0, index - CONTEXT);
    let end = index;
    let quiet = 0;
    while (end < ops.length && quiet <= 2 * CONTEXT) {
      quiet = ops[end]!.kind === " " ? quiet + 1 : 0;
      end++;
    }
    end = Math.min(ops.length, end - Math.max(0, quiet - CONTEXT));
    let oldLine = 1;
    let newLine = 1;
    for (let k = 0; k < start; k++) {
      if (ops[k]!.kind !== "+") oldLine++;
      if (ops[k]!.kind !== "-") newLine++;
    }
    const hunk = ops.slice(start, end);
    const oldCount = hunk.filter((op) => op.kind !== "+").length;
    const newCount = hunk.filter((op) => op.kind !== "-").length;
    out.push(
      `@@ -${oldCount === 0 ? oldLine - 1 : oldLine},${oldCount} ` +
        `+${newCount === 0 ? newLine - 1 : newLine},${newCount} @@`,
    );
    for (const op of hunk) out.push(op.kind + op.line);
    index = end;
  }
  return out.join("\n") + "\n";
}
