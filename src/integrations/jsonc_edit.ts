/**
 * Minimal, layout-preserving edits of JSON and JSON-with-comments files (the agents' settings).
 *
 * A person's config file is theirs: its comments, key order, indentation, trailing commas and
 * blank lines must survive WeiLink adding or removing its one entry, byte for byte. So nothing
 * here re-serialises a document. `jsonc-parser` only finds where things are (offsets of
 * properties, array items, commas and line breaks, with comments and strings understood); each
 * edit then splices text at those offsets, written in the style the file already uses (its
 * indentation unit and line ending).
 *
 * The edits are built so that a removal undoes an insertion exactly: an entry is inserted on a
 * line of its own after the last sibling (adding the separating comma right after that sibling,
 * or reusing a trailing comma), and removing an entry that owns its line deletes that line and
 * the comma that was added for it. `jsonc-parser`'s own `modify` reformats neighbouring values,
 * which is why it is not used.
 *
 * @module
 */

import {
  createScanner,
  findNodeAtLocation,
  type Node,
  type ParseError,
  parseTree,
  printParseErrorCode,
} from "jsonc-parser";

/**
 * The token kinds of `jsonc-parser`'s scanner. Its typings declare them as a `const enum`, which
 * isolated modules cannot read, so the values (stable since its 1.0) are spelled out here.
 */
const Kind = {
  CloseBrace: 2,
  CloseBracket: 4,
  Comma: 5,
  LineComment: 12,
  BlockComment: 13,
  LineBreak: 14,
  Whitespace: 15,
} as const;

/** A path of property names from the root object. */
export type JsonPath = readonly string[];

/** The parsed tree of `text`, or a `SyntaxError` naming the line and column of the first error. */
function tree(text: string, label: string): Node | undefined {
  const errors: ParseError[] = [];
  const root = parseTree(text, errors, { allowTrailingComma: true, disallowComments: false });
  const first = errors[0];
  if (first) {
    const before = text.slice(0, first.offset);
    const line = before.split("\n").length;
    const column = first.offset - before.lastIndexOf("\n");
    throw new SyntaxError(
      `Cannot read ${label}: ${printParseErrorCode(first.error)} at line ${line}, column ${column}`,
    );
  }
  return root;
}

/**
 * The value of a JSON or JSONC document (`{}` for an empty one).
 *
 * @throws {SyntaxError} When the text is not valid JSONC.
 */
export function parseJsonc(text: string, label = "JSON"): unknown {
  if (text.trim() === "") return {};
  const root = tree(text, label);
  return root === undefined ? {} : nodeValue(root);
}

function nodeValue(node: Node): unknown {
  switch (node.type) {
    case "object": {
      const out: Record<string, unknown> = {};
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (key && value) out[String(key.value)] = nodeValue(value);
      }
      return out;
    }
    case "array":
      return (node.children ?? []).map(nodeValue);
    default:
      return node.value;
  }
}

/** Structural equality of two JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((item, i) => jsonEqual(item, b[i]));
  }
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  return ka.length === kb.length &&
    ka.every((k) =>
      Object.hasOwn(b, k) &&
      jsonEqual((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k])
    );
}

// ---------------------------------------------------------------------------------------------
// The file's own style
// ---------------------------------------------------------------------------------------------

/** `\r\n` when the file uses it, else `\n`. */
function eolOf(text: string): string {
  return text.includes("\r\n") ? "\r\n" : "\n";
}

/** The indentation step of the file: a tab, or the smallest run of leading spaces (default 2). */
function indentUnitOf(text: string): string {
  let smallest = 0;
  for (const line of text.split("\n")) {
    if (line.startsWith("\t")) return "\t";
    const spaces = /^( +)\S/.exec(line)?.[1]?.length ?? 0;
    if (spaces > 0 && (smallest === 0 || spaces < smallest)) smallest = spaces;
  }
  return " ".repeat(smallest === 0 ? 2 : Math.min(smallest, 8));
}

