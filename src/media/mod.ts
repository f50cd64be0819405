/**
 * The CDN media pipeline: encrypted upload, download with decryption, and the `sendmessage` item
 * that references an upload. Runtime-agnostic: only `fetch` and web-standard crypto are used.
 *
 * @example Send an image
 * ```ts ignore
 * import { mediaItemFor, uploadMedia } from "./mod.ts";
 * import { ILinkApi } from "../protocol/mod.ts";
 * import { UploadMediaType } from "../models.ts";
 *
 * const api = new ILinkApi({ baseUrl, token });
 * const uploaded = await uploadMedia(png, { api, to: userId, mediaType: UploadMediaType.IMAGE });
 * await api.sendMessage({
 *   to_user_id: userId,
 *   context_token: contextToken,
 *   item_list: [mediaItemFor(uploaded)],
 * });
 * ```
 *
 * @module
 */

export { DEFAULT_CDN_BASE_URL, DEFAULT_MAX_MEDIA_BYTES } from "./cdn_url.ts";
export { downloadMedia, type DownloadOptions } from "./download.ts";
export { CdnError, type CdnErrorOptions } from "./errors.ts";
export { mediaItemFor } from "./media_item.ts";
export { type MediaBytes, uploadMedia, type UploadOptions } from "./upload.ts";
