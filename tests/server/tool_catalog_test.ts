/**
 * The zod-free tool catalog against the zod schemas it is derived from: the precomputed JSON
 * Schemas in `src/server/tool_schemas.json` must equal what `z.toJSONSchema` makes of the zod
 * schemas, exactly as the MCP SDK's `McpServer` would list them (draft-07, `io` input/output).
 *
 * After changing `src/server/schemas.ts`, regenerate the file with
 * `UPDATE_TOOL_SCHEMAS=1 deno test -A tests/server/tool_catalog_test.ts`.
 */
import assert from "node:assert/strict";
import * as z from "zod";
import { inputs, outputs, type ToolName } from "../../src/server/schemas.ts";
import { TOOL_LISTINGS, TOOL_NAMES, TOOL_SCHEMAS } from "../../src/server/tool_catalog.ts";

const SCHEMAS_FILE = new URL("../../src/server/tool_schemas.json", import.meta.url);

/** What `McpServer` lists for a zod object schema (its `toJsonSchemaCompat` for zod 4). */
function expectedSchemas() {
  const all: Record<string, unknown> = {};
  for (const name of Object.keys(inputs) as ToolName[]) {
    all[name] = {
      inputSchema: z.toJSONSchema(inputs[name], { target: "draft-7", io: "input" }),
      outputSchema: z.toJSONSchema(outputs[name], { target: "draft-7", io: "output" }),
    };
  }
  return all;
}

Deno.test({
  name: "tool_schemas.json equals z.toJSONSchema of the zod schemas",
  permissions: { read: true, write: true, env: true },
  async fn() {
    const expected = expectedSchemas();
    if (Deno.env.get("UPDATE_TOOL_SCHEMAS") === "1") {
      await Deno.writeTextFile(SCHEMAS_FILE, JSON.stringify(expected, null, 2) + "\n");
      return;
    }
    assert.deepEqual(
      TOOL_SCHEMAS,
      expected,
      "src/server/tool_schemas.json is stale: regenerate it with " +
        "UPDATE_TOOL_SCHEMAS=1 deno test -A tests/server/tool_catalog_test.ts",
    );
  },
});

Deno.test("tool catalog lists every zod-defined tool once, in the schemas' key order", () => {
  assert.deepEqual([...TOOL_NAMES], Object.keys(inputs));
  assert.deepEqual(Object.keys(outputs), Object.keys(inputs));
  assert.deepEqual(TOOL_LISTINGS.map((t) => t.name), Object.keys(inputs));
  for (const tool of TOOL_LISTINGS) {
    assert.equal(tool.inputSchema.type, "object", tool.name);
    assert.equal(tool.outputSchema.type, "object", tool.name);
    assert.ok(tool.description.length > 10, tool.name);
  }
});
