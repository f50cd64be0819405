/**
 * Safe local file names for media saved from messages: the one set of rules used by the CLI's
 * `download`, the servers' `download` tool and the admin panel.
 *
 * A file name inside an inbound message is chosen by whoever sent it. Used as
 * is, `../../.bashrc` or `C:\Windows\win.ini` would write outside the download
 * folder (the original CLI did exactly that), a right-to-left override could
 * disguise `exe` as `pdf`, and `CON` cannot be created on Windows. This module
 * turns any such string into a single plain file name, and picks a free name
 * in the target folder without ever overwriting an existing file.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/** Longest file name most file systems accept, in UTF-8 bytes. */
export const MAX_FILE_NAME_BYTES = 255;

const encoder = new TextEncoder();

// Names Windows reserves in every folder, with or without an extension.
const WINDOWS_RESERVED = /^(con|prn|aux|nul|clock\$|conin\$|conout\$|com[0-9¹²³]|lpt[0-9¹²³])$/i;

/**
 * C0/C1 control characters, and format characters that change how a name
 * is displayed without being visible (bidi overrides and isolates,
 * zero-width characters, BOM).
 */
const INVISIBLE =
  // deno-lint-ignore no-control-regex
  /[\u0000-\u001f\u007f-\u009f\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb]/g;

