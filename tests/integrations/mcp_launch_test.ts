/**
 * The MCP entry that `weilink setup claude-code` writes really starts WeiLink's MCP server: the
 * command and arguments of the installed `.mcp.json` are spawned over stdio, as Claude Code
 * would, and the official MCP SDK client lists the tools and calls one.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { TOOL_NAMES } from "../../src/server/tool_catalog.ts";
import { childEnv, CLI, runCli, tempDir } from "./helpers.ts";

Deno.test("setup claude-code: the installed .mcp.json starts the MCP server with every tool", async () => {
  await using home = await tempDir("weilink_mcp_launch_");
  await using data = await tempDir("weilink_mcp_data_");
  const setup = await runCli(home.path, ["setup", "claude-code", "--json"]);
  assert.equal(setup.code, 0, setup.stderr);
  assert.equal(JSON.parse(setup.stdout).status, "installed");
  const plugin = `${home.path}/.claude/plugins/weilink`;
  const { mcpServers } = JSON.parse(await Deno.readTextFile(`${plugin}/.mcp.json`));
  const entry = mcpServers.weilink as { command: string; args: string[] };
  // Run from a checkout, setup points the agent at this Deno and this cli.ts.
  assert.deepEqual(entry, { command: Deno.execPath(), args: ["run", "-A", CLI, "mcp"] });

  const transport = new StdioClientTransport({
    command: entry.command,
    args: entry.args,
    env: childEnv(home.path, { WEILINK_HOME: data.path, WEILINK_LOG_LEVEL: "ERROR" }),
    cwd: home.path,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk));
  const client = new Client({ name: "weilink-setup-test", version: "0.0.0" });
  try {
    await client.connect(transport);
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t: { name: string }) => t.name), [...TOOL_NAMES]);
    const result = await client.callTool({ name: "sessions", arguments: {} });
    assert.equal(result.isError ?? false, false);
    assert.ok(Array.isArray((result.structuredContent as { sessions?: unknown }).sessions));
  } catch (error) {
    console.error(`MCP server stderr:\n${stderr}`);
    throw error;
  } finally {
    await client.close();
  }

  // The hook registration points at a script that exists and is executable.
  const hooks = JSON.parse(await Deno.readTextFile(`${plugin}/hooks/hooks.json`));
  const command = hooks.hooks.UserPromptSubmit[0].hooks[0].command as string;
  assert.equal(command, 'sh "${CLAUDE_PLUGIN_ROOT}/hooks/poll_inject.sh"');
  assert.equal((await Deno.stat(`${plugin}/hooks/poll_inject.sh`)).mode! & 0o111, 0o111);
});
