/**
 * Rules for input that comes from outside the program (a remote user, an MCP client, a command
 * line), kept in one place below the CLI, the servers and the admin panel so that they cannot
 * drift apart:
 *
 * - file names taken from messages ({@linkcode sanitizeFileName}, {@linkcode writeUniqueFile});
 * - points in time such as `2h` or `2026-03-30` ({@linkcode parseTime});
 * - which local files a server may read and write ({@linkcode FileAccessPolicy}).
 *
 * @example
 * ```ts
 * import { parseTime, sanitizeFileName } from "./mod.ts";
 * sanitizeFileName("../../.bashrc"); // "bashrc"
 * parseTime("7d", "--since") < Date.now(); // true
 * ```
 *
 * @module
 */

export {
  createUniqueFile,
  MAX_FILE_NAME_BYTES,
  mediaFileName,
  numberedName,
  sanitizeFileName,
  sniffExtension,
  splitExtension,
  writeUniqueFile,
} from "./file_name.ts";
export { MAX_TIME_MS, MIN_TIME_MS, parseTime, TIME_FORMS, TimeSpecError } from "./time_spec.ts";
export {
  type FileAccessCode,
  FileAccessError,
  type FileAccessOptions,
  FileAccessPolicy,
  MAX_MEDIA_BYTES,
  type MediaKind,
} from "./file_access.ts";
