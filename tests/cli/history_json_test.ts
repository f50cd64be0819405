/**
 * `weilink history --json` rows: the Python original's keys, `from_user` = the user of the
 * conversation in both directions, and an explicit `to_user`.
 */
import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { WeiLink } from "../../mod.ts";
import { jsonOf, runCli } from "./cli_process.ts";

const USER = "carol@im.wechat";

Deno.test("history --json: sent rows name the recipient in from_user and to_user", async () => {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  const home = await Deno.makeTempDir({ prefix: "weilink-history-json-" });
  const wl = new WeiLink({
    basePath: home,
    baseUrl: sandbox.baseUrl,
    cdnBaseUrl: sandbox.cdnBaseUrl,
    messageStore: true,
    logger: "silent",
  });
  try {
    const login = wl.login({ onQr: () => {} });
    const { botId } = await sandbox.confirmLogin({ userId: USER });
    await login;
    await sandbox.injectMessage({ from: USER, text: "ping" });
    const [ping] = await wl.recv({ timeout: 5 });
    assert.equal(ping?.text, "ping");
    const result = await wl.send(USER, { text: "pong" });
    assert.equal(result.success, true);
    await wl.close();

    const history = await runCli(["history", "--json", "--since", "2d", "-d", home]);
    assert.equal(history.code, 0, history.stderr);
    const rows = (jsonOf(history) as { messages: Record<string, unknown>[] }).messages;
    const pong = rows.find((r) => r.text === "pong");
    const received = rows.find((r) => r.text === "ping");
    assert.ok(pong && received, JSON.stringify(rows));
    assert.deepEqual(
      { from: pong.from_user, to: pong.to_user, direction: pong.direction, bot: pong.bot_id },
      { from: USER, to: USER, direction: "sent", bot: botId },
    );
    assert.deepEqual(
      { from: received.from_user, to: received.to_user, direction: received.direction },
      { from: USER, to: botId, direction: "received" },
    );
    assert.equal(typeof pong.message_id, "string");

    const human = await runCli(["history", "-d", home]);
    assert.match(human.stdout, new RegExp(`sent ${USER} \\(TEXT\\) #\\d+: pong`));
  } finally {
    await wl.close();
    await sandbox.close();
    await Deno.remove(home, { recursive: true });
  }
});
