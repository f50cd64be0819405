/**
 * The REST face of the tool registry: `POST /tools/<name>`, `GET /tools`, `GET /openapi.json`
 * (OpenAPI 3.1, generated from the same zod schemas as the MCP tool listing) and Swagger UI at
 * `/docs`, served from this process (see `swagger_ui.ts`); `/` redirects there.
 *
 * @module
 */

import { Hono, type MiddlewareHandler } from "hono";
import type { RegistrySource, ServerInfo } from "./mcp.ts";
import { type JsonSchemaObject, TOOL_LISTINGS, type ToolListing } from "./tool_catalog.ts";
import { toToolError } from "./tool_errors.ts";
import { addSwaggerUi } from "./swagger_ui.ts";

/** A JSON Schema (2020-12) object. */
type JsonSchema = Record<string, unknown>;

/**
 * A tool's JSON Schema from the catalog, without `$schema` (OpenAPI 3.1 sets the dialect once).
 * The catalog's draft-07 schemas read the same as 2020-12 ones (checked by
 * `tests/server/openapi_document_test.ts`), so listing the tools needs neither zod nor a
 * conversion.
 */
export function jsonSchemaOf(schema: JsonSchemaObject): JsonSchema {
  const { $schema: _, ...rest } = schema;
  return rest;
}

/** Options of {@linkcode buildOpenApiDocument}. */
export interface OpenApiDocumentOptions {
  /** Whether the tool routes require a bearer token (adds the security scheme). */
  bearer?: boolean;
  /** Server URL to list, e.g. `http://127.0.0.1:8000`. */
  serverUrl?: string;
}

const TOOL_NAME = /^[a-z_]+$/;

function pascal(name: string): string {
  return name.replace(/(^|_)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** The OpenAPI 3.1 document describing every tool route. */
export function buildOpenApiDocument(
  tools: readonly ToolListing[],
  info: ServerInfo,
  options: OpenApiDocumentOptions = {},
): Record<string, unknown> {
  const schemas: Record<string, JsonSchema> = {
    Error: {
      type: "object",
      properties: { error: { type: "string", description: "What went wrong." } },
      required: ["error"],
    },
  };
  const errorResponse = (description: string) => ({
    description,
    content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } },
  });
  const paths: Record<string, unknown> = {};
  for (const tool of tools) {
    if (!TOOL_NAME.test(tool.name)) continue;
    const base = pascal(tool.name);
    schemas[`${base}Input`] = jsonSchemaOf(tool.inputSchema);
    schemas[`${base}Output`] = jsonSchemaOf(tool.outputSchema);
    paths[`/tools/${tool.name}`] = {
      post: {
        operationId: tool.name,
        summary: tool.title,
        description: tool.description,
        tags: ["tools"],
        requestBody: {
          // An empty body means no arguments, but whatever is sent must be JSON (else 415).
          required: false,
          content: {
            "application/json": { schema: { $ref: `#/components/schemas/${base}Input` } },
          },
        },
        responses: {
          "200": {
            description: "Tool result.",
            content: {
              "application/json": { schema: { $ref: `#/components/schemas/${base}Output` } },
            },
          },
          "400": errorResponse("Invalid arguments or request."),
          ...(options.bearer ? { "401": errorResponse("Missing or invalid bearer token.") } : {}),
          "403": errorResponse(
            "Host or Origin not allowed, or a local path outside the folders the server may " +
              "read or write.",
          ),
          "404": errorResponse("Something the call names does not exist."),
          "409": errorResponse("Not logged in, session expired or no conversation context."),
          "413": errorResponse("Request body over the server's limit (1 MiB by default)."),
          "415": errorResponse("The request body is not declared as application/json."),
          "429": errorResponse("Reply quota exhausted for this user."),
          "500": errorResponse("Unexpected failure."),
          "502": errorResponse("The WeChat server or CDN failed."),
        },
      },
    };
  }
  paths["/tools"] = {
    get: {
      operationId: "list_tools",
      summary: "List the tools",
      tags: ["meta"],
      responses: {
        "200": {
          description: "Every tool with its JSON Schemas.",
          content: {
            "application/json": {
              schema: {
                type: "object",
                properties: {
                  tools: {
                    type: "array",
                    items: {
                      type: "object",
                      properties: {
                        name: { type: "string" },
                        description: { type: "string" },
                        input_schema: { type: "object" },
                        output_schema: { type: "object" },
                      },
                      required: ["name", "description", "input_schema", "output_schema"],
                    },
                  },
                },
                required: ["tools"],
              },
            },
          },
        },
      },
    },
  };
  const document: Record<string, unknown> = {
    openapi: "3.1.0",
    info: {
      title: "WeiLink",
      version: info.version,
      description: "WeChat iLink bot tools (the same tools as the WeiLink MCP server).",
    },
    paths,
    components: {
      schemas,
      ...(options.bearer
        ? { securitySchemes: { bearerAuth: { type: "http", scheme: "bearer" } } }
        : {}),
    },
  };
  if (options.serverUrl) document.servers = [{ url: options.serverUrl }];
  if (options.bearer) document.security = [{ bearerAuth: [] }];
  return document;
}

/** Options of {@linkcode createOpenApiApp}. */
export interface OpenApiAppOptions extends OpenApiDocumentOptions {
  /** Middleware guarding every route (Host/Origin/token), added before the routes. */
  guard?: MiddlewareHandler;
}

/**
 * The REST app. The tool list and the document come from the zod-free catalog; the registry
 * (and with it zod) is loaded by the first tool call, Swagger UI's assets on first visit to
 * `/docs`.
 */
export function createOpenApiApp(
  registry: RegistrySource,
  info: ServerInfo,
  options: OpenApiAppOptions = {},
): Hono {
  const app = new Hono();
  if (options.guard) app.use("*", options.guard);
  let document: Record<string, unknown> | undefined;

  app.get("/openapi.json", (c) => {
    document ??= buildOpenApiDocument(TOOL_LISTINGS, info, options);
    return c.json(document);
  });

  addSwaggerUi(app);

  let listing: Record<string, unknown> | undefined;
  app.get("/tools", (c) => {
    listing ??= {
      tools: TOOL_LISTINGS.map((t) => ({
        name: t.name,
        description: t.description,
        input_schema: jsonSchemaOf(t.inputSchema),
        output_schema: jsonSchemaOf(t.outputSchema),
      })),
    };
    return c.json(listing);
  });

  app.post("/tools/:name", async (c) => {
    const name = c.req.param("name");
    if (!TOOL_LISTINGS.some((t) => t.name === name)) {
      return c.json({ error: `Unknown tool "${name}"` }, 404);
    }
    let args: unknown = {};
    const text = await c.req.text();
    if (text.trim()) {
      try {
        args = JSON.parse(text);
      } catch {
        return c.json({ error: "Request body is not valid JSON" }, 400);
      }
    }
    if (typeof args !== "object" || args === null || Array.isArray(args)) {
      return c.json({ error: "Request body must be a JSON object of tool arguments" }, 400);
    }
    try {
      return c.json(await (await registry()).call(name, args));
    } catch (error) {
      const failure = toToolError(error);
      return c.json({ error: failure.message }, failure.status as 400);
    }
  });

  app.notFound((c) => c.json({ error: `No route for ${c.req.method} ${c.req.path}` }, 404));
  return app;
}
