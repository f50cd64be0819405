/**
 * `weilink admin` (`runAdmin`): serves the panel over the data directory until interrupted, and
 * shows messages live while another process polls the same directory.
 */
import assert from "node:assert/strict";
import { runAdmin } from "../../src/cli/commands/admin.ts";
import type { CommandContext } from "../../src/cli/command.ts";
import { Output } from "../../src/cli/output.ts";
import { WeiLink } from "../../src/client/mod.ts";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { eventually } from "./harness.ts";

function context(
  home: string,
  urls: { baseUrl: string; cdnBaseUrl: string },
  values: Record<string, string | boolean>,
  signal: AbortSignal,
): { ctx: CommandContext; stdout: string[]; stderr: string[] } {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const ctx: CommandContext = {
    commandPath: "admin",
    values,
    positionals: [],
    common: { basePath: home, json: true, logLevel: "silent", quiet: false, ...urls },
    out: new Output({
      json: true,
      logLevel: "silent",
      stdout: (t) => stdout.push(t),
      stderr: (t) => stderr.push(t),
    }),
    signal,
  };
  return { ctx, stdout, stderr };
}

Deno.test({
  name: "cli admin: serves beside another poller, prints the URL, stops on Ctrl-C",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
    const home = await Deno.makeTempDir({ prefix: "weilink_admin_cli_" });
    const urls = { baseUrl: sandbox.baseUrl, cdnBaseUrl: sandbox.cdnBaseUrl };
    // "Another process": a bot on the same data directory that polls and stores.
    const bot = new WeiLink({ basePath: home, ...urls, messageStore: true, logger: "silent" });
    const abort = new AbortController();
    try {
      const login = bot.login({ onQr: () => {} });
      const { userId } = await sandbox.confirmLogin();
      await login;
      await bot.runBackground({ pollTimeout: 1 });

      const { ctx, stdout, stderr } = context(home, urls, { port: "0" }, abort.signal);
      const running = runAdmin(ctx);
      const printed = await eventually(() => stdout.length > 0 && JSON.parse(stdout[0]!));
      assert.match(printed.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assert.equal(printed.host, "127.0.0.1");
      assert.equal(stderr.join(""), "Press Ctrl-C to stop.\n");

      const events = await fetch(`${printed.url}/api/events`);
      const reader = events.body!.pipeThrough(new TextDecoderStream()).getReader();
      await sandbox.injectMessage({ text: "seen by the bot, shown by the panel" });
      let text = "";
      while (!text.includes("seen by the bot")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("the event stream ended");
        text += value;
      }
      const history = await (await fetch(`${printed.url}/api/messages?user_id=${userId}`)).json();
      assert.equal(history.total, 1);
      const reply = await fetch(`${printed.url}/api/send`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ to: userId, text: "answered from the panel" }),
      });
      assert.equal((await reply.json()).success, true);
      assert.ok((await sandbox.sent()).some((s) => s.text === "answered from the panel"));

      abort.abort();
      assert.equal(await running, 0);
      // The stream ended with the panel.
      for (;;) if ((await reader.read()).done) break;
      await assert.rejects(fetch(`${printed.url}/api/status`));
      assert.deepEqual(await sandbox.violations(), []);
    } finally {
      abort.abort();
      await bot.close();
      await sandbox.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});

Deno.test("cli admin: a non-loopback host without a token is refused before polling", async () => {
  const home = await Deno.makeTempDir({ prefix: "weilink_admin_cli_" });
  try {
    const { ctx } = context(
      home,
      { baseUrl: "http://127.0.0.1:9", cdnBaseUrl: "http://127.0.0.1:9/c2c" },
      { host: "0.0.0.0", port: "0" },
      new AbortController().signal,
    );
    await assert.rejects(runAdmin(ctx), /Refusing to serve the admin panel on "0.0.0.0"/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
