/**
 * The config editors: an entry added to and removed from a user's JSON, JSON-with-comments or
 * TOML file leaves every other byte as it was, a second add changes nothing, and the result is
 * read back by real parsers (`jsonc-parser`, `smol-toml`) with the intended values.
 */
import assert from "node:assert/strict";
import { parse as parseToml } from "smol-toml";
import {
  appendJsonc,
  isEmptyDocument,
  parseJsonc,
  removeJsonc,
  removeJsoncItems,
  setJsonc,
} from "../../src/integrations/jsonc_edit.ts";
import { removeTomlTable, setTomlTable, TomlEditError } from "../../src/integrations/toml_edit.ts";
import { unifiedDiff } from "../../src/integrations/unified_diff.ts";

/** TOML as plain JSON values (the parser builds objects without a prototype). */
function toml(text: string): Record<string, unknown> {
  return JSON.parse(JSON.stringify(parseToml(text)));
}

const ENTRY = { type: "local", command: ["/bin/deno", "run", "-A", "/a b/cli.ts", "mcp"] };

const JSON_DOCS: Record<string, string> = {
  "JSONC with comments and no trailing commas": `{
  // Global OpenCode settings
  "$schema": "https://opencode.ai/config.json",
  "theme": "opencode", /* inline note */
  "mcp": {
    "github": { "type": "remote", "url": "https://example.test/mcp" } // keep me
  }
}
`,
  "trailing commas everywhere": `{
  "model": "anthropic/claude",
  "mcp": {
    "other": {
      "type": "local",
      "command": ["npx", "-y", "other"],
    }, // the other one
  },
}
`,
  "tabs and CRLF": '{\r\n\t"autoupdate": true,\r\n\t"mcp": {\r\n\t\t"x": {}\r\n\t}\r\n}\r\n',
  "four-space indent, no mcp":
    '{\n    "theme": "dark",\n    "keybinds": {\n        "leader": "ctrl+x"\n    }\n}\n',
  "one line": '{"theme": "dark"}',
  "empty object": "{}",
  "comment in an empty object": "{\n  // nothing yet\n}\n",
};

