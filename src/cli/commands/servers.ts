/**
 * `weilink mcp` and `weilink openapi`: flag parsing only; the servers live in
 * `src/server/` and are imported when the command runs.
 *
 * @module
 */

import type { McpTransport, ServeOptions } from "../../server/mod.ts";
import type { CommandContext } from "../command.ts";
import { parseInteger, parsePort, parseSeconds } from "../flag_values.ts";
import { UsageError } from "../flags.ts";

/** Separator of several folders in one `--allow-read`/`--allow-write` value, as in `PATH`. */
const PATH_LIST_SEPARATOR = Deno.build.os === "windows" ? ";" : ":";

const TRANSPORTS: readonly McpTransport[] = ["stdio", "sse", "streamable-http", "http"];

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
    logLevel: common.logLevel,
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
  const tokenFile = str("token-file");
  if (token !== undefined && tokenFile !== undefined) {
    throw new UsageError("Give either --token or --token-file, not both");
  }
  if (token !== undefined) {
    options.token = token;
    ctx.out.notice(
      "Note: --token is visible to other users of this machine in the process list; " +
        "prefer --token-file PATH or WEILINK_MCP_TOKEN.",
    );
  }
  if (tokenFile !== undefined) options.tokenFile = tokenFile;
  const allowRead = pathList(values["allow-read"], "--allow-read");
  if (allowRead) options.allowRead = allowRead;
  const allowWrite = pathList(values["allow-write"], "--allow-write");
  if (allowWrite) options.allowWrite = allowWrite;
  const maxSessions = str("max-sessions");
  if (maxSessions !== undefined) {
    options.maxSessions = parseInteger(maxSessions, "--max-sessions", { min: 1, max: 100_000 });
  }
  const idle = str("session-idle-timeout");
  if (idle !== undefined) {
    const seconds = parseSeconds(idle, "--session-idle-timeout", 7 * 86_400);
    if (seconds <= 0) {
      throw new UsageError(`Invalid --session-idle-timeout '${idle}': expected more than 0`);
    }
    options.sessionIdleTimeoutMs = seconds * 1000;
  }
  const maxBody = str("max-body-bytes");
  if (maxBody !== undefined) {
    options.maxBodyBytes = parseInteger(maxBody, "--max-body-bytes", {
      min: 1024,
      max: 1024 ** 3,
    });
  }
  if (common.basePath !== undefined) options.basePath = common.basePath;
  if (common.store !== undefined) options.store = common.store;
  if (common.baseUrl !== undefined) options.baseUrl = common.baseUrl;
  if (common.cdnBaseUrl !== undefined) options.cdnBaseUrl = common.cdnBaseUrl;
  return options;
}

/**
 * Folders of `--allow-read`/`--allow-write`: one value may list several, separated as in `PATH`
 * (`:`, or `;` on Windows); a repeated flag adds more where the parser keeps every occurrence.
 */
function pathList(value: unknown, flag: string): string[] | undefined {
  const given = Array.isArray(value) ? value : typeof value === "string" ? [value] : [];
  if (given.length === 0) return undefined;
  const paths = given.flatMap((v) => String(v).split(PATH_LIST_SEPARATOR)).filter((p) => p);
  if (paths.length === 0) throw new UsageError(`Invalid ${flag}: expected a folder`);
  return paths;
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
