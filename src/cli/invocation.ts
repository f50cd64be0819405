/**
 * The command a user types to run this command line, for hints such as "run `weilink login`
 * first": an installed `weilink` (a `deno install` shim or a `deno compile` binary), or
 * `deno run -A cli.ts` from a clone.
 *
 * Nothing here prompts for a permission: every file or variable is read only when it is
 * already readable, and anything unknown falls back to `deno run -A <path of cli.ts>`, which
 * always works. No other import, so usage errors can use it without loading the client.
 *
 * @module
 */

/** What {@linkcode commandPrefix} looks at; tests pass their own. */
export interface InvocationFacts {
  /** `Deno.mainModule`. */
  mainModule: string;
  /** `Deno.execPath()`. */
  execPath: string;
  /** `Deno.build.standalone`: a `deno compile` binary. */
  standalone: boolean;
  /** The process's arguments as the kernel has them (`/proc/self/cmdline`), when readable. */
  processArgs?: readonly string[];
  /** `PATH`, when readable. */
  path?: string;
  /** The working directory, when readable. */
  cwd?: string;
  /** Reads a small text file, or `undefined` when it is absent or not readable. */
  readText(path: string): string | undefined;
}

/**
 * `deno install -g -n NAME` writes the shim `<root>/bin/NAME` and its config as
 * `<root>/bin/.NAME/deno.json` (also when no config was given), and the shim runs
 * `deno run … --config <that file> <main module>`: the config path names the shim.
 */
const INSTALLED_CONFIG = /^(.*)\/\.([^/]+)\/deno\.jsonc?$/;

/** Where Deno loads the JSR package from, and how a user names it. */
const JSR_PREFIX = "https://jsr.io/@weilink/core/";
const JSR_SPECIFIER = "jsr:@weilink/core";

function readable(descriptor: Deno.PermissionDescriptor): boolean {
  try {
    return Deno.permissions.querySync(descriptor).state === "granted";
  } catch {
    return false;
  }
}

function readTextIfAllowed(path: string): string | undefined {
  if (!readable({ name: "read", path })) return undefined;
  try {
    return Deno.readTextFileSync(path);
  } catch {
    return undefined;
  }
}

/** The facts of this process, each only when it can be had without a permission prompt. */
export function currentFacts(): InvocationFacts {
  const facts: InvocationFacts = {
    mainModule: Deno.mainModule,
    execPath: Deno.execPath(),
    standalone: Deno.build.standalone === true,
    readText: readTextIfAllowed,
  };
  if (Deno.build.os === "linux") {
    const cmdline = readTextIfAllowed("/proc/self/cmdline");
    if (cmdline !== undefined) facts.processArgs = cmdline.split("\0");
  }
  if (readable({ name: "env", variable: "PATH" })) {
    const path = Deno.env.get("PATH");
    if (path !== undefined) facts.path = path;
  }
  if (readable({ name: "read" })) {
    try {
      facts.cwd = Deno.cwd();
    } catch {
      // Deleted working directory: paths stay absolute.
    }
  }
  return facts;
}

function dirName(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** `name` when `dir` is on `PATH`, `./name` in the working directory, else the full path. */
function asTyped(dir: string, name: string, facts: InvocationFacts): string {
  const onPath = (facts.path ?? "").split(":").some((entry) => entry.replace(/\/+$/, "") === dir);
  if (onPath) return name;
  return facts.cwd?.replace(/\/+$/, "") === dir ? `./${name}` : `${dir}/${name}`;
}

/** Quotes a word for a POSIX shell when it needs it. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replaceAll("'", `'\\''`)}'`;
}

/** The `deno install` shim that started this process, from its `--config` argument. */
function installedShim(facts: InvocationFacts): { dir: string; name: string } | undefined {
  const args = facts.processArgs;
  if (!args) return undefined;
  // A shim of the JSR package passes `jsr:@weilink/core/cli`; Deno reports the resolved URL.
  const fromJsr = facts.mainModule.startsWith(JSR_PREFIX);
  const isModule = (text: string) =>
    text === facts.mainModule || (fromJsr && text.startsWith(JSR_SPECIFIER));
  const main = args.findIndex(isModule);
  // Only the runtime's own options count, not the command's arguments after the module.
  const options = main < 0 ? args : args.slice(0, main);
  let config: string | undefined;
  for (let i = 0; i < options.length; i++) {
    const arg = options[i] as string;
    if (arg === "--config" || arg === "-c") config = options[i + 1];
    else if (arg.startsWith("--config=")) config = arg.slice("--config=".length);
  }
  const match = config === undefined ? null : INSTALLED_CONFIG.exec(config);
  if (!match) return undefined;
  const [, dir, name] = match as unknown as [string, string, string];
  // The shim must be there and run this very module: a stray config of that shape is not one.
  const shim = facts.readText(`${dir}/${name}`);
  const runsThis = shim?.includes(facts.mainModule) ||
    (fromJsr && shim?.includes(JSR_SPECIFIER));
  if (!runsThis) return undefined;
  return { dir, name };
}

/**
 * The words that start this command line as the user can type them again: `weilink` for an
 * installed command on `PATH` (else `./weilink` or its full path), else
 * `deno run -A cli.ts` (the path of `cli.ts` relative to the working directory when it is
 * inside it, else absolute), or `deno run -A jsr:@weilink/core/cli` when run from JSR.
 *
 * @example
 * ```ts ignore
 * console.log(`Run \`${commandPrefix()} login\` first`);
 * ```
 */
export function commandPrefix(facts: InvocationFacts = currentFacts()): string {
  if (facts.standalone) {
    return asTyped(dirName(facts.execPath), baseName(facts.execPath), facts);
  }
  const shim = installedShim(facts);
  if (shim) return asTyped(shim.dir, shim.name, facts);
  if (facts.mainModule.startsWith(JSR_PREFIX)) return `deno run -A ${JSR_SPECIFIER}/cli`;
  let script = facts.mainModule;
  if (script.startsWith("file://")) {
    script = decodeURIComponent(new URL(script).pathname);
    const cwd = facts.cwd?.replace(/\/+$/, "");
    if (cwd && script.startsWith(`${cwd}/`)) script = script.slice(cwd.length + 1);
  }
  return `deno run -A ${shellWord(script)}`;
}

let cached: string | undefined;

/** {@linkcode commandPrefix} of this process, worked out once. */
export function program(): string {
  return cached ??= commandPrefix();
}
