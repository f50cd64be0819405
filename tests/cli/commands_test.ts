/**
 * End-to-end tests of the command line: each command runs as a real
 * `deno run -A cli.ts …` subprocess against a sandbox started here.
 */

import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { type Sandbox, startSandbox } from "../../src/sandbox/mod.ts";
import { CliChild, type CliResult, jsonOf, runCli } from "./cli_process.ts";

const USER = "alice@im.wechat";

function md5(data: Uint8Array): string {
  return createHash("md5").update(data).digest("hex");
}

function assertUsageError(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, `expected exit 2, got ${result.code}: ${result.stderr}`);
  assert.match(result.stderr, pattern);
  // The hint names the program as the test started it (`deno run -A cli.ts`).
  assert.match(result.stderr, /Run 'deno run -A \S*cli\.ts .*--help' for usage/);
}

Deno.test("help, version and usage errors", async () => {
  const [help, sendHelp, sessionsHelp, helpCmd, version, none, unknown, badFlag, badLevel] =
    await Promise.all([
      runCli(["--help"]),
      runCli(["send", "--help"]),
      runCli(["sessions", "--help"]),
      runCli(["help", "history"]),
      runCli(["--version"]),
      runCli([]),
      runCli(["frobnicate", "--json"]),
      runCli(["send", "x@im.wechat", "--text", "hi", "--bogus"]),
      runCli(["status", "--log-level", "LOUD"]),
    ]);
  assert.equal(help.code, 0);
  for (const heading of ["bot commands:", "server commands:", "other commands:"]) {
    assert.ok(help.stdout.includes(heading), heading);
  }
  for (const name of ["login", "logout", "status", "sessions", "recv", "send", "download"]) {
    assert.match(help.stdout, new RegExp(`\\n  ${name} `));
  }
  for (const name of ["history", "mcp", "openapi", "sandbox", "demo"]) {
    assert.match(help.stdout, new RegExp(`\\n  ${name} `));
  }
  assert.equal(help.stderr, "");
  assert.equal(sendHelp.code, 0);
  for (
    const flag of ["--text", "--image", "--file", "--file-name", "--video", "--voice", "--json"]
  ) {
    assert.ok(sendHelp.stdout.includes(flag), flag);
  }
  assert.match(sessionsHelp.stdout, /rename OLD NEW/);
  assert.match(sessionsHelp.stdout, /default NAME/);
  assert.match(helpCmd.stdout, /--since TIME/);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^weilink \d+\.\d+\.\d+\n$/);
  assert.equal(none.code, 2);
  assert.equal(none.stdout, "");
  assert.match(none.stderr, /Missing command/);
  assertUsageError(unknown, /Unknown command 'frobnicate'/);
  assert.deepEqual(jsonOf(unknown), { error: "Unknown command 'frobnicate'" });
  assertUsageError(badFlag, /Unknown option '--bogus'/);
  assert.equal(badFlag.stdout, "");
  assertUsageError(badLevel, /Invalid log level 'LOUD'/);
});

Deno.test("--help and status load neither servers, Hono, the MCP SDK nor the sandbox", async () => {
  const forbidden = /hono|modelcontextprotocol|\/src\/(server|admin|sandbox)\//;
  const expected: Record<string, string> = {
    "src/cli/mod.ts": "/src/cli/command_table.ts",
    "src/cli/commands/sessions.ts": "/src/client/mod.ts",
  };
  for (const [root, mustLoad] of Object.entries(expected)) {
    const { stdout, code } = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", root],
      cwd: new URL("../../", import.meta.url),
      stdout: "piped",
      stderr: "null",
    }).output();
    assert.equal(code, 0);
    const info = JSON.parse(new TextDecoder().decode(stdout)) as {
      roots: string[];
      modules: {
        specifier: string;
        dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
      }[];
    };
    const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
    // Static imports only: dynamic ones are what each command loads on demand.
    const seen = new Set<string>();
    const queue = [...info.roots];
    while (queue.length) {
      const specifier = queue.pop() as string;
      if (seen.has(specifier)) continue;
      seen.add(specifier);
      for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
        if (!dep.isDynamic && dep.code?.specifier) queue.push(dep.code.specifier);
      }
    }
    assert.ok([...seen].some((s) => s.endsWith(mustLoad)), `graph of ${root} looks incomplete`);
    const loaded = [...seen].filter((s) => forbidden.test(s));
    assert.deepEqual(loaded, [], `${root} statically loads ${loaded.join(", ")}`);
  }
});

