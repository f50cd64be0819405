/**
 * CDN download (spec §5.3): fetch the ciphertext, then decrypt it with the message's key.
 *
 * @module
 */

import { decodeAesKey, decryptAesEcb, fromHex } from "../crypto/mod.ts";
import type { MediaInfo } from "../models/mod.ts";
import {
  bytes,
  cdnUrl,
  DEFAULT_CDN_BASE_URL,
  DEFAULT_MAX_MEDIA_BYTES,
  excerpt,
} from "./cdn_url.ts";
import { CdnError } from "./errors.ts";
import { describeHost, fetchAllowed, mediaUrlAllowed, RedirectRefused } from "./cdn_hosts.ts";

/** Options of {@linkcode downloadMedia}. */
export interface DownloadOptions {
  /** CDN base, used when the media has no `fullUrl`; default the real CDN. */
  cdnBaseUrl?: string;
  /** `fetch` to use; defaults to the global one. */
  fetch?: typeof fetch;
  /**
   * The key as 32 hex chars; wins over `media.aesKey`. Pass `ImageInfo.aesKeyHex` for images, as
   * the official client prefers `image_item.aeskey`.
   */
  aesKeyHex?: string;
  /** Largest ciphertext accepted, in bytes; default 100 MiB. */
  maxBytes?: number;
  /** Timeout in ms; default 60 000. */
  timeoutMs?: number;
  /** Called with `(bytesReceived, bytesExpected)`; `bytesExpected` is 0 when unknown. */
  onProgress?: (done: number, total: number) => void;
  /** Aborts the download. */
  signal?: AbortSignal;
  /**
   * Hosts (`cdn.example.com`) or origins (`https://cdn.example.com:8443`) that `media.fullUrl` and
   * redirects may point at, besides `https` on `*.weixin.qq.com` and the origin of `cdnBaseUrl`.
   */
  allowedHosts?: readonly string[];
}

/**
 * Downloads and decrypts one media file.
 *
 * The URL is `media.fullUrl` when it is on an allowed host (`https` on `*.weixin.qq.com`, the
 * origin of `cdnBaseUrl`, or `allowedHosts`), else `<cdn>/download?encrypted_query_param=…`;
 * redirects are followed only to allowed hosts. A `fullUrl` elsewhere is never fetched: a message
 * must not make the bot reach a metadata service or a local port. The key is
 * `aesKeyHex` when given, else `media.aesKey` in any of its encodings (Format A, Format B or bare
 * hex). When neither exists the bytes are returned as they are: the protocol sends images without
 * any key unencrypted.
 *
 * @example Download the image of a received message (here from the embedded sandbox)
 * ```ts
 * import { downloadMedia, ILinkApi, Message } from "@weilink/core/core";
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const qr = await new ILinkApi({ qrBaseUrl: sandbox.baseUrl }).getBotQrcode();
 * const { token } = await sandbox.confirmLogin({ qrcode: qr.qrcode });
 * await sandbox.injectMessage({ image: new Uint8Array([1, 2, 3]) });
 *
 * const api = new ILinkApi({ baseUrl: sandbox.baseUrl, token });
 * const msg = Message.fromWire((await api.getUpdates("")).msgs[0]!);
 * const bytes = await downloadMedia(msg.image!.media, {
 *   aesKeyHex: msg.image!.aesKeyHex, // images carry their key in hex too; it wins
 *   cdnBaseUrl: sandbox.cdnBaseUrl,
 * });
 * console.log(bytes); // Uint8Array(3) [ 1, 2, 3 ]
 * await sandbox.close();
 * ```
 *
 * @throws {TypeError} When the media has neither `fullUrl` nor `encryptQueryParam`.
 * @throws {RangeError} When the media is larger than `maxBytes`.
 * @throws {CdnError} When the CDN answers non-2xx, the connection fails, or the only URL (or a
 *   redirect) is on a host that is not allowed.
 * @throws {AesError} When decryption fails (usually a wrong key).
 */
export async function downloadMedia(
  media: MediaInfo,
  options: DownloadOptions = {},
): Promise<Uint8Array> {
  // Resolve the key first: a malformed key should fail before any traffic.
  const key = options.aesKeyHex
    ? fromHex(options.aesKeyHex)
    : media.aesKey
    ? decodeAesKey(media.aesKey)
    : undefined;
  const base = options.cdnBaseUrl ?? DEFAULT_CDN_BASE_URL;
  const allowed = (url: string) => mediaUrlAllowed(url, base, options.allowedHosts);
  let url: string;
  if (media.fullUrl && allowed(media.fullUrl)) url = media.fullUrl;
  else if (media.encryptQueryParam) {
    url = cdnUrl(base, "download", { encrypted_query_param: media.encryptQueryParam });
  } else if (media.fullUrl) {
    throw new CdnError(
      `Cannot download media: its URL is on ${describeHost(media.fullUrl)}, not an allowed ` +
        'media host (https on *.weixin.qq.com, the CDN base, or "allowedHosts")',
    );
  } else {
    throw new TypeError(
      'Cannot download media: it has neither "fullUrl" nor "encryptQueryParam"',
    );
  }
  const cipher = await fetchCapped(url, options, allowed);
  return key ? decryptAesEcb(cipher, key) : cipher;
}

async function fetchCapped(
  url: string,
  options: DownloadOptions,
  allowed: (url: string) => boolean,
): Promise<Uint8Array> {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_MEDIA_BYTES;
  const timeoutMs = options.timeoutMs ?? 60_000;
  const signal = options.signal;
  signal?.throwIfAborted();
  const controller = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, timeoutMs);
  const onAbort = () => controller.abort(signal?.reason);
  signal?.addEventListener("abort", onAbort, { once: true });
  try {
    const res = await fetchAllowed(doFetch, url, { signal: controller.signal }, allowed);
    if (!res.ok) {
      const text = await res.text();
      const reason = res.headers.get("x-error-message") || excerpt(text);
      throw new CdnError(
        `CDN download failed with HTTP ${res.status}${reason ? `: "${reason}"` : ""}`,
        { status: res.status, retryable: res.status >= 500 },
      );
    }
    const declared = Number(res.headers.get("content-length") ?? "0") || 0;
    if (declared > maxBytes) {
      await res.body?.cancel();
      throw new RangeError(
        `Cannot download media: ${bytes(declared)} exceed the limit of ${bytes(maxBytes)}`,
      );
    }
    return await readCapped(res, maxBytes, declared, options.onProgress);
  } catch (err) {
    if (err instanceof CdnError || err instanceof RangeError) throw err;
    if (err instanceof RedirectRefused) {
      throw new CdnError(`CDN download refused ${err.message}`, { cause: err });
    }
    if (!timedOut && signal?.aborted) throw signal.reason;
    const reason = timedOut
      ? `timed out after ${timeoutMs} ms`
      : err instanceof Error
      ? err.message
      : String(err);
    throw new CdnError(`CDN download request failed: ${reason}`, { retryable: true, cause: err });
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** Reads the body while counting, so a server that lies about (or omits) its length is capped. */
async function readCapped(
  res: Response,
  maxBytes: number,
  declared: number,
  onProgress?: (done: number, total: number) => void,
): Promise<Uint8Array> {
  if (!res.body) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let received = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    received += value.byteLength;
    if (received > maxBytes) {
      await reader.cancel();
      throw new RangeError(
        `Cannot download media: more than ${bytes(maxBytes)} received, the limit`,
      );
    }
    chunks.push(value);
    onProgress?.(received, declared);
  }
  if (chunks.length === 1 && chunks[0]) return chunks[0];
  const out = new Uint8Array(received);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}
