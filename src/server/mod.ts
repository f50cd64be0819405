/**
 * WeiLink's servers: the bot's tools as an MCP server for AI agents ({@linkcode serveMcp}) and as
 * a REST API with an OpenAPI document and Swagger UI ({@linkcode serveOpenApi}). Both share one
 * tool registry over one `WeiLink` client (message store and background polling on).
 *
 * Heavy modules (the MCP SDK, Hono, the client) are imported when a server starts, so importing
 * this module is cheap.
 *
 * @example Serve the REST API and call a tool (here with the embedded sandbox as WeChat)
 * ```ts
 * import { serveOpenApi } from "@weilink/core/server";
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const basePath = await Deno.makeTempDir();
 * const server = await serveOpenApi({
 *   port: 0, // a free port; default 8000 on 127.0.0.1
 *   basePath,
 *   baseUrl: sandbox.baseUrl,
 *   cdnBaseUrl: sandbox.cdnBaseUrl,
 *   banner: false,
 *   logLevel: "silent",
 * });
 * const res = await fetch(`${server.url}/tools/sessions`, {
 *   method: "POST",
 *   headers: { "content-type": "application/json" },
 *   body: "{}",
 * });
 * console.log(await res.json()); // { sessions: [ { name: "default", bot_id: null, ... } ] }
 * await server.close();
 * await sandbox.close();
 * ```
 *
 * @example Serve MCP over streamable HTTP (`weilink mcp` serves stdio by default)
 * ```ts
 * import { serveMcp } from "@weilink/core/server";
 *
 * const basePath = await Deno.makeTempDir();
 * const server = await serveMcp({
 *   transport: "http",
 *   port: 0,
 *   basePath,
 *   banner: false,
 *   logLevel: "silent",
 * });
 * const res = await fetch(server.url!, {
 *   method: "POST",
 *   headers: { "content-type": "application/json", accept: "application/json, text/event-stream" },
 *   body: JSON.stringify({
 *     jsonrpc: "2.0",
 *     id: 1,
 *     method: "initialize",
 *     params: {
 *       protocolVersion: "2025-06-18",
 *       capabilities: {},
 *       clientInfo: { name: "example", version: "1.0.0" },
 *     },
 *   }),
 * });
 * console.log(res.status, res.headers.get("mcp-session-id") !== null); // 200 true
 * await res.body?.cancel();
 * await server.close();
 * ```
 *
 * @module
 */

import type { ToolContext, ToolRegistry } from "./tools.ts";
import type { ServerInfo } from "./mcp.ts";
import type { WeiLinkBackend } from "./backend.ts";
import type { AdminHandle } from "../admin/mod.ts";
import type { FileAccessPolicy } from "../input/mod.ts";
import type { HttpTimeouts, WebHandler } from "./http_listener.ts";
import { VERSION } from "../version.ts";
import { type LogThreshold, routeConsoleToStderr } from "../client/logger.ts";
import { assertSafeBind } from "./http_guard.ts";
import { resolveToken } from "./token_source.ts";
import { resolveBasePath } from "../client/paths.ts";
import { startupMark, startupTracing, traceHttpAnswers } from "./startup_trace.ts";
import { afterFirstAnswer, backgroundAdmin } from "./background_start.ts";

export type { HttpTimeouts } from "./http_listener.ts";

/** MCP transport names; `http` is an alias of `streamable-http`. */
export type McpTransport = "stdio" | "streamable-http" | "http" | "sse";

