import assert from "node:assert/strict";
import { readJson, startRig } from "./harness.ts";
import { until } from "../until.ts";

/** Child processes start a Deno runtime each: give them longer than in-process waits. */
const PROCESS_WAIT_MS = 15_000;

const CHILD = new URL("./fixtures/bot_child.ts", import.meta.url).pathname;

interface Line {
  label: string;
  role?: string;
  id?: string;
  text?: string;
  closed?: boolean;
}

/** A running bot child whose JSON lines are collected as they arrive. */
function spawnBot(dir: string, baseUrl: string, cdnBaseUrl: string, label: string, store = false) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", CHILD, dir, baseUrl, cdnBaseUrl, label, store ? "store" : ""],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const lines: Line[] = [];
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
  return { child, lines, done };
}

/** Stops every bot still running and waits for its output to end. */
async function stopBots(bots: ReturnType<typeof spawnBot>[]): Promise<void> {
  for (const bot of bots) {
    try {
      bot.child.kill("SIGTERM");
    } catch {
      // Already exited.
    }
    await bot.child.status;
    await bot.done;
  }
}

Deno.test("two processes on one data dir: one polls, the other takes over, nothing lost or duplicated", async () => {
  const rig = await startRig();
  const bots: ReturnType<typeof spawnBot>[] = [];
  try {
    await rig.login();
    await rig.wl.close();
    const { dir, sandbox } = rig;
    const a = spawnBot(dir, sandbox.baseUrl, sandbox.cdnBaseUrl, "A");
    bots.push(a);
    await until(() => a.lines.some((l) => l.role === "primary"), PROCESS_WAIT_MS);
    const b = spawnBot(dir, sandbox.baseUrl, sandbox.cdnBaseUrl, "B");
    bots.push(b);
    await until(() => b.lines.some((l) => l.role === "standby"), PROCESS_WAIT_MS);

    const ids: string[] = [];
    for (let i = 0; i < 15; i++) {
      ids.push((await sandbox.injectMessage({ text: `m${i}` })).messageId);
    }
    const handled = () => [...a.lines, ...b.lines].filter((l) => l.id);
    await until(() => handled().length >= 15, PROCESS_WAIT_MS);
    assert.equal(b.lines.filter((l) => l.id).length, 0, "only the poll-lock holder polls");

    // Clean shutdown of A on SIGTERM; B takes over polling from the shared cursor.
    a.child.kill("SIGTERM");
    const status = await a.child.status;
    await a.done;
    assert.equal(status.code, 0);
    assert.deepEqual(a.lines.at(-1), { label: "A", closed: true });
    for (let i = 15; i < 30; i++) {
      ids.push((await sandbox.injectMessage({ text: `m${i}` })).messageId);
    }
    await until(() => handled().length >= 30, PROCESS_WAIT_MS);
    assert.ok(b.lines.some((l) => l.role === "primary"));
    await new Promise((r) => setTimeout(r, 300));
    const all = handled().map((l) => l.id!);
    assert.deepEqual([...all].sort(), [...ids].sort(), "every message exactly once");

    const token = await readJson(`${dir}/default/token.json`);
    assert.notEqual(token.cursor, "");
    await readJson(`${dir}/default/contexts.json`);
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await stopBots(bots);
    await rig.close();
  }
});

Deno.test("two processes with the message store: the watcher sees every message once, then takes over", async () => {
  const rig = await startRig();
  const bots: ReturnType<typeof spawnBot>[] = [];
  try {
    await rig.login();
    await rig.wl.close();
    const { dir, sandbox } = rig;
    const a = spawnBot(dir, sandbox.baseUrl, sandbox.cdnBaseUrl, "A", true);
    bots.push(a);
    await until(() => a.lines.some((l) => l.role === "primary"), PROCESS_WAIT_MS);
    const b = spawnBot(dir, sandbox.baseUrl, sandbox.cdnBaseUrl, "B", true);
    bots.push(b);
    await until(() => b.lines.some((l) => l.role === "store_watcher"), PROCESS_WAIT_MS);

    const first: string[] = [];
    for (let i = 0; i < 15; i++) {
      first.push((await sandbox.injectMessage({ text: `m${i}` })).messageId);
    }
    const idsOf = (lines: Line[]) => lines.filter((l) => l.id).map((l) => l.id!);
    // The primary polls and stores; the secondary's onMessage gets each row from the store.
    await until(() => idsOf(a.lines).length >= 15 && idsOf(b.lines).length >= 15, PROCESS_WAIT_MS);

    a.child.kill("SIGTERM");
    assert.equal((await a.child.status).code, 0);
    await a.done;
    const second: string[] = [];
    for (let i = 15; i < 30; i++) {
      second.push((await sandbox.injectMessage({ text: `m${i}` })).messageId);
    }
    await until(() => idsOf(b.lines).length >= 30, PROCESS_WAIT_MS);
    assert.ok(b.lines.some((l) => l.role === "primary"), "the watcher takes over polling");
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual([...idsOf(a.lines)].sort(), [...first].sort());
    assert.deepEqual(
      [...idsOf(b.lines)].sort(),
      [...first, ...second].sort(),
      "the secondary handles every message exactly once",
    );
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    await stopBots(bots);
    await rig.close();
  }
});
