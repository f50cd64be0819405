/**
 * Starts the sandbox: one Hono app on `Deno.serve` serving the iLink API, the CDN, the control API
 * and the phone page from the same origin.
 *
 * @module
 */

import { Hono } from "hono";
import { cdnRoutes, ilinkRoutes } from "./ilink_routes.ts";
import { controlRoutes } from "./control_routes.ts";
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

/** The host part of a URL for a listening address (wildcards are reached over loopback). */
function urlHost(hostname: string, port: number): string {
  if (hostname === "0.0.0.0" || hostname === "") return `127.0.0.1:${port}`;
  if (hostname === "::") return `[::1]:${port}`;
  return hostname.includes(":") ? `[${hostname}]:${port}` : `${hostname}:${port}`;
}

/**
 * Starts an iLink sandbox: a local emulator of the WeChat iLink Bot API and its CDN, with a
 * control API to play the WeChat user, inject faults and inspect what the bot sent.
 *
 * Point a client at it with `baseUrl` (API and QR host) and `cdnBaseUrl`; confirm the QR login
 * with {@linkcode Sandbox.confirmLogin}, then talk to the bot with
 * {@linkcode Sandbox.injectMessage} and read its replies with {@linkcode Sandbox.sent}.
 *
 * @example Log in and exchange one message over plain HTTP
 * ```ts
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const qr = await (await fetch(`${sandbox.baseUrl}ilink/bot/get_bot_qrcode?bot_type=3`)).json();
 * const { token, userId } = await sandbox.confirmLogin({ qrcode: qr.qrcode });
 * await sandbox.injectMessage({ text: "hello" });
 *
 * const headers = { Authorization: `Bearer ${token}`, "Content-Type": "application/json" };
 * const updates = await (await fetch(`${sandbox.baseUrl}ilink/bot/getupdates`, {
 *   method: "POST",
 *   headers,
 *   body: JSON.stringify({ get_updates_buf: "", base_info: { channel_version: "1.0.0" } }),
 * })).json();
 * const contextToken = updates.msgs[0].context_token;
 * await (await fetch(`${sandbox.baseUrl}ilink/bot/sendmessage`, {
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
export function startSandbox(options: SandboxOptions = {}): Promise<Sandbox> {
  try {
    return Promise.resolve(launch(options));
  } catch (error) {
    // Bad options and a busy port reject instead of throwing synchronously.
    return Promise.reject(error);
  }
}

function launch(options: SandboxOptions): Sandbox {
  const quiet = options.quiet ?? true;
  const log = quiet ? undefined : (line: string) => console.error(`[sandbox] ${line}`);
  const core = new SandboxCore({
    longPollMs: positive("longPollMs", options.longPollMs, 35_000),
    windowMs: positive("windowMs", options.windowMs, DAY_MS),
    quota: positive("quota", options.quota, 10),
    qrTtlMs: positive("qrTtlMs", options.qrTtlMs, 5 * 60_000),
    redirect: options.redirect ?? false,
    uploadFullUrl: options.uploadFullUrl ?? false,
    ...(log ? { log } : {}),
  });

  const app = new Hono();
  if (log) {
    app.use(async (c, next) => {
      const started = performance.now();
      await next();
      // The path only: query strings carry opaque tokens that do not belong in logs.
      const path = new URL(c.req.url).pathname;
      log(`${c.req.method} ${path} ${c.res.status} ${Math.round(performance.now() - started)}ms`);
    });
  }
  app.route("/", ilinkRoutes(core));
  app.route("/", cdnRoutes(core));
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

  const hostname = options.hostname ?? "127.0.0.1";
  const server = Deno.serve(
    { port: options.port ?? 0, hostname, onListen: () => {} },
    app.fetch,
  );
  const port = (server.addr as Deno.NetAddr).port;
  const origin = `http://${urlHost(hostname, port)}/`;
  core.setBaseUrl(origin);

  let closed: Promise<void> | undefined;
  const sandbox: Sandbox = {
    baseUrl: origin,
    cdnBaseUrl: `${origin}c2c`,
    controlUrl: `${origin}_control`,
    phoneUrl: `${origin}phone`,
    confirmLogin: (opts) => core.confirm(opts),
    injectMessage: (msg) => Promise.resolve().then(() => core.inject(msg)),
    sent: (filter) => Promise.resolve(core.sent(filter)),
    violations: () => Promise.resolve(core.violations()),
    fail: (endpoint, fault) => Promise.resolve().then(() => core.fail(endpoint, fault)),
    expireSession: (botId, opts) =>
      Promise.resolve().then(() => core.expire(botId, opts?.field ?? "errcode")),
    state: () => Promise.resolve(core.snapshot()),
    reset: () => Promise.resolve(core.reset()),
    close: () => {
      closed ??= (async () => {
        core.close();
        await server.shutdown();
      })();
      return closed;
    },
  };
  return sandbox;
}