/** Options of {@linkcode serveMcp} and {@linkcode serveOpenApi}. */
export interface ServeOptions {
  /** MCP transport (default `stdio`); ignored by {@linkcode serveOpenApi}. */
  transport?: McpTransport;
  /** Address to listen on (default `127.0.0.1`). Any other address requires a token. */
  host?: string;
  /** Port to listen on (default `8000`; `0` picks a free port). */
  port?: number;
  /** WeiLink data directory (default: the client's, `~/.weilink` or `WEILINK_HOME`). */
  basePath?: string;
  /**
   * Storage of the server's client: `files` (default, the data directory) or a `postgres://`
   * URL (env `WEILINK_STORE`). With PostgreSQL any number of servers and workers on any hosts
   * share the accounts: each account is polled by one of them, history and `recv` read the
   * database, and sends reserve the reply quota across hosts (see `docs/deployment.md`).
   */
  store?: string;
  /**
   * Bearer token HTTP clients must send (default: read from `tokenFile`, else env
   * `WEILINK_MCP_TOKEN`). At least 16 printable characters without whitespace.
   */
  token?: string;
  /**
   * File holding the bearer token, alone on one line. Unlike a command-line argument, a file is not
   * visible to other users in the process list. Refused when every user may read it.
   */
  tokenFile?: string;
  /**
   * Folders (or files) the `send` tool may read. Default: the working directory (unless it is `/`
   * or the home directory). `<data dir>/downloads` is always readable. See `src/input/file_access.ts`.
   */
  allowRead?: readonly string[];
  /** Extra folders `download` may write into; `<data dir>/downloads` is always writable. */
  allowWrite?: readonly string[];
  /** Most MCP HTTP sessions open at once (default 64); more are refused with 503. */
  maxSessions?: number;
  /** Milliseconds after its last request before an MCP HTTP session may be closed (default 10 min). */
  sessionIdleTimeoutMs?: number;
  /** Largest HTTP request body, in bytes (default 1 MiB); larger ones get 413. */
  maxBodyBytes?: number;
  /** HTTP connection timeouts (defaults: headers 10 s, whole request 30 s, keep-alive 5 s). */
  timeouts?: HttpTimeouts;
  /**
   * Also serve the admin panel over the same client (default `false`; `cli.ts mcp` and
   * `cli.ts openapi` turn it on unless `--no-admin`). It binds `host` like the server and takes
   * the server's token, if any. It starts in the background, off the path of the server's first
   * answers: over HTTP after the first answer (or 100 ms without a request), over stdio once the
   * client has finished the handshake; {@linkcode ServerHandle.adminReady} tells when it serves.
   */
  admin?: boolean;
  /** Port of the admin panel (default 8080; the next free one when taken). */
  adminPort?: number;
  /** Print a start-up line to stderr (default `true`). */
  banner?: boolean;
  /** Log threshold for stderr: `debug`, `info`, `warn`, `error` or `silent` (default `info`). */
  logLevel?: LogThreshold;
  /** iLink API base URL (default: the client's, or `WEILINK_BASE_URL`). */
  baseUrl?: string;
  /** CDN base URL (default: the client's, or `WEILINK_CDN_BASE_URL`). */
  cdnBaseUrl?: string;
  /** Stops the server when aborted. */
  signal?: AbortSignal;
}

/** A running server. */
export interface ServerHandle {
  /** The transport in use (`openapi` for the REST server). */
  readonly transport: "stdio" | "streamable-http" | "sse" | "openapi";
  /** Endpoint URL for HTTP transports (`…/mcp`, `…/sse`, or the REST root); absent for stdio. */
  readonly url?: string;
  /** URL of the admin panel, once it serves (see {@linkcode ServerHandle.adminReady}). */
  readonly adminUrl?: string | undefined;
  /**
   * Resolves to the URL of the admin panel once it serves, or to `undefined` when there is none:
   * `admin` was not set, the panel could not start (the server says why on stderr), or the
   * server stopped before starting it.
   */
  readonly adminReady: Promise<string | undefined>;
  /** Resolves once the server has stopped (stdin closed, aborted or closed). */
  readonly finished: Promise<void>;
  /** Stop the server and close the client. Safe to call twice. */
  close(): Promise<void>;
}

const SERVER_INFO: ServerInfo = { name: "weilink", version: VERSION };

/**
 * Start the MCP server.
 *
 * With `stdio`, stdout carries nothing but JSON-RPC: logs, banners and any stray `console.log`
 * go to stderr. HTTP transports refuse a non-loopback `host` without a token, check `Host`, accept
 * `Origin` only from the server itself, take only JSON bodies up to `maxBodyBytes`, close
 * half-open connections after `timeouts`, keep at most `maxSessions` sessions (refusing more with
 * 503), and require `Authorization: Bearer <token>` when a token is set. Every transport reads
 * and writes local files only as `allowRead`/`allowWrite` allow.
 *
 * @throws {Error} when binding a non-loopback host without a token, the token is weak, an
 * allowed folder does not exist, or the port is taken.
 */
