/**
 * Structure-aware input for the fuzzer: JSON trees, the hostile values that break parsers
 * (type confusion, `1e400`, `-0`, 19–21-digit ids, lone surrogates, control and bidi characters,
 * prototype keys, deep nesting, long strings), mutators that apply them to valid seeds, and an
 * iterative JSON writer that can also emit what `JSON.stringify` never would (raw number tokens,
 * unescaped lone surrogates, truncated text).
 *
 * Everything here is iterative where depth is unbounded: trees nest thousands of levels on
 * purpose, and the fuzzer itself must not be the thing that overflows the stack.
 *
 * @module
 */

import type { Rng } from "./prng.ts";

/** A JSON token written verbatim: numbers JSON.stringify cannot produce (`1e400`, `-0`, 2^64). */
export class RawJson {
  /** @param text The token, e.g. `7300000000000000123`. */
  constructor(readonly text: string) {}
}

/** A JSON value whose numbers may be {@linkcode RawJson} tokens. */
export type Tree = null | boolean | number | string | RawJson | Tree[] | TreeObject;

/** A JSON object; `__proto__` and `constructor` may be own keys. */
export interface TreeObject {
  [key: string]: Tree;
}

/** A plain object (not an array, not a token). */
export function isTreeObject(v: unknown): v is TreeObject {
  return typeof v === "object" && v !== null && !Array.isArray(v) && !(v instanceof RawJson) &&
    !(v instanceof Uint8Array);
}

