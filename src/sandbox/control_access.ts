/**
 * Who may use the control API (`/_control/*`), and which address the sandbox announces.
 *
 * The control API plays every WeChat user, reads every message and arms faults, without any
 * authentication by default. That is fine on loopback only:
 *
 * - binding any other address needs a control token (at least 16 characters, no whitespace);
 * - with a token, every control request needs `Authorization: Bearer <token>` (compared in
 *   constant time) and every write needs `Content-Type: application/json`, which a cross-site
 *   form cannot send without a CORS preflight (never granted: no CORS headers are sent);
 * - a request whose `Origin` is not one of the sandbox's own origins is refused with 403, token or
 *   not, so a page on another site cannot drive a sandbox running on the developer's machine.
 *   The phone page is served from the sandbox's own origin and keeps working.
 *
 * @module
 */

import type { MiddlewareHandler } from "hono";

/** The shortest control token accepted. */
export const MIN_CONTROL_TOKEN_LENGTH = 16;

/** Whether `host` (a bind address or host name) is a loopback address. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(h);
}

/** Whether `host` is a wildcard bind address (every interface). */
export function isWildcardHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "");
  return h === "0.0.0.0" || h === "::" || h === "";
}

/**
 * Checks a bind address against a control token: throws when a non-loopback address has none,
 * or when the token is too short or contains whitespace.
 */
export function checkControlAccess(hostname: string, token: string | undefined): void {
  if (token !== undefined) {
    if (typeof token !== "string" || /\s/.test(token)) {
      throw new TypeError("Cannot start sandbox: the control token must not contain whitespace");
    }
    if (token.length < MIN_CONTROL_TOKEN_LENGTH) {
      throw new RangeError(
        `Cannot start sandbox: the control token must be at least ${MIN_CONTROL_TOKEN_LENGTH} ` +
          `characters, got ${token.length}`,
      );
    }
    return;
  }
  if (!isLoopbackHost(hostname)) {
    throw new Error(
      `Refusing to bind the sandbox to "${hostname}" without a control token: anyone who can ` +
        "reach it could play every user and read every message. Give a token (controlToken, " +
        "--control-token or WEILINK_SANDBOX_TOKEN), or bind 127.0.0.1.",
    );
  }
}

/** This machine's interface addresses, or none without the permission to list them. */
function interfaceAddresses(): Deno.NetworkInterfaceInfo[] {
  try {
    return Deno.networkInterfaces();
  } catch {
    return [];
  }
}

/**
 * The host the sandbox names in its URLs (`baseurl`, QR links, `full_url`s): the bound address,
 * or for a wildcard bind this machine's first non-loopback IPv4 address (what a phone on the same
 * network can reach), falling back to loopback.
 */
export function announcedHost(hostname: string): string {
  if (!isWildcardHost(hostname)) return hostname;
  const lan = interfaceAddresses().find((i) => i.family === "IPv4" && !isLoopbackHost(i.address));
  if (lan) return lan.address;
  return hostname.includes(":") ? "::1" : "127.0.0.1";
}

/** `host:port` for a URL, with IPv6 addresses in brackets. */
export function urlHost(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, "");
  return bare.includes(":") ? `[${bare}]:${port}` : `${bare}:${port}`;
}

/** The host names under which the sandbox's own pages may be served, for the Origin check. */
export function ownHostNames(hostname: string, announced: string): Set<string> {
  const names = new Set([announced.toLowerCase()]);
  const loopback = ["localhost", "127.0.0.1", "::1"];
  if (isWildcardHost(hostname)) {
    for (const n of loopback) names.add(n);
    for (const i of interfaceAddresses()) names.add(i.address.toLowerCase());
    try {
      names.add(Deno.hostname().toLowerCase());
    } catch {
      // No permission to read the host name: addresses only.
    }
  } else if (isLoopbackHost(hostname)) {
    for (const n of loopback) names.add(n);
  }
  names.add(hostname.toLowerCase().replace(/^\[|\]$/g, ""));
  return names;
}

/** Options of {@linkcode controlGuard}. */
export interface ControlGuardOptions {
  /** The port the sandbox listens on. */
  port: number;
  /** Host names of the sandbox's own origin (see {@linkcode ownHostNames}). */
  hosts: Set<string>;
  /** The control token, when one is required. */
  token?: string;
}

/** Hono middleware for `/_control/*` enforcing the rules of the module documentation. */
export function controlGuard(options: ControlGuardOptions): MiddlewareHandler {
  const expected = options.token !== undefined ? digest(options.token) : undefined;
  return async (c, next) => {
    const origin = c.req.header("origin");
    if (origin !== undefined && !isOwnOrigin(origin, options)) {
      return c.json({ error: `Origin "${origin}" is not allowed` }, 403);
    }
    if (expected) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(c.req.header("authorization") ?? "");
      if (!match || !sameBytes(await expected, await digest(match[1]!))) {
        c.header("WWW-Authenticate", 'Bearer realm="weilink-sandbox"');
        return c.json({ error: "Missing or invalid control token" }, 401);
      }
      const type = (c.req.header("content-type") ?? "").toLowerCase();
      if (
        c.req.method !== "GET" && c.req.method !== "HEAD" && !type.startsWith("application/json")
      ) {
        return c.json({ error: "Control writes need Content-Type: application/json" }, 415);
      }
    }
    await next();
  };
}

function isOwnOrigin(origin: string, options: ControlGuardOptions): boolean {
  // Sandboxed documents and file:// pages send "null"; none of them is ours.
  try {
    const url = new URL(origin);
    const port = url.port === "" ? (url.protocol === "https:" ? 443 : 80) : Number(url.port);
    return url.protocol === "http:" && port === options.port &&
      options.hosts.has(url.hostname.replace(/^\[|\]$/g, "").toLowerCase());
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

/** Compares two equal-length byte strings in time independent of their contents. */
function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i]! ^ b[i]!;
  return diff === 0;
}
