/**
 * `weilink setup`: installing into a home folder full of the user's own settings changes only
 * WeiLink's entries, a second install changes nothing, and removal gives back the home folder
 * byte for byte; an install left by the Python original is taken over cleanly; `--dry-run`
 * writes nothing and `--json` describes the plan.
 */
import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import {
  applyPlan,
  launchCommand,
  planSetup,
  SETUP_TARGETS,
  type SetupOptions,
  splitCommand,
} from "../../src/integrations/mod.ts";
import { parseJsonc } from "../../src/integrations/jsonc_edit.ts";
import { TOOL_NAMES } from "../../src/server/tool_catalog.ts";
import { changedPaths, runCli, snapshot, tempDir, writeTree } from "./helpers.ts";

const COMMAND = ["/opt/deno/bin/deno", "run", "-A", "/home/me/weilink/cli.ts"];

/** A home folder as a user of all three agents has it, comments and all. */
const USER_FILES: Record<string, string> = {
  ".claude/settings.json": '{\n  "model": "opus",\n  "enabledPlugins": {}\n}\n',
  ".claude/plugins/other/.claude-plugin/plugin.json": '{ "name": "other" }\n',
  ".codex/config.toml": `# my Codex
model = "o3"

[mcp_servers.github]
command = "npx"
args = ["-y", "@github/mcp"] # pinned

[profiles.deep]
instructions = """
[mcp_servers.weilink]
not = "a table"
"""
`,
  ".codex/hooks.json": `{
  "hooks": {
    "PreToolUse": [
      { "matcher": "Bash", "hooks": [{ "type": "command", "command": "guard.sh" }] }
    ],
    "UserPromptSubmit": [
      { "hooks": [{ "type": "command", "command": "date", "timeout": 2 }] }
    ]
  }
}
`,
  ".codex/hooks/guard.sh": "#!/bin/sh\nexit 0\n",
  ".config/opencode/opencode.jsonc": `{
  "$schema": "https://opencode.ai/config.json",
  // The theme I like
  "theme": "tokyonight",
  "mcp": {
    /* my other server */
    "context7": {
      "type": "remote",
      "url": "https://mcp.context7.test/mcp",
    },
  },
}
`,
  ".config/opencode/commands/review.md": "Review $ARGUMENTS.\n",
};

function options(home: string, extra: Partial<SetupOptions> = {}): SetupOptions {
  return { home, env: () => undefined, command: COMMAND, uninstall: false, ...extra };
}

