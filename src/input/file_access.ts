/**
 * Which local files a server may read (to send them) and where it may write (downloads).
 *
 * An MCP or REST client names local paths: `send` reads `file_path`, `download` writes into
 * `save_dir`. Without a rule, any client (or a web page reaching the server, or a prompt-injected
 * agent) could send `~/.ssh/id_ed25519` to a WeChat user, make the server read `/dev/zero` until
 * it runs out of memory, hang it on a FIFO, or write `~/.ssh/authorized_keys`. The rules:
 *
 * - **Roots.** Reads are allowed under the read roots, writes under the write roots. By default
 *   the read roots are `<data dir>/downloads` and the working directory, the write root is
 *   `<data dir>/downloads`. Roots given explicitly (`--allow-read`, `--allow-write`) replace the
 *   working directory; `<data dir>/downloads` stays in both lists, so a downloaded file can always
 *   be sent on. The working directory is left out when it is `/` or the home directory: an MCP
 *   client often starts the server there, and that would open every file of the user.
 * - **Credentials stay private.** Nothing in the data directory outside `downloads/` (bot tokens,
 *   context tokens, the message database) may be read or written, whatever the roots.
 * - **Real paths.** Paths are resolved (relative to the working directory, symbolic links
 *   followed) before the containment check, so neither `../` nor a link leads out of a root.
 * - **Regular files only, of bounded size.** Devices, FIFOs, sockets and folders are refused;
 *   each media kind has a size cap ({@linkcode MAX_MEDIA_BYTES}, 100 MiB: the protocol's media
 *   limit). The file is opened non-blocking and without following links, then checked again on
 *   the open handle, so a path swapped for a FIFO or a link after the first check neither hangs
 *   the server nor leads elsewhere.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

import type { promises as fsPromises } from "node:fs";

/** The kinds of media a file may be sent as. */
export type MediaKind = "image" | "file" | "video" | "voice";

/** 100 MiB: the media limit of the iLink protocol (the official client's cap, spec §5.3). */
const PROTOCOL_MEDIA_LIMIT = 100 * 1024 * 1024;

/**
 * Largest file accepted per media kind, in bytes. Every kind is capped at 100 MiB, the media
 * limit of the iLink protocol; no smaller limit per kind is documented. (The media layer's
 * `DEFAULT_MAX_MEDIA_BYTES` is the same value; a test keeps them equal. It is not imported so
 * that this module stays cheap to load for the CLI and the stdio server.)
 */
export const MAX_MEDIA_BYTES: Readonly<Record<MediaKind, number>> = {
  image: PROTOCOL_MEDIA_LIMIT,
  file: PROTOCOL_MEDIA_LIMIT,
  video: PROTOCOL_MEDIA_LIMIT,
  voice: PROTOCOL_MEDIA_LIMIT,
};

/** Why a file access was refused. */
export type FileAccessCode = "forbidden" | "not_found" | "not_a_file" | "too_large" | "unreadable";

/** A refused file access; the message names the rule and how to widen it. */
export class FileAccessError extends WeiLinkError {
  /** Why it was refused. */
  readonly code: FileAccessCode;

  /**
   * Create the error.
   *
   * @param code Why it was refused.
   * @param message What failed and what to do.
   */
  constructor(code: FileAccessCode, message: string) {
    super(message);
    this.name = "FileAccessError";
    this.code = code;
  }
}

/** Options of {@linkcode FileAccessPolicy}. */
export interface FileAccessOptions {
  /** The data directory (absolute). Its `downloads/` folder is always readable and writable. */
  dataDir: string;
  /** Read roots replacing the working directory (relative paths: to `cwd`). */
  allowRead?: readonly string[];
  /** Extra write roots (relative paths: to `cwd`). */
  allowWrite?: readonly string[];
  /** The working directory (default `Deno.cwd()`). */
  cwd?: string;
  /** The user's home directory (default env `HOME`/`USERPROFILE`). */
  home?: string;
}

