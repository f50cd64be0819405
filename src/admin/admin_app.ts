/**
 * The admin panel's HTTP routes, on Hono: the page, its login, and the JSON API of the Python
 * original's panel (same paths, same JSON), behind the servers' access rules (`http_guard.ts`).
 *
 * Order of the checks: authentication first (cheap, and a stranger's body is never read), then
 * the guard (Host, Origin, body type and size), then the route.
 *
 * @module
 */

import { type Context, Hono, type MiddlewareHandler } from "hono";
import type { AdminClient } from "./admin_client.ts";
import type { Logger } from "../client/logger.ts";
import type { AdminHistory } from "./message_events.ts";
import { historyJson } from "../store/mod.ts";
import { DEFAULT_MAX_BODY_BYTES, guard } from "../server/http_guard.ts";
import { AdminHttpError, describeFailure } from "./admin_errors.ts";
import type { AdminAuth, AuthVariables } from "./admin_auth.ts";
import { historyQuery } from "./history_query.ts";
import { mediaResponse } from "./media_response.ts";
import type { MessageEvents } from "./message_events.ts";
import type { QrLogins } from "./qr_logins.ts";
import { sendRequestFromForm, sendRequestFromJson } from "./send_request.ts";
import { sessionsJson, statusJson } from "./sessions_json.ts";
import { ADMIN_SCRIPT, ADMIN_STYLE, LOCALES, LOGIN_SCRIPT, loginHtml, pageHtml } from "./ui/mod.ts";

/** What the routes work with. */
export interface AdminAppDeps {
  /** The client the panel manages. */
  client: AdminClient;
  /** Token check and browser sessions. */
  auth: AdminAuth;
  /** Host names requests may address. */
  hosts: Set<string>;
  /** The port the panel listens on (known once it listens). */
  port: () => number;
  /** Largest body of `POST /api/send`; other requests are limited to 1 MiB. */
  maxBodyBytes: number;
  /** The panel's read connection to the message store. */
  store: () => AdminHistory;
  /** QR logins in progress. */
  logins: QrLogins;
  /** Open event streams. */
  events: MessageEvents;
  /** Where unexpected failures are logged. */
  logger: Logger;
}

type Env = { Variables: AuthVariables };

/** Paths served without authentication: the login page and what it loads. */
function isPublic(path: string): boolean {
  return path === "/login" || path === "/logout" || path.startsWith("/assets/") ||
    path.startsWith("/locales/");
}

/**
 * Page scripts come only from the panel itself; network data is inserted as text, and no inline
 * script or style is allowed to run should that ever fail. Images may be `data:` URLs (the QR
 * code) or media from the download route.
 */
const PAGE_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; " +
  "base-uri 'none'";

