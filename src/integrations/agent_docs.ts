/**
 * The texts the agents read: the Claude Code skill and the `/weilink` slash command of Codex and
 * OpenCode. The tool reference in them is generated from the MCP server's own catalogue (names,
 * descriptions and parameters as `tools/list` reports them), so it can never describe a tool the
 * server does not have, or miss one it has.
 *
 * @module
 */

import { DESCRIPTIONS, TOOL_NAMES, TOOL_SCHEMAS } from "../server/tool_catalog.ts";

/** The MCP server name every integration registers. */
export const MCP_SERVER_NAME = "weilink";

/** One-line description of the integration, for manifests and command lists. */
export const SUMMARY = "WeChat messaging through WeiLink: read new messages, reply, send files, " +
  "search history and manage bot sessions (iLink Bot protocol).";

interface Parameter {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

function parametersOf(name: (typeof TOOL_NAMES)[number]): Parameter[] {
  const schema = TOOL_SCHEMAS[name].inputSchema as {
    properties?: Record<string, { type?: string; description?: string }>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([param, spec]) => ({
    name: param,
    type: spec.type ?? "value",
    required: schema.required?.includes(param) ?? false,
    description: spec.description ?? "",
  }));
}

/** The reference of every MCP tool, in listing order, as Markdown. */
export function toolReference(): string {
  const sections = TOOL_NAMES.map((name) => {
    const params = parametersOf(name);
    const lines = [`### \`${name}\``, "", DESCRIPTIONS[name], ""];
    if (params.length === 0) {
      lines.push("No parameters.", "");
    } else {
      for (const p of params) {
        const need = p.required ? "required" : "optional";
        lines.push(`- \`${p.name}\` (${p.type}, ${need}): ${p.description}`);
      }
      lines.push("");
    }
    return lines.join("\n");
  });
  return sections.join("\n");
}

/** How to work with the tools, shared by the skill and the slash commands. */
function workflows(injected: boolean): string {
  const arrival = injected
    ? "New messages are added to the conversation automatically each time the user sends a " +
      "prompt (a `== New WeChat Messages ==` block). To look explicitly, call `recv`, or " +
      "`history` with `since`."
    : "Call `recv` to wait briefly for new messages, or `history` with `since` for earlier ones.";
  return `## Working with WeChat

- **New messages.** ${arrival}
- **Replying.** Every message names its sender (\`from_user\`, like \`xxx@im.wechat\`). Pass it
  as \`to\` to \`send\`, with \`text\` and/or a local file path. A bot may only answer users who
  wrote to it recently, a limited number of times per message they sent: \`remaining\` in the
  answer of \`send\` says how many replies are left. When it reaches 0, wait for the user to
  write again.
- **Media.** Images, voice clips, files and videos that users send are saved with \`download\`
  (pass the \`message_id\`); the answer holds the local path.
- **Looking back.** \`history\` filters stored messages by user, type, direction, time and text.
- **Sessions.** Each logged-in WeChat bot account is a session. \`sessions\` lists them; \`login\`
  shows a QR code URL for the user to scan with WeChat; \`send\` picks the session that the
  recipient last wrote to.
- Never invent a user id: take it from a message or from \`history\`.
`;
}

function dispatch(): string {
  return `## What to do with the arguments

Arguments: $ARGUMENTS

- empty or \`status\`: list the sessions, then summarise the latest received messages.
- \`check\` or \`messages\`: look for new messages and summarise them.
- \`reply <user> <text>\`: send the text to that user.
- \`history <query>\`: search the message history.
- anything else: work out what the user wants and use the tools above.
`;
}

/** `SKILL.md` of the Claude Code plugin. */
export function claudeSkill(): string {
  return `---
name: weilink
description: >-
  Read and send WeChat messages through the WeiLink MCP tools. Use when the user mentions WeChat,
  微信, weilink, checking or answering messages, a contact, or sending a file or image to someone.
argument-hint: "[status | check | reply <user> <text> | history <query>]"
---

# WeiLink: WeChat from Claude Code

${workflows(true)}
${dispatch()}
## Tools

${toolReference()}`;
}

/** The `/weilink` slash command of Codex (a custom prompt) and OpenCode (a command). */
export function slashCommand(hooked: boolean): string {
  // JSON strings are valid YAML double-quoted scalars: the summary holds a colon.
  return `---
description: ${JSON.stringify(SUMMARY)}
argument-hint: "[status | check | reply <user> <text> | history <query>]"
---

# /weilink

Use the WeiLink MCP tools (server \`${MCP_SERVER_NAME}\`) to handle the user's WeChat messages.

${workflows(hooked)}
${dispatch()}
## Tools

${toolReference()}`;
}