export async function serveMcp(options: ServeOptions = {}): Promise<ServerHandle> {
  const transport = options.transport === "http"
    ? "streamable-http"
    : (options.transport ?? "stdio");
  if (!["stdio", "streamable-http", "sse"].includes(transport)) {
    throw new TypeError(
      `Unknown transport "${transport}": use stdio, streamable-http (http) or sse`,
    );
  }
  if (transport === "stdio") {
    startupMark("serving MCP on stdio");
    // Keep stdout for JSON-RPC even if a dependency logs with console.log, until the server ends.
    const restoreConsole = routeConsoleToStderr();
    try {
      const files = await createFilePolicy(options);
      const runtime = createRuntime(options, files);
      // Only the SDK and the zod-free tool catalog stand between start and the first answers: the
      // registry, its zod schemas, the client and its store load once the client has finished the
      // handshake (or on the first tool call, whichever comes first).
      const { serveStdio } = await import("./mcp.ts");
      startupMark("MCP SDK loaded");
      const admin = backgroundAdmin(options.admin, () => startAdmin(runtime, options));
      const stdio = await serveStdio(runtime.registry, SERVER_INFO, {
        onInitialized: () => {
          runtime.warmUp();
          // The panel starts once the client is talking to us, off the path of its first
          // answers; its URL goes to stderr (stdout is the JSON-RPC stream).
          admin.start();
        },
      });
      startupMark("stdio transport connected");
      banner(options, `WeiLink MCP server ${SERVER_INFO.version} on stdio`);
      const finished = stdio.finished
        .then(() => admin.close())
        .then(() => runtime.close())
        .finally(restoreConsole);
      const handle: ServerHandle = {
        transport,
        get adminUrl() {
          return admin.url;
        },
        adminReady: admin.ready,
        finished,
        async close() {
          await stdio.close();
          await finished;
        },
      };
      options.signal?.addEventListener("abort", () => void handle.close(), { once: true });
      return handle;
    } catch (error) {
      restoreConsole();
      throw error;
    }
  }

  const http = await resolveHttp(options);
  const files = await createFilePolicy(options);
  const runtime = createRuntime(options, files);
  const [{ createMcpHttpRoutes }, { guard, allowedHostNames }, { Hono }] = await Promise.all([
    import("./mcp_http.ts"),
    import("./http_guard.ts"),
    import("hono"),
  ]);
  const routes = await createMcpHttpRoutes(runtime.registry, SERVER_INFO, transport, {
    ...(options.maxSessions !== undefined ? { maxSessions: options.maxSessions } : {}),
    ...(options.sessionIdleTimeoutMs !== undefined
      ? { idleTimeoutMs: options.sessionIdleTimeoutMs }
      : {}),
  });
  const app = new Hono();
  app.use(
    "*",
    guard({
      hosts: allowedHostNames(http.host),
      port: () => http.boundPort,
      ...(http.token ? { token: http.token } : {}),
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      // Other paths answer 404 without a token, so OAuth discovery probes get a plain 404.
      protects: (path) => path === "/mcp" || path.startsWith("/sse"),
    }),
  );
  app.route("/", routes.app);
  app.notFound((c) => c.text("Not found", 404));
  const path = transport === "sse" ? "/sse" : "/mcp";
  return await listen(app.fetch, http, options, runtime, {
    transport,
    path,
    label: `WeiLink MCP server ${SERVER_INFO.version} (${transport})`,
    closeExtra: () => routes.close(),
  });
}

/**
 * Start the REST server: `POST /tools/<name>`, `GET /tools`, `GET /openapi.json` and Swagger UI
 * at `/docs`, with the same token, Host/Origin, JSON, body-limit, timeout and file-access rules
 * as {@linkcode serveMcp}'s HTTP transports (the document and `/docs` stay readable without a
 * token).
 *
 * @throws {Error} when binding a non-loopback host without a token, the token is weak, an
 * allowed folder does not exist, or the port is taken.
 */
