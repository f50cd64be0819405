/**
 * Sessions changed under a running process: another OS process (the CLI) logs in again, expires,
 * renames, logs out and changes the default on the data directory a polling bot uses.
 */
import assert from "node:assert/strict";
import { startRig } from "./harness.ts";
import { runCli } from "../cli/cli_process.ts";
import { until } from "../until.ts";

const VIEWER = new URL("./fixtures/viewer_child.ts", import.meta.url).pathname;
const WAIT = 20_000;

interface SessionView {
  name: string;
  bot: string | null;
  connected: boolean;
  expired: boolean;
  default: boolean;
}

/** A polling bot in its own process, with its JSON lines collected. */
function spawnViewer(dir: string, baseUrl: string, cdnBaseUrl: string) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", VIEWER, dir, baseUrl, cdnBaseUrl],
    stdin: "piped",
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: Record<string, unknown>[] = [];
  const done = (async () => {
    let buf = "";
    for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
      buf += chunk;
      let i;
      while ((i = buf.indexOf("\n")) >= 0) {
        const text = buf.slice(0, i).trim();
        buf = buf.slice(i + 1);
        if (text.startsWith("{")) lines.push(JSON.parse(text));
      }
    }
  })();
  const writer = child.stdin.getWriter();
  return {
    lines,
    handled: () => lines.filter((l) => l.id) as { id: string; text: string; bot: string }[],
    async view(): Promise<{ default: string; sessions: SessionView[] }> {
      const before = lines.length;
      await writer.write(new TextEncoder().encode("view\n"));
      await until(() => lines.slice(before).some((l) => l.view), WAIT);
      return lines.slice(before).find((l) => l.view)!.view as never;
    },
    async stop() {
      await writer.close().catch(() => {});
      await child.status;
      await done;
    },
  };
}

async function withViewer(
  fn: (ctx: {
    rig: Awaited<ReturnType<typeof startRig>>;
    viewer: ReturnType<typeof spawnViewer>;
    cli: (...args: string[]) => ReturnType<typeof runCli>;
  }) => Promise<void>,
  sessions: string[],
) {
  const rig = await startRig();
  let viewer: ReturnType<typeof spawnViewer> | undefined;
  try {
    for (const [i, name] of sessions.entries()) {
      await rig.login(name, undefined, `user${i}@im.wechat`);
    }
    await rig.wl.close();
    viewer = spawnViewer(rig.dir, rig.sandbox.baseUrl, rig.sandbox.cdnBaseUrl);
    await until(() => viewer!.lines.some((l) => l.ready), WAIT);
    const env = {
      WEILINK_HOME: rig.dir,
      WEILINK_BASE_URL: rig.sandbox.baseUrl,
      WEILINK_CDN_BASE_URL: rig.sandbox.cdnBaseUrl,
      WEILINK_LOG_LEVEL: "error",
    };
    await fn({ rig, viewer, cli: (...args) => runCli(args, { env }) });
  } finally {
    await viewer?.stop();
    await rig.close();
  }
}

Deno.test("shared dir: a new login elsewhere never inherits the old token's cursor", async () => {
  await withViewer(async ({ rig, viewer, cli }) => {
    const old = (await rig.sandbox.state()).bots[0]!;
    for (let i = 0; i < 5; i++) {
      await rig.sandbox.injectMessage({ botId: old.botId, text: `old ${i}` });
    }
    await until(() => viewer.handled().length === 5, WAIT);
    // `login c -f` in another process: a new bot, a new token, a fresh cursor.
    const login = cli("login", "c", "-f", "--json");
    const confirmed = await rig.sandbox.confirmLogin({ userId: "someone-else@im.wechat" });
    assert.equal((await login).code, 0);
    assert.notEqual(confirmed.botId, old.botId);
    for (let i = 0; i < 4; i++) {
      await rig.sandbox.injectMessage({ botId: confirmed.botId, text: `new ${i}` });
    }
    await until(() => viewer.handled().filter((l) => l.bot === confirmed.botId).length === 4, WAIT);
    assert.deepEqual(
      viewer.handled().filter((l) => l.bot === confirmed.botId).map((l) => l.text),
      ["new 0", "new 1", "new 2", "new 3"],
    );
  }, ["c"]);
});

Deno.test("shared dir: an expiry is seen by every process, and login offers a new QR without -f", async () => {
  await withViewer(async ({ rig, viewer, cli }) => {
    const bot = (await rig.sandbox.state()).bots[0]!;
    await rig.sandbox.expireSession(bot.botId);
    await until(() => viewer.lines.some((l) => l.event === "session_expired"), WAIT);
    const status = await cli("status", "--json");
    assert.deepEqual(
      (JSON.parse(status.stdout) as Record<string, unknown>[]).map((s) => [
        s.name,
        s.connected,
        s.expired,
      ]),
      [["a", false, true]],
    );
    // Logging the expired session in again needs no --force, and keeps its name.
    const login = cli("login", "a", "--json");
    const fresh = await rig.sandbox.confirmLogin({ userId: "user0@im.wechat" });
    const done = await login;
    assert.equal(done.code, 0, done.stderr);
    assert.equal((JSON.parse(done.stdout) as { bot_id: string }).bot_id, fresh.botId);
    // The running process picks up the new token and polls with it.
    await rig.sandbox.injectMessage({ botId: fresh.botId, text: "after login" });
    await until(() => viewer.handled().some((l) => l.text === "after login"), WAIT);
    const view = await viewer.view();
    assert.deepEqual(view.sessions.map((s) => [s.name, s.connected, s.expired]), [
      ["a", true, false],
    ]);
  }, ["a"]);
});

Deno.test("shared dir: default changes, renames and logouts elsewhere reach a running process", async () => {
  await withViewer(async ({ rig, viewer, cli }) => {
    assert.equal((await viewer.view()).default, "a");
    assert.equal((await cli("sessions", "default", "b")).code, 0);
    let view = await viewer.view();
    assert.equal(view.default, "b");
    assert.deepEqual(view.sessions.filter((s) => s.default).map((s) => s.name), ["b"]);

    const a = (await rig.sandbox.state()).bots.find((b) => b.userId === "user0@im.wechat")!;
    assert.equal((await cli("sessions", "rename", "a", "z")).code, 0);
    view = await viewer.view();
    assert.deepEqual(view.sessions.map((s) => s.name).sort(), ["b", "z"]);
    // The renamed session keeps polling under its new name.
    await rig.sandbox.injectMessage({ botId: a.botId, text: "to z" });
    await until(() => viewer.handled().some((l) => l.text === "to z"), WAIT);

    assert.equal((await cli("logout", "b")).code, 0);
    view = await viewer.view();
    assert.deepEqual(view.sessions.map((s) => s.name), ["z"]);
    assert.equal(view.default, "z");
  }, ["a", "b"]);
});
