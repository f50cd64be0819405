/**
 * The OpenCode integration, in OpenCode's global folder (`$XDG_CONFIG_HOME/opencode`, default
 * `~/.config/opencode`):
 *
 * ```text
 * opencode.json (or .jsonc)   "mcp": { "weilink": { "type": "local", "command": [...] } }
 * commands/weilink.md         the /weilink slash command
 * ```
 *
 * OpenCode has no shell hooks, so messages are read with the tools. The config is JSON with
 * comments: the entry is spliced in and out of the text, and every other byte stays.
 *
 * @module
 */

import { MCP_SERVER_NAME, slashCommand } from "./agent_docs.ts";
import { isEmptyDocument, removeJsonc, setJsonc } from "./jsonc_edit.ts";
import {
  type FileChange,
  fileChange,
  readOptional,
  type SetupOptions,
  type SetupPlan,
  weilinkCommand,
} from "./setup_plan.ts";

const ENTRY = ["mcp", MCP_SERVER_NAME];

/** Plans installing or removing the OpenCode integration. */
export function planOpenCode(options: SetupOptions): SetupPlan {
  const base = options.env("XDG_CONFIG_HOME") ?? `${options.home}/.config`;
  const root = `${base}/opencode`;
  const command = `${root}/commands/weilink.md`;
  const configs = [`${root}/opencode.json`, `${root}/opencode.jsonc`].map((path) => ({
    path,
    text: readOptional(path),
  }));
  const changes: FileChange[] = [];
  if (options.uninstall) {
    for (const { path, text } of configs) {
      if (text === undefined) continue;
      const out = removeJsonc(text, ENTRY, 1, path);
      changes.push(
        ...fileChange(
          path,
          text,
          out !== text && isEmptyDocument(out) ? undefined : out,
          `MCP entry "${MCP_SERVER_NAME}"`,
        ),
      );
    }
    changes.push(...fileChange(command, readOptional(command), undefined, "/weilink command"));
  } else {
    // The file OpenCode reads: opencode.json when there is one, else an existing .jsonc.
    const config = configs.find((c) => c.text !== undefined) ?? configs[0]!;
    const entry = { type: "local", command: weilinkCommand(options, "mcp"), enabled: true };
    const after = setJsonc(config.text ?? "", ENTRY, entry, config.path);
    changes.push(...fileChange(config.path, config.text, after, `MCP entry "${MCP_SERVER_NAME}"`));
    changes.push(
      ...fileChange(command, readOptional(command), slashCommand(false), "/weilink command"),
    );
  }
  return {
    target: "opencode",
    action: options.uninstall ? "uninstall" : "install",
    root,
    changes,
    notes: options.uninstall
      ? ["Restart OpenCode to drop the MCP server."]
      : ["Restart OpenCode; /weilink shows status and new messages."],
  };
}
