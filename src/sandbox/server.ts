/**
 * Starts the sandbox: one Hono app on `Deno.serve` serving the iLink API, the CDN, the control API
 * and the phone page from the same origin.
 *
 * @module
 */

import { Hono } from "hono";
import { getPath } from "hono/utils/url";
import { cdnRoutes, ENDPOINT_PATHS, ilinkRoutes } from "./ilink_routes.ts";
import { controlRoutes } from "./control_routes.ts";
import {
  announcedHost,
  checkControlAccess,
  controlGuard,
  ownHostNames,
  urlHost,
} from "./control_access.ts";
import { serveOverNode } from "./node_server.ts";
import { PHONE_PAGE_HTML } from "./phone_page.ts";
import { SandboxCore } from "./sandbox_core.ts";
import type { Sandbox, SandboxOptions } from "./types.ts";

const DAY_MS = 24 * 60 * 60 * 1000;

function positive(name: string, value: number | undefined, fallback: number): number {
  if (value === undefined) return fallback;
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot start sandbox: ${name} must be a non-negative number, got ${value}`,
    );
  }
  return value;
}

/** `updatesBatch`: a whole number of messages, at least 1. */
function batchSize(value: number | undefined): number {
  if (value === undefined) return 100;
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(
      `Cannot start sandbox: updatesBatch must be a whole number >= 1, got ${value}`,
    );
  }
  return value;
}

/** The path of a request URL (before any repair), without the query. */
function rawPath(url: string): string {
  const start = url.indexOf("/", url.indexOf("://") + 3);
  if (start < 0) return "/";
  const end = url.search(/[?#]/);
  return url.slice(start, end < 0 ? undefined : end);
}

/**
 * Starts an iLink sandbox: a local emulator of the WeChat iLink Bot API and its CDN, with a
 * control API to play the WeChat user, inject faults and inspect what the bot sent.
 *
 * Point a client at it with `baseUrl` (API and QR host; no trailing slash) and `cdnBaseUrl`;
 * confirm the QR login with {@linkcode Sandbox.confirmLogin}, then talk to the bot with
 * {@linkcode Sandbox.injectMessage} and read its replies with {@linkcode Sandbox.sent}.
 *
 * Rejects when an option is invalid, when the port is busy, and when `hostname` is not a
 * loopback address and no `controlToken` is given.
 *
 * @example Log in and exchange one message over plain HTTP
 * ```ts
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const api = `${sandbox.baseUrl}/ilink/bot`;
 * const qr = await (await fetch(`${api}/get_bot_qrcode?bot_type=3`)).json();
 * const { token, userId } = await sandbox.confirmLogin({ qrcode: qr.qrcode });
 * await sandbox.injectMessage({ text: "hello" });
 *
 * const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
 * const updates = await (await fetch(`${api}/getupdates`, {
 *   method: "POST",
 *   headers,
 *   body: JSON.stringify({ get_updates_buf: "", base_info: { channel_version: "1.0.0" } }),
 * })).json();
 * const contextToken = updates.msgs[0].context_token;
 * await (await fetch(`${api}/sendmessage`, {
 *   method: "POST",
 *   headers,
 *   body: JSON.stringify({
 *     msg: {
 *       to_user_id: userId,
 *       client_id: crypto.randomUUID(),
 *       message_type: 2,
 *       message_state: 2,
 *       context_token: contextToken,
 *       item_list: [{ type: 1, text_item: { text: "hi there" } }],
 *     },
 *     base_info: { channel_version: "1.0.0" },
 *   }),
 * })).body?.cancel();
 * console.log((await sandbox.sent())[0]?.text); // "hi there"
 * await sandbox.close();
 * ```
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  const quiet = options.quiet ?? true;
  const log = quiet ? undefined : (line: string) => console.error(`[sandbox] ${line}`);
  const hostname = options.hostname ?? "127.0.0.1";
  checkControlAccess(hostname, options.controlToken);
  const connectionFaults = options.connectionFaults ?? false;
  const core = new SandboxCore({
    longPollMs: positive("longPollMs", options.longPollMs, 35_000),
    updatesBatch: batchSize(options.updatesBatch),
    windowMs: positive("windowMs", options.windowMs, DAY_MS),
    quota: positive("quota", options.quota, 10),
    qrTtlMs: positive("qrTtlMs", options.qrTtlMs, 5 * 60_000),
    redirect: options.redirect ?? false,
    uploadFullUrl: options.uploadFullUrl ?? false,
    connectionFaults,
    ...(log ? { log } : {}),
  });

  // Front servers merge runs of "/" (spec §6.4): so does the router, and the request is recorded.
  const app = new Hono({
    getPath: (request) => {
      const path = getPath(request);
      return path.includes("//") ? path.replace(/\/{2,}/g, "/") : path;
    },
  });
  app.use(async (c, next) => {
    const path = rawPath(c.req.url);
    if (path.includes("//")) {
      const merged = path.replace(/\/{2,}/g, "/");
      core.rules.violate(
        ENDPOINT_PATHS[merged] ?? merged,
        "double_slash_path",
        `the path "${path}" has a doubled "/"; join the base URL and "ilink/bot/…" with one`,
      );
    }
    if (!log) return await next();
    const started = performance.now();
    await next();
    // The path only: query strings carry opaque tokens that do not belong in logs.
    log(`${c.req.method} ${path} ${c.res.status} ${Math.round(performance.now() - started)}ms`);
  });
  app.route("/", ilinkRoutes(core));
  app.route("/", cdnRoutes(core));
  // Filled in once the port is known (the guard compares Origin with the sandbox's own origin).
  const access: { guard?: ReturnType<typeof controlGuard> } = {};
  app.use("/_control/*", async (c, next) => {
    if (!access.guard) return c.json({ error: "The sandbox is starting" }, 503);
    return await access.guard(c, next);
  });
  app.route("/_control", controlRoutes(core));
  app.get("/phone", (c) => c.html(PHONE_PAGE_HTML));
  app.get("/", (c) => c.redirect("/phone"));
  // Browsers ask for an icon; answering "no content" keeps their consoles free of 404s.
  app.get("/favicon.ico", (c) => c.body(null, 204));
  app.notFound((c) => c.text(`Not found: ${c.req.method} ${new URL(c.req.url).pathname}`, 404));
  app.onError((err, c) => {
    console.error(`[sandbox] internal error: ${err.message}`);
    return c.text("internal sandbox error", 500);
  });

  const requestedPort = options.port ?? 0;
  let port: number;
  let shutdown: () => Promise<void>;
  if (connectionFaults) {
    const front = await serveOverNode({
      hostname,
      port: requestedPort,
      handler: app.fetch,
      isDropped: (request) => core.faults.isDropped(request),
    });
    port = front.port;
    shutdown = () => front.close();
  } else {
    const server = Deno.serve({ port: requestedPort, hostname, onListen: () => {} }, app.fetch);
    port = (server.addr as Deno.NetAddr).port;
    shutdown = () => server.shutdown();
  }
  const announced = announcedHost(hostname);
  access.guard = controlGuard({
    port,
    hosts: ownHostNames(hostname, announced),
    ...(options.controlToken !== undefined ? { token: options.controlToken } : {}),
  });
  const origin = `http://${urlHost(announced, port)}`;
  core.setBaseUrl(origin);

  let closed: Promise<void> | undefined;
  const later = <T>(work: () => T): Promise<T> => Promise.resolve().then(work);
  const sandbox: Sandbox = {
    baseUrl: core.baseUrl,
    cdnBaseUrl: core.cdnBaseUrl,
    controlUrl: `${core.baseUrl}/_control`,
    phoneUrl: `${core.baseUrl}/phone`,
    requiresControlToken: options.controlToken !== undefined,
    connectionFaults,
    confirmLogin: (opts) => core.logins.confirm(opts),
    injectMessage: (msg) => later(() => core.inject(msg)),
    injectRaw: (json, opts) => later(() => core.injectRaw(json, opts?.botId)),
    sent: (filter) => later(() => core.sent(filter)),
    violations: () => later(() => core.rules.violations()),
    notes: () => later(() => core.rules.notes()),
    requests: () => later(() => core.faults.counts()),
    fail: (endpoint, fault) => later(() => core.fail(endpoint, fault)),
    expireSession: (botId, opts) =>
      later(() => core.expire(botId, opts?.field ?? "errcode", opts?.reviveAfterMs)),
    reviveSession: (botId) => later(() => core.revive(botId)),
    staleContext: (botId, userId) => later(() => core.staleContext(botId, userId)),
    state: () => later(() => core.snapshot()),
    reset: () => later(() => core.reset()),
    close: () => {
      closed ??= (async () => {
        core.close();
        await shutdown();
      })();
      return closed;
    },
  };
  return sandbox;
}
