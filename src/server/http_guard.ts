/**
 * Access rules shared by the MCP HTTP transports and the REST API.
 *
 * - A server on a non-loopback address must have a bearer token: anyone on the network could
 *   otherwise send messages as the bot. Tokens are at least 16 characters without whitespace.
 * - `Host` must name this machine. A web page on another site can make the browser reach
 *   `127.0.0.1` through a DNS name it controls (DNS rebinding); such requests carry the
 *   attacker's name in `Host`.
 * - `Origin`, when present, must be this server's own origin: scheme, host **and port**. A page
 *   served by any other local program (`http://localhost:9999`) is another origin, and so is
 *   `null` (sandboxed frames, `file:` pages). Requests without `Origin` (curl, SDKs) pass.
 *   `Sec-Fetch-Site: cross-site` or `same-site` is refused too, except for plain navigations.
 * - Every POST must be `Content-Type: application/json` (415 otherwise). Browsers send a
 *   cross-origin POST without asking first (no CORS preflight) only with `text/plain`, a form
 *   encoding or no body type; requiring JSON means such a request never reaches a tool, even
 *   where `Origin` could not be checked.
 * - Request bodies are limited (1 MiB by default): a larger `Content-Length` is refused before
 *   anything is read, and a chunked body is counted as it streams and refused (413) as soon as it
 *   passes the limit.
 * - The token is compared in constant time.
 * - No CORS headers are sent, so browsers keep other sites from reading responses.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

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
  throw new WeiLinkError(
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

/** Default largest request body, in bytes: tool arguments and JSON-RPC messages are small. */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;

/** Shortest bearer token accepted. */
export const MIN_TOKEN_LENGTH = 16;

/**
 * Throw when `token` is too weak to guard a server: shorter than {@linkcode MIN_TOKEN_LENGTH}
 * characters, or holding whitespace or control characters (a header cannot carry it intact).
 * The message never contains the token.
 *
 * @param source Where the token came from (`--token`, `WEILINK_MCP_TOKEN`, a file), for the
 * message.
 * @throws {Error} saying what is wrong and how to make a good token.
 */
export function assertStrongToken(token: string, source: string): void {
  const problem = /[^\x21-\x7e]/.test(token)
    ? "it contains whitespace or characters other than printable ASCII"
    : token.length < MIN_TOKEN_LENGTH
    ? `it has ${token.length} character(s), fewer than ${MIN_TOKEN_LENGTH}`
    : undefined;
  if (problem === undefined) return;
  throw new WeiLinkError(
    `Refusing the bearer token from ${source}: ${problem}. Use at least ${MIN_TOKEN_LENGTH} ` +
      "printable characters without spaces, e.g. the output of `openssl rand -hex 32`.",
  );
}

/** Options of {@linkcode guard}. */
export interface GuardOptions {
  /** Host names accepted in `Host` and `Origin` (see {@linkcode allowedHostNames}). */
  hosts: Set<string>;
  /** The port the server listens on, which `Origin` must carry (known once it listens). */
  port: () => number;
  /** Bearer token; when absent, no authentication is required. */
  token?: string;
  /** Whether a path needs the token (default: every path). */
  protects?: (path: string) => boolean;
  /** Largest request body, in bytes (default {@linkcode DEFAULT_MAX_BODY_BYTES}). */
  maxBodyBytes?: number;
}

/**
 * Hono middleware enforcing the rules above: 403 for a foreign `Host` or `Origin` (or a
 * cross-site fetch), 403 for CORS preflights, 401 for a missing or wrong token, 415 for a POST
 * that is not JSON, 413 for a body over the limit.
 */
export function guard(options: GuardOptions): MiddlewareHandler {
  const expected = options.token ? digest(options.token) : undefined;
  const maxBody = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  return async (c, next) => {
    const host = c.req.header("host");
    if (!host || !options.hosts.has(hostNameOf(host))) {
      return c.json({ error: `Host "${host ?? ""}" is not allowed` }, 403);
    }
    const origin = c.req.header("origin");
    if (origin !== undefined && !sameOrigin(origin, options.hosts, options.port())) {
      return c.json({ error: `Origin "${origin}" is not allowed` }, 403);
    }
    const site = c.req.header("sec-fetch-site");
    const navigation = (c.req.method === "GET" || c.req.method === "HEAD") &&
      c.req.header("sec-fetch-mode") === "navigate";
    if ((site === "cross-site" || site === "same-site") && !navigation) {
      return c.json({ error: `Requests from other sites are not allowed (${site})` }, 403);
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
    if (["POST", "PUT", "PATCH"].includes(c.req.method) && !isJson(c.req.header("content-type"))) {
      return c.json({ error: "Content-Type must be application/json" }, 415);
    }
    const body = c.req.raw.body;
    if (body) {
      const tooLarge = () =>
        c.json({ error: `Request body too large: the limit is ${maxBody} bytes` }, 413);
      const declared = c.req.header("content-length");
      if (declared !== undefined && Number(declared) > maxBody) {
        await body.cancel().catch(() => {});
        return tooLarge();
      }
      let bytes: Uint8Array<ArrayBuffer> | undefined;
      try {
        bytes = await readAtMost(body, maxBody);
      } catch {
        // The client went away or the connection timed out mid-body: nobody reads an answer.
        return c.json({ error: "The request body could not be read" }, 400);
      }
      if (!bytes) return tooLarge();
      const raw = c.req.raw;
      c.req.raw = new Request(raw.url, {
        method: raw.method,
        headers: raw.headers,
        body: bytes,
        signal: raw.signal,
      });
    }
    await next();
  };
}

/** Whether a `Content-Type` value is JSON (`application/json`, parameters allowed). */
function isJson(contentType: string | undefined): boolean {
  const essence = (contentType ?? "").split(";")[0]!.trim().toLowerCase();
  return essence === "application/json";
}

/** The whole body, or `undefined` as soon as it passes `max` bytes (the rest is not read). */
async function readAtMost(
  body: ReadableStream<Uint8Array>,
  max: number,
): Promise<Uint8Array<ArrayBuffer> | undefined> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > max) {
      await reader.cancel().catch(() => {});
      return undefined;
    }
    chunks.push(value);
  }
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Whether `origin` is this server's own: `http:`, an allowed host name and the server's port.
 * Sandboxed documents and `file:` pages send `null`; none of them is ours.
 */
function sameOrigin(origin: string, hosts: Set<string>, port: number): boolean {
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false;
  }
  return url.protocol === "http:" && url.origin === origin.toLowerCase().replace(/\/$/, "") &&
    hosts.has(url.hostname.replace(/^\[|\]$/g, "").toLowerCase()) &&
    Number(url.port || 80) === port;
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
