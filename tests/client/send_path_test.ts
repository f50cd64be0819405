import assert from "node:assert/strict";
import { startRig } from "./harness.ts";

function contexts(dir: string, session: string): Record<string, Record<string, number | string>> {
  return JSON.parse(Deno.readTextFileSync(`${dir}/${session}/contexts.json`));
}

Deno.test("send: each reply's reservation is on disk before send() returns; send_ts follows, by close() at the latest", async () => {
  const rig = await startRig();
  try {
    await rig.login("main");
    await rig.sandbox.injectMessage({ text: "hi" });
    const [m] = await rig.wl.recv({ timeout: 2 });
    const user = m!.fromUser;
    for (let i = 1; i <= 3; i++) {
      assert.equal((await rig.wl.send(user, `r${i}`)).remaining, 10 - i);
      // Another process reading the file now sees the count (the cross-process quota).
      assert.equal(contexts(rig.dir, "main")[user]!.sc, i);
    }
    // The stamp of the last send shows at once in memory, and on disk after close().
    const contact = rig.wl.sessions.main!.contacts().find((c) => c.userId === user);
    assert.ok(contact?.lastSentAt instanceof Date);
    await rig.wl.close();
    const entry = contexts(rig.dir, "main")[user]!;
    assert.equal(typeof entry.send_ts, "number");
    assert.ok(Math.abs((entry.send_ts as number) * 1000 - Date.now()) < 60_000);
  } finally {
    await rig.close();
  }
});

Deno.test("send: a refused send gives its reservation back at once", async () => {
  const rig = await startRig();
  try {
    await rig.login("main");
    await rig.sandbox.injectMessage({ text: "hi" });
    const [m] = await rig.wl.recv({ timeout: 2 });
    const user = m!.fromUser;
    await rig.sandbox.fail("sendmessage", {
      kind: "ret",
      ret: -1,
      errmsg: "system busy",
      times: 1,
    });
    const r = await rig.wl.send(user, "refused");
    assert.equal(r.success, false);
    assert.equal(r.remaining, 10);
    assert.equal(contexts(rig.dir, "main")[user]!.sc, undefined);
  } finally {
    await rig.close();
  }
});
