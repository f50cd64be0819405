/**
 * JSON text and opaque values as the iLink server writes them.
 *
 * @module
 */

/** A JSON-ready response body (bigints are written as JSON numbers by {@linkcode wireJson}). */
export type WireBody = Record<string, unknown>;

/** Whether `v` is a JSON object (not `null`, not an array). */
export function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** `v` when it is a string, else undefined. */
export function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

// `JSON.rawJSON` (V8 ≥ 11.4) is not in TypeScript's lib yet; it lets a bigint be written as a bare
// JSON number without the precision loss of going through a float.
const rawJson = (JSON as unknown as { rawJSON(text: string): unknown }).rawJSON;

/**
 * Serialises `value` to JSON, writing every `bigint` as a JSON **number** with all its digits.
 * The real server sends 64-bit `message_id`s that way (spec §1.6), so clients must parse them
 * losslessly.
 */
export function wireJson(value: unknown): string {
  return JSON.stringify(
    value,
    (_key, v) => typeof v === "bigint" ? rawJson(v.toString()) : v,
  );
}

/**
 * Nesting depth of a JSON-like value (a scalar is 0, `[]` and `{}` are 1). Counted without
 * recursion, so hostile input cannot overflow the stack; stops as soon as the depth exceeds
 * `limit`.
 */
export function jsonDepth(value: unknown, limit: number = Infinity): number {
  let max = 0;
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length > 0) {
    const [v, parent] = stack.pop()!;
    if (typeof v !== "object" || v === null) continue;
    const depth = parent + 1;
    if (depth > max) {
      max = depth;
      if (max > limit) return max;
    }
    for (const child of Array.isArray(v) ? v : Object.values(v)) stack.push([child, depth]);
  }
  return max;
}

/** Random bytes from the platform CSPRNG. */
export function randomBytes(n: number): Uint8Array {
  return crypto.getRandomValues(new Uint8Array(n));
}

/** Random lowercase hex of `n` bytes. */
export function randomHex(n: number): string {
  return Array.from(randomBytes(n), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Standard base64 (with `+`, `/`, `=`). */
export function base64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

/** Decodes standard base64; throws `TypeError` on malformed input. */
export function fromBase64Text(text: string): Uint8Array {
  let bin: string;
  try {
    bin = atob(text);
  } catch {
    throw new TypeError("Cannot decode base64: the value is malformed");
  }
  return Uint8Array.from(bin, (ch) => ch.charCodeAt(0));
}

/**
 * A fresh opaque token such as `upload_param` or a CDN download token. 23 random bytes always
 * encode to base64 ending in one `=`, and often contain `+` or `/`, so a client that forgets to
 * percent-encode them in a query string is caught every time.
 */
export function opaqueToken(): string {
  return base64(randomBytes(23));
}

/**
 * A fresh `context_token`: 85 characters of base64, the length of real ones, so that clients and
 * benches handle (and store, and write to `contexts.json`) tokens of a realistic size.
 */
export function contextToken(): string {
  return base64(randomBytes(64)).slice(0, 85);
}
