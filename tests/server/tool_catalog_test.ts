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
import { parseHistoryFilters } from "../../src/server/tools.ts";

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

Deno.test("tool catalog: titles, and openWorldHint only where a tool reaches WeChat", () => {
  const titles = new Set<string>();
  for (const tool of TOOL_LISTINGS) {
    assert.ok(/^[A-Z][a-z]/.test(tool.title) && tool.title.length <= 30, tool.title);
    assert.equal(tool.annotations.title, tool.title);
    titles.add(tool.title);
  }
  assert.equal(titles.size, TOOL_LISTINGS.length, "titles are distinct");
  const openWorld = TOOL_LISTINGS.filter((t) => t.annotations.openWorldHint).map((t) => t.name);
  assert.deepEqual(openWorld, ["recv", "send", "download", "login", "send_typing"]);
  const readOnly = TOOL_LISTINGS.filter((t) => t.annotations.readOnlyHint).map((t) => t.name);
  assert.deepEqual(readOnly, ["history", "sessions"]);
});

Deno.test("history lists msg_type and direction as enums and still reads any letter case", () => {
  const properties = TOOL_SCHEMAS.history.inputSchema.properties as Record<
    string,
    { enum?: string[]; description?: string; default?: unknown }
  >;
  assert.deepEqual(properties.msg_type?.enum, ["TEXT", "IMAGE", "VOICE", "FILE", "VIDEO"]);
  assert.deepEqual(properties.direction?.enum, ["received", "sent"]);
  for (const name of ["msg_type", "direction"]) {
    assert.equal(properties[name]?.default, undefined, `${name} has no "" default`);
    assert.match(properties[name]!.description!, /Omit for/);
  }
  const parse = (args: Record<string, unknown>) => parseHistoryFilters(inputs.history.parse(args));
  assert.deepEqual(parse({ msg_type: "image", direction: "SENT" }), { msgType: 2, direction: 2 });
  assert.deepEqual(parse({ msg_type: "", direction: "" }), {});
  assert.deepEqual(parse({}), {});
  assert.throws(() => parse({ msg_type: "STICKER" }), /use one of TEXT, IMAGE, VOICE, FILE, VIDEO/);
  assert.throws(() => parse({ direction: "both" }), /use "received" or "sent"/);
  // since and until take the CLI's forms (src/input/time_spec.ts).
  const now = Date.now();
  const { since, until } = parse({ since: "2h", until: "now" });
  assert.ok(Math.abs(since! - (now - 7_200_000)) < 5_000 && Math.abs(until! - now) < 5_000);
  assert.equal(parse({ since: "2026-03-30T08:00:00Z" }).since, Date.UTC(2026, 2, 30, 8));
});
