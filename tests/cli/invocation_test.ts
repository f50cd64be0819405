/**
 * The command the hints print: an installed `weilink` (shim or compiled binary), or
 * `deno run -A cli.ts`, worked out from the facts of the process.
 */
import assert from "node:assert/strict";
import { commandPrefix, type InvocationFacts } from "../../src/cli/invocation.ts";
import { runCli } from "./cli_process.ts";

const MAIN = "file:///home/me/weilink/cli.ts";

function facts(overrides: Partial<InvocationFacts> = {}): InvocationFacts {
  return {
    mainModule: MAIN,
    execPath: "/usr/bin/deno",
    standalone: false,
    readText: () => undefined,
    ...overrides,
  };
}

/** What `deno install -g -n NAME --root ROOT` leaves: the shim and its config. */
function installed(root: string, name: string, main = MAIN): Partial<InvocationFacts> {
  const config = `${root}/bin/.${name}/deno.json`;
  return {
    processArgs: ["deno", "run", "--allow-all", "--config", config, main, "demo", ""],
    readText: (path) =>
      path === `${root}/bin/${name}`
        ? `#!/bin/sh\nexec deno run --allow-all --config ${config} '${main}' "$@"\n`
        : undefined,
  };
}

Deno.test("invocation: deno run from a clone prints the path of cli.ts as typed there", () => {
  assert.equal(commandPrefix(facts({ cwd: "/home/me/weilink" })), "deno run -A cli.ts");
  assert.equal(commandPrefix(facts({ cwd: "/home/me" })), "deno run -A weilink/cli.ts");
  assert.equal(commandPrefix(facts({ cwd: "/tmp" })), "deno run -A /home/me/weilink/cli.ts");
  assert.equal(commandPrefix(facts()), "deno run -A /home/me/weilink/cli.ts", "cwd unknown");
  assert.equal(
    commandPrefix(facts({ mainModule: "file:///home/me/my%20bots/cli.ts" })),
    "deno run -A '/home/me/my bots/cli.ts'",
  );
  assert.equal(
    commandPrefix(facts({ mainModule: "https://jsr.io/@weilink/core/0.1.0/cli.ts" })),
    "deno run -A jsr:@weilink/core/cli",
  );
});

Deno.test("invocation: a deno install shim is named, or its full path when not on PATH", () => {
  const root = "/home/me/.deno";
  assert.equal(
    commandPrefix(facts({ ...installed(root, "weilink"), path: `/usr/bin:${root}/bin` })),
    "weilink",
  );
  assert.equal(
    commandPrefix(facts({ ...installed(root, "wl"), path: `/usr/bin:${root}/bin/` })),
    "wl",
    "installed under another name; PATH entry with a trailing slash",
  );
  assert.equal(
    commandPrefix(facts({ ...installed(root, "weilink"), path: "/usr/bin" })),
    `${root}/bin/weilink`,
  );
  assert.equal(
    commandPrefix(facts({ ...installed(root, "weilink"), cwd: `${root}/bin` })),
    "./weilink",
  );
});

Deno.test("invocation: a shim of the JSR package is recognised by the name it runs", () => {
  const root = "/home/me/.deno";
  const config = `${root}/bin/.weilink/deno.json`;
  const jsr = {
    mainModule: "https://jsr.io/@weilink/core/0.1.0/cli.ts",
    processArgs: ["deno", "run", "--allow-all", "--config", config, "jsr:@weilink/core/cli"],
    readText: (path: string) =>
      path === `${root}/bin/weilink`
        ? `#!/bin/sh\nexec deno run --allow-all --config ${config} 'jsr:@weilink/core/cli' "$@"\n`
        : undefined,
  };
  assert.equal(commandPrefix(facts({ ...jsr, path: `${root}/bin` })), "weilink");
  assert.equal(commandPrefix(facts({ ...jsr, path: "/usr/bin" })), `${root}/bin/weilink`);
});

Deno.test("invocation: a config that only looks like a shim's is not taken for one", () => {
  const root = "/home/me/.deno";
  // The shim runs another module: not this program.
  const other = installed(root, "weilink", "file:///elsewhere/cli.ts");
  assert.equal(
    commandPrefix(facts({ ...other, processArgs: installed(root, "weilink").processArgs! })),
    "deno run -A /home/me/weilink/cli.ts",
  );
  // No shim file next to the config.
  assert.equal(
    commandPrefix(facts({ ...installed(root, "weilink"), readText: () => undefined })),
    "deno run -A /home/me/weilink/cli.ts",
  );
  // A --config given to the command itself (after the module) is the command's business.
  assert.equal(
    commandPrefix(facts({
      processArgs: ["deno", "run", "-A", MAIN, "--config", `${root}/bin/.weilink/deno.json`],
      readText: installed(root, "weilink").readText!,
      path: `${root}/bin`,
    })),
    "deno run -A /home/me/weilink/cli.ts",
  );
});

Deno.test("invocation: a deno compile binary is its own command", () => {
  const binary = { standalone: true, execPath: "/opt/wl/weilink" };
  assert.equal(commandPrefix(facts({ ...binary, path: "/usr/bin:/opt/wl" })), "weilink");
  assert.equal(commandPrefix(facts({ ...binary, path: "/usr/bin" })), "/opt/wl/weilink");
  assert.equal(commandPrefix(facts({ ...binary, cwd: "/opt/wl" })), "./weilink");
});

Deno.test("invocation: help and usage hints name the program as it was started", async () => {
  const [help, sendHelp, usage] = await Promise.all([
    runCli(["--help"]),
    runCli(["send", "--help"]),
    runCli(["send"]),
  ]);
  // runCli starts `deno run -A <absolute path of cli.ts>` from the test's working directory.
  const cwd = Deno.cwd();
  const cli = new URL("../../cli.ts", import.meta.url).pathname;
  const prog = `deno run -A ${cli.startsWith(`${cwd}/`) ? cli.slice(cwd.length + 1) : cli}`;
  assert.ok(help.stdout.includes(`Usage: ${prog} <command> [arguments] [options]`), help.stdout);
  assert.ok(help.stdout.includes(`Try '${prog} demo'`), help.stdout);
  assert.ok(sendHelp.stdout.includes(`Usage: ${prog} send TO [options]`), sendHelp.stdout);
  assert.ok(sendHelp.stdout.includes(`  ${prog} send someone@im.wechat --text "hello"`));
  assert.equal(usage.code, 2);
  assert.ok(usage.stderr.includes(`Run '${prog} send --help' for usage.`), usage.stderr);
});
