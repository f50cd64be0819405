/**
 * The official Tencent client, `@tencent-weixin/openclaw-weixin`, installed from npm into a
 * scratch directory for the conformance test, plus a stub of its OpenClaw host.
 *
 * The directory is `$WEILINK_CONFORMANCE_DIR`, else `$TMPDIR/weilink-conformance-<version>`;
 * once installed it is reused. `.ci/run` runs this module before the tests
 * (`deno run -A tests/conformance/official_package.ts`) so a fresh machine installs it once.
 *
 * @module
 */

import { join } from "node:path";
import { tmpdir } from "node:os";

/** The npm package of the official client. */
export const OFFICIAL_PACKAGE = "@tencent-weixin/openclaw-weixin";
/** The pinned version: the latest 2.x published (ILINK_PROTOCOL.md's baseline). */
export const OFFICIAL_VERSION = "2.4.9";

/** The scratch directory holding `node_modules/` of the official client. */
export function conformanceDir(): string {
  const fromEnv = Deno.env.get("WEILINK_CONFORMANCE_DIR");
  return fromEnv && fromEnv.trim() !== ""
    ? fromEnv
    : join(tmpdir(), `weilink-conformance-${OFFICIAL_VERSION}`);
}

/** `dist/src/` of the installed official client. */
export function officialDist(dir: string = conformanceDir()): string {
  return join(dir, "node_modules", ...OFFICIAL_PACKAGE.split("/"), "dist", "src");
}

async function installedVersion(dir: string): Promise<string | undefined> {
  try {
    const pkg = JSON.parse(
      await Deno.readTextFile(
        join(dir, "node_modules", ...OFFICIAL_PACKAGE.split("/"), "package.json"),
      ),
    );
    return typeof pkg.version === "string" ? pkg.version : undefined;
  } catch {
    return undefined;
  }
}

async function run(cmd: string, args: string[], cwd: string): Promise<string> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, cwd, stdout: "piped", stderr: "piped" }).output();
  } catch (error) {
    throw new Error(`Cannot run "${cmd}": ${error instanceof Error ? error.message : error}`);
  }
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`"${cmd} ${args.join(" ")}" failed:\n${text.slice(-2000)}`);
  return text;
}

/**
 * Installs the pinned official client into the scratch directory unless it is already there,
 * then (re)writes the host stub as `node_modules/openclaw`. Returns the directory.
 *
 * Peer dependencies are not installed (`--legacy-peer-deps`): the peer is the whole OpenClaw
 * host, which the stub stands in for. Install scripts are not run.
 *
 * @throws {Error} when npm is missing or the package cannot be installed.
 */
export async function prepareOfficialClient(dir: string = conformanceDir()): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  if (await installedVersion(dir) !== OFFICIAL_VERSION) {
    const manifest = join(dir, "package.json");
    await Deno.writeTextFile(manifest, JSON.stringify({ private: true }) + "\n");
    await run("npm", [
      "install",
      "--no-save",
      "--ignore-scripts",
      "--legacy-peer-deps",
      "--no-audit",
      "--no-fund",
      `${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION}`,
    ], dir);
    const got = await installedVersion(dir);
    if (got !== OFFICIAL_VERSION) {
      throw new Error(`npm installed ${OFFICIAL_PACKAGE}@${got ?? "nothing"} into ${dir}`);
    }
  }
  // Written after npm ran: npm prunes folders it does not know from node_modules.
  const stubSource = new URL("./openclaw_host_stub/", import.meta.url);
  const stub = join(dir, "node_modules", "openclaw");
  await Deno.mkdir(join(stub, "plugin-sdk"), { recursive: true });
  for (const file of ["package.json", "plugin-sdk/infra-runtime.js", "plugin-sdk/account-id.js"]) {
    await Deno.writeTextFile(join(stub, file), await Deno.readTextFile(new URL(file, stubSource)));
  }
  return dir;
}

if (import.meta.main) {
  try {
    const dir = await prepareOfficialClient();
    console.log(`${OFFICIAL_PACKAGE}@${OFFICIAL_VERSION} ready in ${dir}`);
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(1);
  }
}
