/**
 * How a running sandbox introduces itself to a person, as `weilink sandbox` prints it.
 *
 * @module
 */

import type { Sandbox } from "./types.ts";

/**
 * The lines that introduce a running sandbox to a person: its URLs and the environment that points
 * WeiLink at it. The control token itself is never printed, only where it goes.
 *
 * @example
 * ```ts
 * import { describeSandbox, startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox();
 * console.log(describeSandbox(sandbox).join("\n"));
 * await sandbox.close();
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
