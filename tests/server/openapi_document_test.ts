/**
 * The OpenAPI document and `GET /tools` list the catalog's precomputed JSON Schemas, so that the
 * REST server answers them without loading zod. The catalog holds draft-07 schemas (as MCP lists
 * them); OpenAPI 3.1 reads JSON Schema 2020-12. This checks that, for every tool, the two drafts
 * agree, apart from `$schema`.
 */
import assert from "node:assert/strict";
import * as z from "zod";
import { inputs, outputs } from "../../src/server/schemas.ts";
import { TOOL_LISTINGS, TOOL_NAMES } from "../../src/server/tool_catalog.ts";
import { buildOpenApiDocument } from "../../src/server/openapi.ts";

Deno.test("the OpenAPI document lists what z.toJSONSchema makes for draft 2020-12", () => {
  const document = buildOpenApiDocument(TOOL_LISTINGS, { name: "weilink", version: "0" });
  const schemas = (document.components as { schemas: Record<string, unknown> }).schemas;
  const pascal = (name: string) => name.replace(/(^|_)([a-z])/g, (_, __, c) => c.toUpperCase());
  for (const name of TOOL_NAMES) {
    for (const [io, zod] of [["input", inputs[name]], ["output", outputs[name]]] as const) {
      const { $schema: _, ...expected } = z.toJSONSchema(zod, { target: "draft-2020-12", io });
      const key = `${pascal(name)}${io === "input" ? "Input" : "Output"}`;
      assert.deepEqual(schemas[key], expected, key);
    }
  }
});
