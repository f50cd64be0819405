/**
 * Two OS processes on one data directory for a minute: `cli.ts mcp -t http` (which polls and
 * stores) and an SDK bot whose `onMessage` handler replies. Messages are injected all along and
 * replies go out from both sides. Every message must be handled once by the bot and returned
 * once by the MCP `recv` tool, and no reply may be refused by the server.
 */
import assert from "node:assert/strict";
import { startRig } from "../client/harness.ts";
import { CliChild } from "../cli/cli_process.ts";
import { callTool, connectHttp } from "../server/harness.ts";
import { until } from "../until.ts";

const SECONDS = Number(Deno.env.get("WEILINK_SOAK_SECONDS") ?? "60");
const ECHO = new URL("./fixtures/echo_child.ts", import.meta.url).pathname;

/** Resident set size of a process in MiB, from /proc (Linux). */
function rssMiB(pid: number): number {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? "0") / 1024;
}

Deno.test({
  name: `soak: an MCP server and an SDK bot share a data dir for ${SECONDS} s, each message once`,
  ignore: Deno.build.os !== "linux",
  fn: async () => {
    const rig = await startRig({ longPollMs: 300 });
    const { dir, sandbox } = rig;
    const env = {
      WEILINK_HOME: dir,
      WEILINK_BASE_URL: sandbox.baseUrl,
      WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl,
    };
    let mcp: CliChild | undefined;
    let bot: Deno.ChildProcess | undefined;
    let client: Awaited<ReturnType<typeof connectHttp>> | undefined;
    try {
      const users = ["u1@im.wechat", "u2@im.wechat", "u3@im.wechat"];
      const login = await rig.login(undefined, undefined, users[0]);
      await rig.wl.close();
      mcp = new CliChild(["mcp", "-t", "http", "-p", "0", "--log-level", "ERROR"], { env });
      const url = (await mcp.waitForStderr(/on (http:\/\/\S+\/mcp)/))[1]!;
      client = await connectHttp(url);
      // The server polls as soon as its client is open (on the first tool call at the latest).
      await callTool(client, "sessions");

      bot = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", ECHO, dir, sandbox.baseUrl, sandbox.cdnBaseUrl],
        stdout: "piped",
        stderr: "inherit",
      }).spawn();
      const lines: Record<string, unknown>[] = [];
      const reading = (async () => {
        let buf = "";
        for await (const chunk of bot!.stdout.pipeThrough(new TextDecoderStream())) {
          buf += chunk;
          let i;
          while ((i = buf.indexOf("\n")) >= 0) {
            const text = buf.slice(0, i).trim();
            buf = buf.slice(i + 1);
            if (text.startsWith("{")) lines.push(JSON.parse(text));
          }
        }
      })();
      await until(() => lines.some((l) => l.role), 20_000);
      const rssStart = { mcp: rssMiB(mcp.pid), bot: rssMiB(bot.pid) };

      const injected: string[] = [];
      const viaMcp: string[] = [];
      let mcpReplies = 0;
      let mcpRefused = 0;
      const end = Date.now() + SECONDS * 1000;
      let n = 0;
      while (Date.now() < end) {
        for (let k = 0; k < 5; k++) {
          const from = users[n % users.length]!;
          injected.push(
            (await sandbox.injectMessage({ botId: login.botId, from, text: `m${n++}` })).messageId,
          );
        }
        const got = await callTool(client, "recv", { timeout: 0.2 });
        const messages = got.structured.messages as { message_id: string; from_user: string }[];
        viaMcp.push(...messages.map((m) => m.message_id));
        for (const m of messages.slice(0, 1)) {
          const sent = await callTool(client, "send", { to: m.from_user, text: "from mcp" });
          if (sent.isError) {
            if (!/quota|no context/i.test(sent.text)) mcpRefused++;
          } else mcpReplies++;
        }
        await new Promise((r) => setTimeout(r, 150));
      }
      // Let both sides catch up.
      const handledIds = () => lines.filter((l) => l.id).map((l) => l.id as string);
      await until(() => new Set(handledIds()).size >= injected.length, 30_000);
      for (let i = 0; i < 10 && new Set(viaMcp).size < injected.length; i++) {
        const got = await callTool(client, "recv", { timeout: 1 });
        viaMcp.push(
          ...(got.structured.messages as { message_id: string }[]).map((m) => m.message_id),
        );
      }
      const rssEnd = { mcp: rssMiB(mcp.pid), bot: rssMiB(bot.pid) };

      const handled = handledIds();
      const dup = (ids: string[]) => ids.length - new Set(ids).size;
      const missing = (ids: string[]) => injected.filter((id) => !new Set(ids).has(id)).length;
      const replies = lines.filter((l) => "reply" in l);
      const refused = replies.filter((l) => l.reply === false && l.error !== null);
      console.log(
        `two-process soak (${SECONDS} s): injected ${injected.length}; bot handled ` +
          `${new Set(handled).size} (duplicated ${dup(handled)}, lost ${missing(handled)}); mcp ` +
          `recv ${new Set(viaMcp).size} (duplicated ${dup(viaMcp)}, lost ${missing(viaMcp)}); ` +
          `replies: bot ${replies.filter((l) => l.reply === true).length} accepted, ` +
          `${refused.length} refused, mcp ${mcpReplies} accepted, ${mcpRefused} refused; RSS MiB ` +
          `mcp ${rssStart.mcp.toFixed(1)} -> ${rssEnd.mcp.toFixed(1)}, bot ` +
          `${rssStart.bot.toFixed(1)} -> ${rssEnd.bot.toFixed(1)}`,
      );
      assert.equal(dup(handled), 0);
      assert.equal(missing(handled), 0);
      assert.equal(dup(viaMcp), 0);
      assert.equal(missing(viaMcp), 0);
      assert.equal(refused.length, 0, JSON.stringify(refused.slice(0, 3)));
      assert.equal(mcpRefused, 0);
      assert.deepEqual(await sandbox.violations(), []);
      bot.kill("SIGTERM");
      await bot.status;
      await reading;
      bot = undefined;
    } finally {
      await client?.close().catch(() => {});
      if (bot) {
        bot.kill("SIGTERM");
        await bot.status;
      }
      if (mcp) {
        mcp.kill("SIGTERM");
        await mcp.finish();
      }
      await rig.close();
    }
  },
});
