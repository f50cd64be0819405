/**
 * The Codex integration, in Codex's folder (`CODEX_HOME`, default `~/.codex`):
 *
 * ```text
 * config.toml                     [mcp_servers.weilink]: command and args (other keys kept)
 * hooks.json                      a UserPromptSubmit group running the hook script
 * hooks/weilink_poll_inject.sh    the hook (see hook_script.ts)
 * prompts/weilink.md              the /prompts:weilink slash command
 * ```
 *
 * `config.toml` and `hooks.json` belong to the user: only WeiLink's entries are added, changed
 * or removed, and every other byte stays. The Python original only printed how to register the
 * MCP server, put its command where Codex does not look (`commands/`) and a Python hook in
 * `hooks/`; those files are removed.
 *
 * @module
 */

import { MCP_SERVER_NAME, slashCommand } from "./agent_docs.ts";
import { HOOK_EVENT, HOOK_TIMEOUT_SECONDS, hookScript } from "./hook_script.ts";
import {
  appendJsonc,
  isEmptyDocument,
  jsonEqual,
  parseJsonc,
  removeJsoncItems,
} from "./jsonc_edit.ts";
import { shellQuote } from "./launcher.ts";
import {
  type FileChange,
  fileChange,
  readOptional,
  type SetupOptions,
  type SetupPlan,
  weilinkCommand,
} from "./setup_plan.ts";
import { removeTomlTable, setTomlTable } from "./toml_edit.ts";

/** Name of the hook script; every hook command containing it is WeiLink's (`.py` of old too). */
const HOOK_MARK = "weilink_poll_inject";
const TABLE = ["mcp_servers", MCP_SERVER_NAME];

/** Whether a `hooks.json` matcher group runs a WeiLink hook. */
function isOurGroup(group: unknown): boolean {
  const hooks = (group as { hooks?: unknown })?.hooks;
  return Array.isArray(hooks) &&
    hooks.some((h) => typeof h?.command === "string" && h.command.includes(HOOK_MARK));
}

/** `hooks.json` with exactly one WeiLink group, `group`, keeping every other entry. */
function withHook(text: string | undefined, group: unknown, label: string): string | undefined {
  const source = text ?? "";
  const current = parseJsonc(source, label) as { hooks?: Record<string, unknown> };
  const groups = current.hooks?.[HOOK_EVENT];
  const ours = Array.isArray(groups) ? groups.filter(isOurGroup) : [];
  if (ours.length === 1 && jsonEqual(ours[0], group)) return text;
  const cleared = removeJsoncItems(source, ["hooks", HOOK_EVENT], isOurGroup, 0, label);
  return appendJsonc(cleared, ["hooks", HOOK_EVENT], group, label);
}

/** `hooks.json` without WeiLink's groups; `undefined` when nothing else was in it. */
function withoutHook(text: string | undefined, label: string): string | undefined {
  if (text === undefined) return undefined;
  const out = removeJsoncItems(text, ["hooks", HOOK_EVENT], isOurGroup, 1, label);
  if (out === text) return text;
  return isEmptyDocument(out) ? undefined : out;
}

/** Plans installing or removing the Codex integration. */
export function planCodex(options: SetupOptions): SetupPlan {
  const root = options.env("CODEX_HOME") ?? `${options.home}/.codex`;
  const script = `${root}/hooks/${HOOK_MARK}.sh`;
  const prompt = `${root}/prompts/weilink.md`;
  const hooksJson = `${root}/hooks.json`;
  const config = `${root}/config.toml`;
  const changes: FileChange[] = [];
  const hooksBefore = readOptional(hooksJson);
  const configBefore = readOptional(config);
  if (options.uninstall) {
    changes.push(...fileChange(script, readOptional(script), undefined, "prompt hook script"));
    changes.push(
      ...fileChange(hooksJson, hooksBefore, withoutHook(hooksBefore, hooksJson), "hook entry"),
    );
    changes.push(...fileChange(prompt, readOptional(prompt), undefined, "/prompts:weilink"));
    if (configBefore !== undefined) {
      const after = removeTomlTable(configBefore, TABLE, config);
      changes.push(
        ...fileChange(
          config,
          configBefore,
          after !== configBefore && after.trim() === "" ? undefined : after,
          `MCP server "${MCP_SERVER_NAME}"`,
        ),
      );
    }
  } else {
    const [command, ...args] = weilinkCommand(options, "mcp");
    const group = {
      hooks: [{
        type: "command",
        command: `sh ${shellQuote(script)}`,
        timeout: HOOK_TIMEOUT_SECONDS,
      }],
    };
    const pollCommand = weilinkCommand(options, "hook-poll", "--format", "hook");
    changes.push(
      ...fileChange(
        script,
        readOptional(script),
        hookScript(pollCommand),
        "prompt hook script",
        0o755,
      ),
    );
    changes.push(
      ...fileChange(hooksJson, hooksBefore, withHook(hooksBefore, group, hooksJson), "hook entry"),
    );
    changes.push(
      ...fileChange(prompt, readOptional(prompt), slashCommand(true), "/prompts:weilink"),
    );
    const after = setTomlTable(configBefore ?? "", TABLE, { command: command!, args }, config);
    changes.push(...fileChange(config, configBefore, after, `MCP server "${MCP_SERVER_NAME}"`));
  }
  for (const legacy of [`${root}/hooks/${HOOK_MARK}.py`, `${root}/commands/weilink.md`]) {
    changes.push(
      ...fileChange(legacy, readOptional(legacy), undefined, "file of an earlier install"),
    );
  }
  const notes = options.uninstall ? ["Restart Codex to drop the MCP server and the hook."] : [
    "Restart Codex. /prompts:weilink shows status and new messages; new messages also arrive " +
    "with each prompt through the hook.",
    "Codex may ask you to review the new hook (/hooks); older Codex versions need " +
    "[features] hooks = true in config.toml.",
  ];
  return {
    target: "codex",
    action: options.uninstall ? "uninstall" : "install",
    root,
    changes,
    notes,
  };
}