export async function serveOpenApi(options: ServeOptions = {}): Promise<ServerHandle> {
  startupMark("serving OpenAPI");
  const http = await resolveHttp(options);
  const files = await createFilePolicy(options);
  const runtime = createRuntime(options, files);
  // The registry (zod) is not awaited: the tool list and the document come from the catalog.
  const [{ createOpenApiApp }, { guard, allowedHostNames }] = await Promise.all([
    import("./openapi.ts"),
    import("./http_guard.ts"),
  ]);
  const app = createOpenApiApp(runtime.registry, SERVER_INFO, {
    bearer: Boolean(http.token),
    guard: guard({
      hosts: allowedHostNames(http.host),
      port: () => http.boundPort,
      ...(http.token ? { token: http.token } : {}),
      ...(options.maxBodyBytes !== undefined ? { maxBodyBytes: options.maxBodyBytes } : {}),
      protects: (path) => path.startsWith("/tools"),
    }),
  });
  return await listen(app.fetch, http, options, runtime, {
    transport: "openapi",
    path: "",
    label: `WeiLink OpenAPI server ${SERVER_INFO.version}`,
  });
}

interface HttpSettings {
  host: string;
  port: number;
  token?: string;
  /** The port actually bound (differs from `port` when that is 0); set once listening. */
  boundPort: number;
}