Deno.test("bot commands end to end against the sandbox", async (t) => {
  const sandbox: Sandbox = await startSandbox({ longPollMs: 500 });
  const home = await Deno.makeTempDir({ prefix: "weilink-cli-test-" });
  const flags = ["-d", home, "--base-url", sandbox.baseUrl, "--cdn-base-url", sandbox.cdnBaseUrl];
  const cli = (...args: string[]) => runCli([...args, ...flags]);
  try {
    let botId = "";

    await t.step("status before login lists no connected session", async () => {
      const result = await cli("status", "--json");
      assert.equal(result.code, 0, result.stderr);
      const rows = jsonOf(result) as { connected: boolean }[];
      assert.ok(rows.every((r) => !r.connected));
    });

    await t.step("login shows a QR code and logs in once the phone confirms", async () => {
      const child = new CliChild(["login", "--json", ...flags]);
      const [confirmed] = await Promise.all([sandbox.confirmLogin({ userId: USER })]);
      const result = await child.finish();
      assert.equal(result.code, 0, result.stderr);
      const out = jsonOf(result) as Record<string, unknown>;
      assert.deepEqual(out, {
        success: true,
        bot_id: confirmed.botId,
        user_id: USER,
        session: "default",
      });
      botId = confirmed.botId;
      assert.match(result.stderr, /Scan this QR code with WeChat/);
      assert.match(result.stderr, /▀|▄|█/, "QR art on stderr");
      assert.match(result.stderr, /http:\/\/127\.0\.0\.1:\d+\//, "QR URL on stderr");
    });

    await t.step("status shows the connected default session", async () => {
      // Shared flags may also come before the command.
      const [json, human] = await Promise.all([
        runCli(["-d", home, "--json", "status"]),
        cli("status"),
      ]);
      assert.deepEqual(jsonOf(json), [{
        name: "default",
        bot_id: botId,
        user_id: USER,
        connected: true,
        default: true,
        expired: false,
      }]);
      assert.match(human.stdout, new RegExp(`\\* default: connected  \\(bot: ${botId}\\)`));
    });

    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 1, 2, 3, 4]);
    const fileBytes = new TextEncoder().encode("quarterly numbers\n");
    const ids: Record<string, string> = {};

    await t.step("recv returns every injected message with string ids", async () => {
      ids.text = (await sandbox.injectMessage({ from: USER, text: "hello bot" })).messageId;
      ids.image = (await sandbox.injectMessage({ from: USER, image: png })).messageId;
      ids.file = (await sandbox.injectMessage({
        from: USER,
        file: fileBytes,
        fileName: "../../../etc/evil\u202Etxt.sh",
      })).messageId;
      // The environment variables work as well as the flags.
      const result = await runCli(["recv", "--json", "-t", "5", "-d", home], {
        env: { WEILINK_BASE_URL: sandbox.baseUrl, WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl },
      });
      assert.equal(result.code, 0, result.stderr);
      const messages = jsonOf(result) as Record<string, unknown>[];
      assert.deepEqual(messages.map((m) => m.message_id), [ids.text, ids.image, ids.file]);
      for (const m of messages) assert.equal(typeof m.message_id, "string");
      assert.equal(messages[0]?.text, "hello bot");
      assert.equal(messages[0]?.from_user, USER);
      assert.equal(messages[1]?.msg_type, "IMAGE");
      assert.deepEqual(messages[2]?.file, {
        file_name: "../../../etc/evil\u202Etxt.sh",
        file_size: String(fileBytes.length),
      });
      const empty = await cli("recv", "-t", "0.5");
      assert.equal(empty.code, 0, empty.stderr);
      assert.match(empty.stdout, /No new messages\./);
    });

    await t.step("send text and a file; a refused send exits 1", async () => {
      const dir = await Deno.makeTempDir();
      try {
        const path = `${dir}/report.bin`;
        const data = crypto.getRandomValues(new Uint8Array(40_000));
        await Deno.writeFile(path, data);
        const [text, file, stranger, missing, noContent, orphanName] = await Promise.all([
          cli("send", USER, "--text", "hi alice", "--json"),
          cli("send", USER, "--file", path, "--file-name", "Q3 report.pdf", "--json"),
          cli("send", "stranger@im.wechat", "--text", "hello?", "--json"),
          cli("send", USER, "--image", `${dir}/nope.png`, "--json"),
          cli("send", USER, "--json"),
          cli("send", USER, "--text", "x", "--file-name", "a.txt"),
        ]);
        assert.equal(text.code, 0, text.stderr);
        const textOut = jsonOf(text) as {
          success: boolean;
          message_ids: string[];
          remaining: number;
        };
        assert.equal(textOut.success, true);
        assert.equal(textOut.message_ids.length, 1);
        assert.equal(typeof textOut.message_ids[0], "string");
        assert.equal(typeof textOut.remaining, "number");
        assert.equal(file.code, 0, file.stderr);
        assert.equal((jsonOf(file) as { success: boolean }).success, true);
        const sent = await sandbox.sent({ to: USER });
        assert.ok(sent.some((s) => s.text === "hi alice"));
        const media = sent.find((s) => s.fileName === "Q3 report.pdf");
        assert.equal(media?.media?.md5, md5(data));

        assert.equal(stranger.code, 1);
        const strangerOut = jsonOf(stranger) as { success: boolean; error: string };
        assert.equal(strangerOut.success, false);
        assert.match(strangerOut.error, /Send failed: .*stranger@im\.wechat/);
        assert.match(stranger.stderr, /^Error: Send failed/m);
        assert.equal(missing.code, 1);
        assert.match((jsonOf(missing) as { error: string }).error, /no such file/);
        assertUsageError(noContent, /At least one of --text, --image/);
        assertUsageError(orphanName, /--file-name needs --file/);
        assert.equal(orphanName.stdout, "");
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    });

    await t.step("history filters, pages and rejects bad values", async () => {
      const [all, sent, files, text, page, human] = await Promise.all([
        cli("history", "--json"),
        cli("history", "--json", "--direction", "sent"),
        cli("history", "--json", "--type", "file", "--direction", "RECEIVED"),
        cli("history", "--json", "--text", "hello", "--since", "1h", "--until", "now"),
        cli("history", "--json", "--limit", "2", "--offset", "1"),
        cli("history", "--user", USER),
      ]);
      type Page = {
        messages: Record<string, unknown>[];
        total: number;
        limit: number;
        offset: number;
      };
      const allOut = jsonOf(all) as Page;
      assert.equal(allOut.total, 5);
      assert.equal(allOut.limit, 50);
      assert.equal(allOut.offset, 0);
      assert.ok(allOut.messages.every((m) => typeof m.message_id === "string"));
      const sentOut = jsonOf(sent) as Page;
      assert.equal(sentOut.total, 2);
      assert.ok(sentOut.messages.every((m) => m.direction === "sent"));
      const fileOut = jsonOf(files) as Page;
      assert.deepEqual(fileOut.messages.map((m) => m.message_id), [ids.file]);
      const textOut = jsonOf(text) as Page;
      assert.deepEqual(textOut.messages.map((m) => m.text), ["hello bot"]);
      const pageOut = jsonOf(page) as Page;
      assert.equal(pageOut.messages.length, 2);
      assert.equal(pageOut.limit, 2);
      assert.equal(pageOut.offset, 1);
      assert.deepEqual(pageOut.messages, allOut.messages.slice(1, 3));
      assert.match(human.stdout, /received alice@im\.wechat \(TEXT\) #\d+: hello bot/);
      assert.match(human.stdout, /Showing 5 of 5 message\(s\)\./);

      const bad = await Promise.all([
        cli("history", "--since", "last tuesday", "--json"),
        cli("history", "--until", "2026-02-30"),
        cli("history", "--direction", "inbound"),
        cli("history", "--type", "gif"),
        cli("history", "--limit", "0"),
        cli("history", "--limit", "500"),
        cli("history", "--offset", "-1"),
        cli("history", "--since", "1h", "--until", "2h"),
      ]);
      const patterns = [
        /Invalid --since 'last tuesday'/,
        /Invalid --until '2026-02-30'/,
        /Invalid --direction 'inbound'/,
        /Invalid --type 'gif'/,
        /Invalid --limit '0'/,
        /Invalid --limit '500'/,
        /--offset/,
        /--since '1h' is after --until '2h'/,
      ];
      bad.forEach((result, i) => assertUsageError(result, patterns[i] as RegExp));
      assert.match((jsonOf(bad[0] as CliResult) as { error: string }).error, /Invalid --since/);
    });

    await t.step("download sanitises names, never overwrites and honours -d and -o", async () => {
      const first = await cli("download", ids.file as string, "--json");
      assert.equal(first.code, 0, first.stderr);
      const out = jsonOf(first) as { path: string; size: number };
      assert.equal(out.path, `${home}/downloads/eviltxt.sh`);
      assert.equal(out.size, fileBytes.length);
      assert.deepEqual(await Deno.readFile(out.path), fileBytes);
      const second = await cli("download", ids.file as string, "--json");
      assert.equal((jsonOf(second) as { path: string }).path, `${home}/downloads/eviltxt (1).sh`);
      assert.deepEqual(await Deno.readFile(out.path), fileBytes, "first file untouched");

      const other = await Deno.makeTempDir();
      try {
        const image = await cli("download", ids.image as string, "-o", other);
        assert.equal(image.code, 0, image.stderr);
        assert.match(
          image.stdout,
          new RegExp(`Saved to ${other}/${ids.image}\\.png \\(12 bytes\\)`),
        );
        assert.deepEqual(await Deno.readFile(`${other}/${ids.image}.png`), png);
      } finally {
        await Deno.remove(other, { recursive: true });
      }

      const [noMedia, unknown, badId] = await Promise.all([
        cli("download", ids.text as string, "--json"),
        cli("download", "123456789", "--json"),
        cli("download", "../etc", "--json"),
      ]);
      assert.equal(noMedia.code, 1);
      assert.match((jsonOf(noMedia) as { error: string }).error, /has no media/);
      assert.equal(unknown.code, 1);
      assert.match((jsonOf(unknown) as { error: string }).error, /not found/);
      assertUsageError(badId, /Invalid message id '\.\.\/etc'/);
    });

    await t.step("sessions rename, default and logout", async () => {
      const renamed = await cli("sessions", "rename", "default", "main", "--json");
      assert.equal(renamed.code, 0, renamed.stderr);
      assert.deepEqual(jsonOf(renamed), { success: true, old_name: "default", new_name: "main" });
      const setDefault = await cli("sessions", "default", "main", "--json");
      assert.deepEqual(jsonOf(setDefault), { success: true, default_session: "main" });
      const list = jsonOf(await cli("sessions", "--json")) as { name: string; default: boolean }[];
      assert.deepEqual(list.map((s) => [s.name, s.default]), [["main", true]]);
      const missing = await cli("sessions", "default", "nope", "--json");
      assert.equal(missing.code, 1);
      assert.ok("error" in (jsonOf(missing) as object));
      const badSub = await cli("sessions", "frob");
      assertUsageError(badSub, /Unknown command 'sessions frob'/);
      const logout = await cli("logout", "main", "--json");
      assert.deepEqual(jsonOf(logout), { success: true, session: "main" });
      const after = jsonOf(await cli("status", "--json")) as { connected: boolean }[];
      assert.ok(after.every((s) => !s.connected));
    });

    await t.step("our client broke no protocol rule", async () => {
      assert.deepEqual(await sandbox.violations(), []);
    });
  } finally {
    await sandbox.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("Ctrl-C during login exits 130 with a clean error", async () => {
  const sandbox = await startSandbox({ longPollMs: 500 });
  const home = await Deno.makeTempDir({ prefix: "weilink-cli-test-" });
  const child = new CliChild(["login", "--json", "-d", home, "--base-url", sandbox.baseUrl]);
  try {
    await child.waitForStderr(/Scan this QR code/);
    child.kill("SIGINT");
    const result = await child.finish();
    assert.equal(result.code, 130, result.stderr);
    assert.deepEqual(jsonOf(result), { error: "Interrupted" });
  } finally {
    child.kill("SIGKILL");
    await child.finish().catch(() => {});
    await sandbox.close();
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("demo runs the echo bot and answers an injected message", async () => {
  const child = new CliChild(["demo", "--json", "--exit-after", "20"]);
  try {
    const ready = JSON.parse(await child.nextLine()) as Record<string, string>;
    assert.match(ready.phone_url as string, /^http:\/\/127\.0\.0\.1:\d+\/phone$/);
    // The admin panel shows the bot's side of the same conversation.
    const status = await fetch(`${ready.admin_url}/api/status`);
    assert.equal((await status.json()).is_connected, true);
    const control = ready.control_url as string;
    type Sent = { text?: string; type: number; media?: { md5: string } };
    // Like a person on the phone: write, wait for the answer, write again.
    const chat = async (body: Record<string, string>, answered: (s: Sent) => boolean) => {
      const injected = await fetch(`${control}/inject`, {
        method: "POST",
        body: JSON.stringify(body),
      });
      assert.equal(injected.status, 200);
      await injected.body?.cancel();
      for (let i = 0; i < 100; i++) {
        const sent = await (await fetch(`${control}/sent`)).json() as Sent[];
        if (sent.some(answered)) return;
        await new Promise((r) => setTimeout(r, 100));
      }
      assert.fail(`no answer to ${JSON.stringify(body)}; stderr:\n${child.stderr}`);
    };
    await chat({ text: "ping" }, (s) => s.text === "echo: ping");
    const png = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 7, 7, 7]);
    await chat(
      { image: btoa(String.fromCharCode(...png)) },
      (s) => s.type === 2 && s.media?.md5 === md5(png),
    );
    child.kill("SIGINT");
    const result = await child.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "", "nothing after the ready line in --json mode");
    await assert.rejects(Deno.stat(ready.data_dir as string), Deno.errors.NotFound);
  } finally {
    child.kill("SIGKILL");
    await child.finish().catch(() => {});
  }
});

Deno.test("sandbox command prints its URLs and stops on SIGTERM", async () => {
  const child = new CliChild(["sandbox", "--json", "--quiet"]);
  try {
    const urls = JSON.parse(await child.nextLine()) as Record<string, string>;
    const page = await fetch(urls.phone_url as string);
    assert.equal(page.status, 200);
    await page.body?.cancel();
    child.kill("SIGTERM");
    const result = await child.finish();
    assert.equal(result.code, 0, result.stderr);
  } finally {
    child.kill("SIGKILL");
    await child.finish().catch(() => {});
  }
});

Deno.test("sandbox command: beyond loopback only with a control token, which the control API needs", async () => {
  const refused = await runCli(["sandbox", "--host", "0.0.0.0", "--quiet"]);
  assert.equal(refused.code, 1);
  assert.match(refused.stderr, /control token/i);
  const token = "a-control-token-of-32-characters";
  const child = new CliChild(["sandbox", "--host", "0.0.0.0", "--json", "--quiet"], {
    env: { WEILINK_SANDBOX_TOKEN: token },
  });
  try {
    const urls = JSON.parse(await child.nextLine()) as Record<string, string>;
    const control = urls.control_url!.replace(/\/\/[^/:]+:/, "//127.0.0.1:");
    const anonymous = await fetch(`${control}/state`);
    assert.equal(anonymous.status, 401);
    await anonymous.body?.cancel();
    const authorised = await fetch(`${control}/state`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(authorised.status, 200);
    await authorised.body?.cancel();
  } finally {
    child.kill("SIGTERM");
    await child.finish().catch(() => {});
  }
});

Deno.test("openapi serves until SIGTERM; mcp on stdio writes nothing but JSON-RPC", async () => {
  const home = await Deno.makeTempDir({ prefix: "weilink-cli-test-" });
  const child = new CliChild(["openapi", "-p", "0", "--no-admin", "-d", home]);
  try {
    const [url] = await child.waitForStderr(/http:\/\/127\.0\.0\.1:\d+/);
    const doc = await (await fetch(`${url}/openapi.json`)).json() as { openapi: string };
    assert.match(doc.openapi, /^3\.1/);
    child.kill("SIGTERM");
    const result = await child.finish();
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, "");
    // With stdin closed the stdio server ends at once, having printed nothing on stdout.
    const mcp = await runCli(["mcp", "-d", home]);
    assert.equal(mcp.code, 0, mcp.stderr);
    assert.equal(mcp.stdout, "");
  } finally {
    child.kill("SIGKILL");
    await child.finish().catch(() => {});
    await Deno.remove(home, { recursive: true });
  }
});

Deno.test("mcp and openapi reject bad flags before starting", async () => {
  const [transport, port, host] = await Promise.all([
    runCli(["mcp", "--transport", "carrier-pigeon"]),
    runCli(["openapi", "--port", "99999"]),
    runCli(["mcp", "--foo"]),
  ]);
  assertUsageError(transport, /Invalid --transport 'carrier-pigeon'/);
  assertUsageError(port, /Invalid --port '99999'/);
  assertUsageError(host, /Unknown option '--foo'/);
});
