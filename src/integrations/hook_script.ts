/**
 * The prompt hook that Claude Code and Codex run before each prompt (`UserPromptSubmit`): a POSIX
 * shell script, so it needs neither Python nor anything but WeiLink itself. It runs
 * `weilink hook-poll --format hook`, which answers in the hook protocol both agents read
 * (`hookSpecificOutput.additionalContext`), and it always exits 0 with valid JSON, so a WeiLink
 * that is missing, broken or slow never blocks a prompt.
 *
 * @module
 */

import { shellQuote } from "./launcher.ts";

/** Seconds the agents give the hook (the `timeout` of its registration). */
export const HOOK_TIMEOUT_SECONDS = 5;

/** The event both agents run the hook on. */
export const HOOK_EVENT = "UserPromptSubmit";

/** The hook script that runs `pollCommand` (the full `hook-poll` command line). */
export function hookScript(pollCommand: readonly string[]): string {
  return `#!/bin/sh
# WeiLink prompt hook (${HOOK_EVENT}): adds the WeChat messages received since the last prompt
# to the agent's context. Installed by 'weilink setup'; 'weilink setup <agent> --uninstall'
# removes it.
#
# The agent's JSON on stdin is not needed, only drained. Whatever happens the answer is valid
# hook output and the exit status is 0: a missing or failing WeiLink never blocks a prompt.
[ -t 0 ] || cat >/dev/null
out=$(${pollCommand.map(shellQuote).join(" ")} 2>/dev/null) || out=
case $out in
  "{"*) printf '%s\\n' "$out" ;;
  *) printf '{}\\n' ;;
esac
exit 0
`;
}
