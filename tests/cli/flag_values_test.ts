import assert from "node:assert/strict";
import {
  parseDirection,
  parseInteger,
  parseMessageType,
  parseSeconds,
  parseTime,
} from "../../src/cli/flag_values.ts";
import { UsageError } from "../../src/cli/flags.ts";

const NOW = Date.UTC(2026, 2, 30, 12, 0, 0);

Deno.test("parseTime accepts unix milliseconds and ISO 8601 like the original", () => {
  assert.equal(parseTime("1711800000000", "--since", NOW), 1711800000000);
  assert.equal(parseTime("2026-03-30T08:00:00Z", "--since", NOW), Date.UTC(2026, 2, 30, 8));
  assert.equal(
    parseTime("2026-03-30T08:00:00.250Z", "--since", NOW),
    Date.UTC(2026, 2, 30, 8) + 250,
  );
  assert.equal(parseTime("2026-03-30T08:00+02:00", "--since", NOW), Date.UTC(2026, 2, 30, 6));
  assert.equal(
    parseTime("2026-03-30T08:00:00-0530", "--since", NOW),
    Date.UTC(2026, 2, 30, 13, 30),
  );
  // No offset: local time, as Python's datetime.fromisoformat(...).timestamp() does.
  assert.equal(parseTime("2026-03-30", "--since", NOW), new Date(2026, 2, 30).getTime());
  assert.equal(
    parseTime("2026-03-30 07:15", "--since", NOW),
    new Date(2026, 2, 30, 7, 15).getTime(),
  );
});

Deno.test("parseTime accepts relative times counted back from now", () => {
  assert.equal(parseTime("30s", "--since", NOW), NOW - 30_000);
  assert.equal(parseTime("30m", "--since", NOW), NOW - 30 * 60_000);
  assert.equal(parseTime("2h", "--since", NOW), NOW - 2 * 3_600_000);
  assert.equal(parseTime("1.5h", "--since", NOW), NOW - 5_400_000);
  assert.equal(parseTime("7d", "--since", NOW), NOW - 7 * 86_400_000);
  assert.equal(parseTime("1w", "--since", NOW), NOW - 604_800_000);
  assert.equal(parseTime("2h ago", "--since", NOW), NOW - 2 * 3_600_000);
  assert.equal(parseTime("now", "--until", NOW), NOW);
  const today = new Date(NOW);
  today.setHours(0, 0, 0, 0);
  assert.equal(parseTime("today", "--since", NOW), today.getTime());
});

Deno.test("parseTime rejects everything else with a clear message", () => {
  for (
    const bad of [
      "yesterdayish",
      "2026-13-01",
      "2026-02-30",
      "2026-03-30T25:00",
      "2026-03-30T08:60",
      "3 parsecs",
      "-5",
      "1e3",
      "",
      "2026-03-30T08:00+99:00",
      "h",
    ]
  ) {
    assert.throws(() => parseTime(bad, "--since", NOW), (e: unknown) => {
      assert.ok(e instanceof UsageError, `${bad}: ${e}`);
      assert.match(e.message, /^Invalid --since '.*': expected ISO 8601/);
      return true;
    });
  }
});

Deno.test("parseMessageType and parseDirection", () => {
  assert.equal(parseMessageType("TEXT"), 1);
  assert.equal(parseMessageType("image"), 2);
  assert.equal(parseMessageType("Voice"), 3);
  assert.equal(parseMessageType("file"), 4);
  assert.equal(parseMessageType("VIDEO"), 5);
  assert.equal(parseMessageType("3"), 3);
  assert.throws(() => parseMessageType("gif"), /Invalid --type 'gif': expected one of TEXT/);
  assert.throws(() => parseMessageType("6"), UsageError);
  assert.equal(parseDirection("received"), 1);
  assert.equal(parseDirection("SENT"), 2);
  assert.throws(() => parseDirection("inbound"), /Invalid --direction 'inbound'/);
});

Deno.test("parseInteger and parseSeconds check ranges", () => {
  assert.equal(parseInteger("50", "--limit", { min: 1, max: 200 }), 50);
  for (const bad of ["0", "201", "-1", "1.5", "ten", "", "1e2"]) {
    assert.throws(
      () => parseInteger(bad, "--limit", { min: 1, max: 200 }),
      /Invalid --limit .*: expected a whole number from 1 to 200/,
    );
  }
  assert.equal(parseInteger("0", "--offset", { min: 0 }), 0);
  assert.throws(() => parseInteger("-3", "--offset", { min: 0 }), /at least 0/);
  assert.equal(parseSeconds("2.5", "--timeout"), 2.5);
  assert.equal(parseSeconds("0", "--timeout"), 0);
  for (const bad of ["-1", "abc", "1s", "100000"]) {
    assert.throws(() => parseSeconds(bad, "--timeout"), /Invalid --timeout/);
  }
});
