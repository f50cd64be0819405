/**
 * Minimal edits of one table in a TOML file: Codex's `~/.codex/config.toml` holds the user's
 * model, profiles, other MCP servers and comments, and WeiLink touches only
 * `[mcp_servers.weilink]`.
 *
 * The file is read line by line with just enough of TOML understood to never be fooled: basic
 * and literal strings (one-line and multi-line, so a `[table]` inside a `"""` string is text),
 * comments, and arrays or inline tables spanning lines. Headers and `key =` lines at depth 0 are
 * located; everything else is carried over untouched. Inside the table only the keys WeiLink
 * owns are replaced, so keys a user added there (`startup_timeout_sec`, `env`) stay.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/** A table header found in the file. */
interface Table {
  /** The dotted key of the header, unquoted. */
  path: string[];
  /** `[[array]]` header. */
  arrayOfTables: boolean;
  /** Line index of the header. */
  header: number;
  /**
   * Line index just past the table's last key line. Blank and comment lines between the table
   * and the next header are left out: they usually introduce the next table.
   */
  end: number;
}

/** A `key = value` entry, possibly spanning lines. */
interface KeyEntry {
  /** The dotted key, unquoted. */
  path: string[];
  /** Line index of the key. */
  start: number;
  /** Line index just past the value's last line. */
  end: number;
  /** The table the entry belongs to (`[]` for the root). */
  table: string[];
}

interface Layout {
  lines: string[];
  tables: Table[];
  keys: KeyEntry[];
}

const BARE_KEY = /^[A-Za-z0-9_-]+/;

/** Reads a dotted key at the start of `text`; returns its parts and the length consumed. */
function readKey(text: string): { path: string[]; length: number } | undefined {
  const path: string[] = [];
  let i = 0;
  for (;;) {
    while (text[i] === " " || text[i] === "\t") i++;
    const rest = text.slice(i);
    let part: string | undefined;
    if (rest.startsWith('"')) {
      const match = /^"((?:[^"\\]|\\.)*)"/.exec(rest);
      if (!match) return undefined;
      try {
        part = JSON.parse(match[0]) as string;
      } catch {
        part = match[1]!;
      }
      i += match[0].length;
    } else if (rest.startsWith("'")) {
      const close = rest.indexOf("'", 1);
      if (close < 0) return undefined;
      part = rest.slice(1, close);
      i += close + 1;
    } else {
      const match = BARE_KEY.exec(rest);
      if (!match) return undefined;
      part = match[0];
      i += part.length;
    }
    path.push(part);
    while (text[i] === " " || text[i] === "\t") i++;
    if (text[i] !== ".") return { path, length: i };
    i++;
  }
}

/**
 * Walks the lines, tracking multi-line strings and bracket depth, and records headers and key
 * entries. Values are skipped, not interpreted.
 */
function layout(text: string): Layout {
  const lines = text.split("\n");
  const tables: Table[] = [];
  const keys: KeyEntry[] = [];
  let multiline: '"""' | "'''" | undefined;
  let depth = 0;
  let current: string[] = [];
  let entry: KeyEntry | undefined;
  let lastContent = -1;
  const closeTable = () => {
    const table = tables[tables.length - 1];
    if (table && table.end < 0) table.end = Math.max(lastContent + 1, table.header + 1);
  };
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    let i = 0;
    const atStart = multiline === undefined && depth === 0;
    if (atStart) {
      const trimmed = line.trimStart();
      if (trimmed.startsWith("[")) {
        const array = trimmed.startsWith("[[");
        const key = readKey(trimmed.slice(array ? 2 : 1));
        if (key) {
          closeTable();
          tables.push({ path: key.path, arrayOfTables: array, header: n, end: -1 });
          current = key.path;
          lastContent = n;
          continue;
        }
      } else if (trimmed !== "" && !trimmed.startsWith("#")) {
        const key = readKey(trimmed);
        if (key) {
          entry = { path: key.path, start: n, end: n + 1, table: current };
          keys.push(entry);
          i = line.length - trimmed.length + key.length;
        }
      }
    }
    // Skip through the rest of the line: strings, brackets and comments.
    while (i < line.length) {
      if (multiline) {
        const close = line.indexOf(multiline, i);
        if (close < 0) {
          i = line.length;
          break;
        }
        i = close + 3;
        multiline = undefined;
        continue;
      }
      const ch = line[i]!;
      if (ch === "#") break;
      if (line.startsWith('"""', i) || line.startsWith("'''", i)) {
        multiline = line.slice(i, i + 3) as '"""' | "'''";
        i += 3;
        continue;
      }
      if (ch === '"') {
        const match = /^"(?:[^"\\]|\\.)*"/.exec(line.slice(i));
        i += match ? match[0].length : line.length;
        continue;
      }
      if (ch === "'") {
        const close = line.indexOf("'", i + 1);
        i = close < 0 ? line.length : close + 1;
        continue;
      }
      if (ch === "[" || ch === "{") depth++;
      else if ((ch === "]" || ch === "}") && depth > 0) depth--;
      i++;
    }
    const trimmed = line.trim();
    if (!atStart || (trimmed !== "" && !trimmed.startsWith("#"))) lastContent = n;
    if (entry) entry.end = n + 1;
    if (multiline === undefined && depth === 0) entry = undefined;
  }
  closeTable();
  return { lines, tables, keys };
}

function startsWith(path: readonly string[], prefix: readonly string[]): boolean {
  return prefix.length <= path.length && prefix.every((part, i) => path[i] === part);
}

