/**
 * Every error class the package exports extends WeiLinkError, so one `instanceof` tells
 * WeiLink's failures apart.
 */
import assert from "node:assert/strict";
import * as root from "../mod.ts";
import * as core from "../src/core.ts";
import * as store from "../src/store/mod.ts";
import * as server from "../src/server/mod.ts";
import * as input from "../src/input/mod.ts";
import { UsageError } from "../src/cli/mod.ts";
import { ToolError } from "../src/server/tools.ts";
import { WeiLinkError } from "../src/weilink_error.ts";

Deno.test("errors: every exported error class extends WeiLinkError", () => {
  const classes = new Map<string, unknown>();
  for (const mod of [root, core, store, server, input, { UsageError, ToolError }]) {
    for (const [name, value] of Object.entries(mod)) {
      if (typeof value === "function" && value.prototype instanceof Error) {
        classes.set(name, value);
      }
    }
  }
  // The walk must find the errors of every layer, or it proves nothing.
  for (const name of ["ILinkError", "NetworkError", "AesError", "CdnError", "NoContextError"]) {
    assert.ok(classes.has(name), `${name} is exported`);
  }
  const outside = [...classes].filter(([, c]) =>
    c !== WeiLinkError && !((c as { prototype: unknown }).prototype instanceof WeiLinkError)
  ).map(([name]) => name);
  assert.deepEqual(outside, []);
  assert.equal(new root.NotLoggedInError().name, "NotLoggedInError");
  assert.ok(new root.SessionExpiredError("getupdates", -14, 0, "") instanceof root.ILinkError);
});