/** The whitespace that starts the line holding `offset`. */
function lineIndent(text: string, offset: number): string {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return /^[ \t]*/.exec(text.slice(start))?.[0] ?? "";
}

/** Whether only whitespace stands between the start of `offset`'s line and `offset`. */
function startsLine(text: string, offset: number): boolean {
  const start = text.lastIndexOf("\n", offset - 1) + 1;
  return text.slice(start, offset).trim() === "";
}

/** `value` as pretty JSON whose continuation lines start with `indent`. */
function render(value: unknown, indent: string, unit: string, eol: string): string {
  return JSON.stringify(value, null, unit).replaceAll("\n", eol + indent);
}

// ---------------------------------------------------------------------------------------------
// Tokens around a node
// ---------------------------------------------------------------------------------------------

interface Token {
  kind: number;
  offset: number;
  end: number;
}

/** Tokens of `text` from `offset` on, comments and whitespace included. */
function scanFrom(text: string, offset: number): { next(): Token } {
  const scanner = createScanner(text, false);
  scanner.setPosition(offset);
  return {
    next() {
      const kind = scanner.scan();
      const start = scanner.getTokenOffset();
      return { kind, offset: start, end: start + scanner.getTokenLength() };
    },
  };
}

function isTrivia(kind: number): boolean {
  return kind === Kind.Whitespace || kind === Kind.LineComment ||
    kind === Kind.BlockComment || kind === Kind.LineBreak;
}

/** The first token after `offset` that is not whitespace, a comment or a line break. */
function nextSignificant(text: string, offset: number): Token {
  const scan = scanFrom(text, offset);
  for (;;) {
    const token = scan.next();
    if (!isTrivia(token.kind)) return token;
  }
}

/**
 * Offset of the first line break after `offset` when only whitespace and comments (no other
 * token) come before it, else `undefined`. Block comments are single tokens, so the break found
 * is never inside one.
 */
function lineBreakAfter(text: string, offset: number): number | undefined {
  const scan = scanFrom(text, offset);
  for (;;) {
    const token = scan.next();
    if (token.kind === Kind.LineBreak) return token.offset;
    if (!isTrivia(token.kind)) return undefined;
  }
}

/** Offset of the line break that ends the line before `offset`'s line (or `undefined` on line 1). */
function lineBreakBefore(text: string, offset: number): number | undefined {
  const start = text.lastIndexOf("\n", offset - 1);
  if (start < 0) return undefined;
  return start > 0 && text[start - 1] === "\r" ? start - 1 : start;
}

function splice(text: string, start: number, end: number, insert = ""): string {
  return text.slice(0, start) + insert + text.slice(end);
}

// ---------------------------------------------------------------------------------------------
// Insertion and removal of one member of an object or array
// ---------------------------------------------------------------------------------------------

/**
 * Inserts `member` (a rendered `"key": value` or array item, built by `build` for the
 * indentation it will stand at) as the last member of `container`.
 */
function insertMember(
  text: string,
  container: Node,
  build: (indent: string, compact: boolean) => string,
): string {
  const eol = eolOf(text);
  const unit = indentUnitOf(text);
  const outer = lineIndent(text, container.offset);
  const close = container.offset + container.length - 1;
  const members = container.children ?? [];
  const last = members[members.length - 1];
  if (!last) {
    const inner = text.slice(container.offset + 1, close);
    const indent = outer + unit;
    if (inner.trim() === "") {
      return splice(
        text,
        container.offset + 1,
        close,
        eol + indent + build(indent, false) + eol + outer,
      );
    }
    // Only comments inside: the member goes on a line of its own before the closing bracket.
    if (startsLine(text, close)) {
      const lineStart = text.lastIndexOf("\n", close - 1) + 1;
      return splice(text, lineStart, lineStart, indent + build(indent, false) + eol);
    }
    return splice(text, close, close, eol + indent + build(indent, false) + eol + outer);
  }
  const lastEnd = last.offset + last.length;
  const indent = startsLine(text, last.offset) ? lineIndent(text, last.offset) : outer + unit;
  const after = nextSignificant(text, lastEnd);
  if (after.kind === Kind.Comma) {
    // Trailing-comma style: keep it, and give the new member one too.
    const lineEnd = lineBreakAfter(text, after.end);
    if (lineEnd !== undefined && lineEnd < close) {
      return splice(text, lineEnd, lineEnd, eol + indent + build(indent, false) + ",");
    }
    return splice(text, after.end, after.end, " " + build("", true) + ",");
  }
  const lineEnd = lineBreakAfter(text, lastEnd);
  if (lineEnd !== undefined && lineEnd < close) {
    // The comma goes right after the last member, before any comment on its line; the member
    // goes on the next line.
    const withMember = splice(text, lineEnd, lineEnd, eol + indent + build(indent, false));
    return splice(withMember, lastEnd, lastEnd, ",");
  }
  return splice(text, lastEnd, lastEnd, ", " + build("", true));
}

