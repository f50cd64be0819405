/**
 * CDN download (spec §5.3): fetch the ciphertext, then decrypt it with the message's key; either
 * whole in memory, or piece by piece into a `WritableStream` as it arrives.
 *
 * @module
 */

import {
  AesError,
  createMd5,
  decodeAesKey,
  decryptAesEcb,
  EcbInPlaceDecipher,
  fromHex,
} from "../crypto/mod.ts";
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
   * Where to write the plaintext as it arrives, instead of returning it: only a piece (about the
   * size of one network read) is held at a time. The stream is closed when everything was
   * written and aborted on any failure, so a sink that renames on close never publishes a partial
   * file. The result is then `{ bytes, md5 }`: the plaintext bytes written and their lowercase hex
   * MD5, computed on the way (files and videos announce one to compare with).
   */
  into?: WritableStream<Uint8Array>;
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
 * With `into`, the ciphertext is decrypted piece by piece as the CDN sends it and written to that
 * stream, so memory stays flat whatever the size; the result is the byte count and MD5. The
 * limits, timeout, hosts and errors are the same as for the in-memory download.
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
export function downloadMedia(
  media: MediaInfo,
  options: DownloadOptions & { into: WritableStream<Uint8Array> },
): Promise<{ bytes: number; md5: string }>;
/**
 * Downloads and decrypts one media file into memory; see the overload with `into` to stream it.
 *
 * @throws {TypeError} When the media has neither `fullUrl` nor `encryptQueryParam`.
 * @throws {RangeError} When the media is larger than `maxBytes`.
 * @throws {CdnError} When the CDN answers non-2xx, the connection fails, or the URL is refused.
 * @throws {AesError} When decryption fails (usually a wrong key).
 */
export function downloadMedia(media: MediaInfo, options?: DownloadOptions): Promise<Uint8Array>;
export async function downloadMedia(
  media: MediaInfo,
  options: DownloadOptions & { into?: WritableStream<Uint8Array> } = {},
): Promise<Uint8Array | StreamedMedia> {
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
  if (options.into) {
    const into = options.into;
    return await fetchCapped(
      url,
      options,
      allowed,
      (res, maxBytes, declared) => streamCapped(res, maxBytes, declared, into, key, options),
    );
  }
  const cipher = await fetchCapped(
    url,
    options,
    allowed,
    (res, maxBytes, declared) => readCapped(res, maxBytes, declared, options.onProgress),
  );
  return key ? decryptAesEcb(cipher, key) : cipher;
}

/** Reads an answer's body once its status and declared length are accepted. */
type BodyReader<T> = (res: Response, maxBytes: number, declared: number) => Promise<T>;

/**
 * Fetches `url` under the timeout and `signal`, checks the status and the declared length, and
 * hands the body to `read`. The timeout covers reading the body too.
 */
async function fetchCapped<T>(
  url: string,
  options: DownloadOptions,
  allowed: (url: string) => boolean,
  read: BodyReader<T>,
): Promise<T> {
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
    return await read(res, maxBytes, declared);
  } catch (err) {
    if (err instanceof CdnError || err instanceof RangeError || err instanceof AesError) throw err;
    if (err instanceof SinkFailed) throw err.cause;
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

/** What a download streamed with `into` wrote. */
interface StreamedMedia {
  bytes: number;
  md5: string;
}

/** A failure of the caller's sink: reported as it is, not as a CDN failure. */
class SinkFailed extends Error {
  constructor(cause: unknown) {
    super("The download sink failed", { cause });
  }
}

/** Ciphertext read (and decrypted in place) at a time by a streamed download. */
const PIECE = 256 * 1024;

/**
 * Fills `buf` from `at` on from the body; resolves the bytes added (0 at the end). A BYOB reader
 * reads straight into `buf`, so no buffer is allocated per read; a body that is not a byte stream
 * (e.g. from an injected `fetch`) is copied in.
 */
type Fill = (
  buf: Uint8Array<ArrayBuffer>,
  at: number,
) => Promise<{ n: number; buf: Uint8Array<ArrayBuffer> }>;

function bodyFiller(body: ReadableStream<Uint8Array>): { fill: Fill; cancel(): Promise<void> } {
  let byob: ReadableStreamBYOBReader | undefined;
  try {
    byob = body.getReader({ mode: "byob" });
  } catch {
    // Not a byte stream: read pieces and copy them.
  }
  if (byob) {
    const reader = byob;
    return {
      async fill(buf, at) {
        const { done, value } = await reader.read(buf.subarray(at));
        // The read transfers `buf`'s memory to `value`: the same bytes, under a new view.
        const next = value ? new Uint8Array(value.buffer) : buf;
        return { n: done ? 0 : value!.length, buf: next };
      },
      cancel: () => reader.cancel().catch(() => {}),
    };
  }
  const reader = body.getReader();
  let rest: Uint8Array | undefined;
  return {
    async fill(buf, at) {
      while (!rest || rest.length === 0) {
        const { done, value } = await reader.read();
        if (done) return { n: 0, buf };
        rest = value;
      }
      const n = Math.min(rest.length, buf.length - at);
      buf.set(rest.subarray(0, n), at);
      rest = rest.subarray(n);
      return { n, buf };
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}

/**
 * Decrypts the body piece by piece into `into`, hashing the plaintext. One buffer is reused for
 * every piece: the ciphertext is read into it, decrypted in place (see `EcbInPlaceDecipher` for
 * why not natively) and written out before the next read. The last whole block stays at its
 * head until the end, as it holds the padding. Any failure aborts `into` (with the error as
 * reason) before it is thrown; success closes it.
 */
async function streamCapped(
  res: Response,
  maxBytes: number,
  declared: number,
  into: WritableStream<Uint8Array>,
  key: Uint8Array | undefined,
  options: DownloadOptions,
): Promise<StreamedMedia> {
  const writer = into.getWriter();
  const decipher = key ? new EcbInPlaceDecipher(key) : undefined;
  const md5 = createMd5();
  let written = 0;
  const write = async (plain: Uint8Array) => {
    if (plain.length === 0) return;
    md5.update(plain);
    written += plain.length;
    try {
      await writer.write(plain);
    } catch (err) {
      throw new SinkFailed(err);
    }
  };
  const body = res.body ? bodyFiller(res.body) : undefined;
  try {
    let buf = new Uint8Array(PIECE);
    let held = 0;
    let received = 0;
    for (;;) {
      if (!body) break;
      const read = await body.fill(buf, held);
      buf = read.buf;
      if (read.n === 0) break;
      received += read.n;
      if (received > maxBytes) {
        throw new RangeError(
          `Cannot download media: more than ${bytes(maxBytes)} received, the limit`,
        );
      }
      const have = held + read.n;
      if (!decipher) {
        await write(buf.subarray(0, have));
        held = 0;
      } else {
        // Whole blocks go out, except the last one (it may be the padding block).
        const keep = have % 16 || 16;
        const ready = have - keep;
        decipher.blocks(buf.subarray(0, ready));
        await write(buf.subarray(0, ready));
        buf.copyWithin(0, ready, have);
        held = keep;
      }
      options.onProgress?.(received, declared);
    }
    if (decipher) await write(decipher.last(buf.subarray(0, 16), received));
    try {
      await writer.close();
    } catch (err) {
      throw new SinkFailed(err);
    }
    return { bytes: written, md5: md5.digestHex() };
  } catch (err) {
    decipher?.cancel();
    await body?.cancel();
    await writer.abort(err instanceof SinkFailed ? err.cause : err).catch(() => {});
    throw err;
  } finally {
    writer.releaseLock();
  }
}
