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
 */
export function cdnUrl(base: string, action: string, params: Record<string, string>): string {
  const query = Object.entries(params)
    .map(([k, v]) => `${k}=${encodeURIComponent(v)}`)
    .join("&");
  return `${base.replace(/\/+$/, "")}/${action}?${query}`;
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
