/**
 * The media inputs `send()` and `upload()` accept, and how they become bytes.
 *
 * @module
 */

import type { MediaBytes } from "../media/mod.ts";
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

/** Bytes read from a local file at a time. */
const FILE_PIECE = 1024 * 1024;

/**
 * A local file as media the pipeline reads in pieces: its size now (so a missing file or one over
 * the limit fails before anything is sent), its bytes only when the upload streams them.
 */
async function fileSource(path: string | URL): Promise<MediaBytes> {
  const info = await Deno.stat(path);
  if (!info.isFile) throw new TypeError(`Cannot read media from "${String(path)}": not a file`);
  return {
    size: info.size,
    stream(): ReadableStream<Uint8Array> {
      let file: Deno.FsFile | undefined;
      const close = () => {
        try {
          file?.close();
        } catch {
          // Already closed.
        }
        file = undefined;
      };
      return new ReadableStream<Uint8Array>({
        async pull(controller) {
          try {
            file ??= await Deno.open(path);
            const piece = new Uint8Array(FILE_PIECE);
            const n = await file.read(piece);
            if (n === null) {
              close();
              controller.close();
            } else {
              controller.enqueue(piece.subarray(0, n));
            }
          } catch (err) {
            close();
            throw err;
          }
        },
        cancel: close,
      });
    },
  };
}

/**
 * Resolve a (non-uploaded) media input for the pipeline: bytes and `Blob`s as they are, streams
 * read into memory, local files as sources read in pieces during the upload.
 */
export async function readMediaInput(
  input: Exclude<MediaInput, UploadedMedia>,
): Promise<MediaBytes> {
  if (input instanceof Uint8Array || input instanceof Blob) return input;
  if (input instanceof URL) {
    if (input.protocol !== "file:") {
      throw new TypeError(`Cannot read media from "${input.protocol}" URL: only file: URLs`);
    }
    return await fileSource(input);
  }
  if (input instanceof ReadableStream) {
    return new Uint8Array(await new Response(input).arrayBuffer());
  }
  if (typeof input === "object" && input !== null && typeof input.path === "string") {
    return await fileSource(input.path);
  }
  throw new TypeError(
    "Invalid media input: expected Uint8Array, Blob, ReadableStream, { path } or a file: URL",
  );
}
