import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { runCli } from "./cli_process.ts";
import { until } from "../until.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const BOT_CHILD = new URL("../client/fixtures/bot_child.ts", import.meta.url).pathname;

/** A sandbox with one bot logged in through the CLI, on a fresh data dir. */
async function loggedIn() {
  const sandbox = await startSandbox({ longPollMs: 300 });
  const home = await Deno.makeTempDir({ prefix: "weilink-recv-" });
  const env = {
    WEILINK_HOME: home,
    WEILINK_BASE_URL: sandbox.baseUrl,
    WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl,
    WEILINK_LOG_LEVEL: "error",
  };
  const login = runCli(["login", "--json"], { env });
  await sandbox.confirmLogin();
  assert.equal((await login).code, 0);
  return {
    sandbox,
    home,
    env,
    async close() {
      await sandbox.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

/** Message ids in the JSON arrays printed by `recv --json`; incomplete lines are ignored. */
function printedIds(stdout: string): string[] {
  const ids: string[] = [];
  for (const line of stdout.split("\n")) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(line);
    } catch {
      continue; // Cut off by a kill: it was not output.
    }
    for (const m of parsed as { message_id: string }[]) ids.push(m.message_id);
  }
  return ids;
}

function duplicatesOf(ids: string[]): string[] {
  const seen = new Set<string>();
  return ids.filter((id) => seen.has(id) || !seen.add(id));
}

Deno.test("cli recv: repeated runs print every message once while another process polls", async () => {
  const rig = await loggedIn();
  // A bot on the same data dir holds the poll lock and stores every message.
  const bot = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      BOT_CHILD,
      rig.home,
      rig.sandbox.baseUrl,
      rig.sandbox.cdnBaseUrl,
      "poller",
      "store",
    ],
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const botOut: string[] = [];
  const reading = (async () => {
    for await (const chunk of bot.stdout.pipeThrough(new TextDecoderStream())) botOut.push(chunk);
  })();
  try {
    await until(() => botOut.join("").includes('"role":"primary"'), 20_000);
    const injected: string[] = [];
    const printed: string[] = [];
    for (let round = 0; round < 6; round++) {
      for (let i = 0; i < 50; i++) {
        injected.push((await rig.sandbox.injectMessage({ text: `r${round} m${i}` })).messageId);
      }
      const run = await runCli(["recv", "-t", "1", "--json"], { env: rig.env });
      assert.equal(run.code, 0, run.stderr);
      printed.push(...printedIds(run.stdout));
    }
    for (let extra = 0; extra < 3 && printed.length < injected.length; extra++) {
      printed.push(
        ...printedIds((await runCli(["recv", "-t", "1", "--json"], { env: rig.env })).stdout),
      );
    }
    console.log(
      `while another process polls: ${injected.length} injected, ${printed.length} printed`,
    );
    assert.deepEqual(duplicatesOf(printed), []);
    assert.deepEqual([...printed].sort(), [...injected].sort());
    // A second consumer has its own position and sees everything of the last minute once.
    const other = await runCli(["recv", "-t", "1", "--json", "--consumer", "audit"], {
      env: rig.env,
    });
    assert.equal(printedIds(other.stdout).length, injected.length);
  } finally {
    bot.kill("SIGTERM");
    await bot.status;
    await reading;
    await rig.close();
  }
});

Deno.test("cli recv: killed at random points, no message is lost or printed twice", async () => {
  const rig = await loggedIn();
  try {
    const injected: string[] = [];
    let injecting = true;
    const injector = (async () => {
      while (injecting) {
        injected.push((await rig.sandbox.injectMessage({ text: `m${injected.length}` })).messageId);
        await new Promise((r) => setTimeout(r, 15));
      }
    })();
    const printed: string[] = [];
    const kills = 60;
    let killed = 0;
    // A seeded schedule, so a failure can be replayed.
    let seed = 20261206;
    const random = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    while (killed < kills) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["run", "-A", CLI, "recv", "-t", "0.4", "--json"],
        env: { ...rig.env, NO_COLOR: "1" },
        stdin: "null",
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const out = new Response(child.stdout).text();
      const delay = Math.floor(random() * 700);
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
          killed++;
        } catch {
          // Already exited.
        }
      }, delay);
      await child.status;
      clearTimeout(timer);
      printed.push(...printedIds(await out));
    }
    injecting = false;
    await injector;
    for (let i = 0; i < 10; i++) {
      const run = await runCli(["recv", "-t", "0.5", "--json"], { env: rig.env });
      const ids = printedIds(run.stdout);
      printed.push(...ids);
      if (ids.length === 0 && printed.length >= injected.length) break;
    }
    const duplicated = duplicatesOf(printed);
    const printedSet = new Set(printed);
    const lost = injected.filter((id) => !printedSet.has(id));
    console.log(
      `kill loop: ${killed} kills, ${injected.length} injected, ${printedSet.size} printed, ` +
        `${duplicated.length} duplicated, ${lost.length} lost`,
    );
    assert.deepEqual(lost, []);
    assert.deepEqual(duplicated, []);
  } finally {
    await rig.close();
  }
});
