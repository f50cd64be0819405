/**
 * Access rules shared by the MCP HTTP transports and the REST API.
 *
 * - A server on a non-loopback address must have a bearer token: anyone on the network could
 *   otherwise send messages as the bot.
 * - `Host` and `Origin` must name this machine. A web page on another site can make the browser
 *   reach `127.0.0.1` through a DNS name it controls (DNS rebinding); such requests carry the
 *   attacker's name in `Host`, and cross-site requests carry a foreign `Origin`.
 * - The token is compared in constant time.
 * - No CORS headers are sent, so browsers keep other sites from reading responses.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";

/** Names that always mean this machine. */
const LOOPBACK_NAMES = ["localhost", "127.0.0.1", "::1", "[::1]"];

/** Whether `host` (a bind address or host name) is a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h) ||
    h.endsWith(".localhost");
}

/** Whether `host` is a wildcard bind address (all interfaces). */
function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "0.0.0.0" || h === "::" || h === "";
}

/**
 * Throw when a server would listen on a non-loopback address without a token.
 *
 * @throws {Error} naming the host and how to fix it.
 */
export function assertSafeBind(host: string, token: string | undefined): void {
  if (token || isLoopbackHost(host)) return;
  throw new Error(
    `Refusing to listen on "${host}" without a token: anyone who can reach it could act as the ` +
      "bot. Set --token (or WEILINK_MCP_TOKEN), or bind 127.0.0.1.",
  );
}

/**
 * The host names a request may address: loopback names, the bound host, and for wildcard binds
 * this machine's name and interface addresses.
 */
export function allowedHostNames(bindHost: string): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  const bound = bindHost.toLowerCase();
  if (isWildcardHost(bound)) {
    try {
      names.add(Deno.hostname().toLowerCase());
    } catch {
      // No sys permission: loopback names only.
    }
    try {
      for (const iface of Deno.networkInterfaces()) names.add(iface.address.toLowerCase());
    } catch {
      // No sys permission: loopback names only.
    }
  } else {
    names.add(bound);
  }
  return new Set([...names].map((n) => n.replace(/^\[|\]$/g, "")));
}

/** The host name of a `Host` header value (`name`, `name:port`, `[v6]:port`). */
function hostNameOf(value: string): string {
  const v = value.trim().toLowerCase();
  if (v.startsWith("[")) return v.slice(1, v.indexOf("]") >>> 0);
  const colon = v.lastIndexOf(":");
  // One colon separates a port; more than one is a bare IPv6 address.
  return colon >= 0 && v.indexOf(":") === colon ? v.slice(0, colon) : v;
}

/** Options of {@linkcode guard}. */
export interface GuardOptions {
  /** Host names accepted in `Host` and `Origin` (see {@linkcode allowedHostNames}). */
  hosts: Set<string>;
  /** Bearer token; when absent, no authentication is required. */
  token?: string;
  /** Whether a path needs the token (default: every path). */
  protects?: (path: string) => boolean;
}

/**
 * Hono middleware enforcing the rules above: 403 for a foreign `Host` or `Origin`, 401 for a
 * missing or wrong token, 403 for CORS preflights.
 */
export function guard(options: GuardOptions): MiddlewareHandler {
  const expected = options.token ? digest(options.token) : undefined;
  return async (c, next) => {
    const host = c.req.header("host");
    if (!host || !options.hosts.has(hostNameOf(host))) {
      return c.json({ error: `Host "${host ?? ""}" is not allowed` }, 403);
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !originAllowed(origin, options.hosts)) {
      return c.json({ error: `Origin "${origin}" is not allowed` }, 403);
    }
    if (c.req.method === "OPTIONS") {
      // CORS is closed: answer preflights without any Access-Control-Allow-* header.
      return c.body(null, 403);
    }
    if (expected && (options.protects?.(c.req.path) ?? true)) {
      const header = c.req.header("authorization") ?? "";
      const match = /^Bearer\s+(.+)$/i.exec(header.trim());
      if (!match || !timingSafeEqual(await expected, await digest(match[1] ?? ""))) {
        c.header("WWW-Authenticate", 'Bearer realm="weilink"');
        return c.json({ error: "Missing or invalid bearer token" }, 401);
      }
    }
    await next();
  };
}

function originAllowed(origin: string, hosts: Set<string>): boolean {
  // Sandboxed documents and file:// pages send "null"; none of them is ours.
  try {
    const url = new URL(origin);
    return (url.protocol === "http:" || url.protocol === "https:") &&
      hosts.has(url.hostname.replace(/^\[|\]$/g, "").toLowerCase());
  } catch {
    return false;
  }
}

/**
 * Hash first so both sides have the same length: comparing digests leaks neither the token's
 * length nor where it differs.
 */
async function digest(value: string): Promise<Uint8Array> {
  const bytes = new TextEncoder().encode(value);
  return new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
}

/** Compare two equal-length byte strings in time independent of their contents. */
export function timingSafeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
