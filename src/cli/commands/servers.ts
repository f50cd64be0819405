/**
 * `weilink mcp` and `weilink openapi`: flag parsing only; the servers live in
 * `src/server/` and are imported when the command runs.
 *
 * @module
 */

import type { McpTransport, ServeOptions } from "../../server/mod.ts";
import type { CommandContext, LogLevel } from "../command.ts";
import { parsePort } from "../flag_values.ts";
import { UsageError } from "../flags.ts";

const TRANSPORTS: readonly McpTransport[] = ["stdio", "sse", "streamable-http", "http"];

const LOG_LEVEL: Record<LogLevel, string> = {
  DEBUG: "debug",
  INFO: "info",
  WARNING: "warn",
  ERROR: "error",
};

/** Options passed to `serveMcp`/`serveOpenApi`, built from the flags. */
export function serverOptions(ctx: CommandContext): ServeOptions {
  const { values, common } = ctx;
  const str = (name: string) => (typeof values[name] === "string" ? values[name] : undefined);
  const options: ServeOptions = {
    host: str("host") ?? "127.0.0.1",
    port: parsePort(str("port") ?? "8000", "--port"),
    admin: values["no-admin"] !== true,
    adminPort: parsePort(str("admin-port") ?? "8080", "--admin-port"),
    banner: values["no-banner"] !== true && !common.quiet,
    logLevel: LOG_LEVEL[common.logLevel],
    signal: ctx.signal,
  };
  const transport = str("transport");
  if (transport !== undefined) {
    if (!(TRANSPORTS as readonly string[]).includes(transport)) {
      throw new UsageError(
        `Invalid --transport '${transport}': expected one of ${TRANSPORTS.join(", ")}`,
      );
    }
    options.transport = transport as McpTransport;
  }
  const token = str("token");
  if (token !== undefined) options.token = token;
  if (common.basePath !== undefined) options.basePath = common.basePath;
  if (common.baseUrl !== undefined) options.baseUrl = common.baseUrl;
  if (common.cdnBaseUrl !== undefined) options.cdnBaseUrl = common.cdnBaseUrl;
  return options;
}

/** Serves MCP until stdin closes (stdio) or Ctrl-C. */
export async function runMcp(ctx: CommandContext): Promise<number> {
  const options = serverOptions(ctx);
  const { serveMcp } = await import("../../server/mod.ts");
  const server = await serveMcp(options);
  await server.finished;
  return 0;
}

/** Serves the REST API until Ctrl-C. */
export async function runOpenApi(ctx: CommandContext): Promise<number> {
  const options = serverOptions(ctx);
  const { serveOpenApi } = await import("../../server/mod.ts");
  const server = await serveOpenApi(options);
  await server.finished;
  return 0;
}
