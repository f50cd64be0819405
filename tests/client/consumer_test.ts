import assert from "node:assert/strict";
import { startRig } from "./harness.ts";

Deno.test("consumer: its own durable position; an unacknowledged batch comes again", async () => {
  const rig = await startRig({}, { messageStore: true });
  try {
    await rig.login();
    for (const t of ["a", "b"]) await rig.sandbox.injectMessage({ text: t });
    const inbox = rig.wl.consumer("inbox");
    assert.deepEqual((await inbox.recv({ timeout: 2 })).map((m) => m.text), ["a", "b"]);
    // Not acknowledged: a new reader of the same name gets the batch again.
    await inbox.close();
    const again = rig.wl.consumer("inbox");
    assert.deepEqual((await again.recv({ timeout: 2 })).map((m) => m.text), ["a", "b"]);
    await again.ack();
    const position = JSON.parse(await Deno.readTextFile(again.path));
    assert.ok(Number.isSafeInteger(position.rowid) && position.rowid > 0);
    assert.equal(((await Deno.stat(again.path)).mode ?? 0) & 0o777, 0o600);
    await rig.sandbox.injectMessage({ text: "c" });
    // Asking for the next batch acknowledges the previous one.
    assert.deepEqual((await again.recv({ timeout: 2 })).map((m) => m.text), ["c"]);
    assert.deepEqual(await again.recv({ timeout: 0.3 }), []);
    // Another name has a position of its own: it starts with the last minute's messages.
    const audit = rig.wl.consumer("audit");
    assert.deepEqual((await audit.recv({ timeout: 1 })).map((m) => m.text), ["a", "b", "c"]);
  } finally {
    await rig.close();
  }
});

Deno.test("consumer: one reader per name, a clear error without the store, names checked", async () => {
  const rig = await startRig({}, { messageStore: true });
  try {
    await rig.login();
    await rig.sandbox.injectMessage({ text: "x" });
    const first = rig.wl.consumer("shared");
    assert.equal((await first.recv({ timeout: 2 })).length, 1);
    // A second reader of the same name waits for the first, and gives up at its timeout.
    const second = rig.client({ messageStore: true }).consumer("shared");
    assert.deepEqual(await second.recv({ timeout: 0.3 }), []);
    await first.close();
    assert.deepEqual((await second.recv({ timeout: 1 })).map((m) => m.text), ["x"]);
    assert.throws(() => rig.wl.consumer("../escape"), TypeError);
    assert.throws(() => rig.wl.consumer(""), TypeError);
    await assert.rejects(
      rig.client({ messageStore: false }).consumer("nostore").recv({ timeout: 0 }),
      /message store/,
    );
  } finally {
    await rig.close();
  }
});
