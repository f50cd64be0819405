/**
 * Where the admin panel's token comes from: the `token` option, a token file, or
 * `WEILINK_ADMIN_TOKEN`; checked for strength before anything listens.
 *
 * @module
 */

import { resolveToken } from "../server/token_source.ts";

/** Environment variable read when neither `token` nor `tokenFile` is given. */
export const ADMIN_TOKEN_ENV = "WEILINK_ADMIN_TOKEN";

/** Where to look for the token. */
export interface AdminTokenSource {
  /** The token itself. */
  token?: string;
  /** A file holding the token alone on one line (mode 600). */
  tokenFile?: string;
}

/**
 * The token, or `undefined` when none is configured.
 *
 * @param warn Receives a warning for a token file its group may read.
 * @throws {TypeError} when both `token` and `tokenFile` are given.
 * @throws {WeiLinkError} when the file cannot be read, every user may read it, it is empty, or
 * the token is weak (fewer than 16 printable characters, or whitespace).
 */
export function resolveAdminToken(
  source: AdminTokenSource,
  warn: (line: string) => void,
): Promise<string | undefined> {
  return resolveToken(source, { option: "--admin-token", env: ADMIN_TOKEN_ENV }, warn);
}
