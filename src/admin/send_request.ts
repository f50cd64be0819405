/**
 * The body of `POST /api/send`: JSON with base64 media (the original's form, which its users'
 * scripts send), or `multipart/form-data` with one file, so that a large attachment travels as
 * bytes rather than as base64 text a third larger.
 *
 * Only bytes from the request become media: nothing here can name a local path.
 *
 * @module
 */

import type { SendContent } from "../client/types.ts";
import { fromBase64 } from "../crypto/mod.ts";
import { AdminHttpError } from "./admin_errors.ts";

/** A send, read from the request. */
export interface SendRequest {
  /** Recipient user id. */
  to: string;
  /** What to send. */
  content: SendContent;
}

/** Media fields of the JSON form, which are also the `kind` values of the multipart form. */
export const MEDIA_KINDS = ["image", "voice", "file", "video"] as const;
/** A media kind. */
export type SendKind = typeof MEDIA_KINDS[number];

/**
 * The kind a file is sent as when the request does not say: images and videos as such, anything
 * else as a file. Voice is never guessed: WeChat plays only its own codecs as voice notes.
 */
export function kindOfMime(mime: string): SendKind {
  const type = mime.split(";")[0]!.trim().toLowerCase();
  if (type.startsWith("image/")) return "image";
  if (type.startsWith("video/")) return "video";
  return "file";
}

/**
 * Read the JSON form: `{to, text?, image?, voice?, file?, video? (base64), file_name?, session?}`.
 *
 * @throws {AdminHttpError} 400 for a body that is not a JSON object, a field of the wrong type,
 * invalid base64, or nothing to send.
 */
export function sendRequestFromJson(body: unknown): SendRequest {
  if (typeof body !== "object" || body === null || Array.isArray(body)) {
    throw new AdminHttpError(400, "Invalid JSON body: expected an object");
  }
  const data = body as Record<string, unknown>;
  const to = requiredTo(data.to);
  const content: SendContent = {};
  const text = optionalString(data, "text");
  if (text) content.text = text;
  for (const kind of MEDIA_KINDS) {
    const raw = optionalString(data, kind);
    if (!raw) continue;
    try {
      // Line breaks are allowed: `base64` wraps its output at 76 characters.
      content[kind] = fromBase64(raw.replace(/\s+/g, ""));
    } catch {
      throw new AdminHttpError(400, `Invalid base64 for '${kind}'`);
    }
  }
  const fileName = optionalString(data, "file_name");
  if (fileName) content.fileName = fileName;
  const session = optionalString(data, "session");
  if (session) content.session = session;
  return { to, content: requireSomething(content) };
}

/**
 * Read the multipart form: fields `to`, `text`, `session`, `file_name`, one file in `file`, and
 * `kind` (image, voice, file or video; by default from the file's type).
 *
 * @throws {AdminHttpError} 400 for a missing recipient, an unknown kind, more than one file, or
 * nothing to send.
 */
export function sendRequestFromForm(form: FormData): SendRequest {
  const field = (name: string): string | undefined => {
    const values = form.getAll(name);
    if (values.length > 1) throw new AdminHttpError(400, `Give '${name}' once`);
    const value = values[0];
    if (value === undefined) return undefined;
    if (typeof value !== "string") throw new AdminHttpError(400, `'${name}' must be text`);
    return value;
  };
  const to = requiredTo(field("to"));
  const content: SendContent = {};
  const text = field("text");
  if (text) content.text = text;
  const session = field("session");
  if (session) content.session = session;
  const files = form.getAll("file");
  if (files.length > 1) throw new AdminHttpError(400, "Send one file per request");
  const file = files[0];
  if (file !== undefined) {
    if (typeof file === "string") {
      throw new AdminHttpError(400, "'file' must be a file, not text");
    }
    const kind = field("kind");
    if (kind !== undefined && !(MEDIA_KINDS as readonly string[]).includes(kind)) {
      throw new AdminHttpError(
        400,
        `Invalid kind '${kind}': expected one of ${MEDIA_KINDS.join(", ")}`,
      );
    }
    const chosen = (kind as SendKind | undefined) ?? kindOfMime(file.type);
    if (file.size > 0) {
      content[chosen] = file;
      const fileName = field("file_name") || file.name;
      if (fileName) content.fileName = fileName;
    }
  }
  return { to, content: requireSomething(content) };
}

function requiredTo(value: unknown): string {
  const to = typeof value === "string" ? value.trim() : "";
  if (!to) throw new AdminHttpError(400, "'to' (user ID) is required");
  return to;
}

function optionalString(data: Record<string, unknown>, name: string): string | undefined {
  const value = data[name];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new AdminHttpError(400, `'${name}' must be a string`);
  return value;
}

function requireSomething(content: SendContent): SendContent {
  const media = MEDIA_KINDS.some((kind) => content[kind] !== undefined);
  if (!content.text && !media) {
    throw new AdminHttpError(400, "At least 'text' or a media field is required");
  }
  return content;
}
