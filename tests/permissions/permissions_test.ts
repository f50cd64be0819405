/**
 * Least privilege: the SDK, the CLI and the servers run under the narrow Deno flags README.md
 * documents (never `-A`), against the sandbox, and a flag left out is named in one sentence
 * instead of a `NotCapable` stack.
 *
 * The flags are README's with the sandbox in place of WeChat's hosts: API and CDN share the
 * sandbox's `127.0.0.1:PORT`, and the data directory is the default `$HOME/.weilink` of a
 * temporary `HOME`, not yet created.
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { md5Hex } from "../../src/crypto/mod.ts";
import { type Sandbox, startSandbox } from "../../src/sandbox/mod.ts";
import { CliChild, type CliOptions, type CliResult, jsonOf, runCli } from "../cli/cli_process.ts";
import { callTool, loginThroughTool } from "../server/harness.ts";

const BOT = new URL("./readme_bot.ts", import.meta.url).pathname;
const CLI = new URL("../../cli.ts", import.meta.url).pathname;

/** The variables WeiLink reads (README: `--allow-env=…`). */
const ENV_VARS =
  "HOME,WEILINK_HOME,WEILINK_BASE_URL,WEILINK_CDN_BASE_URL,WEILINK_LOG_LEVEL,WEILINK_STORE";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 5, 4, 3, 2, 1]);

/** The deno cache of this process, so children with another HOME still find it. */
const DENO_DIR = await (async () => {
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"] }).output();
  return (JSON.parse(new TextDecoder().decode(out.stdout)) as { denoDir: string }).denoDir;
})();

/** A sandbox and an empty HOME whose `.weilink` is the data directory. */
interface Rig extends AsyncDisposable {
  sandbox: Sandbox;
  home: string;
  dataDir: string;
  /** `127.0.0.1:PORT` of the sandbox: the API and the CDN. */
  host: string;
  env: Record<string, string>;
}

async function rig(): Promise<Rig> {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  const home = await Deno.makeTempDir({ prefix: "weilink-permissions-" });
  return {
    sandbox,
    home,
    dataDir: `${home}/.weilink`,
    host: new URL(sandbox.baseUrl).host,
    env: {
      HOME: home,
      DENO_DIR,
      WEILINK_BASE_URL: sandbox.baseUrl,
      WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl,
    },
    async [Symbol.asyncDispose]() {
      await sandbox.close();
      await Deno.remove(home, { recursive: true });
    },
  };
}

/** README's SDK flags: the API and CDN hosts, the variables, the data directory. */
function sdkFlags(r: Rig): string[] {
  return [
    `--allow-net=${r.host}`,
    `--allow-env=${ENV_VARS}`,
    `--allow-read=${r.dataDir}`,
    `--allow-write=${r.dataDir}`,
  ];
}

/** `flags` without the one starting with `prefix`. */
function without(flags: string[], prefix: string): string[] {
  const kept = flags.filter((f) => !f.startsWith(prefix));
  assert.equal(kept.length, flags.length - 1, `${prefix} is among ${flags.join(" ")}`);
  return kept;
}

/** A failure reported as one sentence: no raw Deno error, no stack. */
function assertOneSentence(result: CliResult, expected: string): void {
  assert.equal(result.code, 1, result.stderr);
  assert.doesNotMatch(result.stderr, /NotCapable|PermissionDenied|^\s+at /m, result.stderr);
  assert.ok(result.stderr.includes(`Error: ${expected}\n`), result.stderr);
}

Deno.test("permissions: the README bot runs under the SDK flags alone", async () => {
  await using r = await rig();
  const bot = new CliChild([], { script: BOT, denoFlags: sdkFlags(r), env: r.env });
  try {
    assert.equal(await bot.nextLine(), "QR");
    const { userId } = await r.sandbox.confirmLogin();
    assert.equal(await bot.nextLine(), "READY");
    await r.sandbox.injectMessage({ text: "hi" });
    assert.equal(await bot.nextLine(), "ECHOED");
    const [reply] = await r.sandbox.sent();
    assert.equal(reply?.text, "echo: hi");
    await r.sandbox.injectMessage({ image: PNG });
    assert.equal(await bot.nextLine(), "MEDIA");
    const result = await bot.finish();
    assert.equal(result.code, 0, result.stderr);
    const media = (await r.sandbox.sent({ to: userId })).find((s) => s.type === 2);
    assert.equal(media?.media?.md5, md5Hex(PNG));
    assert.deepEqual(await r.sandbox.violations(), []);
    // The store (node:sqlite) and the credentials went where the flags allow.
    assert.ok((await Deno.stat(`${r.dataDir}/messages.db`)).isFile);
    assert.ok((await Deno.stat(`${r.dataDir}/default/token.json`)).isFile);
  } finally {
    bot.kill("SIGKILL");
    await bot.finish().catch(() => {});
  }
});

