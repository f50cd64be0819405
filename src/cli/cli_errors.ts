/**
 * Failures in the words of the command line. The client speaks to programmers ("call login()
 * first"); a person at a terminal needs the command to type next ("run `weilink login`
 * first"), with the program as they started it (see `invocation.ts`). A missing Deno
 * permission, which Deno reports as a `NotCapable` error deep in a stack, becomes one sentence
 * naming the flag.
 *
 * @module
 */

import {
  LoginError,
  NoContextError,
  NotLoggedInError,
  StaleContextError,
} from "../client/errors.ts";
import { permissionMessage, resolveBasePath } from "../client/paths.ts";
import { SessionExpiredError } from "../protocol/errors.ts";

/** Deno's sentence for a permission it did not grant (stable across Deno 1.x and 2.x). */
const DENO_PERMISSION =
  /Requires ([\w-]+) access to (.+?), run again with the (--allow-[\w-]+) flag/;

/** The data directory of `basePath` for permission hints; `undefined` when it is unknown. */
export function dataDirectoryOf(basePath: string | undefined): string | undefined {
  try {
    return resolveBasePath(basePath);
  } catch {
    // The client says why when it needs the folder.
    return undefined;
  }
}

/** Errors reachable from `error` through `cause`, outermost first (cycles and depth bounded). */
function causeChain(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (current !== undefined && current !== null && chain.length < 8) {
    if (chain.includes(current)) break;
    chain.push(current);
    current = current instanceof Error ? current.cause : undefined;
  }
  return chain;
}

/**
 * The variables the command line reads: asking for them one refusal at a time would take five
 * runs. (`WEILINK_MCP_TOKEN` only matters to the servers, `WEILINK_AES` is read only when granted.)
 */
export const CLI_ENV =
  "HOME,WEILINK_HOME,WEILINK_BASE_URL,WEILINK_CDN_BASE_URL,WEILINK_LOG_LEVEL,WEILINK_STORE";

/**
 * What WeiLink wanted a permission for, and what to grant, from Deno's kind and target. A file
 * in the data directory asks for the whole directory: the next run needs its other files too.
 */
function explain(
  kind: string,
  target: string,
  dataDir: string | undefined,
): { purpose?: string; grant?: string } {
  if (kind === "env" && CLI_ENV.split(",").includes(target)) {
    return {
      purpose: "WeiLink reads its settings from HOME and WEILINK_* variables",
      grant: CLI_ENV,
    };
  }
  if (kind === "net") return { purpose: "the iLink API, its CDN, or a server's own address" };
  if (kind === "read" || kind === "write") {
    if (dataDir !== undefined && (target === dataDir || target.startsWith(`${dataDir}/`))) {
      return { purpose: "the data directory", grant: dataDir };
    }
    if (/\/\.weilink(\/|$)/.test(target)) return { purpose: "the data directory" };
  }
  return {};
}

/**
 * The sentence for a missing Deno permission found anywhere in `error`'s cause chain (or in a
 * message that quotes Deno's), else `undefined`. `dataDir` (absolute) lets a refused file in it
 * ask for the whole folder.
 */
export function describePermission(error: unknown, dataDir?: string): string | undefined {
  for (const link of causeChain(error)) {
    const message = link instanceof Error ? link.message : String(link);
    // Deno's sentence also comes as PermissionDenied (Deno 1.x, some node: paths) or quoted in
    // a wrapping error's message; the operating system's own EACCES never carries it.
    const match = DENO_PERMISSION.exec(message);
    if (match) {
      const [, kind, quoted, flag] = match as unknown as [string, string, string, string];
      const target = quoted.replace(/^"(.*)"$/, "$1");
      const { purpose, grant } = explain(kind, target, dataDir);
      return permissionMessage(flag, target, purpose, grant);
    }
    if (link instanceof Deno.errors.NotCapable) {
      return `WeiLink was not given a Deno permission it needs: ${message}`;
    }
  }
  return undefined;
}

/**
 * The message for a failure of a command run as `program` (e.g. `weilink` or
 * `deno run -A cli.ts`): the client's errors say which command to run next, a missing
 * permission names its flag (see {@linkcode describePermission} for `dataDir`), anything else
 * keeps its own message.
 */
export function describeFailure(error: unknown, program: string, dataDir?: string): string {
  const permission = describePermission(error, dataDir);
  if (permission !== undefined) return permission;
  if (error instanceof NotLoggedInError) {
    return /expired/.test(error.message)
      ? `Every session has expired: run \`${program} login\` to scan a new QR code`
      : `Not logged in: run \`${program} login\` first`;
  }
  if (error instanceof NoContextError) {
    return error.reason === "missing"
      ? `Cannot send to "${error.userId}": they have not written to this bot (session ` +
        `"${error.session}") yet. A bot can only answer: once they write, \`${program} recv\` ` +
        `shows it and \`${program} send\` works`
      : `Cannot send to "${error.userId}": their last message to session "${error.session}" ` +
        "is over 24 hours old. A bot can only answer within 24 hours: once they write again, " +
        `\`${program} send\` works`;
  }
  if (error instanceof StaleContextError) {
    return `The server refused to deliver to "${error.userId}" (session "${error.session}", ` +
      `-14): the conversation went stale. Once they write again, \`${program} send\` works; ` +
      `if \`${program} status\` shows the session expired, run \`${program} login\``;
  }
  if (error instanceof SessionExpiredError) {
    const which = /^Every session/.test(error.message) ? "Every session has" : "The session has";
    return `${which} expired (the server answered -14): run \`${program} login\` to scan a ` +
      "new QR code";
  }
  if (error instanceof LoginError) {
    switch (error.reason) {
      case "timeout":
        return `Login not confirmed in time: run \`${program} login\` again and scan the QR ` +
          "code with WeChat";
      case "expired":
        return `Login failed: the QR codes expired unscanned. Run \`${program} login\` again`;
      case "verify_code":
        return "Login failed: the phone asks for a pairing code, which " +
          `\`${program} login\` cannot take yet (the SDK can: login({ onVerifyCode }))`;
      default:
        return `Login failed: ${error.message}. Run \`${program} login --force\` to start over`;
    }
  }
  const message = error instanceof Error ? error.message || error.name : String(error);
  const unmapped = /^Import "([^"]+)" not a dependency/.exec(message);
  if (unmapped) {
    // A `deno install` without --config: the shim runs cli.ts with an empty import map.
    return `Cannot load "${unmapped[1]}": WeiLink was started without its deno.json. Install ` +
      "the command with it: deno install -g -A -n weilink --config <clone>/deno.json " +
      "<clone>/cli.ts";
  }
  return message;
}
