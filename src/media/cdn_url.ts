/**
 * CDN URL building and small shared pieces of the media pipeline (spec §5.2, §5.3).
 *
 * @module
 */

/** Default CDN base of the real service; note the `/c2c` path prefix. */
export const DEFAULT_CDN_BASE_URL = "https://novac2c.cdn.weixin.qq.com/c2c";

/** Largest media size handled by default: 100 MiB, the official client's inbound cap. */
export const DEFAULT_MAX_MEDIA_BYTES: number = 100 * 1024 * 1024;

/**
 * `<cdn_base>/<action>?<name>=<value>&…` with every value percent-encoded like
 * `encodeURIComponent`: the CDN rejects raw `+`, `/` and `=` in its tokens.
 *
 * The base is read as a URL first (the result is built on its normalised form), so the result
 * always parses, on the base's origin, and carries every value intact.
 *
 * @throws {TypeError} When `base` is not an absolute http(s) URL or has a query or a fragment
 * (the action and the parameters could not follow it), or when a value is not well-formed UTF-16
 * (a lone surrogate, which has no percent-encoding: the token cannot be genuine).
 */
export function cdnUrl(base: string, action: string, params: Record<string, string>): string {
  const url = URL.parse(base);
  if (url === null || (url.protocol !== "http:" && url.protocol !== "https:")) {
    throw new TypeError(`Invalid CDN base URL "${base}": expected an absolute http(s) URL`);
  }
  // `href` also keeps an empty query or fragment (`…/c2c?`): nothing may follow the path.
  if (/[?#]/.test(url.href)) {
    throw new TypeError(`Invalid CDN base URL "${base}": it must not have a query or a fragment`);
  }
  const query = Object.entries(params)
    .map(([k, v]) => {
      if (!v.isWellFormed()) {
        throw new TypeError(
          `Cannot build the CDN ${action} URL: the value of "${k}" is not well-formed UTF-16`,
        );
      }
      return `${k}=${encodeURIComponent(v)}`;
    })
    .join("&");
  return `${url.href.replace(/\/+$/, "")}/${action}?${query}`;
}

/** A short one-line excerpt of a diagnostic body. */
export function excerpt(text: string, max = 200): string {
  const flat = text.replace(/\s+/g, " ").trim();
  return flat.length > max ? `${flat.slice(0, max)}…` : flat;
}

/** Formats a byte count for messages: `104857600` → `"104857600 bytes"`. */
export function bytes(n: number): string {
  return `${n} byte${n === 1 ? "" : "s"}`;
}
