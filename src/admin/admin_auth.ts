/**
 * Authentication of the admin panel when it has a token.
 *
 * Scripts send `Authorization: Bearer <token>`. A browser trades the token once, on the login
 * page, for a cookie holding a random session value: the token itself is never stored in the
 * browser, and a stolen cookie can be revoked (sign out, or restart the panel) without changing
 * the token. The cookie is `HttpOnly` (page scripts cannot read it) and `SameSite=Strict` (other
 * sites cannot make the browser send it). Its name carries the port: cookies are shared by every
 * port of a host, so two panels on one machine would otherwise overwrite each other's.
 *
 * Tokens and session values are compared as SHA-256 digests in constant time, so neither their
 * length nor the position of a first difference shows in the response time.
 *
 * @module
 */

import type { Context, MiddlewareHandler } from "hono";
import { getCookie, setCookie } from "hono/cookie";
import { timingSafeEqual } from "../server/http_guard.ts";

/** How a request proved who it is. */
export type AuthMethod = "bearer" | "cookie" | "none";

/** Variables the auth middleware sets on the Hono context. */
export interface AuthVariables {
  /** How the request was authenticated (`none` when the panel has no token). */
  auth: AuthMethod;
}

/** How long a browser session lasts, in milliseconds (7 days). */
export const SESSION_LIFETIME_MS = 7 * 86_400_000;
/** Most browser sessions kept at once; the oldest goes first. */
export const MAX_SESSIONS = 64;

/** The token check and the browser sessions of one panel. */
export class AdminAuth {
  readonly #token: Promise<Uint8Array> | undefined;
  readonly #port: () => number;
  readonly #now: () => number;
  /** Digests of live session values, with their expiry (epoch ms), oldest first. */
  readonly #sessions: { digest: Uint8Array; expiresAt: number }[] = [];

  /**
   * @param token The panel's token; without one every request passes.
   * @param port The port the panel listens on (known once it listens), for the cookie name.
   */
  constructor(token: string | undefined, port: () => number, now: () => number = Date.now) {
    this.#token = token === undefined ? undefined : digest(token);
    this.#port = port;
    this.#now = now;
  }

  /** Whether requests need the token or a session cookie. */
  get required(): boolean {
    return this.#token !== undefined;
  }

  /** The session cookie's name, e.g. `weilink_admin_8080`. */
  get cookieName(): string {
    return `weilink_admin_${this.#port()}`;
  }

  /** Whether `presented` is the token. */
  async isToken(presented: string): Promise<boolean> {
    if (!this.#token) return false;
    return timingSafeEqual(await this.#token, await digest(presented));
  }

  /** How `c` authenticates, or `undefined` when it does not. */
  async identify(c: Context): Promise<AuthMethod | undefined> {
    if (!this.required) return "none";
    const match = /^Bearer\s+(\S+)$/i.exec((c.req.header("authorization") ?? "").trim());
    if (match && await this.isToken(match[1]!)) return "bearer";
    const cookie = getCookie(c, this.cookieName);
    if (cookie !== undefined && await this.#hasSession(cookie)) return "cookie";
    return undefined;
  }

  /** Start a browser session: a random value in a cookie, remembered here by its digest. */
  async startSession(c: Context): Promise<void> {
    const value = randomValue();
    const now = this.#now();
    this.#dropExpired(now);
    this.#sessions.push({ digest: await digest(value), expiresAt: now + SESSION_LIFETIME_MS });
    if (this.#sessions.length > MAX_SESSIONS) this.#sessions.shift();
    setCookie(c, this.cookieName, value, {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: SESSION_LIFETIME_MS / 1000,
    });
  }

  /** End the browser session of `c`, if it has one, and clear its cookie. */
  async endSession(c: Context): Promise<void> {
    const value = getCookie(c, this.cookieName);
    if (value !== undefined) {
      const presented = await digest(value);
      const index = this.#sessions.findIndex((s) => timingSafeEqual(s.digest, presented));
      if (index >= 0) this.#sessions.splice(index, 1);
    }
    setCookie(c, this.cookieName, "", {
      httpOnly: true,
      sameSite: "Strict",
      path: "/",
      maxAge: 0,
    });
  }

  /**
   * Middleware: lets through requests with the token or a live session (and every request when
   * the panel has none), and paths `isPublic` names. Others get a redirect to `/login` when a
   * browser navigates to a page, 401 otherwise. Sets `auth` on the context.
   */
  middleware(isPublic: (path: string) => boolean): MiddlewareHandler<{ Variables: AuthVariables }> {
    return async (c, next) => {
      const method = await this.identify(c);
      if (method !== undefined) {
        c.set("auth", method);
        return await next();
      }
      c.set("auth", "none");
      if (isPublic(c.req.path)) return await next();
      const page = c.req.method === "GET" && !c.req.path.startsWith("/api/") &&
        (c.req.header("sec-fetch-mode") === "navigate" ||
          (c.req.header("accept") ?? "").includes("text/html"));
      if (page) return c.redirect("/login", 303);
      c.header("WWW-Authenticate", 'Bearer realm="weilink-admin"');
      return c.json({
        error: "Sign in first: open /login in a browser, or send Authorization: Bearer <token>",
      }, 401);
    };
  }

  async #hasSession(value: string): Promise<boolean> {
    const now = this.#now();
    this.#dropExpired(now);
    const presented = await digest(value);
    // Every live session is compared, so the time taken does not depend on which one matched.
    let found = false;
    for (const session of this.#sessions) {
      if (timingSafeEqual(session.digest, presented)) found = true;
    }
    return found;
  }

  #dropExpired(now: number): void {
    for (let i = this.#sessions.length - 1; i >= 0; i--) {
      if (this.#sessions[i]!.expiresAt <= now) this.#sessions.splice(i, 1);
    }
  }
}

/** 32 random bytes, base64url: the session value a cookie carries. */
function randomValue(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_")
    .replace(/=+$/, "");
}

async function digest(value: string): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(value);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}
