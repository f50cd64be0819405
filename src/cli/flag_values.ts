/**
 * Parsers for flag values: times, message types, directions and numbers.
 *
 * The original CLI silently ignored a `--since` or `--direction` it could not
 * read and returned unfiltered history. Here every invalid value is a usage
 * error naming the flag, the value and the accepted forms.
 *
 * @module
 */

import { UsageError } from "./flags.ts";

const UNIT_MS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  m: 60_000,
  min: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const RELATIVE = /^(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|d|w)(?:\s+ago)?$/i;
const ISO =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2})?)?$/i;

const TIME_FORMS =
  "expected ISO 8601 (2026-03-30, 2026-03-30T08:00:00Z), unix milliseconds, or a relative time " +
  "such as 30m, 2h, 7d";

/**
 * Parses a point in time to unix milliseconds. Accepts what the original
 * accepted (unix milliseconds, ISO 8601 with or without time and offset; no
 * offset means local time) and relative times counted back from `now`
 * (`45s`, `30m`, `2h`, `7d`, `1w`, optionally followed by `ago`), plus `now`,
 * `today` and `yesterday` (local midnight).
 *
 * @throws {UsageError} naming `flag` when the value is not one of those forms.
 */
export function parseTime(value: string, flag: string, now: number = Date.now()): number {
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text);
  const lower = text.toLowerCase();
  if (lower === "now") return now;
  if (lower === "today" || lower === "yesterday") {
    const midnight = new Date(now);
    midnight.setHours(0, 0, 0, 0);
    if (lower === "yesterday") midnight.setDate(midnight.getDate() - 1);
    return midnight.getTime();
  }
  const relative = RELATIVE.exec(text);
  if (relative) {
    const amount = Number(relative[1]);
    const unit = UNIT_MS[(relative[2] as string).toLowerCase()] as number;
    return Math.round(now - amount * unit);
  }
  const iso = ISO.exec(text);
  if (iso) {
    const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "0", zone] = iso;
    const parts = [y, mo, d, h, mi, s].map(Number) as [
      number,
      number,
      number,
      number,
      number,
      number,
    ];
    const ms = Math.floor(Number(`0.${frac}`) * 1000);
    const [year, month, day, hour, minute, second] = parts;
    const valid = month >= 1 && month <= 12 && hour <= 23 && minute <= 59 && second <= 59 &&
      day >= 1 && day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
    if (valid) {
      if (zone === undefined) {
        return new Date(year, month - 1, day, hour, minute, second, ms).getTime();
      }
      const utc = Date.UTC(year, month - 1, day, hour, minute, second, ms);
      if (zone.toUpperCase() === "Z") return utc;
      const sign = zone.startsWith("-") ? -1 : 1;
      const digits = zone.slice(1).replace(":", "");
      const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
      if (offsetMinutes <= 18 * 60) return utc - sign * offsetMinutes * 60_000;
    }
  }
  throw new UsageError(`Invalid ${flag} '${value}': ${TIME_FORMS}`);
}

/** Message type names and their protocol numbers (spec §3: item type). */
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
