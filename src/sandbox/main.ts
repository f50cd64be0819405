/**
 * Command line of the sandbox: `deno run -A src/sandbox/main.ts [flags]` (also reached through
 * `cli.ts sandbox`).
 *
 * @module
 */

import { startSandbox } from "./server.ts";
import type { Sandbox, SandboxOptions } from "./types.ts";

const USAGE = `Usage: weilink sandbox [flags]

Starts a local iLink sandbox (API, CDN, control API and phone page) and prints its URLs.

Flags:
  --port <n>            TCP port (default 0 = a free port)
  --host <name>         interface to bind (default 127.0.0.1); any other address
                        needs a control token
  --control-token <t>   bearer token for the control API (16+ characters, no
                        whitespace; default $WEILINK_SANDBOX_TOKEN)
  --long-poll-ms <n>    getupdates hold time in ms (default 35000)
  --window-ms <n>       how long a context token stays valid (default 24 h)
  --quota <n>           replies per context token (default 10)
  --qr-ttl-ms <n>       QR login lifetime (default 300000)
  --redirect            send QR logins through scaned_but_redirect
  --upload-full-url     answer upload_full_url from getuploadurl
  --connection-faults   serve over node:http so faults can drop connections
                        (drop_before_read, drop_after_read); slower
  --quiet               no request log
  -h, --help            show this help

Environment:
  WEILINK_SANDBOX_TOKEN  control token when --control-token is not given
`;

/** Flags that take a numeric value, and the option each sets. */
const NUMERIC_FLAGS: Record<string, keyof SandboxOptions> = {
  "--port": "port",
  "--long-poll-ms": "longPollMs",
  "--window-ms": "windowMs",
  "--quota": "quota",
  "--qr-ttl-ms": "qrTtlMs",
};

/** Reads an environment variable; undefined when unset or not permitted. */
function envVar(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    return undefined;
  }
}

/**
 * Parses sandbox command-line flags into {@linkcode SandboxOptions}; `undefined` means help was
 * asked for. Logging is on unless `--quiet`. The control token falls back to
 * `WEILINK_SANDBOX_TOKEN`, read through `env` (the process environment by default).
 */
export function parseSandboxArgs(
  args: string[],
  env: (name: string) => string | undefined = envVar,
): SandboxOptions | undefined {
  const options: SandboxOptions = { quiet: false };
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const eq = arg.indexOf("=");
    const name = arg.startsWith("--") && eq > 0 ? arg.slice(0, eq) : arg;
    const inline = arg.startsWith("--") && eq > 0 ? arg.slice(eq + 1) : undefined;
    const value = (): string => {
      const v = inline ?? args[++i];
      if (v === undefined) throw new TypeError(`Flag "${name}" needs a value`);
      return v;
    };
    if (name === "-h" || name === "--help") return undefined;
    const numeric = NUMERIC_FLAGS[name];
    if (numeric) {
      const text = value();
      const n = Number(text);
      if (text.trim() === "" || !Number.isInteger(n) || n < 0) {
        throw new RangeError(`Flag "${name}" needs a non-negative integer, got "${text}"`);
      }
      (options as Record<string, unknown>)[numeric] = n;
    } else if (name === "--host" || name === "--hostname") {
      options.hostname = value();
    } else if (name === "--control-token") {
      options.controlToken = value();
    } else if (name === "--connection-faults") {
      options.connectionFaults = true;
    } else if (name === "--redirect") {
      options.redirect = true;
    } else if (name === "--upload-full-url") {
      options.uploadFullUrl = true;
    } else if (name === "--quiet") {
      options.quiet = true;
    } else {
      throw new TypeError(`Unknown flag "${arg}" (see --help)`);
    }
  }
  if (options.controlToken === undefined) {
    const token = env("WEILINK_SANDBOX_TOKEN");
    if (token !== undefined && token !== "") options.controlToken = token;
  }
  return options;
}

/**
 * Starts the sandbox from command-line flags and prints its URLs and the environment that points
 * WeiLink at it. Returns the running sandbox (undefined after `--help`); it serves until
 * {@linkcode Sandbox.close}.
 */
export async function runSandboxCli(args: string[]): Promise<Sandbox | undefined> {
  const options = parseSandboxArgs(args);
  if (!options) {
    console.log(USAGE);
    return undefined;
  }
  const sandbox = await startSandbox(options);
  console.log(describeSandbox(sandbox).join("\n"));
  return sandbox;
}

/**
 * The lines that introduce a running sandbox to a person: its URLs and the environment that points
 * WeiLink at it.
 *
 * @example
 * ```ts ignore
 * const sandbox = await startSandbox();
 * console.log(describeSandbox(sandbox).join("\n"));
 * ```
 */
export function describeSandbox(sandbox: Sandbox): string[] {
  const guarded = sandbox.requiresControlToken;
  return [
    "WeiLink iLink sandbox is running",
    `  API base:     ${sandbox.baseUrl}`,
    `  CDN base:     ${sandbox.cdnBaseUrl}`,
    `  Phone page:   ${sandbox.phoneUrl}${guarded ? "#token=<control token>" : ""}`,
    `  Control API:  ${sandbox.controlUrl}${
      guarded ? " (Authorization: Bearer <control token>)" : ""
    }`,
    ...(sandbox.connectionFaults ? ["  Connection faults: on (served by node:http)"] : []),
    "",
    "Point WeiLink at it:",
    `  export WEILINK_BASE_URL=${sandbox.baseUrl}`,
    `  export WEILINK_CDN_BASE_URL=${sandbox.cdnBaseUrl}`,
  ];
}

if (import.meta.main) {
  try {
    const sandbox = await runSandboxCli(Deno.args);
    if (sandbox) {
      Deno.addSignalListener("SIGINT", () => {
        sandbox.close().then(() => Deno.exit(0));
      });
    }
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    Deno.exit(2);
  }
}
