/**
 * The shape of the source tree, checked: no import cycles between modules of `src/`, and no file
 * over 700 lines unless its first comment says why it is long.
 */
import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../", import.meta.url));
const SRC = join(root, "src");
/** Longest file accepted without a reason at its top. */
const MAX_LINES = 700;
/** The phrase a long file's first comment must contain, followed by the reason. */
const REASON = "Longer than 700 lines because";

const IMPORT =
  /(?:^|[^\w$.])(?:import|export)\s*(?:type\s+)?(?:[^'"`;]*?\sfrom\s*)?["'](\.{1,2}\/[^"']+\.ts)["']|import\s*\(\s*["'](\.{1,2}\/[^"']+\.ts)["']\s*\)/g;

function stripComments(source: string): string {
  return source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    const path = join(dir, entry.name);
    if (entry.isDirectory) out.push(...await sourceFiles(path));
    else if (entry.name.endsWith(".ts")) out.push(path);
  }
  return out.sort();
}

/** Every module of `src/` and the modules of `src/` it imports (static and dynamic). */
async function importGraph(): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  for (const file of await sourceFiles(SRC)) {
    const source = stripComments(await Deno.readTextFile(file));
    const targets = new Set<string>();
    for (const m of source.matchAll(IMPORT)) {
      const target = join(dirname(file), (m[1] ?? m[2])!);
      if (target.startsWith(SRC)) targets.add(target);
    }
    graph.set(file, [...targets]);
  }
  return graph;
}

/** Strongly connected components with more than one module (or a module importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indexOf = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const visit = (v: string) => {
    indexOf.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indexOf.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indexOf.get(w)!));
      }
    }
    if (low.get(v) === indexOf.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component);
    }
  };
  for (const v of graph.keys()) if (!indexOf.has(v)) visit(v);
  return found;
}

Deno.test("structure: no import cycle between the modules of src/", async () => {
  const graph = await importGraph();
  // The walk must see the tree, or it proves nothing.
  assert.ok(graph.size > 80, `${graph.size} modules`);
  assert.ok([...graph.values()].flat().length > 150);
  const found = cycles(graph).map((c) => c.map((f) => relative(root, f)).sort());
  assert.deepEqual(found, [], `import cycles: ${JSON.stringify(found)}`);
});

Deno.test("structure: the cycle finder finds a cycle", () => {
  const graph = new Map([["a", ["b"]], ["b", ["c"]], ["c", ["a"]], ["d", ["a"]]]);
  assert.deepEqual(cycles(graph).map((c) => c.sort()), [["a", "b", "c"]]);
});

Deno.test("structure: no file of src/ over 700 lines without saying why at its top", async () => {
  const long: string[] = [];
  for (const file of await sourceFiles(SRC)) {
    const source = await Deno.readTextFile(file);
    const lines = source.split("\n").length;
    if (lines <= MAX_LINES) continue;
    const firstComment = /^\s*\/\*\*?([\s\S]*?)\*\//.exec(source)?.[1] ?? "";
    if (!firstComment.replace(/\s*\*\s*/g, " ").includes(REASON)) {
      long.push(`${relative(root, file)} (${lines} lines)`);
    }
  }
  assert.deepEqual(long, []);
});
