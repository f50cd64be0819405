/**
 * Shared pieces of the integration tests: temporary home folders, snapshots of a folder tree,
 * and `cli.ts` runs with a chosen environment.
 *
 * @module
 */

/** Absolute path of `cli.ts`. */
export const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** A snapshot of a folder tree: relative path → file content, link target or `dir`. */
export type Snapshot = Map<string, string>;

/** Everything under `root`, to compare before and after. */
export async function snapshot(root: string): Promise<Snapshot> {
  const out: Snapshot = new Map();
  const walk = async (dir: string) => {
    for await (const entry of Deno.readDir(dir)) {
      const path = `${dir}/${entry.name}`;
      const rel = path.slice(root.length + 1);
      if (entry.isSymlink) out.set(rel, `link -> ${await Deno.readLink(path)}`);
      else if (entry.isDirectory) {
        out.set(rel, "dir");
        await walk(path);
      } else {
        const mode = (await Deno.stat(path)).mode! & 0o777;
        out.set(rel, `file ${mode.toString(8)}\n${await Deno.readTextFile(path)}`);
      }
    }
  };
  await walk(root);
  return out;
}

/** The entries that differ between two snapshots (added, removed or changed), sorted. */
export function changedPaths(a: Snapshot, b: Snapshot): string[] {
  const paths = new Set([...a.keys(), ...b.keys()]);
  return [...paths].filter((p) => a.get(p) !== b.get(p)).sort();
}

/** Writes `files` (relative path → text) under `root`, creating folders. */
export async function writeTree(root: string, files: Record<string, string>): Promise<void> {
  for (const [rel, text] of Object.entries(files)) {
    const path = `${root}/${rel}`;
    await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
    await Deno.writeTextFile(path, text);
  }
}

/** The Deno cache of this process, so children do not download the npm packages again. */
export function denoDir(): string {
  return Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
}

/** The environment of a `cli.ts` child: a chosen HOME, this PATH and Deno cache, nothing else. */
export function childEnv(home: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    HOME: home,
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    DENO_DIR: denoDir(),
    NO_COLOR: "1",
    ...extra,
  };
}

/** What a finished `cli.ts` run printed. */
export interface Run {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `deno run -A cli.ts ...args` with `childEnv(home)`. */
export async function runCli(
  home: string,
  args: string[],
  extra: Record<string, string> = {},
): Promise<Run> {
  const started = performance.now();
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CLI, ...args],
    env: childEnv(home, extra),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code,
    stdout: decoder.decode(stdout),
    stderr: decoder.decode(stderr),
    ms: performance.now() - started,
  };
}

/** A temporary folder removed by `await using`. */
export async function tempDir(prefix: string): Promise<{ path: string } & AsyncDisposable> {
  const path = await Deno.makeTempDir({ prefix });
  return {
    path,
    [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }).catch(() => {}),
  };
}
