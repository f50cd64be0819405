/**
 * `weilink mcp` and `weilink openapi`: the security flags reach the servers.
 */
import assert from "node:assert/strict";
import { CliChild, type CliResult, runCli } from "./cli_process.ts";

const TOKEN = "cli-token-0123456789abcdef";

function assertExit(result: CliResult, code: number, pattern: RegExp): void {
  assert.equal(result.code, code, `expected exit ${code}, got ${result.code}: ${result.stderr}`);
  assert.match(result.stderr, pattern);
}

Deno.test("server flags: bad values are usage errors, weak tokens and missing folders fail", async () => {
  const home = await Deno.makeTempDir({ prefix: "weilink-cli-servers-" });
  try {
    const d = ["-d", home];
    const [sessions, idle, body, both, weak, weakEnv, missingRead, missingWrite] = await Promise
      .all([
        runCli(["mcp", "-t", "http", "--max-sessions", "0", ...d]),
        runCli(["mcp", "-t", "http", "--session-idle-timeout", "0", ...d]),
        runCli(["openapi", "--max-body-bytes", "10", ...d]),
        runCli(["openapi", "--token", TOKEN, "--token-file", `${home}/t`, ...d]),
        runCli(["openapi", "-p", "0", "--token", "a", ...d]),
        runCli(["openapi", "-p", "0", ...d], { env: { WEILINK_MCP_TOKEN: " " } }),
        runCli(["openapi", "-p", "0", "--allow-read", `${home}/nope`, ...d]),
        runCli(["mcp", "--allow-write", `${home}/nope`, ...d]),
      ]);
    assertExit(sessions, 2, /Invalid --max-sessions '0'/);
    assertExit(idle, 2, /Invalid --session-idle-timeout '0'/);
    assertExit(body, 2, /Invalid --max-body-bytes '10'/);
    assertExit(both, 2, /either --token or --token-file/);
    assertExit(weak, 1, /Refusing the bearer token from the token option \(--token\)/);
    assertExit(
      weakEnv,
      1,
      /Refusing the bearer token from WEILINK_MCP_TOKEN: it contains whitespace/,
    );
    assertExit(missingRead, 1, /Cannot allow ".*nope" \(--allow-read\): it does not exist/);
    assertExit(missingWrite, 1, /Cannot allow ".*nope" \(--allow-write\): it does not exist/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("openapi with --token-file and --allow-read serves only what they allow", async () => {
  const home = await Deno.makeTempDir({ prefix: "weilink-cli-servers-" });
  const allowed = await Deno.makeTempDir({ prefix: "weilink-cli-allowed-" });
  const other = await Deno.makeTempDir({ prefix: "weilink-cli-other-" });
  const tokenFile = `${home}/token`;
  await Deno.writeTextFile(tokenFile, `${TOKEN}\n`);
  await Deno.chmod(tokenFile, 0o600);
  await Deno.writeTextFile(`${allowed}/a.txt`, "a");
  await Deno.writeTextFile(`${other}/b.txt`, "b");
  const child = new CliChild([
    "openapi",
    "-p",
    "0",
    "--no-admin",
    "--token-file",
    tokenFile,
    "--allow-read",
    allowed,
    "-d",
    home,
  ]);
  try {
    const [url] = await child.waitForStderr(/http:\/\/127\.0\.0\.1:\d+/);
    assert.match(child.stderr, /\(bearer token required\)/);
    const send = (filePath: string, token = TOKEN) =>
      fetch(`${url}/tools/send`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: JSON.stringify({ to: "u@im.wechat", file_path: filePath }),
      }).then(async (r) => ({ status: r.status, error: String((await r.json()).error) }));
    const denied = await send(`${allowed}/a.txt`, "wrong-token-0123456789");
    assert.equal(denied.status, 401);
    const outside = await send(`${other}/b.txt`);
    assert.equal(outside.status, 403);
    assert.match(outside.error, /--allow-read/);
    // Inside the allowed folder the file is read; the send then fails for want of a login.
    const inside = await send(`${allowed}/a.txt`);
    assert.equal(inside.status, 409, inside.error);
    assert.match(inside.error, /not logged in/i);
  } finally {
    child.kill("SIGTERM");
    await child.finish();
    for (const dir of [home, allowed, other]) await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("--token works but warns that the process list shows it", async () => {
  const home = await Deno.makeTempDir({ prefix: "weilink-cli-servers-" });
  const child = new CliChild(["openapi", "-p", "0", "--token", TOKEN, "-d", home]);
  try {
    await child.waitForStderr(/http:\/\/127\.0\.0\.1:\d+/);
    assert.match(child.stderr, /--token is visible to other users .*--token-file/);
    assert.ok(!child.stderr.includes(TOKEN), "the token is never printed");
  } finally {
    child.kill("SIGTERM");
    await child.finish();
    await Deno.remove(home, { recursive: true });
  }
});
