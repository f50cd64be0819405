/**
 * Lossless JSON parsing for iLink responses.
 *
 * `message_id` is a uint64 sent as a JSON number that often exceeds 2^53, which `JSON.parse` would
 * silently round. Like the official client (2.4.9), the numeric value of every `message_id`,
 * `msg_id` and `svr_id` key is rewritten into a JSON string before parsing (spec §1.6).
 *
 * @module
 */

/**
 * `_id" : <number>` right after an unescaped `"message`, `"msg` or `"svr`, with the number captured.
 * The search runs on the literal `_id"`, which is rare, and only then looks behind; the quote that
 * opens the key must be preceded by an even run of backslashes (none, in valid JSON outside
 * strings), so look-alike text inside a string literal, where that quote is escaped, is never
 * touched. The JSON number grammar is followed loosely (a bare `.` or exponent is accepted) so that
 * malformed numbers are not split in two.
 */
const ID_NUMBER =
  /(?<=(?:^|[^\\])(?:\\\\)*"(?:message|msg|svr))_id"[ \t\n\r]*:[ \t\n\r]*(-?\d+(?:\.\d*)?(?:[eE][+-]?\d*)?)/g;

/**
 * Parses JSON text like `JSON.parse`, except that numeric values of the keys `message_id`,
 * `msg_id` and `svr_id` (at any depth) become decimal strings with every digit kept. Values that
 * are already strings are left alone; text inside string literals is never touched.
 *
 * @example
 * ```ts
 * import { parseJsonLossless } from "@weilink/core/core";
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
 * Rewrites `"<id key>" : <number>` into `"<id key>":"<number>"` in one regex pass with a
 * replacement pattern (no callback per match). A match whose opening quote is unescaped either
 * starts a real key or sits in text that is not valid JSON anyway (`JSON.parse` then throws,
 * rewritten or not).
 */
function quoteIdNumbers(text: string): string {
  // Fast path: most bodies (QR, config, typing) carry no id at all.
  if (!text.includes('_id"')) return text;
  return text.replace(ID_NUMBER, '_id":"$1"');
}
