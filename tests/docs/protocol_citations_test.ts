/**
 * Every "spec §x" in the sources must name a section of `docs/protocol.md`.
 *
 * The scheme:
 *
 * - Sections of `docs/protocol.md` are numbered headings, one level per number component:
 *   `## 3. Endpoints` is section 3, `### 3.4 \`sendmessage\`` is 3.4, `#### 4.6.3 Text length` is
 *   4.6.3. Each number appears once, and each subsection's parent exists. Headings inside fenced
 *   code blocks do not count.
 * - A citation is the word `spec` or `protocol` followed by `§` and a section number, as in
 *   "spec §3.4" or "protocol §5.6" (a line break, with its comment `*` or `//`, may sit between
 *   the word and `§`). Further numbers joined to it by a comma, "and", "or", "to" or a dash
 *   belong to the same citation: "spec §3.4, §4.6 and §6.4" and "spec §6.1–§6.2" cite every
 *   number they list. Text after a number ("§5.2 step 4") is ignored, except a question number:
 *   "§8 Q3" also requires item `3.` of the numbered list in section 8.
 * - Other `§` signs (FIPS-197 §5.3.5, RFC 4648 §4) are not citations of the protocol notes.
 *
 * Scanned: every `.ts` file under `src/`; and also the tests, `README.md` and the other files of
 * `docs/`, which cite the same notes; and the cross-references (`§x`) inside `docs/protocol.md`.
 */

import assert from "node:assert/strict";

const ROOT = new URL("../../", import.meta.url);
const PROTOCOL_MD = new URL("docs/protocol.md", ROOT);

/** One cited section number at a place in a file. */
interface Citation {
  file: string;
  line: number;
  section: string;
  /** The `Qn` question number after the section, if any. */
  question?: string;
  text: string;
}

/** A numbered section of the notes. */
interface Section {
  number: string;
  level: number;
  title: string;
  /** Its own text, up to the next heading of any level. */
  body: string;
}

const NUMBER = String.raw`\d+(?:\.\d+)*`;
const ONE = String.raw`§${NUMBER}(?:\s+Q\d+)?`;
const JOIN = String.raw`\s*(?:,|–|—|-|\band\b|\bor\b|\bto\b)\s*`;
/** A whole citation: the word, `§` and a number, then any numbers joined to it. */
const CITATION = new RegExp(String.raw`\b(?:spec|protocol)\s+${ONE}(?:${JOIN}${ONE})*`, "gi");
/** One number (with its optional question) inside a citation or a cross-reference. */
const PART = new RegExp(String.raw`§(${NUMBER})(?:\s+Q(\d+))?`, "g");

/**
 * Removes comment continuation markers at line starts (` * `, `// `), so that a citation broken
 * across comment lines reads as one; line breaks stay, so line numbers do not move.
 */
function joinCommentLines(text: string): string {
  return text.replace(/\n[ \t]*(?:\*(?!\/)|\/\/)/g, "\n ");
}