Deno.test("permissions: the SDK names a missing flag at its first touch of the data dir", async () => {
  await using r = await rig();
  const run = (flags: string[]) => runCli([], { script: BOT, denoFlags: flags, env: r.env });
  const [noRead, noEnv] = await Promise.all([
    run(without(sdkFlags(r), "--allow-read")),
    run(without(sdkFlags(r), "--allow-env")),
  ]);
  for (const result of [noRead, noEnv]) {
    assert.notEqual(result.code, 0);
    assert.doesNotMatch(result.stderr, /NotCapable/, result.stderr);
  }
  assert.ok(
    noRead.stderr.includes(
      `WeiLinkError: WeiLink needs --allow-read for "${r.dataDir}" (the data directory): ` +
        `run again with --allow-read=${r.dataDir}`,
    ),
    noRead.stderr,
  );
  assert.ok(
    noEnv.stderr.includes(
      'WeiLinkError: WeiLink needs --allow-env for "WEILINK_HOME" and "HOME" (to find the data ' +
        'directory): run again with --allow-env=WEILINK_HOME,HOME, or set "basePath"',
    ),
    noEnv.stderr,
  );
  assert.equal(noRead.stdout, "", "nothing happened before the refusal");
});

Deno.test("permissions: CLI login, recv, send and history under the CLI flags", async (t) => {
  await using r = await rig();
  // README: the SDK's flags, plus reading the files to send (here: the working directory).
  const work = `${r.home}/work`;
  await Deno.mkdir(work);
  await Deno.writeFile(`${work}/cat.png`, PNG);
  const flags = [...without(sdkFlags(r), "--allow-read"), `--allow-read=${r.dataDir},${work}`];
  const options: CliOptions = { denoFlags: flags, env: r.env, cwd: work };
  const cli = (...args: string[]) => runCli(args, options);
  const user = "alice@im.wechat";

  await t.step("login", async () => {
    const login = new CliChild(["login", "--json"], options);
    await r.sandbox.confirmLogin({ userId: user });
    const result = await login.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.equal((jsonOf(result) as { success: boolean }).success, true);
  });

  await t.step("recv", async () => {
    const { messageId } = await r.sandbox.injectMessage({ text: "hello bot" });
    const result = await cli("recv", "--json", "-t", "5");
    assert.equal(result.code, 0, result.stderr);
    assert.deepEqual((jsonOf(result) as { message_id: string }[]).map((m) => m.message_id), [
      messageId,
    ]);
  });

  await t.step("send text and an image from the working directory", async () => {
    const result = await cli("send", user, "--text", "hi", "--image", "cat.png", "--json");
    assert.equal(result.code, 0, result.stderr);
    assert.equal((jsonOf(result) as { message_ids: string[] }).message_ids.length, 2);
    const sent = await r.sandbox.sent({ to: user });
    assert.equal(sent.find((s) => s.type === 2)?.media?.md5, md5Hex(PNG));
  });

  await t.step("history and status", async () => {
    const [history, status] = await Promise.all([cli("history", "--json"), cli("status")]);
    assert.equal(history.code, 0, history.stderr);
    assert.equal((jsonOf(history) as { messages: unknown[] }).messages.length, 3);
    assert.match(status.stdout, /\* default: connected/);
    assert.deepEqual(await r.sandbox.violations(), []);
  });

  await t.step("a flag left out is named, with the whole data directory to grant", async () => {
    const noNet = { ...options, denoFlags: without(flags, "--allow-net") };
    const started = Date.now();
    const [recv, send, status] = await Promise.all([
      // recv would retry until its timeout; a refused poll ends it at once.
      runCli(["recv", "-t", "30"], noNet),
      runCli(["send", user, "--text", "x", "--json"], noNet),
      runCli(["status"], { ...options, denoFlags: without(flags, "--allow-env") }),
    ]);
    assert.ok(Date.now() - started < 20_000, "recv stopped at the first refused poll");
    const net = `WeiLink needs --allow-net for "${r.host}" (the iLink API, its CDN, or a ` +
      `server's own address): run again with --allow-net=${r.host}`;
    assertOneSentence(recv, net);
    assertOneSentence(send, `Send failed: ${net}`);
    assert.equal((jsonOf(send) as { error: string }).error, `Send failed: ${net}`);
    assertOneSentence(
      status,
      'WeiLink needs --allow-env for "WEILINK_LOG_LEVEL" (WeiLink reads its settings from HOME ' +
        `and WEILINK_* variables): run again with --allow-env=${ENV_VARS}`,
    );
  });
});

