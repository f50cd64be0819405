/**
 * `weilink sandbox`: the embedded iLink emulator, until Ctrl-C.
 *
 * @module
 */

import type { Sandbox, SandboxOptions } from "../../sandbox/mod.ts";
import type { CommandContext } from "../command.ts";
import { parseInteger, parsePort } from "../flag_values.ts";
import { envGet } from "../../client/paths.ts";

/** Sandbox options from the flags (request log on unless `--quiet`). */
export function sandboxOptions(ctx: CommandContext): SandboxOptions {
  const str = (
    name: string,
  ) => (typeof ctx.values[name] === "string" ? ctx.values[name] : undefined);
  const options: SandboxOptions = { quiet: ctx.common.quiet };
  const port = str("port");
  if (port !== undefined) options.port = parsePort(port, "--port");
  const host = str("host");
  if (host !== undefined) options.hostname = host;
  const numbers: [string, "longPollMs" | "windowMs" | "quota" | "qrTtlMs", number][] = [
    ["long-poll-ms", "longPollMs", 0],
    ["window-ms", "windowMs", 1],
    ["quota", "quota", 1],
    ["qr-ttl-ms", "qrTtlMs", 1],
  ];
  for (const [flag, key, min] of numbers) {
    const value = str(flag);
    if (value !== undefined) options[key] = parseInteger(value, `--${flag}`, { min });
  }
  if (ctx.values.redirect === true) options.redirect = true;
  if (ctx.values["upload-full-url"] === true) options.uploadFullUrl = true;
  if (ctx.values["connection-faults"] === true) options.connectionFaults = true;
  const token = str("control-token") ?? envGet("WEILINK_SANDBOX_TOKEN");
  if (token !== undefined) options.controlToken = token;
  return options;
}

/** The sandbox's URLs, as `--json` prints them. */
export function sandboxUrls(sandbox: Sandbox): Record<string, string> {
  return {
    base_url: sandbox.baseUrl,
    cdn_base_url: sandbox.cdnBaseUrl,
    phone_url: sandbox.phoneUrl,
    control_url: sandbox.controlUrl,
  };
}

/** Resolves when `signal` aborts. */
export function untilAborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) =>
    signal.addEventListener("abort", () => resolve(), { once: true })
  );
}

/** Starts the sandbox, prints its URLs and serves until interrupted. */
export async function runSandbox(ctx: CommandContext): Promise<number> {
  const options = sandboxOptions(ctx);
  const { describeSandbox, startSandbox } = await import("../../sandbox/mod.ts");
  const sandbox = await startSandbox(options);
  try {
    ctx.out.result(sandboxUrls(sandbox), () => [
      ...describeSandbox(sandbox),
      "",
      "Press Ctrl-C to stop.",
    ]);
    await untilAborted(ctx.signal);
  } finally {
    await sandbox.close();
  }
  return 0;
}