// Characters that are path separators or invalid in file names on Windows.
const FORBIDDEN = /[<>:"/\\|?*]/g;

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** Cuts `text` to at most `maxBytes` UTF-8 bytes without splitting a character. */
function truncateBytes(text: string, maxBytes: number): string {
  if (byteLength(text) <= maxBytes) return text;
  let out = "";
  let used = 0;
  for (const char of text) {
    const size = byteLength(char);
    if (used + size > maxBytes) break;
    out += char;
    used += size;
  }
  return out;
}

/** Splits `name` into stem and extension (with its dot); dotfiles have no extension. */
export function splitExtension(name: string): [stem: string, extension: string] {
  const dot = name.lastIndexOf(".");
  if (dot <= 0 || dot === name.length - 1) return [name, ""];
  return [name.slice(0, dot), name.slice(dot)];
}

/**
 * Turns an untrusted file name into a safe single path component.
 *
 * - only the last path segment is kept (both `/` and `\` count as separators);
 * - control and invisible formatting characters are removed, characters that
 *   Windows forbids become `_`;
 * - leading dots and spaces are removed (no `..`, no hidden files), and so are
 *   trailing dots and spaces (Windows drops them silently);
 * - reserved device names (`CON`, `nul.txt`, `COM1`…) get a `_` prefix;
 * - the result is cut to 255 UTF-8 bytes, keeping the extension;
 * - an empty result becomes `fallback` (itself sanitised).
 *
 * @example
 * ```ts
 * import { sanitizeFileName } from "./file_name.ts";
 * sanitizeFileName("../../etc/passwd", "file.bin"); // "passwd"
 * sanitizeFileName("..", "file.bin"); // "file.bin"
 * ```
 */
export function sanitizeFileName(name: string, fallback = "file"): string {
  const cleaned = cleanName(name);
  if (cleaned !== "") return cleaned;
  const fallbackCleaned = cleanName(fallback);
  return fallbackCleaned === "" ? "file" : fallbackCleaned;
}

function cleanName(raw: string): string {
  let name = raw.normalize("NFC").replace(INVISIBLE, "");
  // Keep the last non-empty segment: "a/b/c.txt" → "c.txt", "dir/" → "dir".
  const segments = name.split(/[/\\]+/).filter((s) => s.trim() !== "");
  name = segments.at(-1) ?? "";
  name = name.replace(FORBIDDEN, "_");
  name = name.replace(/^[\s.]+/u, "").replace(/[\s.]+$/u, "");
  if (name === "") return "";
  // Windows reserves the device name whatever follows the first dot ("nul.tar.gz").
  const firstPart = name.split(".")[0] ?? "";
  if (WINDOWS_RESERVED.test(firstPart.trimEnd())) name = `_${name}`;
  return fitLength(name);
}

/** Cuts a name to {@linkcode MAX_FILE_NAME_BYTES}, shortening the stem first. */
function fitLength(name: string, maxBytes = MAX_FILE_NAME_BYTES): string {
  if (byteLength(name) <= maxBytes) return name;
  const [stem, extension] = splitExtension(name);
  // An absurdly long "extension" is not one worth keeping.
  if (byteLength(extension) > 32) return truncateBytes(name, maxBytes);
  const cut = truncateBytes(stem, maxBytes - byteLength(extension)).replace(/[\s.]+$/u, "");
  return (cut === "" ? "_" : cut) + extension;
}

/** `stem (n).ext`, shortening the stem so the number always survives the length limit. */
export function numberedName(stem: string, extension: string, n: number): string {
  const suffix = ` (${n})`;
  const room = MAX_FILE_NAME_BYTES - byteLength(suffix) - byteLength(extension);
  if (room < 1) {
    return truncateBytes(stem + extension, MAX_FILE_NAME_BYTES - byteLength(suffix)) + suffix;
  }
  return truncateBytes(stem, room) + suffix + extension;
}

/**
 * Creates a new file named `name` in `dir` without overwriting anything: when
 * the name is taken, tries `stem (1).ext`, `stem (2).ext`, …. Creation uses
 * `createNew` (`O_CREAT|O_EXCL`), so two processes racing for one name cannot
 * both get it, and a symbolic link planted under the name is never followed.
 *
 * @param name A name already passed through {@linkcode sanitizeFileName}.
 * @returns the open file (caller closes it) and its path.
 * @throws {TypeError} when `name` is not a sanitised single path component.
 */
export async function createUniqueFile(
  dir: string,
  name: string,
  maxAttempts = 10_000,
): Promise<{ file: Deno.FsFile; path: string }> {
  if (name !== sanitizeFileName(name, "")) {
    throw new TypeError(`Cannot create '${name}': not a sanitised file name`);
  }
  const [stem, extension] = splitExtension(name);
  const separator = Deno.build.os === "windows" ? "\\" : "/";
  const base = dir.endsWith("/") || dir.endsWith(separator) ? dir : dir + separator;
  for (let n = 0; n < maxAttempts; n++) {
    const candidate = n === 0 ? name : numberedName(stem, extension, n);
    const path = base + candidate;
    try {
      const file = await Deno.open(path, { write: true, createNew: true, mode: 0o644 });
      return { file, path };
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
  }
  throw new WeiLinkError(
    `Cannot save '${name}' in '${dir}': ${maxAttempts} names are already taken`,
  );
}

/**
 * Writes `data` to a new file in `dir` named after `name` (see
 * {@linkcode createUniqueFile}); a partly written file is removed on failure.
 *
 * @returns the path of the new file.
 *
 * @example
 * ```ts
 * import { writeUniqueFile } from "./file_name.ts";
 * const dir = await Deno.makeTempDir();
 * const first = await writeUniqueFile(dir, "a.txt", new TextEncoder().encode("one"));
 * const second = await writeUniqueFile(dir, "a.txt", new TextEncoder().encode("two"));
 * console.log(first.endsWith("/a.txt"), second.endsWith("/a (1).txt")); // true true
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeUniqueFile(
  dir: string,
  name: string,
  data: Uint8Array,
): Promise<string> {
  const { file, path } = await createUniqueFile(dir, name);
  try {
    // FsFile.write may write less than asked: loop until everything is on disk.
    let written = 0;
    while (written < data.length) written += await file.write(data.subarray(written));
  } catch (error) {
    file.close();
    await Deno.remove(path).catch(() => {});
    throw error;
  }
  file.close();
  return path;
}

/** Extensions by message type when a message carries no file name (as the original). */
const TYPE_EXTENSIONS: Readonly<Record<number, string>> = { 2: ".jpg", 3: ".amr", 5: ".mp4" };

/** Recognises a few common formats from their first bytes. */
export function sniffExtension(data: Uint8Array): string | undefined {
  const ascii = (offset: number, text: string) =>
    [...text].every((c, i) => data[offset + i] === c.charCodeAt(0));
  if (data[0] === 0xff && data[1] === 0xd8 && data[2] === 0xff) return ".jpg";
  if (data[0] === 0x89 && ascii(1, "PNG")) return ".png";
  if (ascii(0, "GIF8")) return ".gif";
  if (ascii(0, "RIFF") && ascii(8, "WEBP")) return ".webp";
  if (ascii(4, "ftyp")) return ".mp4";
  if (ascii(0, "#!SILK") || ascii(1, "#!SILK")) return ".silk";
  if (ascii(0, "#!AMR")) return ".amr";
  if (ascii(0, "%PDF")) return ".pdf";
  return undefined;
}

/**
 * The local name for media downloaded from a message: the message's own file
 * name, sanitised, when it has one; otherwise `<message id><extension>`, the
 * extension guessed from the content or, failing that, the message type.
 */
export function mediaFileName(
  message: { messageId?: string; msgType: number; file?: { fileName: string } },
  data: Uint8Array,
): string {
  const id = message.messageId ?? "media";
  const extension = sniffExtension(data) ?? TYPE_EXTENSIONS[message.msgType] ?? ".bin";
  const fallback = `${id}${extension}`;
  const fileName = message.file?.fileName;
  return fileName ? sanitizeFileName(fileName, fallback) : sanitizeFileName(fallback);
}
