/**
 * Agent integrations: installing WeiLink into Claude Code, Codex and OpenCode (`weilink setup`),
 * the prompt hook's reader (`weilink hook-poll`), and importing OpenClaw Weixin accounts
 * (`weilink migrate openclaw`). Runtime-specific (files, locks, SQLite); used by the CLI.
 *
 * @module
 */

export { planSetup } from "./setup.ts";
export {
  applyPlan,
  changeDiff,
  changeKind,
  type FileChange,
  planDiff,
  SETUP_TARGETS,
  type SetupOptions,
  type SetupPlan,
  type SetupTarget,
} from "./setup_plan.ts";
export { JSR_CLI, launchCommand, type LaunchFacts, shellQuote, splitCommand } from "./launcher.ts";
export { TomlEditError } from "./toml_edit.ts";
export {
  checkConsumerName,
  DEFAULT_HOOK_CONSUMER,
  DEFAULT_HOOK_LIMIT,
  hookOutput,
  hookPoll,
  type HookPollOptions,
  type HookPollResult,
  MAX_HOOK_LIMIT,
} from "./hook_poll.ts";
export {
  migrateOpenClaw,
  type OpenClawAccountReport,
  type OpenClawMigration,
  OpenClawNotFoundError,
  type OpenClawOptions,
} from "./openclaw.ts";
