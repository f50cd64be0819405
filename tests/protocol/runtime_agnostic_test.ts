import assert from "node:assert/strict";
import { dirname, join, relative } from "node:path";
import { fileURLToPath as fromFileUrl } from "node:url";

// The core (protocol, media, models, crypto) must run on any runtime with web standards, so it
// may import nothing runtime-specific. This walks the real import graph from the two entry points.

const root = fromFileUrl(new URL("../../", import.meta.url));
const entries = ["src/protocol/mod.ts", "src/media/mod.ts", "src/models/mod.ts"];

const IMPORT_RE =
  /(?:^|[^\w$.])(?:import|export)\s*(?:type\s+)?(?:[^'"`;]*?\sfrom\s*)?["']([^"']+)["']|import\s*\(\s*["']([^"']+)["']\s*\)/g;

function stripComments(src: string): string {
  // Good enough for our own sources: remove block and line comments outside strings.
  return src.replace(/\/\*[\s\S]*?\*\//g, "").replace(/(^|[^:"'`\\])\/\/.*$/gm, "$1");
}

async function walk(): Promise<Map<string, string[]>> {
  const seen = new Map<string, string[]>();
  const queue = entries.map((e) => join(root, e));
  while (queue.length > 0) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    const src = stripComments(await Deno.readTextFile(file));
    const specifiers: string[] = [];
    for (const m of src.matchAll(IMPORT_RE)) specifiers.push((m[1] ?? m[2])!);
    seen.set(file, specifiers);
    for (const s of specifiers) {
      // JSON (the package manifest, for the version) is data: nothing to walk into.
      if ((s.startsWith("./") || s.startsWith("../")) && !s.endsWith(".json")) {
        queue.push(join(dirname(file), s));
      }
    }
  }
  return seen;
}

Deno.test("protocol, media, models and crypto import nothing runtime-specific", async () => {
  const graph = await walk();
  const files = [...graph.keys()].map((f) => relative(root, f)).sort();
  // The walk must actually reach every core area, or the test proves nothing.
  for (const must of ["src/protocol/api.ts", "src/media/upload.ts", "src/models/message.ts"]) {
    assert.ok(files.includes(must), `import graph reaches ${must}: ${files.join(", ")}`);
  }
  assert.ok(files.some((f) => f.startsWith("src/crypto/")), "import graph reaches src/crypto");
  const problems: string[] = [];
  for (const [file, specifiers] of graph) {
    const rel = relative(root, file);
    assert.ok(
      rel.startsWith("src/protocol/") || rel.startsWith("src/media/") ||
        rel.startsWith("src/crypto/") || rel.startsWith("src/models/") ||
        rel === "src/version.ts" || rel === "src/weilink_error.ts",
      `core module ${rel} stays inside the core folders`,
    );
    for (const s of specifiers) {
      if (!(s.startsWith("./") || s.startsWith("../"))) {
        problems.push(`${rel} imports "${s}"`);
      }
    }
    const src = stripComments(await Deno.readTextFile(file));
    if (/\bDeno\s*\.\s*\w/.test(src)) problems.push(`${rel} uses the Deno namespace`);
    if (/\bprocess\s*\.\s*(env|versions|argv)\b/.test(src)) problems.push(`${rel} uses process`);
    if (/\brequire\s*\(/.test(src)) problems.push(`${rel} calls require()`);
  }
  assert.deepEqual(problems, []);
});
