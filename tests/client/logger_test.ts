import assert from "node:assert/strict";
import {
  createStderrLogger,
  parseLogLevel,
  routeConsoleToStderr,
  shownAt,
} from "../../src/client/logger.ts";

Deno.test("log levels: one vocabulary that also reads the Python original's names", () => {
  assert.equal(parseLogLevel("WARNING"), "warn");
  assert.equal(parseLogLevel(" Debug "), "debug");
  assert.equal(parseLogLevel("silent"), "silent");
  assert.equal(parseLogLevel("loud"), undefined);
  assert.ok(shownAt("error", "warn"));
  assert.ok(!shownAt("info", "warn"));
  assert.ok(!shownAt("error", "silent"));
  // A silent logger writes nothing (it would throw on a closed stderr otherwise).
  createStderrLogger("silent").error("never shown");
});

Deno.test("console routing: stdout methods go to stderr until restored", () => {
  const original = { log: console.log, info: console.info, table: console.table };
  const restore = routeConsoleToStderr();
  try {
    assert.notEqual(console.log, original.log);
    assert.notEqual(console.table, original.table);
  } finally {
    restore();
  }
  assert.equal(console.log, original.log);
  assert.equal(console.info, original.info);
  assert.equal(console.table, original.table);
});