async function resolveHttp(options: ServeOptions): Promise<HttpSettings> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8000;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid port ${port}: use 0-65535`);
  }
  const token = await resolveServerToken(options);
  // Checked before anything is opened: a refused start must leave nothing behind.
  assertSafeBind(host, token);
  return token ? { host, port, token, boundPort: port } : { host, port, boundPort: port };
}

/** The bearer token from `token`, `tokenFile` or `WEILINK_MCP_TOKEN`, checked for strength. */
function resolveServerToken(options: ServeOptions): Promise<string | undefined> {
  return resolveToken(
    options,
    { option: "--token", env: "WEILINK_MCP_TOKEN" },
    (line) => warn(options, line),
  );
}

/** The file-access policy of the tools, its explicit roots checked; its notice printed. */
async function createFilePolicy(options: ServeOptions): Promise<FileAccessPolicy> {
  const { FileAccessPolicy } = await import("../input/mod.ts");
  const files = new FileAccessPolicy({
    dataDir: resolveBasePath(options.basePath),
    ...(options.allowRead ? { allowRead: options.allowRead } : {}),
    ...(options.allowWrite ? { allowWrite: options.allowWrite } : {}),
  });
  await files.assertRootsExist();
  if (files.notice) warn(options, files.notice);
  return files;
}

interface Runtime {
  /** The tool registry, built on first need (it loads the zod schemas). */
  registry(): Promise<ToolRegistry>;
  /** The client and its adapter, opened on first need. */
  backend(): Promise<WeiLinkBackend>;
  /** Start building the registry and opening the client in the background. */
  warmUp(): void;
  close(): Promise<void>;
}

/** The registry over a lazily opened client, shared by all connections of one server. */
function createRuntime(options: ServeOptions, files: FileAccessPolicy): Runtime {
  let opened: Promise<WeiLinkBackend> | undefined;
  let built: Promise<ToolRegistry> | undefined;
  let closed: Promise<void> | undefined;
  let warmUpTimer: ReturnType<typeof setTimeout> | undefined;
  // Nothing may be opened after close(): a client would poll forever with nobody left to close it.
  const refuseClosed = () => Promise.reject(new Error("Cannot use the server: it is closed"));
  const open = () => {
    if (closed) return refuseClosed();
    return opened ??= import("./backend.ts").then(({ openWeiLinkBackend }) => {
      startupMark("client and store modules loaded");
      return openWeiLinkBackend({
        ...(options.basePath !== undefined ? { basePath: options.basePath } : {}),
        ...(options.store !== undefined ? { store: options.store } : {}),
        ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
        ...(options.cdnBaseUrl !== undefined ? { cdnBaseUrl: options.cdnBaseUrl } : {}),
        logLevel: options.logLevel ?? "info",
      });
    }).then((backend) => {
      startupMark("client opened");
      return backend;
    });
  };
  const context: ToolContext = { backend: open, files };
  const registry = () => {
    if (closed) return refuseClosed();
    return built ??= import("./tools.ts").then(({ createToolRegistry }) => {
      const created = createToolRegistry(context);
      startupMark("tool registry built");
      return created;
    });
  };
  return {
    registry,
    backend: open,
    warmUp() {
      // The registry and the client (data directory, store, polling) are needed by the first
      // tool call; start on them once the transport is up and idle, so that call does not pay
      // for all of it and the answers before it are not held up.
      warmUpTimer ??= setTimeout(() => {
        void registry().catch(() => {});
        void open().catch(() => {});
      }, 0);
    },
    close() {
      return closed ??= (async () => {
        clearTimeout(warmUpTimer);
        if (built) (await built.catch(() => undefined))?.dispose();
        if (opened) await (await opened.catch(() => undefined))?.close();
      })();
    },
  };
}

/** Serves the admin panel over the server's client, on `host` and with the server's token. */
async function openAdmin(
  runtime: Runtime,
  options: ServeOptions,
  host: string,
  token?: string,
): Promise<AdminHandle> {
  const [{ serveAdmin }, backend] = await Promise.all([
    import("../admin/mod.ts"),
    runtime.backend(),
  ]);
  return await serveAdmin(backend.client, {
    host,
    port: options.adminPort ?? 8080,
    ...(backend.client.storageKind === "postgres" && options.store ? { store: options.store } : {}),
    ...(token ? { token } : {}),
    banner: options.banner !== false,
    logLevel: options.logLevel ?? "info",
  });
}

/** {@linkcode openAdmin}, where a failure is a warning on stderr, never the server's end. */
async function startAdmin(
  runtime: Runtime,
  options: ServeOptions,
  host?: string,
  token?: string,
): Promise<AdminHandle | undefined> {
  try {
    return await openAdmin(
      runtime,
      options,
      host ?? options.host ?? "127.0.0.1",
      token ?? await resolveServerToken(options),
    );
  } catch (error) {
    console.error(
      `WeiLink admin panel not started: ${error instanceof Error ? error.message : error}`,
    );
    return undefined;
  }
}

interface ListenSpec {
  transport: ServerHandle["transport"];
  path: string;
  label: string;
  closeExtra?: () => Promise<void>;
}

async function listen(
  fetch: WebHandler,
  http: HttpSettings,
  options: ServeOptions,
  runtime: Runtime,
  spec: ListenSpec,
): Promise<ServerHandle> {
  const admin = backgroundAdmin(
    options.admin,
    () => startAdmin(runtime, options, http.host, http.token),
  );
  // Loading the registry, the client and the panel keeps the main thread busy for tens of
  // milliseconds: begun as soon as the server listens, it would hold up the first requests of a
  // client that was waiting for it. So it begins once the first answer is out, or after a quiet
  // spell; the panel prints its own URL once it serves.
  const background = afterFirstAnswer(startupTracing() ? traceHttpAnswers(fetch) : fetch, () => {
    runtime.warmUp();
    admin.start();
  });
  let listener: Awaited<ReturnType<typeof import("./http_listener.ts").listenHttp>>;
  try {
    const { listenHttp } = await import("./http_listener.ts");
    listener = await listenHttp(background.fetch, {
      hostname: http.host,
      port: http.port,
      ...(options.timeouts ? { timeouts: options.timeouts } : {}),
    });
  } catch (error) {
    await runtime.close();
    throw error;
  }
  http.boundPort = listener.port;
  startupMark("listening");
  background.arm();
  const hostPart = http.host.includes(":") && !http.host.startsWith("[")
    ? `[${http.host}]`
    : http.host;
  const url = `http://${hostPart}:${listener.port}${spec.path}`;
  banner(options, `${spec.label} on ${url}${http.token ? " (bearer token required)" : ""}`);
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      background.cancel();
      await spec.closeExtra?.();
      await admin.close();
      await listener.close();
      await runtime.close();
    })();
  options.signal?.addEventListener("abort", () => void close(), { once: true });
  const finished = listener.finished.then(() => closing).then(() => {});
  return {
    transport: spec.transport,
    url,
    get adminUrl() {
      return admin.url;
    },
    adminReady: admin.ready,
    finished,
    close,
  };
}

function banner(options: ServeOptions, line: string): void {
  if (options.banner === false || options.logLevel === "silent") return;
  console.error(line);
}

/** A warning on stderr, shown unless logging is `error` or `silent`. */
function warn(options: ServeOptions, line: string): void {
  if (options.logLevel === "silent" || options.logLevel === "error") return;
  console.error(line);
}
