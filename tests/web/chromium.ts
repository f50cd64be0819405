/**
 * Headless Chromium for the browser tests: Debian's `chromium` driven by `playwright-core`
 * (`.ci/run` installs it). Tests that need it are ignored where it is missing.
 *
 * @module
 */

import { type Browser, chromium } from "playwright-core";

/** Path of the Chromium binary, when installed. */
export const CHROMIUM: string | undefined = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
  .find((p) => {
    try {
      return Deno.statSync(p).isFile;
    } catch {
      return false;
    }
  });

/**
 * Starts Chromium headless with a fresh temporary profile (no cookies, no cache), and without
 * the background networking that a closed network refuses.
 */
export async function launchChromium(): Promise<Browser> {
  if (CHROMIUM === undefined) throw new Error("Chromium is not installed");
  return await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/**
 * The folder for screenshots: `$WEILINK_ARTIFACTS_DIR` when set (created if missing), else a new
 * temporary folder, whose path is printed so a person can look at the pictures.
 */
export async function screenshotDir(label: string): Promise<string> {
  let dir: string | undefined;
  try {
    dir = Deno.env.get("WEILINK_ARTIFACTS_DIR") || undefined;
  } catch {
    // No env permission: a temporary folder.
  }
  if (dir) {
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  }
  dir = await Deno.makeTempDir({ prefix: `weilink_${label}_screens_` });
  console.log(`Screenshots (${label}): ${dir}`);
  return dir;
}