Deno.test("setup: install, reinstall and uninstall keep every other byte of the home folder", async () => {
  await using home = await tempDir("weilink_setup_");
  await writeTree(home.path, USER_FILES);
  const original = await snapshot(home.path);

  for (const target of SETUP_TARGETS) await applyPlan(planSetup(target, options(home.path)));
  const installed = await snapshot(home.path);
  const changed = changedPaths(original, installed);
  // Only WeiLink's files, and the three user files that get one entry each.
  const userFilesChanged = changed.filter((p) => original.has(p));
  assert.deepEqual(userFilesChanged, [
    ".codex/config.toml",
    ".codex/hooks.json",
    ".config/opencode/opencode.jsonc",
  ]);
  for (const path of changed.filter((p) => !original.has(p))) {
    assert.match(path, /weilink|^\.codex\/(hooks|prompts)$|^\.config\/opencode\/commands$/, path);
  }
  // The user's entries are all still there, and WeiLink's are what an agent needs.
  const read = (rel: string) => Deno.readTextFileSync(`${home.path}/${rel}`);
  const toml = JSON.parse(JSON.stringify(parseToml(read(".codex/config.toml"))));
  assert.deepEqual(toml.mcp_servers.github, { command: "npx", args: ["-y", "@github/mcp"] });
  assert.deepEqual(toml.mcp_servers.weilink, {
    command: COMMAND[0],
    args: [...COMMAND.slice(1), "mcp"],
  });
  assert.match(toml.profiles.deep.instructions, /not = "a table"/);
  const hooks = parseJsonc(read(".codex/hooks.json")) as {
    hooks: { UserPromptSubmit: { hooks: { command: string }[] }[]; PreToolUse: unknown[] };
  };
  assert.equal(hooks.hooks.PreToolUse.length, 1);
  assert.deepEqual(hooks.hooks.UserPromptSubmit.map((g) => g.hooks[0]!.command), [
    "date",
    `sh ${home.path}/.codex/hooks/weilink_poll_inject.sh`,
  ]);
  const opencode = parseJsonc(read(".config/opencode/opencode.jsonc")) as {
    mcp: Record<string, { command?: string[] }>;
  };
  assert.deepEqual(Object.keys(opencode.mcp), ["context7", "weilink"]);
  assert.deepEqual(opencode.mcp.weilink!.command, [...COMMAND, "mcp"]);
  assert.ok(read(".config/opencode/opencode.jsonc").includes("// The theme I like"));
  assert.equal(installed.get(".codex/hooks/weilink_poll_inject.sh")?.split("\n")[0], "file 755");
  assert.ok(installed.has(".claude/plugins/weilink/skills/weilink/SKILL.md"));

  // A second install finds nothing to do and writes nothing.
  for (const target of SETUP_TARGETS) {
    const again = planSetup(target, options(home.path));
    assert.deepEqual(again.changes, [], target);
    await applyPlan(again);
  }
  assert.deepEqual(changedPaths(installed, await snapshot(home.path)), []);

  // Removal gives back the home folder exactly, empty folders it made included.
  for (const target of SETUP_TARGETS) {
    await applyPlan(planSetup(target, options(home.path, { uninstall: true })));
  }
  assert.deepEqual(changedPaths(original, await snapshot(home.path)), []);
  for (const target of SETUP_TARGETS) {
    assert.deepEqual(planSetup(target, options(home.path, { uninstall: true })).changes, []);
  }
});

Deno.test("setup: from an empty home folder and back leaves nothing behind", async () => {
  await using home = await tempDir("weilink_setup_empty_");
  for (const target of SETUP_TARGETS) await applyPlan(planSetup(target, options(home.path)));
  assert.ok((await snapshot(home.path)).size > 10);
  for (const target of SETUP_TARGETS) {
    await applyPlan(planSetup(target, options(home.path, { uninstall: true })));
  }
  // Only ~/.config itself may stay: it is shared with every other program.
  assert.deepEqual([...(await snapshot(home.path)).keys()], [".config"]);
});

Deno.test("setup: an install of the Python original is taken over, not written through", async () => {
  await using home = await tempDir("weilink_setup_legacy_");
  const pythonPlugin = "site-packages/weilink/integrations/claude_code";
  await writeTree(home.path, {
    [`${pythonPlugin}/.mcp.json`]:
      '{"mcpServers":{"weilink":{"command":"weilink","args":["mcp"]}}}',
    [`${pythonPlugin}/hooks/poll_inject.py`]: "print('{}')\n",
    ".codex/hooks/weilink_poll_inject.py": "print('{}')\n",
    ".codex/commands/weilink.md": "old command\n",
    ".codex/hooks.json": JSON.stringify(
      {
        hooks: {
          UserPromptSubmit: [{
            hooks: [{
              type: "command",
              command: "python3 ~/.codex/hooks/weilink_poll_inject.py",
              timeout: 5,
            }],
          }],
        },
      },
      null,
      2,
    ) + "\n",
  });
  await Deno.mkdir(`${home.path}/.claude/plugins`, { recursive: true });
  await Deno.symlink(`${home.path}/${pythonPlugin}`, `${home.path}/.claude/plugins/weilink`);
  const python = await snapshot(`${home.path}/site-packages`);

  for (const target of ["claude-code", "codex"] as const) {
    await applyPlan(planSetup(target, options(home.path)));
  }
  const plugin = `${home.path}/.claude/plugins/weilink`;
  assert.equal(Deno.lstatSync(plugin).isSymlink, false);
  assert.ok(Deno.statSync(`${plugin}/hooks/poll_inject.sh`).isFile);
  // The Python package the link pointed at is untouched.
  assert.deepEqual(changedPaths(python, await snapshot(`${home.path}/site-packages`)), []);
  // One hook entry, ours; the Python hook and the misplaced command are gone.
  const hooks = JSON.parse(Deno.readTextFileSync(`${home.path}/.codex/hooks.json`));
  assert.deepEqual(
    hooks.hooks.UserPromptSubmit.map((g: { hooks: { command: string }[] }) => g.hooks[0]!.command),
    [
      `sh ${home.path}/.codex/hooks/weilink_poll_inject.sh`,
    ],
  );
  for (const gone of [".codex/hooks/weilink_poll_inject.py", ".codex/commands/weilink.md"]) {
    assert.throws(() => Deno.statSync(`${home.path}/${gone}`), Deno.errors.NotFound);
  }
});