Deno.test("permissions: the CLI names a missing read or write flag of the data dir", async () => {
  await using r = await rig();
  const options = (flags: string[]): CliOptions => ({ denoFlags: flags, env: r.env });
  const status = await runCli(["status"], options(without(sdkFlags(r), "--allow-read")));
  assertOneSentence(
    status,
    `WeiLink needs --allow-read for "${r.dataDir}" (the data directory): ` +
      `run again with --allow-read=${r.dataDir}`,
  );
  // Logging in reads, asks for a QR code, then writes the credentials: the write is refused.
  const login = new CliChild(["login"], options(without(sdkFlags(r), "--allow-write")));
  await r.sandbox.confirmLogin();
  const result = await login.finish();
  assert.equal(result.code, 1, result.stderr);
  assert.match(
    result.stderr,
    new RegExp(
      `Error: WeiLink needs --allow-write for "${r.dataDir}[^"]*" \\(the data directory\\): ` +
        `run again with --allow-write=${r.dataDir}\\n$`,
    ),
  );
  assert.doesNotMatch(result.stderr, /NotCapable|^\s+at /m);
});

Deno.test("permissions: mcp over stdio and openapi under the server flags", async () => {
  await using r = await rig();
  // README: the CLI's flags; the tools read files under the working directory by default.
  const work = `${r.home}/work`;
  await Deno.mkdir(work);
  await Deno.writeFile(`${work}/cat.png`, PNG);
  const flags = [
    ...without(sdkFlags(r), "--allow-read"),
    `--allow-read=${r.dataDir},${work}`,
  ];
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", ...flags, CLI, "mcp", "--log-level", "ERROR"],
    env: { PATH: Deno.env.get("PATH") ?? "", NO_COLOR: "1", ...r.env },
    cwd: work,
    stderr: "pipe",
  });
  let stderr = "";
  transport.stderr?.on("data", (chunk: Uint8Array) => stderr += new TextDecoder().decode(chunk));
  const client = new Client({ name: "weilink-permissions-test", version: "0.0.0" });
  try {
    await client.connect(transport);
    const call = (name: string, args: Record<string, unknown> = {}) => callTool(client, name, args);
    const { userId } = await loginThroughTool(call, r.sandbox);
    await r.sandbox.injectMessage({ text: "ping", image: PNG });
    let messages: { message_id: string }[] = [];
    for (let i = 0; i < 10 && messages.length === 0; i++) {
      messages = (await call("recv", { timeout: 2 })).structured.messages as typeof messages;
    }
    assert.equal(messages.length, 1, stderr);
    const saved = await call("download", { message_id: messages[0]!.message_id });
    assert.equal(saved.isError, false, saved.text);
    assert.ok((saved.structured.path as string).startsWith(`${r.dataDir}/downloads/`));
    const sent = await call("send", { to: userId, text: "pong", image_path: "cat.png" });
    assert.equal(sent.isError, false, sent.text);
  } catch (error) {
    console.error(`Server stderr:\n${stderr}`);
    throw error;
  } finally {
    await client.close();
  }

  // The HTTP servers also listen: README's --allow-net gets the server's address and port.
  const port = freePort();
  const server = new CliChild(["openapi", "-p", String(port)], {
    denoFlags: [
      ...without(flags, "--allow-net"),
      `--allow-net=${r.host},127.0.0.1:${port}`,
    ],
    env: r.env,
    cwd: work,
  });
  try {
    await server.waitForStderr(/OpenAPI server .* on http:\/\/127\.0\.0\.1:\d+/);
    const res = await fetch(`http://127.0.0.1:${port}/tools/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    assert.equal(res.status, 200, server.stderr);
    const body = await res.json() as { sessions: { name: string; connected: boolean }[] };
    assert.deepEqual(body.sessions.map((s) => [s.name, s.connected]), [["default", true]]);
  } finally {
    server.kill();
    await server.finish();
  }
});

/** A port nothing listens on right now. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}
