/**
 * Where a server's bearer token comes from: the token itself, a token file, or an environment
 * variable, checked for strength before anything listens. The MCP/OpenAPI servers and the admin
 * panel share these rules.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";
import { envGet } from "../client/paths.ts";
import { assertStrongToken } from "./http_guard.ts";

/** Where to look for a token; an empty `token` counts as none. */
export interface TokenSource {
  /** The token itself. */
  token?: string | undefined;
  /** A file holding the token alone on one line (mode 600). */
  tokenFile?: string | undefined;
}

/** How the sources are named in errors, and the variable read when neither is given. */
export interface TokenNames {
  /** The option that carries the token, as users write it, e.g. `--token`. */
  option: string;
  /** The environment variable read when neither `token` nor `tokenFile` is given. */
  env: string;
}

/**
 * The token, or `undefined` when none is configured.
 *
 * @param warn Receives a warning for a token file its group may read.
 * @throws {TypeError} when both `token` and `tokenFile` are given.
 * @throws {WeiLinkError} when the file cannot be read, every user may read it, it is empty, or
 * the token is weak (fewer than 16 printable characters, or whitespace).
 */
export async function resolveToken(
  source: TokenSource,
  names: TokenNames,
  warn: (line: string) => void,
): Promise<string | undefined> {
  if (source.token && source.tokenFile) {
    throw new TypeError("Give either a token or a token file, not both");
  }
  let token: string | undefined;
  let origin: string;
  if (source.token) {
    [token, origin] = [source.token, `the token option (${names.option})`];
  } else if (source.tokenFile) {
    [token, origin] = [await readTokenFile(source.tokenFile, warn), `"${source.tokenFile}"`];
  } else {
    [token, origin] = [envGet(names.env), names.env];
  }
  if (token !== undefined) assertStrongToken(token, origin);
  return token;
}

/**
 * The token in a file, without one trailing newline (as editors and `echo` write). A file every
 * user may read is refused: the token would guard nothing from the other users of the machine.
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
