/**
 * How failures of the layers below become tool errors: kinds and HTTP statuses.
 */
import assert from "node:assert/strict";
import { ToolError, toToolError } from "../../src/server/tool_errors.ts";
import { FileAccessError } from "../../src/input/mod.ts";

function named(name: string, message = "detail"): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

Deno.test("a StaleContextError is no_context (409) asking the user to write again", () => {
  const cause = named("StaleContextError", "sendmessage answered -14 for the context token");
  const mapped = toToolError(cause);
  assert.equal(mapped.kind, "no_context");
  assert.equal(mapped.status, 409);
  assert.match(mapped.message, /context token.*the user must write to the bot again/);
  assert.equal(mapped.cause, cause);
});

Deno.test("file-access refusals map by code; forbidden is 403", () => {
  const cases: [ConstructorParameters<typeof FileAccessError>[0], string, number][] = [
    ["forbidden", "forbidden", 403],
    ["not_found", "not_found", 404],
    ["not_a_file", "bad_request", 400],
    ["too_large", "bad_request", 400],
    ["unreadable", "bad_request", 400],
  ];
  for (const [code, kind, status] of cases) {
    const mapped = toToolError(new FileAccessError(code, `Refused: ${code}`));
    assert.equal(mapped.kind, kind, code);
    assert.equal(mapped.status, status, code);
    assert.equal(mapped.message, `Refused: ${code}`);
  }
  assert.equal(new ToolError("forbidden", "x").status, 403);
});

Deno.test("bad arguments, including a bad time, are bad_request", () => {
  assert.equal(toToolError(new TypeError("x")).kind, "bad_request");
  assert.equal(toToolError(new RangeError("x")).kind, "bad_request");
  assert.equal(toToolError(named("TimeSpecError")).kind, "bad_request");
  assert.equal(toToolError(named("SomethingUnexpected")).kind, "internal");
});
