/**
 * The media inputs `send()` and `upload()` accept, and how they become bytes.
 *
 * @module
 */

import type { UploadedMedia } from "../models/mod.ts";

/**
 * Media to send: bytes (`Uint8Array`, `Blob`/`File`, a `ReadableStream` of bytes), a local file
 * (`{ path }` or a `file:` `URL`), or a previous {@linkcode UploadedMedia} (sent again without
 * re-uploading). Plain strings are **not** accepted, so text can never be mistaken for a path.
 */
export type MediaInput =
  | Uint8Array
  | Blob
  | ReadableStream<Uint8Array>
  | { path: string }
  | URL
  | UploadedMedia;

/** Whether a value is an {@linkcode UploadedMedia} reference. */
export function isUploadedMedia(value: unknown): value is UploadedMedia {
  return typeof value === "object" && value !== null && "downloadParam" in value &&
    "aesKeyHex" in value && "filekey" in value;
}

/** The file name a path or `File` suggests (last path segment), if any. */
export function suggestedFileName(input: MediaInput): string | undefined {
  if (input instanceof URL) return decodeURIComponent(input.pathname.split("/").pop() ?? "");
  if (typeof File !== "undefined" && input instanceof File) return input.name || undefined;
  if (typeof input === "object" && input !== null && "path" in input) {
    return input.path.replaceAll("\\", "/").split("/").pop() || undefined;
  }
  return undefined;
}

/** Read a (non-uploaded) media input fully into memory. */
export async function readMediaInput(
  input: Exclude<MediaInput, UploadedMedia>,
): Promise<Uint8Array | Blob> {
  if (input instanceof Uint8Array || input instanceof Blob) return input;
  if (input instanceof URL) {
    if (input.protocol !== "file:") {
      throw new TypeError(`Cannot read media from "${input.protocol}" URL: only file: URLs`);
    }
    return await Deno.readFile(input);
  }
  if (input instanceof ReadableStream) {
    return new Uint8Array(await new Response(input).arrayBuffer());
  }
  if (typeof input === "object" && input !== null && typeof input.path === "string") {
    return await Deno.readFile(input.path);
  }
  throw new TypeError(
    "Invalid media input: expected Uint8Array, Blob, ReadableStream, { path } or a file: URL",
  );
}
