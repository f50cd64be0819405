/**
 * Where the data directory is: the one place that knows `WEILINK_HOME`, `~/.weilink` and `~/`.
 * Light on purpose (no other import), so the CLI and the servers can resolve the path without
 * loading the client.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

/**
 * How WeiLink says that Deno did not grant it a permission, everywhere (the SDK and the CLI):
 * which flag, for what, and the flag to add, e.g. `WeiLink needs --allow-read for "/home/me/.weilink"
 * (the data directory): run again with --allow-read=/home/me/.weilink`.
 *
 * @param flag The Deno flag, e.g. `--allow-read`.
 * @param target The path, variable or host the flag must cover, as Deno names it.
 * @param purpose What WeiLink wanted it for, when known.
 * @param grant What to suggest after `flag=` (default `target`), e.g. a list of variables.
 */
export function permissionMessage(
  flag: string,
  target: string,
  purpose?: string,
  grant: string = target,
): string {
  const value = grant.includes(" ") ? `"${grant}"` : grant;
  return `WeiLink needs ${flag} for "${target}"${purpose ? ` (${purpose})` : ""}: ` +
    `run again with ${flag}=${value}`;
}

/**
 * Throws a {@linkcode WeiLinkError} naming the missing flag unless Deno grants `descriptor`.
 * Where Deno would ask (a terminal, no flag given) it asks now; elsewhere the answer is "no"
 * at once, so the first touch of the data directory fails with this message instead of a raw
 * `NotCapable` from deep inside the client.
 */
export function requirePermission(
  descriptor: Deno.ReadPermissionDescriptor | Deno.WritePermissionDescriptor,
  purpose: string,
): void {
  let state = Deno.permissions.querySync(descriptor).state;
  if (state === "prompt") state = Deno.permissions.requestSync(descriptor).state;
  if (state !== "granted") {
    throw new WeiLinkError(
      permissionMessage(`--allow-${descriptor.name}`, String(descriptor.path ?? ""), purpose),
    );
  }
}

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
      // Unset and unreadable look the same through envGet: say which one it is.
      if (Deno.permissions.querySync({ name: "env", variable: "HOME" }).state !== "granted") {
        throw new WeiLinkError(
          'WeiLink needs --allow-env for "WEILINK_HOME" and "HOME" (to find the data directory): ' +
            'run again with --allow-env=WEILINK_HOME,HOME, or set "basePath"',
        );
      }
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
