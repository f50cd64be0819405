import assert from "node:assert/strict";
import type { WeiLinkEvent } from "../../src/client/mod.ts";
import { startRig } from "./harness.ts";
import { until } from "../until.ts";

/** A JSON file as it is now (read synchronously, for `until`). */
function readJson(path: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(path));
}

Deno.test("committer: recv() hands a batch out at once; its cursor and tokens reach disk right after", async () => {
  const rig = await startRig();
  try {
    await rig.login("main");
    const { contextToken } = await rig.sandbox.injectMessage({ text: "one" });
    const got = await rig.wl.recv({ timeout: 2 });
    assert.deepEqual(got.map((m) => m.text), ["one"]);
    const token = `${rig.dir}/main/token.json`;
    const contexts = `${rig.dir}/main/contexts.json`;
    await until(() => readJson(token).cursor !== "");
    const saved = readJson(contexts);
    assert.equal((saved[got[0]!.fromUser] as { t: string }).t, contextToken);
    // A reply right after recv() finds the token in contexts.json.
    const sent = await rig.wl.send(got[0]!.fromUser, "pong");
    assert.equal(sent.success, true);
    assert.equal((await rig.sandbox.violations()).length, 0);
  } finally {
    await rig.close();
  }
});

Deno.test("committer: a commit that fails is retried; messages keep flowing and nothing is lost", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { onEvent: (e) => void events.push(e) });
  try {
    await rig.login("main");
    // A folder where the temp file of contexts.json goes: every write of that file fails.
    const blocker = `${rig.dir}/main/contexts.json.tmp`;
    await Deno.mkdir(`${blocker}/x`, { recursive: true });
    const token = `${rig.dir}/main/token.json`;
    const before = readJson(token).cursor;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await rig.sandbox.injectMessage({ text: `m${i}` }));
    const got = [];
    while (got.length < 3) got.push(...await rig.wl.recv({ timeout: 2 }));
    assert.deepEqual(got.map((m) => m.text), ["m0", "m1", "m2"]);
    await until(() => events.some((e) => e.type === "poll_failed"));
    assert.ok(
      rig.logger.lines.some((l) => l.includes("Cannot save the cursor and context tokens")),
    );
    // Neither file moved: the cursor never passes tokens that are not on disk.
    assert.equal(readJson(token).cursor, before);
    // A send waits for the tokens and says why it cannot go.
    await assert.rejects(rig.wl.send(got[0]!.fromUser, "reply"), /could not be saved/);
    await Deno.remove(blocker, { recursive: true });
    await until(() => readJson(token).cursor !== before);
    const contexts = readJson(`${rig.dir}/main/contexts.json`);
    assert.equal((contexts[got[0]!.fromUser] as { t: string }).t, ids[2]!.contextToken);
    assert.equal((await rig.wl.send(got[0]!.fromUser, "reply")).success, true);
  } finally {
    await rig.close();
  }
});

Deno.test("committer: close() writes what is queued; a new client starts after the last batch", async () => {
  const rig = await startRig();
  try {
    await rig.login("main");
    for (let i = 0; i < 5; i++) await rig.sandbox.injectMessage({ text: `c${i}` });
    const got = [];
    while (got.length < 5) got.push(...await rig.wl.recv({ timeout: 2 }));
    await rig.wl.close();
    const next = rig.client();
    await rig.sandbox.injectMessage({ text: "after" });
    const again = await next.recv({ timeout: 2 });
    assert.deepEqual(again.map((m) => m.text), ["after"], "no batch is fetched twice");
  } finally {
    await rig.close();
  }
});

Deno.test("committer: a killed process replays at most the batches it had not committed", async () => {
  // The child receives in the README's loop and prints each text; it is killed mid-stream.
  const rig = await startRig({ updatesBatch: 1 });
  try {
    await rig.login("main");
    const script = `
      import { WeiLink } from ${JSON.stringify(new URL("../../mod.ts", import.meta.url).href)};
      const wl = new WeiLink({ basePath: ${JSON.stringify(rig.dir)}, baseUrl: ${
      JSON.stringify(rig.sandbox.baseUrl)
    }, logger: "error" });
      for (;;) for (const m of await wl.recv({ timeout: 5 })) console.log(m.text);
    `;
    const total = 300;
    for (let i = 0; i < total; i++) await rig.sandbox.injectMessage({ text: `k${i}` });
    const seen: string[] = [];
    for (let run = 0; run < 40 && !seen.includes(`k${total - 1}`); run++) {
      const child = new Deno.Command(Deno.execPath(), {
        args: ["eval", "--ext=ts", script],
        stdout: "piped",
        stderr: "null",
      }).spawn();
      const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
      let buffer = "";
      let lines = 0;
      // Let each run print some lines, then kill it without warning.
      while (lines < 60) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value;
        const parts = buffer.split("\n");
        buffer = parts.pop()!;
        seen.push(...parts);
        lines += parts.length;
        if (seen.includes(`k${total - 1}`)) break;
      }
      child.kill("SIGKILL");
      await child.status;
      await reader.cancel().catch(() => {});
    }
    const unique = new Set(seen);
    assert.ok(unique.has(`k${total - 1}`), `the runs reached the end (${unique.size} seen)`);
    assert.ok(seen.length >= 120, "runs were killed mid-stream");
    const missing = Array.from({ length: total }, (_, i) => `k${i}`)
      .filter((t) =>
        !unique.has(t) &&
        Number(t.slice(1)) <= Math.max(...[...unique].map((u) => Number(u.slice(1))))
      );
    assert.deepEqual(missing, [], "no message before the last one printed is lost");
    // Each kill can repeat only the few batches handed out since the last commit.
    console.log(
      `kill test: ${seen.length} lines, ${unique.size} messages, ${
        seen.length - unique.size
      } repeated after kills`,
    );
    // Repeats are what was handed out since the last commit: a few milliseconds per kill.
    assert.ok(seen.length - unique.size < total, `${seen.length - unique.size} repeats`);
  } finally {
    await rig.close();
  }
});
