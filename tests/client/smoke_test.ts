import assert from "node:assert/strict";
import { startRig } from "./harness.ts";

Deno.test("smoke: login, recv, send text", async () => {
  const rig = await startRig();
  try {
    const bot = await rig.login();
    assert.match(bot.botId, /@im\.bot$/);
    await rig.sandbox.injectMessage({ text: "hello" });
    const msgs = await rig.wl.recv({ timeout: 2 });
    assert.equal(msgs.length, 1);
    assert.equal(msgs[0]!.text, "hello");
    const res = await rig.wl.send(msgs[0]!.fromUser, "world");
    assert.equal(res.success, true, res.error);
    assert.equal(res.remaining, 9);
    const sent = await rig.sandbox.sent();
    assert.equal(sent[0]?.text, "world");
    assert.deepEqual(await rig.sandbox.violations(), []);
  } finally {
    await rig.close();
  }
});
