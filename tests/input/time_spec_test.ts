import assert from "node:assert/strict";
import { MAX_TIME_MS, parseTime, TimeSpecError } from "../../src/input/time_spec.ts";
import { WeiLinkError } from "../../src/weilink_error.ts";

const NOW = Date.UTC(2026, 2, 30, 12, 0, 0);

Deno.test("parseTime reads every form the CLI documents", () => {
  assert.equal(parseTime("1711800000000", "since", NOW), 1711800000000);
  assert.equal(parseTime("2026-03-30T08:00:00Z", "since", NOW), Date.UTC(2026, 2, 30, 8));
  assert.equal(parseTime("2026-03-30T08:00+02:00", "since", NOW), Date.UTC(2026, 2, 30, 6));
  assert.equal(parseTime("2026-03-30", "since", NOW), new Date(2026, 2, 30).getTime());
  assert.equal(parseTime("2d", "since", NOW), NOW - 2 * 86_400_000);
  assert.equal(parseTime(" 30 min ago ", "since", NOW), NOW - 30 * 60_000);
  assert.equal(parseTime("now", "until", NOW), NOW);
  const yesterday = new Date(NOW);
  yesterday.setHours(0, 0, 0, 0);
  yesterday.setDate(yesterday.getDate() - 1);
  assert.equal(parseTime("Yesterday", "since", NOW), yesterday.getTime());
  // Leap days follow the calendar of the year given.
  assert.equal(parseTime("2024-02-29T00:00:00Z", "since", NOW), Date.UTC(2024, 1, 29));
  assert.throws(() => parseTime("2026-02-29", "since", NOW), TimeSpecError);
});

Deno.test("parseTime accepts the edges of the range: 1970 to 9999", () => {
  assert.equal(parseTime("0", "since", NOW), 0);
  assert.equal(parseTime("1970-01-01T00:00:00Z", "since", NOW), 0);
  assert.equal(parseTime("9999-12-31T23:59:59.999Z", "until", NOW), MAX_TIME_MS);
  assert.equal(parseTime(String(MAX_TIME_MS), "until", NOW), MAX_TIME_MS);
});

Deno.test("parseTime refuses absurd values with a clear error", () => {
  const cases = [
    "99999999999999999999", // 1e20 ms: year 3 million
    "9".repeat(400), // Infinity
    String(MAX_TIME_MS + 1),
    "9999-12-31T23:59:59-01:00", // one hour into the year 10000
    "100000000w", // before 1970
    "1969-12-31T23:59:59Z",
    "0075-01-01T00:00:00Z", // year 75, not 1975
  ];
  for (const value of cases) {
    assert.throws(() => parseTime(value, "since", NOW), (e: unknown) => {
      assert.ok(e instanceof TimeSpecError, `${value}: ${e}`);
      assert.ok(e instanceof WeiLinkError);
      assert.equal(e.name, "TimeSpecError");
      assert.equal(e.value, value);
      assert.match(e.message, /^Invalid since '.*': expected a time from 1970-01-01 to 9999-12-31/);
      return true;
    });
  }
});

Deno.test("parseTime names the label and the accepted forms for unreadable values", () => {
  for (
    const bad of ["1e300", "yesterday-ish", "-5", "", "2026-03-30T25:00", "3 parsecs", "Infinity"]
  ) {
    assert.throws(
      () => parseTime(bad, "--until", NOW),
      (e: unknown) =>
        e instanceof TimeSpecError &&
        /^Invalid --until '.*': expected ISO 8601 \(2026-03-30, .*\), unix milliseconds/.test(
          e.message,
        ),
      bad,
    );
  }
});