Deno.test("setup: the skill and the slash commands document every MCP tool", async () => {
  await using home = await tempDir("weilink_setup_docs_");
  for (const target of SETUP_TARGETS) await applyPlan(planSetup(target, options(home.path)));
  for (
    const rel of [
      ".claude/plugins/weilink/skills/weilink/SKILL.md",
      ".codex/prompts/weilink.md",
      ".config/opencode/commands/weilink.md",
    ]
  ) {
    const text = Deno.readTextFileSync(`${home.path}/${rel}`);
    // Front matter with a description that YAML reads as one string (quoted, or folded).
    assert.match(text, /^---\n(?:[\s\S]*?\n)?description: (?:"[^"\n]*"|>-)\n/, rel);
    const documented: string[] = [...text.matchAll(/^### `(\w+)`$/gm)].map((m) => m[1]!);
    for (const tool of ["rename_session", "set_default", "send_typing"]) {
      assert.ok(documented.includes(tool), `${rel}: ${tool}`);
    }
    assert.deepEqual(documented, [...TOOL_NAMES], rel);
  }
});

Deno.test("setup: -d is passed on to the agents; CODEX_HOME and XDG_CONFIG_HOME are honoured", async () => {
  await using home = await tempDir("weilink_setup_env_");
  const env = (name: string) =>
    ({ CODEX_HOME: `${home.path}/codex-home`, XDG_CONFIG_HOME: `${home.path}/xdg` })[name];
  const opts = options(home.path, { env, basePath: "/data/wl" });
  await applyPlan(planSetup("codex", opts));
  await applyPlan(planSetup("opencode", opts));
  const toml = parseToml(Deno.readTextFileSync(`${home.path}/codex-home/config.toml`)) as {
    mcp_servers: { weilink: { args: string[] } };
  };
  assert.deepEqual(toml.mcp_servers.weilink.args.slice(-3), ["mcp", "-d", "/data/wl"]);
  const script = Deno.readTextFileSync(`${home.path}/codex-home/hooks/weilink_poll_inject.sh`);
  assert.match(script, /cli\.ts hook-poll --format hook -d \/data\/wl 2>/);
  const opencode = JSON.parse(Deno.readTextFileSync(`${home.path}/xdg/opencode/opencode.json`));
  assert.deepEqual(opencode.mcp.weilink.command.slice(-3), ["mcp", "-d", "/data/wl"]);
});

Deno.test("setup: a config the editor cannot read is refused before anything is written", async () => {
  await using home = await tempDir("weilink_setup_bad_");
  await writeTree(home.path, {
    ".config/opencode/opencode.json": '{ "theme": "x", }}\n',
    ".codex/config.toml": "[mcp_servers]\nweilink = { command = 'x' }\n",
  });
  const before = await snapshot(home.path);
  assert.throws(() => planSetup("opencode", options(home.path)), SyntaxError);
  assert.throws(() => planSetup("codex", options(home.path)), /defined inline at line 2/);
  assert.throws(
    () => planSetup("codex", options(home.path, { uninstall: true })),
    /defined inline at line 2/,
  );
  assert.deepEqual(changedPaths(before, await snapshot(home.path)), []);
});

Deno.test("launcher: the agent starts the WeiLink this setup was run with", () => {
  assert.deepEqual(
    launchCommand({ execPath: "/usr/local/bin/weilink", mainModule: "file:///b/cli.ts" }),
    ["/usr/local/bin/weilink"],
  );
  assert.deepEqual(
    launchCommand({
      execPath: "/home/me/.deno/bin/deno",
      mainModule: "file:///src/my%20wl/cli.ts",
    }),
    ["/home/me/.deno/bin/deno", "run", "-A", "/src/my wl/cli.ts"],
  );
  for (const main of ["jsr:@weilink/core/cli", "https://jsr.io/@weilink/core/0.1.0/cli.ts"]) {
    assert.deepEqual(launchCommand({ execPath: "/usr/bin/deno", mainModule: main }), [
      "/usr/bin/deno",
      "run",
      "-A",
      "jsr:@weilink/core/cli",
    ]);
  }
  assert.deepEqual(splitCommand(`deno run -A 'my dir/cli.ts' "a \\"b\\"" c\\ d`), [
    "deno",
    "run",
    "-A",
    "my dir/cli.ts",
    'a "b"',
    "c d",
  ]);
  assert.throws(() => splitCommand("weilink 'oops"), TypeError);
  assert.throws(() => splitCommand("   "), TypeError);
});

Deno.test("cli: setup --dry-run prints a diff and writes nothing; --json describes the plan", async () => {
  await using home = await tempDir("weilink_setup_cli_");
  await writeTree(home.path, USER_FILES);
  const before = await snapshot(home.path);
  const dry = await runCli(home.path, ["setup", "opencode", "--dry-run"]);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /^--- .*opencode\.jsonc\n\+\+\+ .*opencode\.jsonc\n@@ /m);
  assert.match(dry.stdout, /^\+ {4}"weilink": \{$/m);
  assert.match(dry.stdout, /^--- \/dev\/null\n\+\+\+ .*commands\/weilink\.md$/m);
  const json = await runCli(home.path, [
    "setup",
    "codex",
    "--dry-run",
    "--json",
    "--command",
    "weilink",
  ]);
  assert.equal(json.code, 0, json.stderr);
  const plan = JSON.parse(json.stdout);
  assert.equal(plan.status, "installed");
  assert.equal(plan.dry_run, true);
  assert.deepEqual(plan.command, ["weilink"]);
  assert.deepEqual(
    plan.changes.map((c: { change: string; path: string }) =>
      `${c.change} ${c.path.slice(home.path.length)}`
    ),
    [
      "create /.codex/hooks/weilink_poll_inject.sh",
      "modify /.codex/hooks.json",
      "create /.codex/prompts/weilink.md",
      "modify /.codex/config.toml",
    ],
  );
  assert.ok(plan.changes.every((c: { diff: string }) => c.diff.startsWith("--- ")));
  assert.deepEqual(changedPaths(before, await snapshot(home.path)), []);

  // The real thing, twice; then the JSON of removal.
  const first = await runCli(home.path, ["setup", "codex", "--json"]);
  assert.equal(JSON.parse(first.stdout).status, "installed", first.stderr);
  const second = await runCli(home.path, ["setup", "codex", "--json"]);
  assert.equal(JSON.parse(second.stdout).status, "already_installed");
  const removed = await runCli(home.path, ["setup", "codex", "--uninstall", "--json"]);
  assert.equal(JSON.parse(removed.stdout).status, "uninstalled");
  assert.deepEqual(changedPaths(before, await snapshot(home.path)), []);
  const unknown = await runCli(home.path, ["setup", "vscode"]);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /Unknown agent 'vscode'/);
});
