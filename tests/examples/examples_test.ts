/**
 * Runs each program in `examples/` as a child process against the embedded sandbox: the login is
 * confirmed as a phone would, a user writes, and the test waits for the bot's answer.
 */
import assert from "node:assert/strict";
import { md5Hex } from "../../src/crypto/mod.ts";
import { type Sandbox, type SentRecord, startSandbox } from "../../src/sandbox/mod.ts";

const EXAMPLES = new URL("../../examples/", import.meta.url);

/** A running example with the sandbox it talks to. */
interface RunningExample {
  sandbox: Sandbox;
  child: Deno.ChildProcess;
  home: string;
}

async function startExample(file: string): Promise<RunningExample> {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  const home = await Deno.makeTempDir({ prefix: "weilink-example-" });
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(file, EXAMPLES).pathname],
    env: {
      WEILINK_HOME: home,
      WEILINK_BASE_URL: sandbox.baseUrl,
      WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl,
      WEILINK_LOG_LEVEL: "ERROR",
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  return { sandbox, child, home };
}

async function stopExample({ sandbox, child, home }: RunningExample): Promise<void> {
  try {
    child.kill("SIGTERM");
  } catch {
    // Already gone.
  }
  await child.status;
  await sandbox.close();
  await Deno.remove(home, { recursive: true });
}

/** Waits until the sandbox has recorded `count` sent messages matching `filter`. */
async function waitForSent(
  sandbox: Sandbox,
  count: number,
  filter: { botId?: string; to?: string } = {},
): Promise<SentRecord[]> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const sent = await sandbox.sent(filter);
    if (sent.length >= count) return sent;
    if (Date.now() > deadline) {
      throw new Error(`Timed out waiting for ${count} sent messages; got ${sent.length}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

Deno.test("examples/echo_bot.ts answers a text with the same text", async () => {
  const run = await startExample("echo_bot.ts");
  try {
    const login = await run.sandbox.confirmLogin({ userId: "alice@im.wechat" });
    await run.sandbox.injectMessage({ text: "ping" });
    const [reply] = await waitForSent(run.sandbox, 1, { to: login.userId });
    assert.equal(reply?.text, "echo: ping");
    assert.deepEqual(await run.sandbox.violations(), []);
  } finally {
    await stopExample(run);
  }
});

Deno.test("examples/media_echo.ts sends a received image back with a caption", async () => {
  const run = await startExample("media_echo.ts");
  try {
    await run.sandbox.confirmLogin({ userId: "bob@im.wechat" });
    const image = crypto.getRandomValues(new Uint8Array(3000));
    await run.sandbox.injectMessage({ image });
    const sent = await waitForSent(run.sandbox, 2);
    assert.equal(sent[0]?.text, "Got 3000 bytes (IMAGE)");
    assert.equal(sent[1]?.type, 2);
    assert.equal(sent[1]?.media?.md5, md5Hex(image));
    assert.deepEqual(await run.sandbox.violations(), []);
  } finally {
    await stopExample(run);
  }
});

Deno.test("examples/multi_session.ts serves two accounts and routes each reply", async () => {
  const run = await startExample("multi_session.ts");
  try {
    const alice = await run.sandbox.confirmLogin({ userId: "alice@im.wechat" });
    const bob = await run.sandbox.confirmLogin({ userId: "bob@im.wechat" });
    await run.sandbox.injectMessage({ botId: alice.botId, from: alice.userId, text: "one" });
    await run.sandbox.injectMessage({ botId: bob.botId, from: bob.userId, text: "two" });
    const [toAlice] = await waitForSent(run.sandbox, 1, { botId: alice.botId });
    const [toBob] = await waitForSent(run.sandbox, 1, { botId: bob.botId });
    assert.equal(toAlice?.text, "[alice] you said: one");
    assert.equal(toBob?.text, "[bob] you said: two");
    assert.deepEqual(await run.sandbox.violations(), []);
  } finally {
    await stopExample(run);
  }
});