const WINDOWS = Deno.build.os === "windows";

/**
 * The file-access rules of one server.
 *
 * @example
 * ```ts
 * import { FileAccessPolicy } from "./file_access.ts";
 * const dataDir = await Deno.makeTempDir();
 * const policy = new FileAccessPolicy({ dataDir, cwd: dataDir });
 * await policy.readFile(`${dataDir}/../../etc/passwd`, "file").catch((e) => console.log(e.code));
 * // forbidden
 * await Deno.remove(dataDir, { recursive: true });
 * ```
 */
export class FileAccessPolicy {
  /** Folder where downloads go by default (`<data dir>/downloads`). */
  readonly downloadDir: string;
  /** Read roots as configured (absolute, not yet resolved). */
  readonly readRoots: readonly string[];
  /** Write roots as configured (absolute, not yet resolved). */
  readonly writeRoots: readonly string[];
  /**
   * Why the working directory is not a default read root, when it is left out (`/` or the home
   * directory); servers print this at start.
   */
  readonly notice?: string;

  readonly #dataDir: string;
  readonly #cwd: string;

  /** Build the policy; explicit roots are resolved against `options.cwd`. */
  constructor(options: FileAccessOptions) {
    this.#cwd = options.cwd ?? Deno.cwd();
    this.#dataDir = this.#absolute(options.dataDir);
    this.downloadDir = joinPath(this.#dataDir, "downloads");
    const read = [this.downloadDir];
    if (options.allowRead?.length) {
      read.push(...options.allowRead.map((p) => this.#absolute(p)));
    } else {
      const home = options.home ?? envHome();
      const cwd = this.#absolute(this.#cwd);
      if (isFilesystemRoot(cwd) || (home !== undefined && samePath(cwd, this.#absolute(home)))) {
        this.notice = `The working directory "${cwd}" is not readable by tools (too broad); ` +
          "allow folders with --allow-read DIR";
      } else {
        read.push(cwd);
      }
    }
    this.readRoots = dedupe(read);
    this.writeRoots = dedupe([
      this.downloadDir,
      ...(options.allowWrite ?? []).map((p) => this.#absolute(p)),
    ]);
  }

  /**
   * Check that every explicitly allowed root exists, so a typo fails at start rather than at
   * the first tool call.
   *
   * @throws {Error} naming the first missing root.
   */
  async assertRootsExist(): Promise<void> {
    for (
      const [roots, flag] of [[this.readRoots, "--allow-read"], [
        this.writeRoots,
        "--allow-write",
      ]] as const
    ) {
      for (const root of roots) {
        if (root === this.downloadDir) continue;
        try {
          await Deno.stat(root);
        } catch (error) {
          if (error instanceof Deno.errors.NotFound) {
            throw new WeiLinkError(`Cannot allow "${root}" (${flag}): it does not exist`);
          }
          throw error;
        }
      }
    }
  }

  /**
   * Read a whole regular file under a read root, at most {@linkcode MAX_MEDIA_BYTES}`[kind]`.
   *
   * @param path As given by the client; relative paths are relative to the working directory.
   * @param kind What the file will be sent as (sets the size cap and the wording of errors).
   * @throws {FileAccessError} when the rules refuse the file or it does not exist.
   */
  async readFile(path: string, kind: MediaKind): Promise<Uint8Array> {
    const what = KIND_LABEL[kind];
    let real: string;
    try {
      real = await Deno.realPath(this.#absolute(path));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) {
        throw new FileAccessError("not_found", `${what} file not found: "${path}"`);
      }
      const reason = cannotExist(error);
      if (reason) {
        throw new FileAccessError("not_found", `${what} file not found: "${path}" (${reason})`);
      }
      if (error instanceof Deno.errors.PermissionDenied) throw unreadable(what, path);
      throw error;
    }
    await this.#assertReadable(real, path, what);
    const cap = MAX_MEDIA_BYTES[kind];
    const checkInfo = (info: { isFile: boolean; size: number }) => {
      if (!info.isFile) {
        throw new FileAccessError(
          "not_a_file",
          `Cannot read ${what.toLowerCase()} "${path}": only regular files can be sent, not ` +
            "folders, devices, FIFOs or sockets",
        );
      }
      if (info.size > cap) throw tooLarge(what, path, cap);
    };
    // Checked before opening: opening a FIFO or a device has effects of its own.
    checkInfo(await Deno.stat(real));
    const handle = await openNoFollow(real, path, what);
    try {
      const info = await handle.stat();
      checkInfo({ isFile: info.isFile(), size: info.size });
      return await readAtMost(handle, info.size, cap, () => tooLarge(what, path, cap));
    } finally {
      await handle.close();
    }
  }

  /**
   * Resolve `dir` (default: the downloads folder) to a real folder under a write root, creating
   * it when missing. Nothing is created outside the write roots.
   *
   * @returns the real path of the folder; write into it with `writeUniqueFile`.
   * @throws {FileAccessError} when the folder is outside every write root (`forbidden`), or
   * cannot be a folder: it or a part of its path is a file, its name is too long (`not_a_file`).
   */
  async writableDir(dir?: string): Promise<string> {
    const given = dir || this.downloadDir;
    const planned = await resolveMissing(this.#absolute(given));
    await this.#assertWritable(planned, given);
    let real: string;
    try {
      await Deno.mkdir(planned, { recursive: true });
      real = await Deno.realPath(planned);
    } catch (error) {
      throw folderError(error, given);
    }
    // A link created between the check and mkdir would show here.
    await this.#assertWritable(real, given);
    if (!(await Deno.stat(real)).isDirectory) {
      throw new FileAccessError("not_a_file", `Cannot save into "${given}": it is not a folder`);
    }
    return real;
  }

  async #assertReadable(real: string, given: string, what: string): Promise<void> {
    if (await this.#private(real)) {
      throw new FileAccessError(
        "forbidden",
        `Cannot read ${what.toLowerCase()} "${given}": files of the data directory other than ` +
          `"${this.downloadDir}" hold credentials and are never sent`,
      );
    }
    if (!(await this.#inside(real, this.readRoots))) {
      throw new FileAccessError(
        "forbidden",
        `Cannot read ${what.toLowerCase()} "${given}": the server may only read files under ` +
          `${quoteList(this.readRoots)}; start it with --allow-read DIR (ServeOptions.allowRead) ` +
          "to allow another folder",
      );
    }
  }

  async #assertWritable(real: string, given: string): Promise<void> {
    if (await this.#private(real) || !(await this.#inside(real, this.writeRoots))) {
      throw new FileAccessError(
        "forbidden",
        `Cannot save into "${given}": the server may only write under ` +
          `${quoteList(this.writeRoots)}; start it with --allow-write DIR ` +
          "(ServeOptions.allowWrite) to allow another folder",
      );
    }
  }

  /** Whether `real` is in the data directory but not in its downloads folder. */
  async #private(real: string): Promise<boolean> {
    const [data, downloads] = await Promise.all([
      resolveMissing(this.#dataDir),
      resolveMissing(this.downloadDir),
    ]);
    return contains(data, real) && !contains(downloads, real);
  }

  async #inside(real: string, roots: readonly string[]): Promise<boolean> {
    // Roots are resolved at each check: a root created or moved after start is seen as it is.
    const resolved = await Promise.all(roots.map(resolveMissing));
    return resolved.some((root) => contains(root, real));
  }

  #absolute(path: string): string {
    return normalize(isAbsolute(path) ? path : joinPath(this.#cwd, path));
  }
}

const KIND_LABEL: Record<MediaKind, string> = {
  image: "Image",
  file: "File",
  video: "Video",
  voice: "Voice",
};

function tooLarge(what: string, path: string, cap: number): FileAccessError {
  return new FileAccessError(
    "too_large",
    `Cannot send ${what.toLowerCase()} "${path}": it is larger than ${cap} bytes ` +
      `(${cap / 1024 / 1024} MiB, the protocol's media limit)`,
  );
}

/**
 * Why a path cannot name anything, for errors of path resolution that mean so: a part of it is a
 * file (`ENOTDIR`), it runs through a loop of links (`ELOOP`), a name is too long
 * (`ENAMETOOLONG`). `undefined` for any other error.
 */
function cannotExist(error: unknown): string | undefined {
  if (error instanceof Deno.errors.NotADirectory) return "a part of its path is a file";
  if (error instanceof Deno.errors.FilesystemLoop) return "its path runs through a loop of links";
  if ((error as { code?: string } | null)?.code === "ENAMETOOLONG") {
    return "a name in it is too long";
  }
  return undefined;
}

/** Why a folder to save into could not be made, as a {@linkcode FileAccessError} when it is one. */
function folderError(error: unknown, given: string): unknown {
  if (error instanceof Deno.errors.AlreadyExists) {
    return new FileAccessError("not_a_file", `Cannot save into "${given}": it is not a folder`);
  }
  const reason = cannotExist(error);
  if (reason) {
    return new FileAccessError("not_a_file", `Cannot save into "${given}": ${reason}`);
  }
  if (error instanceof Deno.errors.PermissionDenied) {
    return new FileAccessError(
      "forbidden",
      `Cannot save into "${given}": the server's user has no permission to create it`,
    );
  }
  return error;
}

function unreadable(what: string, path: string): FileAccessError {
  return new FileAccessError(
    "unreadable",
    `Cannot read ${what.toLowerCase()} "${path}": the server's user has no permission to read it`,
  );
}

/**
 * Open read-only without blocking (a FIFO swapped in after the check opens at once instead of
 * waiting for a writer) and without following a link in the last component.
 */
async function openNoFollow(
  real: string,
  given: string,
  what: string,
): Promise<fsPromises.FileHandle> {
  // Loaded on the first send: `node:fs` costs a server tens of milliseconds of start-up.
  const { constants, promises } = await import("node:fs");
  const { O_RDONLY, O_NONBLOCK = 0, O_NOFOLLOW = 0 } = constants;
  try {
    return await promises.open(real, O_RDONLY | O_NONBLOCK | O_NOFOLLOW);
  } catch (error) {
    const code = (error as { code?: string }).code;
    if (code === "ENOENT") {
      throw new FileAccessError("not_found", `${what} file not found: "${given}"`);
    }
    if (code === "EACCES" || code === "EPERM") throw unreadable(what, given);
    if (code === "ELOOP") {
      throw new FileAccessError(
        "forbidden",
        `Cannot read ${what.toLowerCase()} "${given}": it changed into a link while being opened`,
      );
    }
    throw error;
  }
}

/** Read to the end, refusing more than `cap` bytes even if the file grows while being read. */
async function readAtMost(
  handle: fsPromises.FileHandle,
  expected: number,
  cap: number,
  refuse: () => Error,
): Promise<Uint8Array> {
  let buffer = new Uint8Array(Math.min(expected, cap) + 1);
  let length = 0;
  for (;;) {
    if (length === buffer.length) {
      if (length > cap) throw refuse();
      const grown = new Uint8Array(Math.min(buffer.length * 2, cap + 1));
      grown.set(buffer);
      buffer = grown;
    }
    const { bytesRead } = await handle.read(buffer, length, buffer.length - length, null);
    if (bytesRead === 0) break;
    length += bytesRead;
  }
  if (length > cap) throw refuse();
  return buffer.subarray(0, length);
}

/**
 * The real path `path` has or would have: the real path of its deepest existing ancestor, with
 * the missing components appended.
 */
async function resolveMissing(path: string): Promise<string> {
  const normalized = normalize(path);
  const root = rootOf(normalized);
  const parts = normalized.slice(root.length).split("/").filter(Boolean);
  type Probe = { real: string } | { denied: unknown } | "missing";
  /** What the first `k` components name: a real path, nothing, or a folder this process may not read. */
  const probe = async (k: number): Promise<Probe> => {
    try {
      return { real: normalize(await Deno.realPath(root + parts.slice(0, k).join("/"))) };
    } catch (error) {
      // A path that cannot exist resolves like a missing one: the containment check comes first.
      if (error instanceof Deno.errors.NotFound || cannotExist(error)) return "missing";
      if (
        error instanceof Deno.errors.NotCapable || error instanceof Deno.errors.PermissionDenied
      ) {
        return { denied: error };
      }
      throw error;
    }
  };
  // The full path first, then ever shorter prefixes (1, 2, 4, … components less) until one
  // resolves, then bisection between it and the shortest known missing one: resolving a prefix
  // needs every shorter one to resolve. A realPath per component instead took 11 s for a
  // save_dir of 1,000 components over deep folders, and 131 s for 4,000. The search starts next
  // to the leaf so that a process allowed to read only some folders is not made to read above
  // them: a prefix it may not read sends the search deeper, and is the answer only when nothing
  // deeper resolves (its error is thrown then, as a walk up would have met it).
  let missing = parts.length + 1;
  let found: { k: number; probe: Exclude<Probe, "missing"> } | undefined;
  for (let drop = 0; found === undefined; drop = drop === 0 ? 1 : drop * 2) {
    const k = Math.max(parts.length - drop, 0);
    const result = await probe(k);
    if (result !== "missing") found = { k, probe: result };
    else if (k === 0) return normalized; // not even the root exists (a missing drive)
    else missing = k;
  }
  let { k: good, probe: best } = found!;
  while (missing - good > 1) {
    const middle: number = (good + missing) >> 1;
    const result = await probe(middle);
    if (result === "missing") missing = middle;
    else [good, best] = [middle, result];
  }
  if ("denied" in best) throw best.denied;
  return joinPath(best.real, ...parts.slice(good));
}

function isAbsolute(path: string): boolean {
  return path.startsWith("/") || (WINDOWS && /^([A-Za-z]:[\\/]|\\\\)/.test(path));
}

/** Resolve `.` and `..` textually and use `/` separators. */
function normalize(path: string): string {
  const unified = WINDOWS ? path.replaceAll("\\", "/") : path;
  const prefix = /^[A-Za-z]:\//.test(unified) ? unified.slice(0, 3) : "/";
  const parts: string[] = [];
  for (const part of unified.slice(prefix.length).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return prefix + parts.join("/");
}

function joinPath(base: string, ...parts: string[]): string {
  return normalize([base, ...parts].join("/"));
}

function rootOf(normalized: string): string {
  return /^[A-Za-z]:\//.test(normalized) ? normalized.slice(0, 3) : "/";
}

function parentOf(path: string): string {
  const normalized = normalize(path);
  const root = rootOf(normalized);
  const cut = normalized.lastIndexOf("/");
  return cut < root.length ? root : normalized.slice(0, cut);
}

function isFilesystemRoot(path: string): boolean {
  return normalize(path) === parentOf(path);
}

function samePath(a: string, b: string): boolean {
  return WINDOWS
    ? normalize(a).toLowerCase() === normalize(b).toLowerCase()
    : normalize(a) === normalize(b);
}

/** Whether `path` is `root` or inside it (both real, normalised). */
function contains(root: string, path: string): boolean {
  const r = normalize(root);
  const p = normalize(path);
  const [rr, pp] = WINDOWS ? [r.toLowerCase(), p.toLowerCase()] : [r, p];
  if (pp === rr) return true;
  return pp.startsWith(rr.endsWith("/") ? rr : `${rr}/`);
}

function dedupe(paths: string[]): string[] {
  return [...new Set(paths)];
}

function quoteList(paths: readonly string[]): string {
  return paths.map((p) => `"${p}"`).join(", ");
}

function envHome(): string | undefined {
  try {
    return Deno.env.get("HOME") || Deno.env.get("USERPROFILE") || undefined;
  } catch {
    return undefined;
  }
}
