/**
 * CDN upload (spec §5.2, §5.4): encrypt with a fresh AES-128 key, reserve a slot with
 * `getuploadurl`, POST the ciphertext, read the download token from `x-encrypted-param`.
 *
 * @module
 */

import { cipherSize, createEcbEncryptStream, createMd5, toHex } from "../crypto/mod.ts";
import type { UploadedMedia } from "../models/mod.ts";
import { UploadMediaType } from "../models/mod.ts";
import type { ILinkApi } from "../protocol/mod.ts";
import {
  bytes,
  cdnUrl,
  DEFAULT_CDN_BASE_URL,
  DEFAULT_MAX_MEDIA_BYTES,
  excerpt,
} from "./cdn_url.ts";
import { CdnError } from "./errors.ts";
import { sleep } from "../protocol/sleep.ts";
import { describeHost, fetchAllowed, mediaUrlAllowed, RedirectRefused } from "./cdn_hosts.ts";

/**
 * Media accepted by the pipeline: bytes in memory, a `Blob`/`File`, or anything else that knows
 * its size up front and can stream its bytes once (the client layer passes local files this way,
 * so they are never read into memory whole).
 */
export type MediaBytes = Uint8Array | Blob | {
  readonly size: number;
  stream(): ReadableStream<Uint8Array>;
};

/** Options of {@linkcode uploadMedia}. */
export interface UploadOptions {
  /** API client of the sending bot (used for `getuploadurl`). */
  api: ILinkApi;
  /** CDN base, e.g. `https://novac2c.cdn.weixin.qq.com/c2c` (the default). */
  cdnBaseUrl?: string;
  /** `fetch` for the CDN request; defaults to the global one. */
  fetch?: typeof fetch;
  /** Recipient user id; uploads are bound to it. */
  to: string;
  /** What the upload is. */
  mediaType: UploadMediaType;
  /** File name, for file uploads; defaults to the name of a `File`. */
  fileName?: string;
  /** Called with `(bytesDone, bytesTotal)` of the ciphertext: once at the start and at the end. */
  onProgress?: (done: number, total: number) => void;
  /** Largest plaintext accepted, in bytes; default 100 MiB. */
  maxBytes?: number;
  /** Timeout of one CDN attempt in ms; default 120 000. */
  timeoutMs?: number;
  /** Delay before the second attempt in ms, doubled before the third; default 1 000. */
  retryDelayMs?: number;
  /** Aborts the upload. */
  signal?: AbortSignal;
  /**
   * Hosts or origins `upload_full_url` and redirects may point at, besides `https` on
   * `*.weixin.qq.com` and the origin of `cdnBaseUrl` (see `downloadMedia`).
   */
  allowedHosts?: readonly string[];
}

const MAX_ATTEMPTS = 3;

/** Plaintext handed to the cipher and the hash at a time when the input is in memory. */
const PIECE = 1024 * 1024;

/** Checks the size limit of media before anything of it is read. */
function mediaSize(data: MediaBytes, maxBytes: number, what: string): number {
  // An empty file is valid media: it encrypts to one block of padding (spec §5.1).
  const size = data instanceof Uint8Array ? data.byteLength : data.size;
  if (size > maxBytes) {
    throw new RangeError(`Cannot ${what}: ${bytes(size)} exceed the limit of ${bytes(maxBytes)}`);
  }
  return size;
}

/** The ciphertext, held as a `Blob`, and the plaintext MD5. */
interface Encrypted {
  cipher: Blob;
  md5: string;
}

/**
 * Reads the plaintext once, hashing and encrypting it piece by piece into `Blob` parts: only a
 * piece is ever on the JavaScript heap, and the ciphertext (the one copy that must exist, as the
 * MD5 is needed before the upload slot) sits in the runtime's blob store. Why a `Blob` and not a
 * `Uint8Array` body: Deno's `fetch` copies a `Uint8Array` body several times (a 200 MiB POST
 * measured 600 MiB above the buffer itself), sends a `Blob` from its parts (≈0.3x above it), and
 * still sends `Content-Length`, which a `ReadableStream` body would replace with chunked encoding
 * the CDN is not known to accept.
 */
