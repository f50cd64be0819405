/**
 * A real `weilink` command: `deno install -g` into a temporary root (offline, from the local
 * cache), then the installed shim runs, resolves the npm imports of deno.json, and the demo's
 * hints print commands that work when pasted into a shell, both for the installed command and
 * for `deno run -A cli.ts` in a clone.
 */
import assert from "node:assert/strict";
import { CliChild, type CliOptions, runCli } from "../cli/cli_process.ts";

const REPO = new URL("../../", import.meta.url).pathname.replace(/\/$/, "");
const CLI = `${REPO}/cli.ts`;
const PATH = Deno.env.get("PATH") ?? "/usr/bin:/bin";

/** `deno install -g -A -n weilink --root <root> [--config deno.json] cli.ts`, from `cwd`. */
async function install(root: string, withConfig: boolean, cwd = REPO): Promise<string> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "install",
      "-g",
      "-A",
      "-n",
      "weilink",
      "--root",
      root,
      ...(withConfig ? ["--config", `${REPO}/deno.json`] : []),
      CLI,
    ],
    cwd,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  assert.ok(out.success, `deno install failed:\n${text}`);
  return `${root}/bin/weilink`;
}

Deno.test("install: deno install -g gives a weilink command that runs every command", async () => {
  const root = await Deno.makeTempDir({ prefix: "weilink-install-" });
  try {
    const bin = await install(root, true);
    const onPath: CliOptions = { command: "weilink", env: { PATH: `${root}/bin:${PATH}` } };
    const [help, demoHelp, version, direct] = await Promise.all([
      runCli(["--help"], onPath),
      runCli(["demo", "--help"], onPath),
      runCli(["--version"], onPath),
      runCli(["--help"], { command: bin }),
    ]);
    assert.equal(help.code, 0, help.stderr);
    assert.ok(help.stdout.includes("Usage: weilink <command> [arguments] [options]"), help.stdout);
    assert.match(help.stdout, /\n {2}demo +Chat with an echo bot/);
    assert.equal(demoHelp.code, 0, demoHelp.stderr);
    assert.ok(demoHelp.stdout.startsWith("Usage: weilink demo [options]\n"), demoHelp.stdout);
    assert.match(demoHelp.stdout, /--exit-after SECONDS/);
    assert.match(version.stdout, /^weilink \d+\.\d+\.\d+\n$/);
    // Not on PATH: the hints give the full path, which works as typed.
    assert.ok(direct.stdout.includes(`Usage: ${bin} <command>`), direct.stdout);

    // A command that needs the npm imports of deno.json (Hono, in the sandbox) starts.
    const sandbox = new CliChild(["sandbox", "--json", "--quiet"], onPath);
    try {
      const urls = JSON.parse(await sandbox.nextLine()) as { phone_url: string };
      const page = await fetch(urls.phone_url);
      assert.equal(page.status, 200);
      await page.body?.cancel();
    } finally {
      sandbox.kill();
      await sandbox.finish();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("install: without --config the shim cannot resolve npm imports, and says so", async () => {
  // deno install -g of a local file writes an empty config for the shim unless --config is
  // given, even when run inside the clone: the README's install line must carry --config.
  const root = await Deno.makeTempDir({ prefix: "weilink-install-" });
  try {
    const bin = await install(root, false, root);
    const result = await runCli(["sandbox"], { command: bin });
    assert.equal(result.code, 1);
    assert.match(
      result.stderr,
      /^Error: Cannot load "hono[^"]*": WeiLink was started without its deno\.json\. Install the command with it: deno install -g -A -n weilink --config <clone>\/deno\.json <clone>\/cli\.ts\n$/,
    );
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

/** The demo's hint block: the `export` lines and the commands, as printed. */
interface Hints {
  lines: string[];
  exports: string[];
  history: string;
  send: string;
  baseUrl: string;
}

async function readHints(demo: CliChild): Promise<Hints> {
  const lines: string[] = [];
  for (;;) {
    const line = await demo.nextLine();
    lines.push(line);
    if (/^Stopping by itself|^Press Ctrl-C/.test(line)) break;
  }
  const exports = lines.filter((l) => l.startsWith("  export ")).map((l) => l.trim());
  const history = lines.find((l) => / history$/.test(l))?.trim();
  const send = lines.find((l) => / send demo-user@im\.wechat /.test(l))?.trim();
  const baseUrl = /WEILINK_BASE_URL=(\S+)/.exec(exports.join("\n"))?.[1];
  assert.ok(history && send && baseUrl && exports.length === 3, lines.join("\n"));
  return { lines, exports, history, send, baseUrl };
}

/** Runs hint lines in a shell, as a person pasting them would. */
function shell(lines: string[], options: CliOptions) {
  return runCli(["-c", lines.join("\n")], { ...options, command: "sh" });
}

/**
 * The demo's hints, followed literally: sending first fails (the user has not written), then
 * the user writes on the phone and the same command succeeds.
 */
async function followHints(demo: CliChild, expected: string, options: CliOptions): Promise<void> {
  const hints = await readHints(demo);
  assert.ok(hints.history.startsWith(`${expected} `), `${hints.history} by ${expected}`);
  assert.ok(hints.send.startsWith(`${expected} send `), hints.send);
  assert.match(hints.lines.join("\n"), /write\s+something on the phone page first, then send/);

  const early = await shell([...hints.exports, hints.send], options);
  assert.equal(early.code, 1);
  assert.match(early.stderr, /they have not written to this bot/);
  assert.ok(early.stderr.includes(`\`${expected} send\` works`), early.stderr);

  // The person on the phone page writes; the echo bot answers.
  const control = `${hints.baseUrl}/_control`;
  const injected = await fetch(`${control}/inject`, {
    method: "POST",
    body: JSON.stringify({ text: "hi" }),
  });
  assert.equal(injected.status, 200);
  await injected.body?.cancel();
  const sentTexts = async () =>
    ((await (await fetch(`${control}/sent`)).json()) as { text?: string }[]).map((s) => s.text);
  for (let i = 0; i < 100 && !(await sentTexts()).includes("echo: hi"); i++) {
    await new Promise((r) => setTimeout(r, 100));
  }
  const sent = await shell([...hints.exports, hints.history, hints.send], options);
  assert.equal(sent.code, 0, sent.stderr);
  assert.match(sent.stdout, /echo: hi/, "history shows the conversation");
  assert.match(sent.stdout, /Message sent/);
  assert.ok((await sentTexts()).includes("hello from the CLI"));
}

Deno.test("install: the demo's hints name the installed weilink, and work as printed", async () => {
  const root = await Deno.makeTempDir({ prefix: "weilink-install-" });
  try {
    await install(root, true);
    const options: CliOptions = { command: "weilink", env: { PATH: `${root}/bin:${PATH}` } };
    const demo = new CliChild(["demo", "--exit-after", "60"], options);
    try {
      await followHints(demo, "weilink", options);
    } finally {
      demo.kill("SIGINT");
      await demo.finish();
    }
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("install: from a clone the demo's hints say deno run -A cli.ts", async () => {
  const options: CliOptions = { cwd: REPO };
  // What `deno task demo` runs: `deno run -A cli.ts demo` in the clone.
  const demo = new CliChild(["demo", "--exit-after", "60"], { ...options, script: "cli.ts" });
  try {
    await followHints(demo, "deno run -A cli.ts", options);
  } finally {
    demo.kill("SIGINT");
    await demo.finish();
  }
});
