/**
 * Rules for input that comes from outside the program (a remote user, an MCP client, a command
 * line), kept in one place below the CLI, the servers and the admin panel so that they cannot
 * drift apart:
 *
 * - file names taken from messages ({@linkcode sanitizeFileName}, {@linkcode writeUniqueFile}).
 *
 * @example
 * ```ts
 * import { sanitizeFileName } from "./mod.ts";
 * sanitizeFileName("../../.bashrc"); // "bashrc"
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
