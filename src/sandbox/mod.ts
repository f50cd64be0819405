/**
 * The iLink sandbox: a local emulator of the WeChat iLink Bot API and its CDN, for testing bots
 * without a phone. Import it as `@weilink/core/testing`.
 *
 * @example
 * ```ts
 * import { startSandbox } from "@weilink/core/testing";
 *
 * const sandbox = await startSandbox({ longPollMs: 500 });
 * console.log(sandbox.baseUrl, sandbox.phoneUrl);
 * await sandbox.close();
 * ```
 *
 * @module
 */

export { startSandbox } from "./server.ts";
export { describeSandbox } from "./describe_sandbox.ts";
export type {
  ConfirmedLogin,
  ConfirmLoginOptions,
  ExpireSessionOptions,
  FaultEndpoint,
  InjectMessage,
  Note,
  Sandbox,
  SandboxFault,
  SandboxFaultKind,
  SandboxOptions,
  SandboxSnapshot,
  SentRecord,
  SessionExpiryField,
  Violation,
} from "./types.ts";
export { FAULT_ENDPOINTS, FAULT_KINDS } from "./types.ts";
export type { NoteRule, ViolationRule } from "./violation_rules.ts";
export { NOTE_RULES, VIOLATION_RULES } from "./violation_rules.ts";
