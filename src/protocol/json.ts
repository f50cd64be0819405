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
 * `"<id key>" : <number>` with the number captured. The JSON number grammar is followed loosely
 * (a bare `.` or exponent is accepted) so that malformed numbers still reach `JSON.parse` and fail
 * there with a `SyntaxError`, as they would without the rewrite.
 */
const ID_NUMBER =
  /"(?:message_id|msg_id|svr_id)"[ \t\n\r]*:[ \t\n\r]*(-?\d+(?:\.\d*)?(?:[eE][+-]?\d*)?)/g;

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
 * Rewrites `"<id key>" : <number>` into `"<id key>" : "<number>"` in one regex pass.
 *
 * Look-alike text inside a string literal is never touched: there the opening quote of the match
 * would be escaped, i.e. preceded by an odd run of backslashes (outside strings, valid JSON has no
 * backslashes at all). A match whose opening quote is unescaped either starts a real key or sits
 * in text that is not valid JSON anyway (`JSON.parse` then throws, rewritten or not).
 */
function quoteIdNumbers(text: string): string {
  // Fast path: most bodies (QR, config, typing) carry no id at all.
  if (!text.includes('_id"')) return text;
  return text.replace(ID_NUMBER, (match: string, digits: string, offset: number) => {
    let backslashes = 0;
    for (let k = offset - 1; k >= 0 && text.charCodeAt(k) === 0x5c /* \ */; k--) backslashes++;
    if (backslashes % 2 === 1) return match;
    return match.slice(0, match.length - digits.length) + '"' + digits + '"';
  });
}