async function encryptToBlob(
  data: MediaBytes,
  size: number,
  key: Uint8Array,
  signal: AbortSignal | undefined,
): Promise<Encrypted> {
  const md5 = createMd5();
  const cipher = createEcbEncryptStream(key);
  const parts: Blob[] = [];
  const add = (plain: Uint8Array) => {
    md5.update(plain);
    const out = cipher.update(plain);
    if (out.length > 0) parts.push(new Blob([out as Uint8Array<ArrayBuffer>]));
  };
  try {
    if (data instanceof Uint8Array) {
      for (let off = 0; off < size; off += PIECE) add(data.subarray(off, off + PIECE));
    } else {
      let read = 0;
      const reader = data.stream().getReader();
      try {
        for (;;) {
          signal?.throwIfAborted();
          const { done, value } = await reader.read();
          if (done) break;
          read += value.byteLength;
          if (read > size) break;
          add(value);
        }
      } finally {
        await reader.cancel().catch(() => {});
      }
      if (read !== size) {
        throw new RangeError(
          `Cannot upload media: read ${read > size ? "more than " : ""}${bytes(read)}, ` +
            `expected ${bytes(size)} (did the file change while it was read?)`,
        );
      }
    }
    parts.push(new Blob([cipher.final() as Uint8Array<ArrayBuffer>]));
  } finally {
    cipher.cancel();
  }
  return { cipher: new Blob(parts), md5: md5.digestHex() };
}

/**
 * Encrypts and uploads one media file to the CDN.
 *
 * A fresh random key and file key are used per upload. The CDN POST is tried up to 3 times with
 * backoff on HTTP 5xx, a 200 without `x-encrypted-param`, or a network failure; a 4xx is final
 * and its `x-error-message` (else the body) is reported.
 *
 * @example Upload a file and send it (here to the embedded sandbox)
 * ```ts
 * import { ILinkApi, mediaItemFor, uploadMedia, UploadMediaType } from "@weilink/core/core";
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * const qr = await new ILinkApi({ qrBaseUrl: sandbox.baseUrl }).getBotQrcode();
 * const { token, userId } = await sandbox.confirmLogin({ qrcode: qr.qrcode });
 * const { contextToken } = await sandbox.injectMessage({ text: "send me the report" });
 *
 * const api = new ILinkApi({ baseUrl: sandbox.baseUrl, token });
 * const uploaded = await uploadMedia(new TextEncoder().encode("quarterly numbers"), {
 *   api,
 *   cdnBaseUrl: sandbox.cdnBaseUrl, // default: the real CDN
 *   to: userId,
 *   mediaType: UploadMediaType.FILE,
 *   fileName: "report.txt",
 * });
 * await api.sendMessage({
 *   to_user_id: userId,
 *   context_token: contextToken,
 *   item_list: [mediaItemFor(uploaded)],
 * });
 * console.log((await sandbox.sent())[0]?.fileName); // "report.txt"
 * await sandbox.close();
 * ```
 *
 * @throws {RangeError} When the data is larger than `maxBytes`.
 * @throws {CdnError} When the CDN rejects the upload or every attempt failed.
 * @throws {ILinkError} When `getuploadurl` is refused.
 */