/** Removes member `index` of `container`, undoing what {@linkcode insertMember} does. */
function removeMember(text: string, container: Node, index: number): string {
  const members = container.children ?? [];
  const member = members[index];
  if (!member) return text;
  const prev = members[index - 1];
  const end = member.offset + member.length;
  const after = nextSignificant(text, end);
  const hasComma = after.kind === Kind.Comma;
  const tail = hasComma ? after.end : end;
  const lineEnd = lineBreakAfter(text, tail);
  const lineStart = lineBreakBefore(text, member.offset);
  if (startsLine(text, member.offset) && lineEnd !== undefined && lineStart !== undefined) {
    // The member owns its lines: delete them (from the line break before it), with its comma.
    let out = splice(text, lineStart, lineEnd);
    if (!hasComma && prev) {
      // It was last and the previous member's comma separated the two: that comma goes too.
      const comma = nextSignificant(out, prev.offset + prev.length);
      if (comma.kind === Kind.Comma) out = splice(out, comma.offset, comma.end);
    }
    return collapseIfEmpty(out, container.offset);
  }
  if (hasComma) {
    const next = nextSignificant(text, after.end);
    return splice(text, member.offset, next.offset);
  }
  if (prev) return splice(text, prev.offset + prev.length, end);
  return collapseIfEmpty(splice(text, member.offset, end), container.offset);
}

/** `{ \n }` left by a removal becomes `{}`; a container holding comments stays as it is. */
function collapseIfEmpty(text: string, open: number): string {
  const scan = scanFrom(text, open + 1);
  for (;;) {
    const token = scan.next();
    if (token.kind === Kind.Whitespace || token.kind === Kind.LineBreak) continue;
    if (token.kind === Kind.CloseBrace || token.kind === Kind.CloseBracket) {
      return splice(text, open + 1, token.offset);
    }
    return text;
  }
}

// ---------------------------------------------------------------------------------------------
// The operations the setup needs
// ---------------------------------------------------------------------------------------------

function rootObject(text: string, label: string): { text: string; root: Node } {
  const source = text.trim() === "" ? "{}\n" : text;
  const root = tree(source, label);
  if (!root || root.type !== "object") {
    throw new SyntaxError(`Cannot edit ${label}: its top level is not a JSON object`);
  }
  return { text: source, root };
}

/** Wraps `value` in objects named by `keys`: `["a", "b"], 1` gives `{"a": {"b": 1}}`. */
function nest(keys: readonly string[], value: unknown): unknown {
  return keys.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value);
}

/**
 * Sets the value at `path`, creating missing parent objects. Returns `text` unchanged when the
 * value is already there (whatever its layout).
 *
 * @throws {SyntaxError} When the text is not JSONC, or a parent on the path is not an object.
 */
