/**
 * The Claude Code integration: a plugin folder, `<config>/plugins/weilink/` (the config folder is
 * `CLAUDE_CONFIG_DIR`, default `~/.claude`), holding
 *
 * ```text
 * .claude-plugin/plugin.json   the manifest
 * .mcp.json                    the MCP server "weilink", started with the WeiLink of this setup
 * hooks/hooks.json             a UserPromptSubmit hook running hooks/poll_inject.sh
 * hooks/poll_inject.sh         the hook (see hook_script.ts)
 * skills/weilink/SKILL.md      when and how to use the tools, and every tool's reference
 * ```
 *
 * The Python original linked the folder to its package; such a link is replaced (the link, not
 * what it points to), and its Python hook is removed.
 *
 * @module
 */

import { VERSION } from "../version.ts";
import { claudeSkill, MCP_SERVER_NAME, SUMMARY } from "./agent_docs.ts";
import { HOOK_EVENT, HOOK_TIMEOUT_SECONDS, hookScript } from "./hook_script.ts";
import {
  type FileChange,
  fileChange,
  readOptional,
  type SetupOptions,
  type SetupPlan,
  symlinkTarget,
  weilinkCommand,
} from "./setup_plan.ts";

/** The plugin's folder name, and its name in the manifest. */
const PLUGIN = "weilink";

function json(value: unknown): string {
  return JSON.stringify(value, null, 2) + "\n";
}

/** The files of the plugin, by path relative to its folder. */
function pluginFiles(
  options: SetupOptions,
): { path: string; text: string; what: string; mode?: number }[] {
  const [command, ...args] = weilinkCommand(options, "mcp");
  return [
    {
      path: ".claude-plugin/plugin.json",
      what: "plugin manifest",
      text: json({ name: PLUGIN, version: VERSION, description: SUMMARY, license: "MIT" }),
    },
    {
      path: ".mcp.json",
      what: `MCP server "${MCP_SERVER_NAME}"`,
      text: json({ mcpServers: { [MCP_SERVER_NAME]: { command, args } } }),
    },
    {
      path: "hooks/hooks.json",
      what: `${HOOK_EVENT} hook registration`,
      text: json({
        description: "WeiLink: adds new WeChat messages to the context before each prompt",
        hooks: {
          [HOOK_EVENT]: [{
            hooks: [{
              type: "command",
              command: 'sh "${CLAUDE_PLUGIN_ROOT}/hooks/poll_inject.sh"',
              timeout: HOOK_TIMEOUT_SECONDS,
            }],
          }],
        },
      }),
    },
    {
      path: "hooks/poll_inject.sh",
      what: "prompt hook script",
      text: hookScript(weilinkCommand(options, "hook-poll", "--format", "hook")),
      mode: 0o755,
    },
    { path: "skills/weilink/SKILL.md", what: "skill", text: claudeSkill() },
  ];
}

/** Files the Python original put in the plugin folder that this one does not use. */
const LEGACY_FILES = ["hooks/poll_inject.py"];

/** Plans installing or removing the Claude Code plugin. */
export function planClaudeCode(options: SetupOptions): SetupPlan {
  const root = options.env("CLAUDE_CONFIG_DIR") ?? `${options.home}/.claude`;
  const dir = `${root}/plugins/${PLUGIN}`;
  const changes: FileChange[] = [];
  const link = symlinkTarget(dir);
  if (link !== undefined) {
    changes.push({
      path: dir,
      before: undefined,
      after: undefined,
      symlink: link,
      what: "plugin link of an earlier install",
    });
  }
  // Behind a link everything reads as absent: the files are written into a real folder.
  const read = (path: string) => link === undefined ? readOptional(path) : undefined;
  for (const file of pluginFiles(options)) {
    const path = `${dir}/${file.path}`;
    const after = options.uninstall ? undefined : file.text;
    changes.push(...fileChange(path, read(path), after, file.what, file.mode));
  }
  for (const legacy of LEGACY_FILES) {
    const path = `${dir}/${legacy}`;
    changes.push(...fileChange(path, read(path), undefined, "Python hook of an earlier install"));
  }
  const notes = options.uninstall ? ["Restart Claude Code to unload the plugin."] : [
    `Start Claude Code with the plugin: claude --plugin-dir ${dir}`,
    "Or add it to a plugin marketplace of yours; then /weilink shows status and new messages.",
  ];
  return {
    target: "claude-code",
    action: options.uninstall ? "uninstall" : "install",
    root,
    changes,
    notes,
  };
}