Deno.test("jsonc: add then remove an entry leaves each document byte-identical", () => {
  for (const [name, doc] of Object.entries(JSON_DOCS)) {
    const added = setJsonc(doc, ["mcp", "weilink"], ENTRY);
    assert.notEqual(added, doc, name);
    const value = parseJsonc(added) as { mcp: Record<string, unknown> };
    assert.deepEqual(value.mcp.weilink, ENTRY, name);
    // Everything else reads the same as before.
    const before = parseJsonc(doc) as { mcp?: Record<string, unknown> };
    for (const [key, v] of Object.entries(before)) {
      if (key !== "mcp") assert.deepEqual((value as Record<string, unknown>)[key], v, name);
    }
    for (const [key, v] of Object.entries(before.mcp ?? {})) assert.deepEqual(value.mcp[key], v);
    // Comments survive.
    for (const comment of doc.match(/(?<=\s)\/\/[^\n]*|\/\*[\s\S]*?\*\//g) ?? []) {
      assert.ok(added.includes(comment), `${name}: lost ${comment}`);
    }
    assert.equal(setJsonc(added, ["mcp", "weilink"], structuredClone(ENTRY)), added, name);
    assert.equal(removeJsonc(added, ["mcp", "weilink"], 1), doc, name);
  }
});

Deno.test("jsonc: a changed value is replaced in place; unknown paths are left alone", () => {
  const doc = JSON_DOCS["JSONC with comments and no trailing commas"]!;
  const first = setJsonc(doc, ["mcp", "weilink"], ENTRY);
  const second = setJsonc(first, ["mcp", "weilink"], { ...ENTRY, enabled: false });
  assert.deepEqual((parseJsonc(second) as { mcp: { weilink: unknown } }).mcp.weilink, {
    ...ENTRY,
    enabled: false,
  });
  assert.equal(second.split("\n").length, first.split("\n").length + 1);
  assert.equal(removeJsonc(doc, ["mcp", "absent"], 1), doc);
  assert.equal(removeJsonc(doc, ["nothing", "here"], 1), doc);
});

Deno.test("jsonc: array items are appended and removed without touching neighbours", () => {
  const doc = `{
  "hooks": {
    "PreToolUse": [{ "matcher": "Bash", "hooks": [] }],
    "UserPromptSubmit": [
      { "hooks": [{ "type": "command", "command": "other-tool" }] }
    ]
  }
}
`;
  const ours = { hooks: [{ type: "command", command: "sh /x/weilink_poll_inject.sh" }] };
  const added = appendJsonc(doc, ["hooks", "UserPromptSubmit"], ours);
  const groups = (parseJsonc(added) as { hooks: { UserPromptSubmit: unknown[] } }).hooks
    .UserPromptSubmit;
  assert.equal(groups.length, 2);
  assert.deepEqual(groups[1], ours);
  const isOurs = (g: unknown) => JSON.stringify(g).includes("weilink_poll_inject");
  assert.equal(removeJsoncItems(added, ["hooks", "UserPromptSubmit"], isOurs, 1), doc);
  // Created from nothing, and removed down to an empty document.
  const fresh = appendJsonc("", ["hooks", "UserPromptSubmit"], ours);
  const gone = removeJsoncItems(fresh, ["hooks", "UserPromptSubmit"], isOurs, 1);
  assert.ok(isEmptyDocument(gone), gone);
});

Deno.test("jsonc: invalid input is refused with the line, never rewritten", () => {
  assert.throws(() => setJsonc('{\n  "a": 1,\n  "b" 2\n}', ["mcp", "x"], 1), /line 3/);
  assert.throws(() => setJsonc("[1, 2]", ["mcp", "x"], 1), /not a JSON object/);
  assert.throws(() => setJsonc('{"mcp": 3}', ["mcp", "x"], 1), /"mcp" is not an object/);
});

const TOML_DOC = `# Codex settings
model = "o3"
approval_policy = "on-request"

[mcp_servers.other]
command = "npx"
args = [
  "-y",
  "other-server", # a comment inside an array
]

[profiles.fast]
model = "o4-mini"
instructions = """
[mcp_servers.weilink]
command = "this is text inside a string"
"""
literal = '''
[not.a.table]
'''

# The last table
[tui]
notifications = true
`;

const VALUES = { command: "/usr/bin/deno", args: ["run", "-A", "/a b/cli.ts", "mcp"] };

Deno.test("toml: the table is added at the end and removed byte-identically", () => {
  for (const doc of [TOML_DOC, "", "a = 1\n", "a = 1\n\n\n", TOML_DOC.replaceAll("\n", "\r\n")]) {
    const added = setTomlTable(doc, ["mcp_servers", "weilink"], VALUES);
    const parsed = toml(added) as { mcp_servers: Record<string, unknown> };
    assert.deepEqual(parsed.mcp_servers.weilink, VALUES);
    assert.equal(setTomlTable(added, ["mcp_servers", "weilink"], VALUES), added);
    assert.equal(removeTomlTable(added, ["mcp_servers", "weilink"]), doc);
    assert.ok(added.startsWith(doc));
  }
  // The text inside the multi-line strings is not a table: nothing to remove there.
  assert.equal(removeTomlTable(TOML_DOC, ["mcp_servers", "weilink"]), TOML_DOC);
  const parsed = toml(TOML_DOC) as { profiles: { fast: { instructions: string } } };
  assert.match(parsed.profiles.fast.instructions, /\[mcp_servers\.weilink\]/);
});

Deno.test("toml: an existing table keeps the user's own keys and sub-tables", () => {
  const doc = `[mcp_servers.weilink]
command = "weilink"
startup_timeout_sec = 30
args = [
  "mcp",
]

[mcp_servers.weilink.env]
WEILINK_LOG_LEVEL = "debug"

[other]
x = 1
`;
  const updated = setTomlTable(doc, ["mcp_servers", "weilink"], VALUES);
  const parsed = toml(updated) as {
    mcp_servers: { weilink: Record<string, unknown> };
    other: unknown;
  };
  assert.deepEqual(parsed.mcp_servers.weilink, {
    ...VALUES,
    startup_timeout_sec: 30,
    env: { WEILINK_LOG_LEVEL: "debug" },
  });
  assert.deepEqual(parsed.other, { x: 1 });
  assert.equal(setTomlTable(updated, ["mcp_servers", "weilink"], VALUES), updated);
  // Removal takes the table and its sub-tables, and nothing else.
  assert.deepEqual(toml(removeTomlTable(updated, ["mcp_servers", "weilink"])), {
    other: { x: 1 },
  });
});

Deno.test("toml: a server defined inline is refused, never duplicated", () => {
  for (
    const doc of [
      '[mcp_servers]\nweilink = { command = "x" }\n',
      'mcp_servers.weilink.command = "x"\n',
      'mcp_servers = { other = { command = "y" } }\n',
    ]
  ) {
    assert.throws(() => setTomlTable(doc, ["mcp_servers", "weilink"], VALUES), TomlEditError);
    assert.throws(() => removeTomlTable(doc, ["mcp_servers", "weilink"]), TomlEditError);
  }
});

/** patch(1), an implementation of unified diffs that this project did not write. */
const PATCH = (() => {
  try {
    return new Deno.Command("patch", { args: ["--version"], stdout: "null" }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "diff: the dry-run diff applies with patch(1) and turns the old file into the new",
  ignore: !PATCH,
  fn: async () => {
    const dir = await Deno.makeTempDir();
    try {
      const before = TOML_DOC;
      const after = setTomlTable(before.replace('model = "o3"', 'model = "o5"'), [
        "mcp_servers",
        "weilink",
      ], VALUES);
      const file = `${dir}/config.toml`;
      await Deno.writeTextFile(file, before);
      const diff = unifiedDiff(file, before, after);
      assert.match(diff, /^--- .*\n\+\+\+ .*\n@@ -\d+,\d+ \+\d+,\d+ @@/);
      const child = new Deno.Command("patch", { args: ["-s", file], stdin: "piped" }).spawn();
      const writer = child.stdin.getWriter();
      await writer.write(new TextEncoder().encode(diff));
      await writer.close();
      assert.equal((await child.status).code, 0);
      assert.equal(await Deno.readTextFile(file), after);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test("diff: equal texts give no diff; created and removed files name /dev/null", () => {
  assert.equal(unifiedDiff("/x", "a\n", "a\n"), "");
  assert.equal(
    unifiedDiff("/x", undefined, "a\nb\n"),
    "--- /dev/null\n+++ /x\n@@ -0,0 +1,2 @@\n+a\n+b\n",
  );
  assert.equal(unifiedDiff("/x", "a\n", undefined), "--- /x\n+++ /dev/null\n@@ -1,1 +0,0 @@\n-a\n");
});
