/**
 * Where the admin panel's token comes from: the `token` option, a token file, or
 * `WEILINK_ADMIN_TOKEN`; checked for strength before anything listens.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";
import { assertStrongToken } from "../server/http_guard.ts";

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
export async function resolveAdminToken(
  source: AdminTokenSource,
  warn: (line: string) => void,
): Promise<string | undefined> {
  if (source.token !== undefined && source.tokenFile !== undefined) {
    throw new TypeError("Give either a token or a token file, not both");
  }
  let token: string | undefined;
  let origin: string;
  if (source.token !== undefined) {
    [token, origin] = [source.token, "the token option (--admin-token)"];
  } else if (source.tokenFile !== undefined) {
    [token, origin] = [await readTokenFile(source.tokenFile, warn), `"${source.tokenFile}"`];
  } else {
    [token, origin] = [readEnv(ADMIN_TOKEN_ENV), ADMIN_TOKEN_ENV];
  }
  if (token !== undefined) assertStrongToken(token, origin);
  return token;
}

/**
 * The token in a file, without one trailing newline. A file every user may read is refused: the
 * token would guard nothing from the other users of the machine.
 */
async function readTokenFile(path: string, warn: (line: string) => void): Promise<string> {
  let text: string;
  let mode: number | null;
  try {
    [text, { mode }] = await Promise.all([Deno.readTextFile(path), Deno.stat(path)]);
  } catch (error) {
    throw new WeiLinkError(`Cannot read the token file "${path}": ${(error as Error).message}`, {
      cause: error,
    });
  }
  // mode is null on Windows, where files have no permission bits.
  if (mode !== null && (mode & 0o004) !== 0) {
    throw new WeiLinkError(
      `Refusing the token file "${path}": every user of this machine can read it ` +
        `(mode ${(mode & 0o777).toString(8)}); run chmod 600 "${path}"`,
    );
  }
  if (mode !== null && (mode & 0o040) !== 0) {
    warn(`Warning: the token file "${path}" is readable by its group; chmod 600 it`);
  }
  const token = text.replace(/\r?\n$/, "");
  if (token === "") throw new WeiLinkError(`Refusing the token file "${path}": it is empty`);
  return token;
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}