/** The panel's Hono app. */
export function createAdminApp(deps: AdminAppDeps): Hono<Env> {
  const { client, auth } = deps;
  const app = new Hono<Env>();

  app.use("*", async (c, next) => {
    await next();
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
    c.header("x-frame-options", "DENY");
  });
  app.use("*", auth.middleware(isPublic));
  app.use("*", accessRules(deps));

  // ---- page, login and assets ---------------------------------------------------------------

  const page = (c: Context, html: string) => {
    c.header("content-security-policy", PAGE_POLICY);
    c.header("cache-control", "no-store");
    return c.html(html);
  };
  const asset = (c: Context, body: string, type: string) => {
    c.header("content-type", type);
    c.header("cache-control", "no-cache");
    return c.body(body);
  };
  app.get("/", (c) => page(c, pageHtml(auth.required)));
  app.get("/login", (c) => auth.required ? page(c, loginHtml()) : c.redirect("/", 303));
  app.post("/login", async (c) => {
    const { token } = await jsonBody(c);
    if (typeof token !== "string" || token === "") {
      throw new AdminHttpError(400, "'token' is required");
    }
    if (!auth.required) return c.json({ success: true });
    if (!await auth.isToken(token)) throw new AdminHttpError(401, "Wrong token");
    await auth.startSession(c);
    return c.json({ success: true });
  });
  app.post("/logout", async (c) => {
    await auth.endSession(c);
    return c.json({ success: true });
  });
  app.get("/assets/admin.js", (c) => asset(c, ADMIN_SCRIPT, "text/javascript; charset=utf-8"));
  app.get("/assets/login.js", (c) => asset(c, LOGIN_SCRIPT, "text/javascript; charset=utf-8"));
  app.get("/assets/admin.css", (c) => asset(c, ADMIN_STYLE, "text/css; charset=utf-8"));
  app.get("/locales/:file", (c) => {
    const lang = /^([a-z]{2})\.json$/.exec(c.req.param("file"))?.[1];
    const strings = lang === undefined ? undefined : LOCALES[lang];
    if (strings === undefined) throw new AdminHttpError(404, `Not found: ${c.req.path}`);
    c.header("cache-control", "no-cache");
    return c.json(strings);
  });

  // ---- status and sessions ------------------------------------------------------------------

  app.get("/api/status", (c) => c.json(statusJson(client)));
  app.get("/api/sessions", (c) => c.json(sessionsJson(client)));
  app.post("/api/sessions/login", async (c) => {
    const { name } = await jsonBody(c);
    if (name !== undefined && name !== null && typeof name !== "string") {
      throw new AdminHttpError(400, "'name' must be a string");
    }
    const login = await deps.logins.start(name?.trim() || "default");
    return c.json({
      qrcode: login.qrcode,
      qr_url: login.qrUrl,
      qr_svg: login.qrSvg,
      session_name: login.session,
    });
  });
  app.get("/api/sessions/login/status", (c) => {
    const id = c.req.query("qrcode") ?? "";
    const login = id ? deps.logins.status(id) : undefined;
    if (!login) throw new AdminHttpError(400, "Invalid or expired QR code");
    if (login.status === "confirmed") {
      return c.json({ status: "confirmed", bot_id: login.botId, session_name: login.session });
    }
    if (login.status === "expired") {
      return c.json({
        status: "expired",
        session_name: login.session,
        ...(login.error ? { error: login.error } : {}),
      });
    }
    // The newest code goes with every answer: the client replaces a code that expired.
    return c.json({
      status: login.status,
      session_name: login.session,
      qr_url: login.qrUrl,
      qr_svg: login.qrSvg,
      attempt: login.attempt,
    });
  });
  app.post("/api/sessions/:name/logout", async (c) => {
    const name = c.req.param("name");
    await client.logout(name);
    return c.json({ success: true, message: `Session "${name}" logged out` });
  });
  app.post("/api/sessions/:name/rename", async (c) => {
    const name = c.req.param("name");
    const { new_name: newName } = await jsonBody(c);
    if (typeof newName !== "string" || newName.trim() === "") {
      throw new AdminHttpError(400, "'new_name' is required");
    }
    await client.renameSession(name, newName.trim());
    return c.json({
      success: true,
      message: `Session renamed: "${name}" -> "${newName.trim()}"`,
    });
  });
  app.post("/api/set-default", async (c) => {
    const { name } = await jsonBody(c);
    if (typeof name !== "string" || name.trim() === "") {
      throw new AdminHttpError(400, "'name' is required");
    }
    await client.setDefault(name.trim());
    return c.json({ success: true, message: `Default session set to "${name.trim()}"` });
  });

  // ---- messages -----------------------------------------------------------------------------

  app.post("/api/send", async (c) => {
    const request = isMultipart(c.req.header("content-type"))
      ? sendRequestFromForm(await formBody(c))
      : sendRequestFromJson(await jsonBody(c));
    const result = await client.send(request.to, request.content);
    return c.json({
      success: result.success,
      remaining: result.remaining,
      message_ids: result.messageIds,
      ...(result.error ? { error: result.error } : {}),
      ...(result.maybeDelivered ? { maybe_delivered: true } : {}),
    });
  });
  app.get("/api/messages", async (c) => {
    const query = historyQuery(new URL(c.req.url).searchParams);
    const store = deps.store();
    const { limit: _limit, offset: _offset, cursor: _cursor, ...filter } = query;
    let page;
    try {
      page = await store.queryPage(query);
    } catch (error) {
      // The only value left unchecked by historyQuery: a cursor no page gave out.
      if (!(error instanceof RangeError)) throw error;
      throw new AdminHttpError(
        400,
        `Invalid 'cursor' '${query.cursor}': not a page's next_cursor`,
        {
          cause: error,
        },
      );
    }
    const total = await store.count(filter);
    const messages = page.messages.map(historyJson);
    return c.json({ messages, total, next_cursor: page.nextCursor ?? null });
  });
  app.get("/api/messages/:id/download", async (c) => {
    const id = c.req.param("id");
    if (!/^\d{1,20}$/.test(id)) {
      throw new AdminHttpError(400, `Invalid message id '${id}': expected a decimal number`);
    }
    let message;
    try {
      message = await deps.store().getById(id);
    } catch (error) {
      // An id beyond 64 bits.
      throw new AdminHttpError(400, (error as Error).message, { cause: error });
    }
    if (!message) throw new AdminHttpError(404, `Message ${id} not found`);
    let data: Uint8Array;
    try {
      data = await client.download(message, { signal: c.req.raw.signal });
    } catch (error) {
      const { status, message: text } = describeFailure(error);
      if (status === 400) throw new AdminHttpError(400, text, { cause: error });
      throw new AdminHttpError(502, `Download failed: ${text}`, { cause: error });
    }
    return mediaResponse(message, data as Uint8Array<ArrayBuffer>);
  });
  app.get("/api/events", (c) => deps.events.open(c.req.header("last-event-id")));

  app.notFound((c) => c.json({ error: `Not found: ${c.req.path}` }, 404));
  app.onError((error, c) => {
    const { status, message } = describeFailure(error);
    if (status >= 500 && status !== 502) {
      deps.logger.error(`Admin ${c.req.method} ${c.req.path} failed: ${message}`);
    }
    return c.json({ error: message }, status as 400);
  });
  return app;
}

