/**
 * Mapping between iLink message ids and the store's `message_id` column.
 *
 * iLink ids are unsigned 64-bit integers, but an SQLite `INTEGER` is signed 64-bit. Ids below 2^63
 * (everything the Python original can write) are stored unchanged; ids in [2^63, 2^64) are stored
 * as their two's complement, i.e. `id - 2^64`, a negative number no real id maps to. The mapping
 * is a bijection, so uniqueness and `INSERT OR IGNORE` de-duplication keep working, and the value is
 * never routed through a JS `number`.
 *
 * @module
 */

const TWO_63 = 1n << 63n;
const TWO_64 = 1n << 64n;
const DECIMAL_ID = /^[0-9]{1,20}$/;

/**
 * Converts a message id (decimal string) into the signed 64-bit value bound to `message_id`.
 *
 * @throws {TypeError} When the id is not a string of decimal digits.
 * @throws {RangeError} When the id does not fit in an unsigned 64-bit integer.
 */
export function encodeMessageId(id: string): bigint {
  if (typeof id !== "string" || !DECIMAL_ID.test(id)) {
    throw new TypeError(
      `Invalid message id "${String(id)}": expected a string of decimal digits`,
    );
  }
  const value = BigInt(id);
  if (value >= TWO_64) {
    throw new RangeError(`Invalid message id "${id}": exceeds the unsigned 64-bit range`);
  }
  return value >= TWO_63 ? value - TWO_64 : value;
}

/** Converts a `message_id` column value back into the decimal id; `undefined` for `NULL`. */
export function decodeMessageId(value: bigint | number | null | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  const big = typeof value === "bigint" ? value : BigInt(value);
  return (big < 0n ? big + TWO_64 : big).toString();
}