function lineOf(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

function partsOf(
  match: string,
  file: string,
  line: number,
): Citation[] {
  const out: Citation[] = [];
  for (const p of match.matchAll(PART)) {
    const c: Citation = { file, line, section: p[1]!, text: match.replace(/\s+/g, " ") };
    if (p[2] !== undefined) c.question = p[2];
    out.push(c);
  }
  return out;
}

/** The citations of the protocol notes in one source text. */
function citationsIn(text: string, file: string): Citation[] {
  const joined = joinCommentLines(text);
  const out: Citation[] = [];
  for (const m of joined.matchAll(CITATION)) {
    out.push(...partsOf(m[0], file, lineOf(joined, m.index)));
  }
  return out;
}

/** Replaces the content of fenced code blocks by empty lines (line numbers are kept). */
function withoutCodeBlocks(markdown: string): string {
  let inFence = false;
  return markdown.split("\n").map((line) => {
    if (/^\s*(```|~~~)/.test(line)) {
      inFence = !inFence;
      return "";
    }
    return inFence ? "" : line;
  }).join("\n");
}

/** The numbered sections of a protocol document. Throws when the numbering is inconsistent. */
function sectionsOf(markdown: string): Map<string, Section> {
  const sections = new Map<string, Section>();
  let current: Section | undefined;
  for (const line of withoutCodeBlocks(markdown).split("\n")) {
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (!heading) {
      if (current) current.body += `${line}\n`;
      continue;
    }
    current = undefined;
    const numbered = new RegExp(String.raw`^(${NUMBER})\.?\s+(.+)$`).exec(heading[2]!);
    if (!numbered) continue;
    const number = numbered[1]!;
    const level = heading[1]!.length;
    const depth = number.split(".").length;
    if (level !== depth + 1) {
      throw new Error(
        `Heading "${line}": section ${number} must be a level-${depth + 1} heading ` +
          `(${"#".repeat(depth + 1)})`,
      );
    }
    if (sections.has(number)) throw new Error(`Section ${number} appears twice`);
    const parent = number.split(".").slice(0, -1).join(".");
    if (parent && !sections.has(parent)) {
      throw new Error(`Section ${number} comes without its parent section ${parent}`);
    }
    current = { number, level, title: numbered[2]!, body: "" };
    sections.set(number, current);
  }
  return sections;
}

/** The citations that name no section (or no question) of `sections`, as readable lines. */
function unresolved(citations: Citation[], sections: Map<string, Section>): string[] {
  const problems: string[] = [];
  for (const c of citations) {
    const where = `${c.file}:${c.line}: "${c.text}"`;
    const section = sections.get(c.section);
    if (!section) {
      problems.push(`${where} cites §${c.section}, which docs/protocol.md does not have`);
      continue;
    }
    if (
      c.question !== undefined &&
      !new RegExp(String.raw`^${c.question}\.\s`, "m").test(section.body)
    ) {
      problems.push(
        `${where} cites question ${c.question} of §${c.section}, which has no such item`,
      );
    }
  }
  return problems;
}

async function* walk(dir: URL, ext: string): AsyncGenerator<URL> {
  const entries: Deno.DirEntry[] = [];
  for await (const e of Deno.readDir(dir)) entries.push(e);
  entries.sort((a, b) => a.name.localeCompare(b.name));
  for (const e of entries) {
    if (e.isDirectory) yield* walk(new URL(`${e.name}/`, dir), ext);
    else if (e.isFile && e.name.endsWith(ext)) yield new URL(e.name, dir);
  }
}

function relative(url: URL): string {
  return url.href.slice(ROOT.href.length);
}

async function citationsUnder(dir: string, ext: string, skip: string[] = []): Promise<Citation[]> {
  const out: Citation[] = [];
  for await (const url of walk(new URL(dir, ROOT), ext)) {
    const file = relative(url);
    if (skip.includes(file)) continue;
    out.push(...citationsIn(await Deno.readTextFile(url), file));
  }
  return out;
}

async function loadSections(): Promise<Map<string, Section>> {
  return sectionsOf(await Deno.readTextFile(PROTOCOL_MD));
}

const THIS_FILE = relative(new URL(import.meta.url));

Deno.test("docs/protocol.md numbers its sections consistently", async () => {
  const sections = await loadSections();
  // The sections the code follows: transport … open questions, plus the project's own.
  for (const top of ["1", "2", "3", "4", "5", "6", "7", "8", "9", "10"]) {
    assert.ok(sections.has(top), `section ${top} is missing`);
  }
  for (const n of ["3.1", "3.8", "4.6.1", "4.6.6", "5.1", "5.6", "6.1", "6.6"]) {
    assert.ok(sections.has(n), `section ${n} is missing`);
  }
});

Deno.test("every spec § citation in src/ names a section of docs/protocol.md", async () => {
  const sections = await loadSections();
  const citations = await citationsUnder("src/", ".ts");
  // A scan that finds (almost) nothing means the pattern broke, not that all is well.
  assert.ok(citations.length >= 80, `only ${citations.length} citations found in src/`);
  assert.deepEqual(unresolved(citations, sections), []);
});

Deno.test("citations in the tests, the README and docs/ name sections that exist", async () => {
  const sections = await loadSections();
  const citations = [
    ...await citationsUnder("tests/", ".ts", [THIS_FILE]),
    ...await citationsUnder("docs/", ".md", ["docs/protocol.md"]),
    ...citationsIn(await Deno.readTextFile(new URL("README.md", ROOT)), "README.md"),
  ];
  assert.deepEqual(unresolved(citations, sections), []);
});

Deno.test("cross-references inside docs/protocol.md name sections that exist", async () => {
  const text = await Deno.readTextFile(PROTOCOL_MD);
  const sections = sectionsOf(text);
  const prose = withoutCodeBlocks(text);
  const refs: Citation[] = [];
  for (const m of prose.matchAll(new RegExp(String.raw`${ONE}(?:${JOIN}${ONE})*`, "g"))) {
    refs.push(...partsOf(m[0], "docs/protocol.md", lineOf(prose, m.index)));
  }
  assert.ok(refs.length > 20, `only ${refs.length} cross-references found`);
  assert.deepEqual(unresolved(refs, sections), []);
});

Deno.test("the checker finds citations in every form and reports missing sections", () => {
  const doc = [
    "# Notes",
    "## 3. Endpoints",
    "### 3.4 sendmessage",
    "## 4. Messages",
    "### 4.6 Outbound",
    "#### 4.6.3 Length",
    "## 8. Open questions",
    "1. first",
    "2. second",
    "```text",
    "## 9. not a heading inside a code block",
    "```",
  ].join("\n");
  const sections = sectionsOf(doc);
  assert.deepEqual([...sections.keys()], ["3", "3.4", "4", "4.6", "4.6.3", "8"]);

  const source = [
    "/** Sends (spec §3.4, §4.6 and §6.4). */",
    "// Limit (spec §4.6.3); see protocol §3.",
    " * The rule (spec",
    " * §3.9) is split over two lines.",
    "const a = 1; // spec §8 Q2 and spec §8 Q5, spec §4.6.1–§4.6.3",
    "// FIPS-197 §5.3.5 and RFC 4648 §4 are not citations.",
  ].join("\n");
  const found = citationsIn(source, "x.ts");
  assert.deepEqual(
    found.map((c) => `${c.line}:${c.section}${c.question ? ` Q${c.question}` : ""}`),
    [
      "1:3.4",
      "1:4.6",
      "1:6.4",
      "2:4.6.3",
      "2:3",
      "3:3.9",
      "5:8 Q2",
      "5:8 Q5",
      "5:4.6.1",
      "5:4.6.3",
    ],
  );
  const problems = unresolved(found, sections);
  assert.equal(problems.length, 4);
  assert.match(problems[0]!, /x\.ts:1: .* cites §6\.4, which docs\/protocol\.md does not have/);
  assert.match(problems[1]!, /x\.ts:3: .* cites §3\.9/);
  assert.match(problems[2]!, /x\.ts:5: .* cites question 5 of §8/);
  assert.match(problems[3]!, /x\.ts:5: .* cites §4\.6\.1/);
});

Deno.test("the checker refuses an inconsistent numbering", () => {
  assert.throws(() => sectionsOf("## 3. A\n## 3. B"), /appears twice/);
  assert.throws(() => sectionsOf("## 3. A\n#### 3.1 B"), /level-3 heading/);
  assert.throws(() => sectionsOf("## 3. A\n### 4.1 B"), /without its parent section 4/);
});
