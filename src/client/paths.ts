/**
 * Where the data directory is: the one place that knows `WEILINK_HOME`, `~/.weilink` and `~/`.
 * Light on purpose (no other import), so the CLI and the servers can resolve the path without
 * loading the client.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/** Read an environment variable, treating a missing permission as "unset". */
export function envGet(name: string): string | undefined {
  try {
    return Deno.env.get(name) || undefined;
  } catch {
    return undefined;
  }
}

/** The user's home folder (`HOME`, or `USERPROFILE` on Windows), if known. */
export function homeDirectory(): string | undefined {
  return envGet("HOME") ?? envGet("USERPROFILE");
}

/** Join path segments with `/` (accepted on every platform Deno runs on). */
export function joinPath(...parts: string[]): string {
  return parts
    .filter((p) => p !== "")
    .map((p, i) => (i === 0 ? p.replace(/\/+$/, "") || "/" : p.replace(/^\/+|\/+$/g, "")))
    .join("/")
    .replace(/^\/\//, "/");
}

/**
 * The absolute data directory: `basePath` when given, else `WEILINK_HOME`, else `~/.weilink`
 * (shared with the Python original). A leading `~/` means the home folder; a relative path is
 * taken from the working directory.
 *
 * @throws {Error} When no path is given and the home folder is unknown.
 */
export function resolveBasePath(basePath?: string): string {
  let path = basePath || envGet("WEILINK_HOME");
  if (!path) {
    const home = homeDirectory();
    if (!home) {
      throw new WeiLinkError(
        'Cannot locate the data directory: set "basePath", WEILINK_HOME or HOME',
      );
    }
    path = joinPath(home, ".weilink");
  }
  path = path.replaceAll("\\", "/");
  if (path.startsWith("~/")) path = joinPath(homeDirectory() ?? "", path.slice(2));
  if (!path.startsWith("/") && !/^[A-Za-z]:\//.test(path)) {
    path = joinPath(Deno.cwd().replaceAll("\\", "/"), path);
  }
  return path.length > 1 ? path.replace(/\/+$/, "") : path;
}
