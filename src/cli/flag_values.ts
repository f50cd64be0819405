/**
 * Parsers for flag values: times, message types, directions and numbers.
 *
 * The original CLI silently ignored a `--since` or `--direction` it could not
 * read and returned unfiltered history. Here every invalid value is a usage
 * error naming the flag, the value and the accepted forms.
 *
 * @module
 */

import { parseTime as parseTimeSpec, TimeSpecError } from "../input/mod.ts";
import { UsageError } from "./flags.ts";

/**
 * Parses a point in time to unix milliseconds with the shared rules of
 * `src/input/time_spec.ts` (unix milliseconds, ISO 8601, `30m`, `2h`, `7d`,
 * `now`, `today`, `yesterday`).
 *
 * @throws {UsageError} naming `flag` when the value is not one of those forms
 * or lies outside 1970 to 9999.
 */
export function parseTime(value: string, flag: string, now: number = Date.now()): number {
  try {
    return parseTimeSpec(value, flag, now);
  } catch (error) {
    if (error instanceof TimeSpecError) throw new UsageError(error.message);
    throw error;
  }
}

/** Message type names and their protocol numbers (spec §4.1: item type). */
export const MESSAGE_TYPE_NAMES: Readonly<Record<string, number>> = {
  TEXT: 1,
  IMAGE: 2,
  VOICE: 3,
  FILE: 4,
  VIDEO: 5,
};

/** Parses `TEXT`/`image`/… (or the number 1–5) to the message type number. */
export function parseMessageType(value: string, flag = "--type"): number {
  const upper = value.trim().toUpperCase();
  const byName = MESSAGE_TYPE_NAMES[upper];
  if (byName !== undefined) return byName;
  if (/^[1-5]$/.test(upper)) return Number(upper);
  throw new UsageError(
    `Invalid ${flag} '${value}': expected one of ${Object.keys(MESSAGE_TYPE_NAMES).join(", ")}`,
  );
}

/** Direction values as stored in the message store (1 received, 2 sent). */
export const DIRECTION_NAMES: Readonly<Record<string, 1 | 2>> = { received: 1, sent: 2 };

/** Parses `received`/`sent` (any case) to the store's direction number. */
export function parseDirection(value: string, flag = "--direction"): 1 | 2 {
  const direction = DIRECTION_NAMES[value.trim().toLowerCase()];
  if (direction === undefined) {
    throw new UsageError(`Invalid ${flag} '${value}': expected 'received' or 'sent'`);
  }
  return direction;
}

/** Parses a whole number in `[min, max]`. */
export function parseInteger(
  value: string,
  flag: string,
  range: { min: number; max?: number },
): number {
  const text = value.trim();
  const n = /^[+-]?\d+$/.test(text) ? Number(text) : NaN;
  const max = range.max ?? Number.MAX_SAFE_INTEGER;
  if (!Number.isSafeInteger(n) || n < range.min || n > max) {
    const bounds = range.max === undefined
      ? `a whole number of at least ${range.min}`
      : `a whole number from ${range.min} to ${range.max}`;
    throw new UsageError(`Invalid ${flag} '${value}': expected ${bounds}`);
  }
  return n;
}

/** Parses a duration in seconds (fractions allowed), at least 0 and at most `max`. */
export function parseSeconds(value: string, flag: string, max = 86_400): number {
  const text = value.trim();
  const n = /^\d+(\.\d+)?$|^\.\d+$/.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n) || n > max) {
    throw new UsageError(
      `Invalid ${flag} '${value}': expected a number of seconds from 0 to ${max}`,
    );
  }
  return n;
}

/** Parses a TCP port (0 = any free port). */
export function parsePort(value: string, flag: string): number {
  return parseInteger(value, flag, { min: 0, max: 65_535 });
}
