/**
 * Lossless JSON parsing for iLink responses.
 *
 * `message_id` is a uint64 sent as a JSON number that often exceeds 2^53, which `JSON.parse` would
 * silently round. Like the official client (2.4.9), the numeric value of every `message_id`,
 * `msg_id` and `svr_id` key is rewritten into a JSON string before parsing (spec §1.6).
 *
 * @module
 */

const ID_KEYS: ReadonlySet<string> = new Set(["message_id", "msg_id", "svr_id"]);

/**
 * Parses JSON text like `JSON.parse`, except that numeric values of the keys `message_id`,
 * `msg_id` and `svr_id` (at any depth) become decimal strings with every digit kept. Values that
 * are already strings are left alone; text inside string literals is never touched.
 *
 * @example
 * ```ts
 * import { parseJsonLossless } from "./json.ts";
 *
 * const v = parseJsonLossless('{"message_id":7300000000000000123}') as { message_id: string };
 * console.log(v.message_id); // "7300000000000000123"
 * ```
 *
 * @throws {SyntaxError} When the text is not valid JSON.
 */
export function parseJsonLossless(text: string): unknown {
  return JSON.parse(quoteIdNumbers(text));
}

/**
 * Rewrites `"<id key>" : <number>` into `"<id key>" : "<number>"`, scanning the text once and
 * tracking string literals so that look-alike text inside strings stays as it is.
 */
function quoteIdNumbers(text: string): string {
  // Fast path: most bodies (QR, config, typing) carry no id at all.
  if (!text.includes("_id")) return text;
  let out = "";
  let copiedUpTo = 0;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const ch = text.charCodeAt(i);
    if (ch !== 0x22 /* " */) {
      i++;
      continue;
    }
    // Scan a string literal.
    const start = i + 1;
    let j = start;
    while (j < n) {
      const c = text.charCodeAt(j);
      if (c === 0x5c /* \ */) j += 2;
      else if (c === 0x22) break;
      else j++;
    }
    const end = j; // index of the closing quote (or n when unterminated)
    i = j + 1;
    if (end - start > 10 || !ID_KEYS.has(text.slice(start, end))) continue;
    // Only a key is followed by a colon.
    let k = i;
    while (k < n && isSpace(text.charCodeAt(k))) k++;
    if (text.charCodeAt(k) !== 0x3a /* : */) continue;
    k++;
    while (k < n && isSpace(text.charCodeAt(k))) k++;
    const numberEnd = scanNumber(text, k);
    if (numberEnd === k) continue;
    out += text.slice(copiedUpTo, k) + '"' + text.slice(k, numberEnd) + '"';
    copiedUpTo = numberEnd;
    i = numberEnd;
  }
  return copiedUpTo === 0 ? text : out + text.slice(copiedUpTo);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Returns the end index of a JSON number starting at `i`, or `i` when there is none. */
function scanNumber(text: string, i: number): number {
  let k = i;
  if (text[k] === "-") k++;
  const digitsStart = k;
  while (k < text.length && isDigit(text.charCodeAt(k))) k++;
  if (k === digitsStart) return i;
  if (text[k] === ".") {
    k++;
    while (k < text.length && isDigit(text.charCodeAt(k))) k++;
  }
  if (text[k] === "e" || text[k] === "E") {
    k++;
    if (text[k] === "+" || text[k] === "-") k++;
    while (k < text.length && isDigit(text.charCodeAt(k))) k++;
  }
  return k;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}