/** Sets an own enumerable key, even `__proto__` (plain assignment would change the prototype). */
export function setKey<T>(target: Record<string, T>, key: string, value: T): void {
  Object.defineProperty(target, key, {
    value,
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** Builds an object from entries with {@linkcode setKey}. */
export function obj(entries: readonly (readonly [string, Tree])[]): TreeObject {
  const out: TreeObject = {};
  for (const [k, v] of entries) setKey(out, k, v);
  return out;
}

/** A shallow copy of an object or array, own keys kept as own keys. */
export function shallow<T extends Tree>(node: T): T {
  if (Array.isArray(node)) return [...node] as T;
  if (isTreeObject(node)) {
    const out: TreeObject = {};
    for (const k of Object.keys(node)) setKey(out, k, node[k]!);
    return out as T;
  }
  return node;
}

// ------------------------------------------------------------------------------ hostile pools

/** Keys that mean something to JavaScript objects. */
export const PROTO_KEYS: readonly string[] = [
  "__proto__",
  "constructor",
  "prototype",
  "toString",
  "valueOf",
  "hasOwnProperty",
  "__defineGetter__",
  "then",
];

/** Characters that break naive text handling. */
export const HOSTILE_CHARS: readonly string[] = [
  "\u0000",
  "\u0001",
  "\u0007",
  "\b",
  "\t",
  "\n",
  "\r",
  "\u001b",
  "\u007f",
  "\u0085",
  "\u00a0",
  "\u200b",
  "\u200d",
  "\u200e",
  "\u202a",
  "\u202e",
  "\u2066",
  "\u2069",
  "\u2028",
  "\u2029",
  "\ufeff",
  "\ufffd",
  "\ufffe",
  "\uffff",
  "\ud800",
  "\udbff",
  "\udc00",
  "\udfff",
  "\u0301",
  "\u{1f600}",
  "\u{10ffff}",
  "\u{e0001}",
  '"',
  "'",
  "\\",
  "/",
  "%",
  "&",
  "=",
  "?",
  "#",
  "+",
  " ",
  ":",
  "\u0130",
  "\u00df",
  "\uff10",
  "\u0663",
];

/** Strings that are numbers, ids, paths or keywords in disguise. */
export const HOSTILE_STRINGS: readonly string[] = [
  "",
  " ",
  "\u0000",
  "0",
  "-0",
  "+0",
  "00",
  "-1",
  "1.5",
  "1e400",
  "-1e400",
  "1e-400",
  "NaN",
  "Infinity",
  "-Infinity",
  "0x10",
  "0b1",
  "1_000",
  " 42 ",
  "42\n",
  "\uff14\uff12",
  "\u0664\u0662",
  "9007199254740993",
  "7300000000000000123",
  "9999999999999999999",
  "18446744073709551615",
  "18446744073709551616",
  "123456789012345678901",
  "00000000000000000001",
  "-7300000000000000123",
  "true",
  "null",
  "undefined",
  "[]",
  "{}",
  "__proto__",
  "constructor",
  "toString",
  "../../../../etc/passwd",
  "/dev/zero",
  "/dev/stdin",
  "/proc/self/environ",
  "C:\\Windows\\win.ini",
  "\\\\?\\C:\\",
  "CON",
  "nul.txt",
  "~",
  "~/.ssh/id_ed25519",
  "file:///etc/passwd",
  "%2e%2e%2f",
  "a\u0000b",
  "\u202egnp.exe",
  "\ud800",
  "\udfff\ud800",
  "\u{1f600}".slice(0, 1),
  "<script>alert(1)</script>",
  "'; DROP TABLE messages; --",
  "$(id)",
  "${HOME}",
  "%s%s%n",
  "x@im.wechat",
  "@im.bot",
  "TEXT",
  "text",
  "IMAGE",
  "received",
  "SENT",
  "now",
  "today",
  "yesterday",
  "2h",
  "7d",
  "2026-02-30",
  "0000-01-01",
  "9999-12-31T23:59:59.9999999Z",
  "2026-03-30T24:00:00Z",
  "2026-03-30T08:00:00+99:00",
];

/** Finite numbers at the edges of every range the code checks. */
export const HOSTILE_NUMBERS: readonly number[] = [
  0,
  -0,
  1,
  -1,
  0.5,
  -0.5,
  1.5,
  0.001,
  1e-300,
  2,
  11,
  12,
  120,
  120.000001,
  121,
  200,
  201,
  1023,
  1024,
  65535,
  65536,
  2 ** 31 - 1,
  2 ** 31,
  2 ** 32,
  2 ** 53 - 1,
  2 ** 53,
  2 ** 53 + 2,
  2 ** 63,
  2 ** 64,
  7300000000000000123,
  8.64e15,
  8.64e15 + 1,
  1e21,
  Number.MAX_VALUE,
  Number.MIN_VALUE,
  -Number.MAX_VALUE,
  -(2 ** 53),
];

/** Valid JSON number tokens JSON.stringify would never write. */
export const RAW_NUMBERS: readonly string[] = [
  "1e400",
  "-1e400",
  "1e-400",
  "-0",
  "-0.0",
  "0.0",
  "1E5",
  "1.0",
  "0e0",
  "4.9e-324",
  "1.7976931348623157e308",
  "7300000000000000123",
  "7300000000000000124",
  "9007199254740993",
  "9999999999999999999",
  "18446744073709551615",
  "18446744073709551616",
  "123456789012345678901",
  "99999999999999999999999999999999",
  "-7300000000000000123",
  "-1",
  "1.5",
];

/** Number-like tokens that are not valid JSON (the parser must refuse them cleanly). */
export const INVALID_RAW_NUMBERS: readonly string[] = [
  "01",
  "00",
  "1.",
  ".5",
  "+1",
  "0x10",
  "NaN",
  "Infinity",
  "-",
  "1e",
  "1e+",
  "--1",
  "1.2.3",
  "١",
];

/** Options of the generators and mutators. */
export interface MutateOptions {
  /** Field names worth adding (the schema's own keys are the interesting ones). */
  keys: readonly string[];
  /** Deepest wrapper nesting (default 3000). */
  maxDepth?: number;
  /** Longest generated string (default 100,000). */
  longMax?: number;
  /** Whether invalid raw number tokens may appear (text targets that expect SyntaxErrors). */
  invalidJson?: boolean;
  /**
   * Keys whose values draw half of the mutations (the fields the code branches on: types, ids,
   * times, nesting), instead of the mutations spreading evenly over every node.
   */
  hot?: readonly string[];
}

/** A random hostile string: pooled, built from hostile characters, an id, or long. */
export function hostileString(rng: Rng, opts?: MutateOptions): string {
  const r = rng.float();
  if (r < 0.45) return rng.pick(HOSTILE_STRINGS);
  if (r < 0.7) {
    let s = "";
    const n = rng.range(1, 6);
    for (let i = 0; i < n; i++) s += rng.chance(0.5) ? rng.pick(HOSTILE_CHARS) : "a";
    return s;
  }
  if (r < 0.85) return idDigits(rng);
  return longString(rng, opts?.longMax ?? 100_000);
}

/** A decimal id of 1 to 21 digits, mostly 19–21 (around 2^63 and 2^64). */
export function idDigits(rng: Rng): string {
  const length = rng.chance(0.8) ? rng.range(19, 21) : rng.range(1, 18);
  let s = String(rng.range(1, 9));
  for (let i = 1; i < length; i++) s += String(rng.int(10));
  return s;
}

/** A long string of one or a few repeated units (up to `max` characters). */
export function longString(rng: Rng, max: number): string {
  const lengths = [256, 4096, 16_385, 65_536, max].filter((n) => n <= max);
  const length = rng.pick(lengths);
  const unit = rng.pick(["a", "\u00e9", "\u{1f600}", "\ud800", "\u202e", "%", "\\", "9", "\n"]);
  return unit.repeat(Math.ceil(length / unit.length)).slice(0, length);
}

/** A random hostile number, sometimes as a raw token. */
export function hostileNumber(rng: Rng, opts?: MutateOptions): number | RawJson {
  const r = rng.float();
  if (r < 0.55) return rng.pick(HOSTILE_NUMBERS);
  if (r < 0.9) return new RawJson(rng.pick(RAW_NUMBERS));
  if (opts?.invalidJson) return new RawJson(rng.pick(INVALID_RAW_NUMBERS));
  return new RawJson(idDigits(rng));
}

/** A small random value of a random JSON type. */
export function anyValue(rng: Rng, opts: MutateOptions): Tree {
  switch (rng.int(9)) {
    case 0:
      return null;
    case 1:
      return rng.chance(0.5);
    case 2:
      return hostileNumber(rng, opts);
    case 3:
    case 4:
      return hostileString(rng, opts);
    case 5:
      return [];
    case 6:
      return {};
    case 7:
      return [hostileString(rng, opts), hostileNumber(rng, opts)];
    default:
      return obj([[rng.pick([...opts.keys, ...PROTO_KEYS]), anyValue(rng, { ...opts, keys: [] })]]);
  }
}

// ------------------------------------------------------------------------------ tree walking

/** A path from the root: object keys and array indexes. */
export type TreePath = (string | number)[];

/**
 * Up to `limit` paths of the tree, breadth first (so that shallow nodes, the ones that matter
 * for structure, are always candidates), without recursion.
 */
export function treePaths(root: Tree, limit = 400): TreePath[] {
  const out: TreePath[] = [];
  const queue: [Tree, TreePath][] = [[root, []]];
  for (let head = 0; head < queue.length && out.length < limit; head++) {
    const [node, path] = queue[head]!;
    out.push(path);
    if (Array.isArray(node)) {
      node.forEach((child, i) => {
        if (queue.length < limit * 4) queue.push([child, [...path, i]]);
      });
    } else if (isTreeObject(node)) {
      for (const k of Object.keys(node)) {
        if (queue.length < limit * 4) queue.push([node[k]!, [...path, k]]);
      }
    }
  }
  return out;
}

/** The node at `path` (undefined when the path leads nowhere). */
export function nodeAt(root: Tree, path: TreePath): Tree | undefined {
  let node: Tree | undefined = root;
  for (const step of path) {
    if (Array.isArray(node) && typeof step === "number") node = node[step];
    else if (isTreeObject(node) && typeof step === "string" && Object.hasOwn(node, step)) {
      node = node[step];
    } else return undefined;
  }
  return node;
}

/**
 * A copy of `root` where the node at `path` is `replacement` (or removed when `replacement` is
 * `undefined`); only the nodes along the path are copied.
 */
export function replaceAt(root: Tree, path: TreePath, replacement: Tree | undefined): Tree {
  if (path.length === 0) return replacement === undefined ? null : replacement;
  const chain: Tree[] = [root];
  for (let i = 0; i < path.length - 1; i++) {
    const next = nodeAt(chain[i]!, [path[i]!]);
    if (next === undefined) return root;
    chain.push(next);
  }
  let current: Tree | undefined = replacement;
  for (let i = path.length - 1; i >= 0; i--) {
    const parent = shallow(chain[i]!);
    const step = path[i]!;
    if (Array.isArray(parent) && typeof step === "number") {
      if (current === undefined) parent.splice(step, 1);
      else parent[step] = current;
    } else if (isTreeObject(parent) && typeof step === "string") {
      if (current === undefined) delete parent[step];
      else setKey(parent, step, current);
    }
    current = parent;
  }
  return current ?? null;
}

/** Wraps `node` in `depth` levels of arrays or single-key objects. */
export function nest(node: Tree, depth: number, key: string | null): Tree {
  let out = node;
  for (let i = 0; i < depth; i++) out = key === null ? [out] : obj([[key, out]]);
  return out;
}

// ------------------------------------------------------------------------------ mutation

function mutateString(rng: Rng, s: string, opts: MutateOptions): string {
  const at = rng.int(s.length + 1);
  switch (rng.int(9)) {
    case 0:
      return s.slice(0, at) + rng.pick(HOSTILE_CHARS) + s.slice(at);
    case 1:
      return s + rng.pick(HOSTILE_CHARS).repeat(rng.range(1, 3));
    case 2:
      return s.slice(0, at);
    case 3:
      return s.repeat(rng.pick([2, 10, 1000])).slice(0, opts.longMax ?? 100_000);
    case 4:
      return rng.chance(0.5) ? s.toUpperCase() : ` ${s} `;
    case 5:
      // A digit turned into its full-width or Arabic-Indic twin.
      return s.replace(/\d/, (d) => String.fromCharCode(0xff10 + Number(d)));
    case 6:
      return rng.pick(HOSTILE_CHARS) + s;
    case 7:
      return s.slice(0, at) + s.slice(at + rng.range(1, 4));
    default:
      return hostileString(rng, opts);
  }
}

function mutateNumber(rng: Rng, n: number | RawJson, opts: MutateOptions): Tree {
  const v = n instanceof RawJson ? Number(n.text) : n;
  switch (rng.int(8)) {
    case 0:
      return v + 1;
    case 1:
      return -v;
    case 2:
      return v * 2 ** rng.range(1, 70);
    case 3:
      return v + 0.5;
    case 4:
      return String(n instanceof RawJson ? n.text : v);
    case 5:
      return new RawJson(rng.pick(RAW_NUMBERS));
    case 6:
      return opts.invalidJson ? new RawJson(rng.pick(INVALID_RAW_NUMBERS)) : -0;
    default:
      return hostileNumber(rng, opts);
  }
}

/** A string with 1–`maxRounds` text mutations (hostile characters, cuts, repeats, ids). */
export function mutateText(rng: Rng, text: string, opts: MutateOptions, maxRounds = 3): string {
  let out = text;
  for (let i = rng.range(1, maxRounds); i > 0; i--) out = mutateString(rng, out, opts);
  return out;
}

/**
 * Largest JSON text a mutation may produce. Widening a deeply nested node multiplies its size;
 * past a few MiB, what is measured is `JSON.parse` itself (about 0.15 s per MiB of nesting here).
 */
export const MAX_DOC_CHARS = 1024 * 1024;

/**
 * Whether the JSON text of `root` would be longer than `limit` characters, without writing it:
 * a widened tree may share one large node a thousand times, and its text could pass the longest
 * string the engine can hold. Stops as soon as the limit is passed.
 */
export function longerThan(root: Tree, limit: number): boolean {
  let length = 0;
  const stack: Tree[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (typeof node === "string") length += node.length + 2;
    else if (node instanceof RawJson) length += node.text.length;
    else if (Array.isArray(node)) {
      length += node.length + 1;
      for (const child of node) stack.push(child);
    } else if (isTreeObject(node)) {
      for (const key of Object.keys(node)) {
        length += key.length + 4;
        stack.push(node[key]!);
      }
      length += 2;
    } else length += String(node).length;
    if (length > limit) return true;
  }
  return false;
}

type Operator = (rng: Rng, node: Tree, opts: MutateOptions) => Tree | undefined;

const OPERATORS: readonly [number, Operator][] = [
  // Type confusion: any other type in its place.
  [4, (rng, _node, opts) => anyValue(rng, opts)],
  [
    3,
    (rng, node, opts) =>
      typeof node === "string" ? mutateString(rng, node, opts) : hostileString(rng, opts),
  ],
  [
    3,
    (rng, node, opts) =>
      typeof node === "number" || node instanceof RawJson
        ? mutateNumber(rng, node, opts)
        : hostileNumber(rng, opts),
  ],
  // Missing keys and items.
  [3, (rng, node) => {
    if (Array.isArray(node) && node.length) {
      const copy = [...node];
      copy.splice(rng.int(copy.length), 1);
      return copy;
    }
    if (isTreeObject(node)) {
      const keys = Object.keys(node);
      if (keys.length === 0) return node;
      const copy = shallow(node);
      delete copy[rng.pick(keys)];
      return copy;
    }
    return undefined;
  }],
  // Extra keys: the schema's own, prototype keys, odd names.
  [3, (rng, node, opts) => {
    if (!isTreeObject(node)) return node;
    const copy = shallow(node);
    const key = rng.chance(0.5)
      ? rng.pick(opts.keys.length ? opts.keys : PROTO_KEYS)
      : rng.chance(0.6)
      ? rng.pick(PROTO_KEYS)
      : hostileString(rng, { ...opts, longMax: 300 });
    setKey(copy, key, anyValue(rng, opts));
    return copy;
  }],
  // Deep nesting.
  [1, (rng, node, opts) => {
    const depth = rng.pick([2, 10, 64, 65, 500, opts.maxDepth ?? 3000]);
    return nest(node, depth, rng.chance(0.5) ? null : rng.pick([...opts.keys, "a"]));
  }],
  // Wide arrays and objects.
  [1, (rng, node, opts) => {
    if (Array.isArray(node)) {
      const item = node.length ? rng.pick(node) : anyValue(rng, opts);
      return [...node, ...Array.from({ length: rng.pick([10, 101, 1000]) }, () => item)];
    }
    if (isTreeObject(node)) {
      const copy = shallow(node);
      for (let i = rng.pick([10, 200]); i > 0; i--) setKey(copy, `k${i}`, i);
      return copy;
    }
    return [node, node];
  }],
  // Empty of the same kind.
  [
    1,
    (_rng, node) =>
      Array.isArray(node)
        ? []
        : isTreeObject(node)
        ? {}
        : typeof node === "string"
        ? ""
        : typeof node === "number"
        ? 0
        : null,
  ],
  // An object or array handed over as its JSON text.
  [1, (_rng, node) => (typeof node === "object" && node !== null ? jsonText(node) : node)],
];

const TOTAL_WEIGHT = OPERATORS.reduce((sum, [w]) => sum + w, 0);

/**
 * Applies 1–`maxRounds` random mutations at random places of `tree`. A mutation that would make
 * the JSON text longer than {@linkcode MAX_DOC_CHARS} is dropped.
 */
export function mutateTree(rng: Rng, tree: Tree, opts: MutateOptions, maxRounds = 4): Tree {
  let out = tree;
  const rounds = rng.range(1, maxRounds);
  for (let round = 0; round < rounds; round++) {
    const paths = treePaths(out, 200);
    const hot = opts.hot?.length
      ? paths.filter((p) => opts.hot!.includes(String(p[p.length - 1])))
      : [];
    const path = rng.chance(0.05)
      ? []
      : hot.length && rng.chance(0.5)
      ? rng.pick(hot)
      : rng.pick(paths);
    const node = nodeAt(out, path);
    if (node === undefined) continue;
    let roll = rng.float() * TOTAL_WEIGHT;
    let op = OPERATORS[0]![1];
    for (const [w, candidate] of OPERATORS) {
      roll -= w;
      if (roll < 0) {
        op = candidate;
        break;
      }
    }
    const mutated = replaceAt(out, path, op(rng, node, opts));
    if (!longerThan(mutated, MAX_DOC_CHARS)) out = mutated;
  }
  return out;
}

// ------------------------------------------------------------------------------ JSON text

/**
 * JSON text of a tree, written without recursion. `RawJson` tokens are copied verbatim. With
 * `rawStrings`, strings escape only what JSON requires (quote, backslash, controls), so lone
 * surrogates and bidi characters reach the parser as they are; otherwise `JSON.stringify` rules.
 */
export function jsonText(root: Tree, rawStrings = false): string {
  const parts: string[] = [];
  // A stack of things still to write: a value, or a piece of punctuation.
  const stack: (Tree | Punctuation)[] = [root];
  while (stack.length) {
    const node = stack.pop()!;
    if (node instanceof Punctuation) parts.push(node.text);
    else if (node === null) parts.push("null");
    else if (typeof node === "boolean") parts.push(String(node));
    else if (typeof node === "number") {
      parts.push(Number.isFinite(node) ? (Object.is(node, -0) ? "-0" : String(node)) : "null");
    } else if (typeof node === "string") parts.push(quoteString(node, rawStrings));
    else if (node instanceof RawJson) parts.push(node.text);
    else if (Array.isArray(node)) {
      stack.push(CLOSE_ARRAY);
      for (let i = node.length - 1; i >= 0; i--) {
        stack.push(node[i]!);
        if (i > 0) stack.push(COMMA);
      }
      parts.push("[");
    } else {
      const keys = Object.keys(node);
      stack.push(CLOSE_OBJECT);
      for (let i = keys.length - 1; i >= 0; i--) {
        stack.push(node[keys[i]!]!);
        stack.push(new Punctuation(`${quoteString(keys[i]!, rawStrings)}:`));
        if (i > 0) stack.push(COMMA);
      }
      parts.push("{");
    }
  }
  return parts.join("");
}

/** Text {@linkcode jsonText} writes between values. */
class Punctuation {
  constructor(readonly text: string) {}
}

const COMMA = new Punctuation(",");
const CLOSE_ARRAY = new Punctuation("]");
const CLOSE_OBJECT = new Punctuation("}");

function quoteString(s: string, raw: boolean): string {
  if (!raw) return JSON.stringify(s);
  return `"${
    s.replace(
      // JSON forbids raw controls in strings: exactly these must be escaped.
      // deno-lint-ignore no-control-regex
      /["\\\u0000-\u001f]/g,
      (c) =>
        c === '"'
          ? '\\"'
          : c === "\\"
          ? "\\\\"
          : `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`,
    )
  }"`;
}

/** An edit of the JSON text after it is written; positions are fractions of its length. */
export type TextEdit =
  | { kind: "cut"; at: number }
  | { kind: "insert"; at: number; text: string }
  | { kind: "bom" };

const INSERTIONS: readonly string[] = [
  '"',
  "\\",
  "{",
  "}",
  "[",
  "]",
  ",",
  ":",
  "\u0000",
  "\ud800",
  " ",
  "/*",
  '"message_id":1e400,',
  '"message_id":18446744073709551616,',
  '"msg_id":-0,',
  '"svr_id":7300000000000000123,',
  '"message_id":"7300000000000000123",',
  '"__proto__":{"x":1},',
  "\\u",
  "\\ud800",
  '_id":5',
];

/** 0–2 random text edits (none most of the time). */
export function randomEdits(rng: Rng): TextEdit[] {
  const edits: TextEdit[] = [];
  const count = rng.chance(0.7) ? 0 : rng.range(1, 2);
  for (let i = 0; i < count; i++) {
    const r = rng.float();
    if (r < 0.4) edits.push({ kind: "cut", at: rng.float() });
    else if (r < 0.9) edits.push({ kind: "insert", at: rng.float(), text: rng.pick(INSERTIONS) });
    else edits.push({ kind: "bom" });
  }
  return edits;
}

/** Applies text edits in order. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  let out = text;
  for (const edit of edits) {
    if (edit.kind === "bom") out = "\ufeff" + out;
    else {
      const at = Math.floor(edit.at * out.length);
      out = edit.kind === "cut" ? out.slice(0, at) : out.slice(0, at) + edit.text + out.slice(at);
    }
  }
  return out;
}

/** A JSON document: a tree, how its strings are written, and edits of the written text. */
export interface JsonDoc {
  /** The value. */
  tree: Tree;
  /** Write strings with minimal escaping (lone surrogates and bidi characters stay raw). */
  rawStrings: boolean;
  /** Edits of the written text (truncation, inserted garbage, a BOM). */
  edits: TextEdit[];
}

/** The text of a document. */
export function docText(doc: JsonDoc): string {
  return applyEdits(jsonText(doc.tree, doc.rawStrings), doc.edits);
}

/** A mutated document built from `seed`. */
export function mutateDoc(rng: Rng, seed: Tree, opts: MutateOptions): JsonDoc {
  return {
    tree: rng.chance(0.1) ? seed : mutateTree(rng, seed, opts),
    rawStrings: rng.chance(0.3),
    edits: opts.invalidJson ? randomEdits(rng) : [],
  };
}

/**
 * Substitutes `$NAME` placeholders in every string of a tree (paths and ids only known at run
 * time), without recursion.
 */
export function substitute(root: Tree, vars: Readonly<Record<string, string>>): Tree {
  const names = Object.keys(vars).sort((a, b) => b.length - a.length);
  if (names.length === 0) return root;
  const pattern = new RegExp(names.map((n) => `\\$${n}`).join("|"), "g");
  const fix = (s: string) => s.includes("$") ? s.replace(pattern, (m) => vars[m.slice(1)]!) : s;
  if (typeof root === "string") return fix(root);
  if (typeof root !== "object" || root === null || root instanceof RawJson) return root;
  const copy = shallow(root);
  const stack: Tree[] = [copy];
  while (stack.length) {
    const node = stack.pop()!;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        const child = node[i]!;
        if (typeof child === "string") node[i] = fix(child);
        else if (typeof child === "object" && child !== null && !(child instanceof RawJson)) {
          node[i] = shallow(child);
          stack.push(node[i]!);
        }
      }
    } else if (isTreeObject(node)) {
      for (const k of Object.keys(node)) {
        const child = node[k]!;
        if (typeof child === "string") setKey(node, k, fix(child));
        else if (typeof child === "object" && child !== null && !(child instanceof RawJson)) {
          const c = shallow(child);
          setKey(node, k, c);
          stack.push(c);
        }
      }
    }
  }
  return copy;
}
