/**
 * Helpers of the runtime tests: the one-file bundle of `src/core.ts`, and a Bun binary from npm.
 *
 * @module
 */

import { join } from "node:path";
import { tmpdir } from "node:os";

const REPO = new URL("../../", import.meta.url).pathname;

let bundled: Promise<string> | undefined;

/**
 * Bundles `src/core.ts` into one ESM file with `deno bundle` (esbuild, which Deno fetches from
 * npm on first use and keeps in its cache) and returns its path. The bundle must be
 * self-contained: an `import` or `require` left in it would mean the core reached outside web
 * standards.
 *
 * @throws {Error} When the bundler cannot run (e.g. esbuild was never fetched and npm is out of
 *   reach): the runtime tests then fail, they never pass without having run.
 */
export function bundleCore(): Promise<string> {
  return bundled ??= (async () => {
    const dir = await Deno.makeTempDir({ prefix: "weilink-core-bundle-" });
    const out = join(dir, "core.js");
    const result = await new Deno.Command(Deno.execPath(), {
      args: ["bundle", "--platform", "browser", "--output", out, "src/core.ts"],
      cwd: REPO,
      env: { NO_COLOR: "1" },
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!result.success) {
      throw new Error(
        'Cannot bundle src/core.ts with "deno bundle" (it fetches esbuild from npm on first ' +
          `use):\n${new TextDecoder().decode(result.stderr).slice(-2000)}`,
      );
    }
    const code = await Deno.readTextFile(out);
    const leftovers = code.split("\n").filter((line) =>
      /^\s*import[\s{*"']|\bimport\s*\(|\brequire\s*\(/.test(line)
    );
    if (leftovers.length > 0) {
      throw new Error(`The core bundle still loads modules:\n${leftovers.join("\n")}`);
    }
    return out;
  })();
}

/** The Bun release the tests try, from npm (`bun` and its `@oven/bun-<platform>` binary). */
export const BUN_VERSION = "1.4.5";

async function runs(path: string): Promise<boolean> {
  try {
    const out = await new Deno.Command(path, { args: ["--version"], stdout: "piped" }).output();
    return out.success && new TextDecoder().decode(out.stdout).trim() === BUN_VERSION;
  } catch {
    return false;
  }
}

async function findBun(dir: string): Promise<string | undefined> {
  const oven = join(dir, "node_modules", "@oven");
  try {
    for await (const entry of Deno.readDir(oven)) {
      const path = join(oven, entry.name, "bin", "bun");
      if (await runs(path)) return path;
    }
  } catch {
    // Not installed.
  }
  return undefined;
}

/**
 * A Bun binary that runs here: installed with npm (`--ignore-scripts`: the binary comes in the
 * platform package, so bun's postinstall is not needed) into `$TMPDIR/weilink-bun-<version>`,
 * reused once there. Returns the path, or why there is none.
 */
export async function prepareBun(): Promise<{ path: string } | { reason: string }> {
  const dir = join(tmpdir(), `weilink-bun-${BUN_VERSION}`);
  const ready = await findBun(dir);
  if (ready) return { path: ready };
  // Installed beside the final folder and moved into place, so two runs never share a half
  // installed folder.
  const scratch = await Deno.makeTempDir({ dir: tmpdir(), prefix: `weilink-bun-${BUN_VERSION}-` });
  try {
    await Deno.writeTextFile(join(scratch, "package.json"), '{"private":true}\n');
    let out: Deno.CommandOutput;
    try {
      out = await new Deno.Command("npm", {
        args: [
          "install",
          "--no-save",
          "--ignore-scripts",
          "--no-audit",
          "--no-fund",
          `bun@${BUN_VERSION}`,
        ],
        cwd: scratch,
        stdin: "null",
        stdout: "piped",
        stderr: "piped",
      }).output();
    } catch (error) {
      return { reason: `npm cannot run: ${error instanceof Error ? error.message : error}` };
    }
    if (!out.success) {
      const text = new TextDecoder().decode(out.stderr).trim().split("\n").slice(-3).join(" ");
      return { reason: `npm install bun@${BUN_VERSION} failed: ${text}` };
    }
    if (!(await findBun(scratch))) {
      return { reason: `bun@${BUN_VERSION} from npm has no binary that runs on this machine` };
    }
    try {
      await Deno.rename(scratch, dir);
    } catch {
      // Another run got there first (use its copy), or a broken earlier attempt is in the way.
      if (!(await findBun(dir))) {
        await Deno.remove(dir, { recursive: true }).catch(() => {});
        await Deno.rename(scratch, dir).catch(() => {});
      }
    }
    const path = await findBun(dir);
    return path ? { path } : { reason: `bun@${BUN_VERSION} could not be kept in ${dir}` };
  } finally {
    await Deno.remove(scratch, { recursive: true }).catch(() => {});
  }
}