/**
 * The guard of the other servers, with two limits: `POST /api/send` carries media (up to
 * `maxBodyBytes`), everything else small JSON (1 MiB).
 *
 * The guard takes only JSON bodies, which keeps every cross-site "simple" request out. A
 * multipart send is let through it as follows: it must carry an `Origin` (which the guard then
 * requires to be the panel's own) unless it came with the bearer token, so a form on another
 * site, or a client that hides its origin, cannot post one with the browser's cookie.
 */
function accessRules(deps: AdminAppDeps): MiddlewareHandler<Env> {
  const rules = { hosts: deps.hosts, port: deps.port };
  const small = guard({ ...rules, maxBodyBytes: DEFAULT_MAX_BODY_BYTES });
  const large = guard({ ...rules, maxBodyBytes: deps.maxBodyBytes });
  return async (c, next) => {
    if (c.req.method !== "POST" || c.req.path !== "/api/send") return await small(c, next);
    const contentType = c.req.header("content-type");
    if (!isMultipart(contentType)) return await large(c, next);
    if (c.get("auth") !== "bearer" && c.req.header("origin") === undefined) {
      return c.json({
        error: "A multipart/form-data request needs the Origin header of this panel " +
          "(browsers send it) or the bearer token",
      }, 403);
    }
    // The guard checks a JSON request; the body is read and limited the same way whatever its
    // type, and the real type is put back before the route parses it.
    c.req.raw = withContentType(c.req.raw, "application/json");
    return await large(c, async () => {
      c.req.raw = withContentType(c.req.raw, contentType!);
      await next();
    });
  };
}

function withContentType(request: Request, contentType: string): Request {
  const headers = new Headers(request.headers);
  headers.set("content-type", contentType);
  return new Request(request, { headers, duplex: "half" } as RequestInit);
}

function isMultipart(contentType: string | undefined): boolean {
  return (contentType ?? "").split(";")[0]!.trim().toLowerCase() === "multipart/form-data";
}

/** The JSON object of a request body; an empty body reads as `{}`. */
async function jsonBody(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new AdminHttpError(400, "Invalid JSON body");
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new AdminHttpError(400, "Invalid JSON body: expected an object");
  }
  return value as Record<string, unknown>;
}

async function formBody(c: Context): Promise<FormData> {
  try {
    return await c.req.raw.formData();
  } catch {
    throw new AdminHttpError(400, "Invalid multipart/form-data body");
  }
}
