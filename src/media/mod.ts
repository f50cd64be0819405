/**
 * The CDN media pipeline: encrypted upload, download with decryption, and the `sendmessage` item
 * that references an upload. Runtime-agnostic: only `fetch` and web-standard crypto are used.
 *
 * See `uploadMedia` and `downloadMedia` for examples; the layer is public as `@weilink/core/core`.
 *
 * @module
 */

export { DEFAULT_CDN_BASE_URL, DEFAULT_MAX_MEDIA_BYTES } from "./cdn_url.ts";
export { downloadMedia, type DownloadOptions } from "./download.ts";
export { CdnError, type CdnErrorOptions } from "./errors.ts";
export { mediaItemFor } from "./media_item.ts";
export { type MediaBytes, uploadMedia, type UploadOptions } from "./upload.ts";