export function setJsonc(text: string, path: JsonPath, value: unknown, label = "JSON"): string {
  const { text: source, root } = rootObject(text, label);
  let container = root;
  for (let depth = 0; depth < path.length; depth++) {
    const key = path[depth]!;
    const property = (container.children ?? []).find((p) => p.children?.[0]?.value === key);
    const rest = nest(path.slice(depth + 1), value);
    if (!property) {
      const unit = indentUnitOf(source);
      const eol = eolOf(source);
      return insertMember(
        source,
        container,
        (indent, compact) =>
          `${JSON.stringify(key)}: ${
            compact ? JSON.stringify(rest) : render(rest, indent, unit, eol)
          }`,
      );
    }
    const child = property.children?.[1];
    if (!child) return source;
    if (depth === path.length - 1) {
      if (jsonEqual(nodeValue(child), value)) return text;
      const indent = lineIndent(source, property.offset);
      const rendered = render(value, indent, indentUnitOf(source), eolOf(source));
      return splice(source, child.offset, child.offset + child.length, rendered);
    }
    if (child.type !== "object") {
      throw new SyntaxError(
        `Cannot edit ${label}: "${path.slice(0, depth + 1).join(".")}" is not an object`,
      );
    }
    container = child;
  }
  return source;
}

/**
 * Removes the property at `path`; then each parent object (up to `prune` levels) left empty by
 * the removal goes too. Returns `text` unchanged when there is nothing at `path`.
 */
export function removeJsonc(text: string, path: JsonPath, prune = 0, label = "JSON"): string {
  if (path.length === 0) return text;
  const { text: source, root } = rootObject(text, label);
  if (findNodeAtLocation(root, [...path]) === undefined) return text;
  // The outermost parent that the removal empties, within `prune` levels.
  let cut = path.length;
  for (let level = 1; level <= prune && cut > 1; level++) {
    const parent = findNodeAtLocation(root, [...path.slice(0, cut - 1)]);
    if (parent?.type !== "object" || (parent.children ?? []).length !== 1) break;
    cut--;
  }
  const target = path.slice(0, cut);
  const container = target.length === 1 ? root : findNodeAtLocation(root, [...target.slice(0, -1)]);
  if (!container || container.type !== "object") return text;
  const index = (container.children ?? []).findIndex((p) =>
    p.children?.[0]?.value === target[target.length - 1]
  );
  return index < 0 ? text : removeMember(source, container, index);
}

/**
 * Appends `item` to the array at `path`, creating the array and its parents when missing.
 *
 * @throws {SyntaxError} When the text is not JSONC or the value at `path` is not an array.
 */
export function appendJsonc(text: string, path: JsonPath, item: unknown, label = "JSON"): string {
  const { text: source, root } = rootObject(text, label);
  const array = findNodeAtLocation(root, [...path]);
  if (!array) return setJsonc(source, path, [item], label);
  if (array.type !== "array") {
    throw new SyntaxError(`Cannot edit ${label}: "${path.join(".")}" is not an array`);
  }
  const unit = indentUnitOf(source);
  const eol = eolOf(source);
  return insertMember(
    source,
    array,
    (indent, compact) => compact ? JSON.stringify(item) : render(item, indent, unit, eol),
  );
}

/**
 * Removes the items of the array at `path` for which `match` is true; an array left empty is
 * removed, and then its parents up to `prune` levels when they are left empty too.
 */
export function removeJsoncItems(
  text: string,
  path: JsonPath,
  match: (item: unknown) => boolean,
  prune = 0,
  label = "JSON",
): string {
  let out = text;
  for (;;) {
    const { text: source, root } = rootObject(out, label);
    const array = findNodeAtLocation(root, [...path]);
    if (array?.type !== "array") return out;
    const items = array.children ?? [];
    const index = items.findIndex((item) => match(nodeValue(item)));
    if (index < 0) return out;
    out = items.length === 1
      ? removeJsonc(source, path, prune, label)
      : removeMember(source, array, index);
  }
}

/** Whether `text` holds an empty object and nothing else (no comments): a file that can go. */
export function isEmptyDocument(text: string): boolean {
  return /^\s*(\{\s*\})?\s*$/.test(text);
}
