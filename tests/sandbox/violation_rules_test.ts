/**
 * The documented rule lists hold exactly the rules the sandbox can report: every `violate(…)` and
 * `note(…)` call in `src/sandbox/` names its rule with a string literal (or forwards a typed `rule`
 * parameter), and the set of those literals is `VIOLATION_RULES` / `NOTE_RULES`. A new rule cannot
 * be reported without being listed, nor an old one listed after it is gone.
 */

import assert from "node:assert/strict";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { NOTE_RULES, VIOLATION_RULES } from "../../src/sandbox/mod.ts";

const SANDBOX = fileURLToPath(new URL("../../src/sandbox/", import.meta.url));

/** `source` with every comment blanked out (strings and template literals kept as they are). */
function withoutComments(source: string): string {
  let out = "";
  let i = 0;
  while (i < source.length) {
    const ch = source[i]!;
    const next = source[i + 1];
    if (ch === "/" && next === "/") {
      while (i < source.length && source[i] !== "\n") i++;
    } else if (ch === "/" && next === "*") {
      const end = source.indexOf("*/", i + 2);
      const stop = end < 0 ? source.length : end + 2;
      out += source.slice(i, stop).replace(/[^\n]/g, " ");
      i = stop;
    } else if (ch === '"' || ch === "'" || ch === "`") {
      const end = skipString(source, i);
      out += source.slice(i, end);
      i = end;
    } else {
      out += ch;
      i++;
    }
  }
  return out;
}

/** Index just past the string or template literal that starts at `start`. */
function skipString(source: string, start: number): number {
  const quote = source[start]!;
  let i = start + 1;
  while (i < source.length && source[i] !== quote) {
    if (source[i] === "\\") i += 2;
    else if (quote === "`" && source.startsWith("${", i)) i = skipBalanced(source, i + 1);
    else i++;
  }
  return i + 1;
}

/** Index just past the bracket group that opens at `start`. */
function skipBalanced(source: string, start: number): number {
  let depth = 0;
  let i = start;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'" || ch === "`") {
      i = skipString(source, i);
      continue;
    }
    if ("([{".includes(ch)) depth++;
    if (")]}".includes(ch) && --depth === 0) return i + 1;
    i++;
  }
  return i;
}

/** The top-level arguments of the call whose `(` is at `open`, as trimmed source text. */
function callArguments(source: string, open: number): string[] {
  const args: string[] = [];
  let from = open + 1;
  let i = from;
  while (i < source.length) {
    const ch = source[i]!;
    if (ch === '"' || ch === "'" || ch === "`") {
      i = skipString(source, i);
    } else if ("([{".includes(ch)) {
      i = skipBalanced(source, i);
    } else if (ch === "," || ch === ")") {
      const arg = source.slice(from, i).trim();
      if (arg !== "") args.push(arg);
      if (ch === ")") return args;
      from = ++i;
    } else {
      i++;
    }
  }
  return args;
}

interface Reported {
  violations: Set<string>;
  notes: Set<string>;
  problems: string[];
}

/**
 * The rule names of every `violate(…)` / `note(…)` call of the sandbox. A method call
 * (`x.violate(endpoint, rule, …)`) names the rule second, a local shorthand
 * (`violate(rule, detail)`) first. Declarations (`violate(endpoint: string, …)`) are skipped.
 */
async function reportedRules(): Promise<Reported> {
  const found: Reported = { violations: new Set(), notes: new Set(), problems: [] };
  for await (const entry of Deno.readDir(SANDBOX)) {
    if (!entry.isFile || !entry.name.endsWith(".ts")) continue;
    const source = withoutComments(await Deno.readTextFile(join(SANDBOX, entry.name)));
    for (const m of source.matchAll(/(\.)?\b(violate|note)\(/g)) {
      const open = m.index + m[0].length - 1;
      const args = callArguments(source, open);
      if (/^\w+\??\s*:/.test(args[0] ?? "")) continue;
      const rule = m[1] === "." ? args[1] : args[0];
      const line = source.slice(0, m.index).split("\n").length;
      const where = `${entry.name}:${line}`;
      const literal = /^"([a-z0-9_]+)"$/.exec(rule ?? "");
      if (literal) {
        (m[2] === "violate" ? found.violations : found.notes).add(literal[1]!);
      } else if (rule !== "rule") {
        found.problems.push(`${where}: the rule is not a string literal: ${rule}`);
      }
    }
  }
  return found;
}

Deno.test("rule lists: exactly the rules the sandbox reports, each listed once", async () => {
  const reported = await reportedRules();
  assert.deepEqual(reported.problems, []);
  assert.deepEqual([...reported.violations].sort(), [...VIOLATION_RULES].sort());
  assert.deepEqual([...reported.notes].sort(), [...NOTE_RULES].sort());
  assert.equal(new Set(VIOLATION_RULES).size, VIOLATION_RULES.length, "no rule listed twice");
  const both = VIOLATION_RULES.filter((r) => (NOTE_RULES as readonly string[]).includes(r));
  assert.deepEqual(both, [], "a name is either a violation or a note");
});

Deno.test("rule lists: every rule has a one-line comment", async () => {
  const source = await Deno.readTextFile(join(SANDBOX, "violation_rules.ts"));
  const lines = source.split("\n");
  const undocumented = [...VIOLATION_RULES, ...NOTE_RULES].filter((rule) => {
    const at = lines.findIndex((l) => l.trim() === `"${rule}",`);
    return at < 1 || !/^\/\*\* .+ \*\/$/.test(lines[at - 1]!.trim());
  });
  assert.deepEqual(undocumented, []);
});

Deno.test("rule lists: the scanner sees literals, shorthands and declarations for what they are", () => {
  const source = withoutComments(`
    // core.violate(ep, "in_a_comment", "…");
    core.rules.violate(ENDPOINT_PATHS[p] ?? p, "first", \`a \${f(1, "x")} b\`, id);
    violate("second", "detail, with a comma");
    violate(endpoint: string, rule: ViolationRule): void {}
  `);
  const calls = [...source.matchAll(/(\.)?\b(violate|note)\(/g)].map((m) =>
    callArguments(source, m.index + m[0].length - 1)
  );
  assert.deepEqual(calls, [
    ["ENDPOINT_PATHS[p] ?? p", '"first"', '`a ${f(1, "x")} b`', "id"],
    ['"second"', '"detail, with a comma"'],
    ["endpoint: string", "rule: ViolationRule"],
  ]);
});
