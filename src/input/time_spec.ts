/**
 * Points in time as people and agents write them: unix milliseconds, ISO 8601, or relative forms
 * such as `2h` and `7d`. The one parser behind the CLI's `--since`/`--until` and the `since`/
 * `until` arguments of the servers' `history` tool, so both accept exactly the same values.
 *
 * The original silently ignored a value it could not read and returned unfiltered history. Here
 * every value that is not one of the forms, or that lies outside 1970-01-01 … 9999-12-31 (UTC),
 * throws a {@linkcode TimeSpecError} naming the value and the accepted forms; the CLI reports it
 * as a usage error, the servers as a `bad_request` tool error.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

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

/** What the error message lists as accepted. */
export const TIME_FORMS: string =
  "expected ISO 8601 (2026-03-30, 2026-03-30T08:00:00Z), unix milliseconds, or a relative time " +
  "such as 30m, 2h, 7d";

/** Earliest accepted time: the unix epoch (no message is older). */
export const MIN_TIME_MS = 0;
/** Latest accepted time: 9999-12-31T23:59:59.999Z, the last instant ISO 8601 years can name. */
export const MAX_TIME_MS: number = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

/** A time value that is not one of the accepted forms, or lies outside the accepted range. */
export class TimeSpecError extends WeiLinkError {
  /** The value as given. */
  readonly value: string;

  /**
   * Create the error; the message names the label, the value and the reason.
   *
   * @param label How the value was given (`--since`, `since`), named in the message.
   * @param value The value as given.
   * @param reason What is wrong, starting in lower case.
   */
  constructor(label: string, value: string, reason: string) {
    super(`Invalid ${label} '${value}': ${reason}`);
    this.name = "TimeSpecError";
    this.value = value;
  }
}

/**
 * Parses a point in time to unix milliseconds. Accepts what the original
 * accepted (unix milliseconds, ISO 8601 with or without time and offset; no
 * offset means local time) and relative times counted back from `now`
 * (`45s`, `30m`, `2h`, `7d`, `1w`, optionally followed by `ago`), plus `now`,
 * `today` and `yesterday` (local midnight).
 *
 * @param label Named in the error message, e.g. `--since` or `since`.
 * @throws {TimeSpecError} when the value is not one of those forms, or is before 1970 or after
 * the year 9999.
 *
 * @example
 * ```ts
 * import { parseTime } from "./time_spec.ts";
 * const now = Date.UTC(2026, 2, 30, 12);
 * parseTime("2h", "since", now) === now - 2 * 3_600_000; // true
 * parseTime("2026-03-30T08:00:00Z", "since") === Date.UTC(2026, 2, 30, 8); // true
 * ```
 */
export function parseTime(value: string, label: string, now: number = Date.now()): number {
  const ms = readTime(value.trim(), now);
  if (ms === undefined) throw new TimeSpecError(label, value, TIME_FORMS);
  if (!(ms >= MIN_TIME_MS && ms <= MAX_TIME_MS)) {
    throw new TimeSpecError(
      label,
      value,
      "expected a time from 1970-01-01 to 9999-12-31 (unix milliseconds 0 to " +
        `${MAX_TIME_MS})`,
    );
  }
  return ms;
}

/** The time `text` names, `undefined` when it is none of the forms (range not checked). */
function readTime(text: string, now: number): number | undefined {
  // Any number of digits parses (to Infinity at worst); the range check then refuses it.
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
  if (!iso) return undefined;
  const [, y, mo, d, h = "0", mi = "0", s = "0", frac = "0", zone] = iso;
  const [year, month, day, hour, minute, second] = [y, mo, d, h, mi, s].map(Number) as [
    number,
    number,
    number,
    number,
    number,
    number,
  ];
  const ms = Math.floor(Number(`0.${frac}`) * 1000);
  const valid = month >= 1 && month <= 12 && hour <= 23 && minute <= 59 && second <= 59 &&
    day >= 1 && day <= daysInMonth(year, month);
  if (!valid) return undefined;
  // `new Date(y, …)` and `Date.UTC(y, …)` read years 0–99 as 1900–1999; the setters do not.
  const date = new Date(0);
  if (zone === undefined) {
    date.setFullYear(year, month - 1, day);
    date.setHours(hour, minute, second, ms);
    return date.getTime();
  }
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  const utc = date.getTime();
  if (zone.toUpperCase() === "Z") return utc;
  const sign = zone.startsWith("-") ? -1 : 1;
  const digits = zone.slice(1).replace(":", "");
  const offsetMinutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || "0");
  if (offsetMinutes > 18 * 60) return undefined;
  return utc - sign * offsetMinutes * 60_000;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