export async function uploadMedia(
  data: MediaBytes,
  options: UploadOptions,
): Promise<UploadedMedia> {
  if (!(options.mediaType in UploadMediaType)) {
    throw new RangeError(`Cannot upload media: unknown media type "${options.mediaType}"`);
  }
  const size = mediaSize(data, options.maxBytes ?? DEFAULT_MAX_MEDIA_BYTES, "upload media");
  const fileName = options.fileName ??
    (typeof File !== "undefined" && data instanceof File ? data.name : "");

  const key = crypto.getRandomValues(new Uint8Array(16));
  const aesKeyHex = toHex(key);
  const filekey = toHex(crypto.getRandomValues(new Uint8Array(16)));
  const encryptedSize = cipherSize(size);
  const { cipher, md5 } = await encryptToBlob(data, size, key, options.signal);

  const slot = await options.api.getUploadUrl({
    filekey,
    media_type: options.mediaType,
    to_user_id: options.to,
    rawsize: size,
    rawfilemd5: md5,
    filesize: encryptedSize,
    no_need_thumb: true,
    aeskey: aesKeyHex,
  });
  const base = options.cdnBaseUrl ?? DEFAULT_CDN_BASE_URL;
  const allowed = (url: string) => mediaUrlAllowed(url, base, options.allowedHosts);
  let url: string;
  if (slot.upload_full_url && allowed(slot.upload_full_url)) url = slot.upload_full_url;
  else if (slot.upload_param) {
    url = cdnUrl(base, "upload", { encrypted_query_param: slot.upload_param, filekey });
  } else {
    throw new CdnError(
      `Cannot upload media: the upload URL is on ${
        describeHost(slot.upload_full_url ?? "")
      }, not an allowed media host`,
    );
  }

  options.onProgress?.(0, cipher.size);
  const downloadParam = await postWithRetry(url, cipher, options, allowed);
  options.onProgress?.(cipher.size, cipher.size);

  return {
    mediaType: options.mediaType,
    filekey,
    downloadParam,
    aesKeyHex,
    fileSize: size,
    cipherSize: encryptedSize,
    fileName,
  };
}

async function postWithRetry(
  url: string,
  cipher: Blob,
  options: UploadOptions,
  allowed: (url: string) => boolean,
): Promise<string> {
  const doFetch = options.fetch ?? ((input, init) => fetch(input, init));
  const timeoutMs = options.timeoutMs ?? 120_000;
  let delay = options.retryDelayMs ?? 1_000;
  let last: CdnError | undefined;
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    if (attempt > 1) {
      await sleep(delay, options.signal);
      delay *= 2;
    }
    options.signal?.throwIfAborted();
    const controller = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      controller.abort();
    }, timeoutMs);
    const onAbort = () => controller.abort(options.signal?.reason);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    try {
      const res = await fetchAllowed(doFetch, url, {
        method: "POST",
        headers: { "Content-Type": "application/octet-stream" },
        body: cipher,
        signal: controller.signal,
      }, allowed);
      const text = await res.text();
      const param = res.headers.get("x-encrypted-param");
      if (res.status === 200 && param) return param;
      const reason = res.headers.get("x-error-message") || excerpt(text);
      const detail = `HTTP ${res.status}${reason ? `: "${reason}"` : ""}`;
      if (res.status >= 400 && res.status < 500) {
        throw new CdnError(`CDN upload rejected with ${detail}`, { status: res.status });
      }
      last = new CdnError(
        res.status === 200
          ? 'CDN upload answered HTTP 200 without an "x-encrypted-param" header'
          : `CDN upload failed with ${detail}`,
        { status: res.status, retryable: true },
      );
    } catch (err) {
      if (err instanceof CdnError) throw err;
      if (err instanceof RedirectRefused) {
        throw new CdnError(`CDN upload refused ${err.message}`, { cause: err });
      }
      if (!timedOut && options.signal?.aborted) throw options.signal.reason;
      const reason = timedOut
        ? `timed out after ${timeoutMs} ms`
        : err instanceof Error
        ? err.message
        : String(err);
      last = new CdnError(`CDN upload request failed: ${reason}`, { retryable: true, cause: err });
    } finally {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    }
  }
  throw new CdnError(`CDN upload failed after ${MAX_ATTEMPTS} attempts: ${last?.message}`, {
    ...(last?.status === undefined ? {} : { status: last.status }),
    retryable: true,
    cause: last,
  });
}
