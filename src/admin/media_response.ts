/**
 * The answer of `GET /api/messages/{id}/download`: the media's bytes, with a type that lets the
 * page show images inline and nothing else run, and a file name built by the rules the CLI's
 * `download` uses.
 *
 * Bytes from a message are untrusted: a "file" may be an HTML page. They are served as an
 * attachment with `nosniff` and a sandboxing `Content-Security-Policy`, and never as HTML or
 * SVG, so opening one cannot run script on the panel's origin.
 *
 * @module
 */

import { type Message, MessageType } from "../models/mod.ts";
import { mediaFileName, sniffExtension } from "../input/mod.ts";

/** Types of the extensions `sniffExtension` recognises, for images and voice. */
const SNIFFED_TYPES: Readonly<Record<string, string>> = {
  ".jpg": "image/jpeg",
  ".png": "image/png",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".silk": "audio/silk",
  ".amr": "audio/amr",
  ".mp4": "video/mp4",
};

/** The message type of the item `WeiLink.download` takes: the first one with media. */
export function mediaItemType(message: Message): number {
  const item = message.items.find((i) => i.image || i.voice || i.file || i.video);
  return item?.type ?? message.msgType;
}

/** The media type served for `data` of a message item of `type`. */
export function mediaContentType(type: number, data: Uint8Array): string {
  const sniffed = SNIFFED_TYPES[sniffExtension(data) ?? ""];
  switch (type) {
    case MessageType.IMAGE:
      return sniffed?.startsWith("image/") ? sniffed : "image/jpeg";
    case MessageType.VOICE:
      return sniffed?.startsWith("audio/") ? sniffed : "audio/amr";
    case MessageType.VIDEO:
      return "video/mp4";
    default:
      return "application/octet-stream";
  }
}

/**
 * A `Content-Disposition: attachment` value for `name`: an ASCII `filename` for old clients and,
 * when the name is not plain ASCII, the exact name as RFC 5987 `filename*`.
 */
export function contentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
  if (ascii === name) return `attachment; filename="${name}"`;
  const encoded = encodeURIComponent(name).replace(
    /['()*]/g,
    (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`,
  );
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encoded}`;
}

/** The download response for the media `data` of `message`. */
export function mediaResponse(message: Message, data: Uint8Array<ArrayBuffer>): Response {
  const type = mediaItemType(message);
  const file = message.items.find((i) => i.file)?.file;
  const name = mediaFileName(
    {
      ...(message.messageId ? { messageId: message.messageId } : {}),
      msgType: type,
      ...(file ? { file } : {}),
    },
    data,
  );
  return new Response(data, {
    headers: {
      "content-type": mediaContentType(type, data),
      "content-length": String(data.length),
      "content-disposition": contentDisposition(name),
      "x-content-type-options": "nosniff",
      "content-security-policy": "default-src 'none'; sandbox",
      // A message's media never changes; the chat shows an image again without fetching it.
      "cache-control": "private, max-age=86400",
    },
  });
}
