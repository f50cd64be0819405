/**
 * `weilink setup <agent>`: the plan for one agent, made by that agent's module.
 *
 * @module
 */

import { planClaudeCode } from "./claude_code.ts";
import { planCodex } from "./codex.ts";
import { planOpenCode } from "./opencode.ts";
import type { SetupOptions, SetupPlan, SetupTarget } from "./setup_plan.ts";

const PLANNERS: Readonly<Record<SetupTarget, (options: SetupOptions) => SetupPlan>> = {
  "claude-code": planClaudeCode,
  codex: planCodex,
  opencode: planOpenCode,
};

/**
 * What installing (or with `options.uninstall`, removing) the integration of `target` would
 * change, read from the files as they are now. Nothing is written.
 *
 * @throws {SyntaxError} When a config file the plan must edit is not valid JSON(C).
 * @throws {TomlEditError} When Codex's config defines the MCP server in a form it cannot edit.
 */
export function planSetup(target: SetupTarget, options: SetupOptions): SetupPlan {
  return PLANNERS[target](options);
}
