import assert from "node:assert/strict";
import { MessageStore } from "../../src/store/mod.ts";
import { MessageDirection, MessageType } from "../../src/models/mod.ts";
import type { WeiLinkEvent } from "../../src/client/mod.ts";
import { startRig } from "./harness.ts";
import { until } from "../until.ts";

Deno.test("store: received messages are stored before dispatch, sent ones after success", async () => {
  const rig = await startRig({}, { messageStore: true });
  const db = () => new MessageStore(`${rig.dir}/messages.db`);
  try {
    await rig.login();
    const storedFirst: boolean[] = [];
    rig.wl.onMessage((m) => {
      const s = db();
      try {
        storedFirst.push(s.getById(m.messageId!) !== undefined);
      } finally {
        s.close();
      }
    });
    await rig.wl.runBackground({ pollTimeout: 1 });
    const { messageId } = await rig.sandbox.injectMessage({ text: "keep me" });
    await until(() => storedFirst.length === 1);
    assert.deepEqual(storedFirst, [true]);
    const [msg] = await rig.wl.recv({ timeout: 1 });
    assert.equal(msg?.messageId, messageId);
    const res = await rig.wl.send(msg!.fromUser, {
      text: "reply",
      image: new Uint8Array([1, 2, 3]),
    });
    assert.equal(res.success, true, res.error);
    const s = db();
    try {
      const sent = s.query({ direction: MessageDirection.SENT });
      assert.deepEqual(sent.map((m) => m.msgType).sort(), [MessageType.TEXT, MessageType.IMAGE]);
      assert.ok(sent.every((m) => m.toUser === msg!.fromUser || m.fromUser === msg!.fromUser));
      assert.deepEqual(sent.map((m) => m.messageId).sort(), [...res.messageIds].sort());
    } finally {
      s.close();
    }
  } finally {
    await rig.close();
  }
});

Deno.test("store: cooperative fallback returns each stored message once", async () => {
  const rig = await startRig({}, { messageStore: true });
  try {
    await rig.login();
    await rig.wl.runBackground({ pollTimeout: 1 }); // holds the poll lock
    await rig.sandbox.injectMessage({ text: "early" });
    const first = await rig.wl.recv({ timeout: 2 });
    assert.deepEqual(first.map((m) => m.text), ["early"]);

    const secondary = rig.client({ fallbackWindow: 60 });
    const got = await secondary.recv({ timeout: 2 });
    assert.deepEqual(got.map((m) => m.text), ["early"], "starts from the window");
    await rig.sandbox.injectMessage({ text: "later" });
    const next = [];
    while (next.length === 0) next.push(...await secondary.recv({ timeout: 2 }));
    assert.deepEqual(next.map((m) => m.text), ["later"], "high-water mark: no repeats");
    const started = Date.now();
    assert.deepEqual(await secondary.recv({ timeout: 0.3 }), []);
    assert.ok(Date.now() - started >= 250, "no busy loop while nothing is new");
  } finally {
    await rig.close();
  }
});

Deno.test("store: the watcher skips sent rows and takes over polling when the lock frees", async () => {
  const events: WeiLinkEvent[] = [];
  const rig = await startRig({}, { messageStore: true });
  try {
    await rig.login();
    await rig.wl.runBackground({ pollTimeout: 1 });
    const watcher = rig.client({ onEvent: (e) => void events.push(e) });
    const seen: string[] = [];
    watcher.onMessage((m) => void seen.push(`${m.direction}:${m.text}`));
    await watcher.runBackground({ pollTimeout: 1 });
    await until(() =>
      events.some((e) => e.type === "dispatcher_role" && e.role === "store_watcher")
    );

    await rig.sandbox.injectMessage({ text: "one" });
    await until(() => seen.length === 1);
    const [msg] = await rig.wl.recv({ timeout: 1 });
    await rig.wl.send(msg!.fromUser, "bot reply");
    await rig.sandbox.injectMessage({ text: "two" });
    await until(() => seen.length === 2);

    await rig.wl.stop();
    await until(() => events.some((e) => e.type === "dispatcher_role" && e.role === "primary"));
    await rig.sandbox.injectMessage({ text: "three" });
    await until(() => seen.length === 3);
    await new Promise((r) => setTimeout(r, 200));
    assert.deepEqual(seen, ["1:one", "1:two", "1:three"]);
  } finally {
    await rig.close();
  }
});
