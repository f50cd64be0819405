/**
 * Which hosts media may be fetched from or uploaded to. The server hands out complete URLs
 * (`media.full_url`, `upload_full_url`) and the CDN may redirect; taken on trust, such a URL lets
 * whoever controls a message make the bot fetch from any host its machine can reach (a cloud
 * metadata address, a service on localhost). So a URL is only used when it is `https` on the real
 * CDN's domain family (`*.weixin.qq.com`), or on the origin of the configured CDN base (which is
 * how a local emulator is reached), or on a host the user allowed explicitly.
 *
 * @module
 */

/** Domain family of the real service's hosts (`novac2c.cdn.weixin.qq.com`, …). */
const SERVICE_DOMAIN = "weixin.qq.com";

/** Redirects followed at most, each checked like the first URL. */
export const MAX_REDIRECTS = 3;

/**
 * Whether `url` may be fetched: `https` on `*.weixin.qq.com`, the origin of `cdnBaseUrl`, or a
 * host (`cdn.example.com`) or origin (`https://cdn.example.com:8443`) listed in `allowed`.
 */
export function mediaUrlAllowed(
  url: string,
  cdnBaseUrl: string,
  allowed: readonly string[] = [],
): boolean {
  let target: URL;
  try {
    target = new URL(url);
  } catch {
    return false;
  }
  if (target.protocol !== "https:" && target.protocol !== "http:") return false;
  if (target.username || target.password) return false;
  if (sameOrigin(target, cdnBaseUrl)) return true;
  const host = target.hostname.toLowerCase();
  if (
    target.protocol === "https:" && (host === SERVICE_DOMAIN || host.endsWith(`.${SERVICE_DOMAIN}`))
  ) {
    return true;
  }
  return allowed.some((entry) =>
    entry.includes("://") ? sameOrigin(target, entry) : host === entry.toLowerCase()
  );
}

function sameOrigin(target: URL, base: string): boolean {
  try {
    return new URL(base).origin === target.origin;
  } catch {
    return false;
  }
}

/** A short description of a refused URL for error messages: scheme and host, nothing secret. */
export function describeHost(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}`;
  } catch {
    return "an unparsable URL";
  }
}

/**
 * `fetch` that follows redirects only to allowed hosts (at most {@linkcode MAX_REDIRECTS}).
 *
 * @throws {TypeError} With `refused` set when a redirect leads elsewhere.
 */
export async function fetchAllowed(
  doFetch: typeof fetch,
  url: string,
  init: RequestInit,
  isAllowed: (url: string) => boolean,
): Promise<Response> {
  let current = url;
  for (let hop = 0;; hop++) {
    const res = await doFetch(current, { ...init, redirect: "manual" });
    const location = res.status >= 300 && res.status < 400 ? res.headers.get("location") : null;
    if (location === null) return res;
    await res.body?.cancel();
    const next = new URL(location, current).href;
    if (hop >= MAX_REDIRECTS || !isAllowed(next)) {
      throw new RedirectRefused(
        hop >= MAX_REDIRECTS
          ? `more than ${MAX_REDIRECTS} redirects`
          : `a redirect to ${describeHost(next)}, which is not an allowed media host`,
      );
    }
    current = next;
  }
}

/** A redirect the media pipeline would not follow. */
export class RedirectRefused extends Error {
  /** Creates the error. */
  constructor(message: string) {
    super(message);
    this.name = "RedirectRefused";
  }
}