/** A TOML basic string. */
export function tomlString(value: string): string {
  let out = '"';
  for (const ch of value) {
    const code = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (ch === "\n") out += "\\n";
    else if (ch === "\t") out += "\\t";
    else if (ch === "\r") out += "\\r";
    else if (code < 0x20 || code === 0x7f) out += `\\u${code.toString(16).padStart(4, "0")}`;
    else out += ch;
  }
  return out + '"';
}

/** A TOML value for the string and string-array values WeiLink writes. */
export function tomlValue(value: string | readonly string[]): string {
  return typeof value === "string" ? tomlString(value) : `[${value.map(tomlString).join(", ")}]`;
}

/** A key as TOML writes it: bare when it can be. */
function tomlKey(key: string): string {
  return /^[A-Za-z0-9_-]+$/.test(key) ? key : tomlString(key);
}

/**
 * Where the table `path` is defined in a way this editor does not rewrite: as dotted keys or an
 * inline table in a parent table, e.g. `mcp_servers.weilink.command = …` at the top, or
 * `weilink = { … }` under `[mcp_servers]`. `undefined` when it is not.
 */
function inlineDefinition(layout: Layout, path: readonly string[]): number | undefined {
  for (const key of layout.keys) {
    const full = [...key.table, ...key.path];
    if (full.length >= path.length ? startsWith(full, path) : startsWith(path, full)) {
      if (!startsWith(key.table, path)) return key.start;
    }
  }
  return undefined;
}

/** A table this editor will not rewrite (defined inline elsewhere in the file). */
export class TomlEditError extends WeiLinkError {}

/**
 * Makes the table at `path` hold `values` (string or string-array keys): adds the table at the
 * end of the file when it is missing, replaces only the lines of keys whose value differs, and
 * keeps every other line. Returns `text` itself when nothing changes.
 *
 * @throws {TomlEditError} When the table is defined inline or as dotted keys elsewhere.
 */
export function setTomlTable(
  text: string,
  path: readonly string[],
  values: Readonly<Record<string, string | readonly string[]>>,
  label = "TOML file",
): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const source = eol === "\r\n" ? text.replaceAll("\r\n", "\n") : text;
  const found = layout(source);
  const inline = inlineDefinition(found, path);
  if (inline !== undefined) {
    throw new TomlEditError(
      `Cannot edit ${label}: "${path.join(".")}" is defined inline at line ${inline + 1}; ` +
        "change or remove that entry by hand",
    );
  }
  const lines = [...found.lines];
  const wanted = Object.entries(values).map(([key, value]) => ({
    key,
    line: `${tomlKey(key)} = ${tomlValue(value)}`,
  }));
  const table = found.tables.find((t) => !t.arrayOfTables && t.path.join("\0") === path.join("\0"));
  if (!table) {
    const block = [`[${path.map(tomlKey).join(".")}]`, ...wanted.map((w) => w.line)];
    // One blank line before the new table, always: removeTomlTable takes exactly one away.
    let out = source.trim() === "" ? "" : source.endsWith("\n") ? source + "\n" : source + "\n\n";
    out += block.join("\n") + "\n";
    return eol === "\n" ? out : out.replaceAll("\n", eol);
  }
  const own = found.keys.filter((k) =>
    k.table.join("\0") === path.join("\0") && k.start > table.header && k.start < table.end
  );
  // Edits from the bottom up, so earlier line numbers stay valid.
  const edits: { start: number; end: number; lines: string[] }[] = [];
  let insertAt = own.reduce((at, k) => Math.max(at, k.end), table.header + 1);
  const missing: string[] = [];
  for (const { key, line } of wanted) {
    const entry = own.find((k) => k.path.length === 1 && k.path[0] === key);
    if (!entry) {
      missing.push(line);
      continue;
    }
    const current = lines.slice(entry.start, entry.end).join("\n");
    if (current.trim() !== line) edits.push({ start: entry.start, end: entry.end, lines: [line] });
  }
  if (missing.length > 0) {
    insertAt = Math.min(insertAt, table.end);
    edits.push({ start: insertAt, end: insertAt, lines: missing });
  }
  if (edits.length === 0) return text;
  edits.sort((a, b) => b.start - a.start);
  for (const edit of edits) lines.splice(edit.start, edit.end - edit.start, ...edit.lines);
  const out = lines.join("\n");
  return eol === "\n" ? out : out.replaceAll("\n", eol);
}

/**
 * Removes the table at `path` and every sub-table of it (`[path.env]`), each with the blank line
 * that separated it from what came before. Returns `text` itself when there is none.
 *
 * @throws {TomlEditError} When the table is defined inline or as dotted keys elsewhere.
 */
export function removeTomlTable(
  text: string,
  path: readonly string[],
  label = "TOML file",
): string {
  const eol = text.includes("\r\n") ? "\r\n" : "\n";
  const source = eol === "\r\n" ? text.replaceAll("\r\n", "\n") : text;
  const found = layout(source);
  const inline = inlineDefinition(found, path);
  if (inline !== undefined) {
    throw new TomlEditError(
      `Cannot edit ${label}: "${path.join(".")}" is defined inline at line ${inline + 1}; ` +
        "remove that entry by hand",
    );
  }
  const doomed = found.tables.filter((t) => startsWith(t.path, path));
  if (doomed.length === 0) return text;
  const lines = [...found.lines];
  for (const table of [...doomed].sort((a, b) => b.header - a.header)) {
    let start = table.header;
    if (start > 0 && lines[start - 1]!.trim() === "") start--;
    lines.splice(start, table.end - start);
  }
  const out = lines.join("\n");
  return eol === "\n" ? out : out.replaceAll("\n", eol);
}
