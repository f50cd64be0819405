/**
 * Exactly-once under faults: thousands of messages through the dispatcher and through a plain
 * `recv()` loop while every endpoint misbehaves (HTTP 500, hangs past the timeout, connections
 * dropped before and after the server read the request, truncated JSON, `ret`/`errcode` errors)
 * and one of two sessions expires for a while. Every message must arrive exactly once, and no
 * reply may reach the server twice.
 */
import assert from "node:assert/strict";
import type { SandboxFault } from "../../src/sandbox/mod.ts";
import type { FaultEndpoint } from "../../src/sandbox/mod.ts";
import type { Message } from "../../src/models/mod.ts";
import type { WeiLink } from "../../src/client/mod.ts";
import { type Rig, startRig } from "../client/harness.ts";
import { until } from "../until.ts";

const PER_PHASE = 2000;
/** A 1x1 PNG, sent as an occasional image reply so the upload endpoints see faults too. */
const PIXEL = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** The faults played, in a fixed rotation, on each endpoint. */
const FAULTS: [FaultEndpoint, SandboxFault][] = [
  ["getupdates", { kind: "http500" }],
  ["getupdates", { kind: "hang" }],
  ["getupdates", { kind: "drop_before_read" }],
  ["getupdates", { kind: "drop_after_read" }],
  ["getupdates", { kind: "malformed_json" }],
  ["getupdates", { kind: "ret", ret: -1, errmsg: "system busy" }],
  ["getupdates", { kind: "ret", errcode: -2, errmsg: "unknown error" }],
  ["sendmessage", { kind: "http500" }],
  ["sendmessage", { kind: "drop_before_read" }],
  ["sendmessage", { kind: "drop_after_read" }],
  ["sendmessage", { kind: "malformed_json" }],
  ["sendmessage", { kind: "ret", ret: -1, errmsg: "system busy" }],
  ["getuploadurl", { kind: "http500" }],
  ["getuploadurl", { kind: "drop_after_read" }],
  ["cdn_upload", { kind: "http500" }],
  ["cdn_upload", { kind: "drop_before_read" }],
  ["getconfig", { kind: "malformed_json" }],
  ["sendtyping", { kind: "drop_after_read" }],
];

interface Tally {
  injected: string[];
  delivered: string[];
  replies: number;
}

/** Inject messages to two bots in bursts, arming a fault and expiring one session on the way. */
async function inject(rig: Rig, bots: string[], tally: Tally, total: number): Promise<void> {
  let fault = 0;
  for (let i = 0; i < total; i++) {
    const botId = bots[i % bots.length]!;
    tally.injected.push((await rig.sandbox.injectMessage({ botId, text: `m${i}` })).messageId);
    if (i % 25 === 0) {
      const [endpoint, f] = FAULTS[fault++ % FAULTS.length]!;
      await rig.sandbox.fail(endpoint, f);
    }
    // One session expires for a while in the middle; its messages wait on the server.
    if (i === Math.floor(total / 2)) {
      await rig.sandbox.expireSession(bots[0]!, { reviveAfterMs: 1500 });
    }
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 20));
  }
}

/** Reply to some messages (text, sometimes an image or typing) without failing on errors. */
async function reply(wl: WeiLink, m: Message, tally: Tally): Promise<void> {
  const n = tally.delivered.length;
  if (n % 10 !== 0) return;
  tally.replies++;
  try {
    if (n % 100 === 0) await wl.sendTyping(m.fromUser);
    await wl.send(
      m.fromUser,
      n % 50 === 0 ? { text: `re ${m.text}`, image: PIXEL } : `re ${m.text}`,
    );
  } catch {
    // Preconditions (quota) may fail; the soak is about delivery and duplicates.
  }
}

function report(label: string, rig: Rig, tally: Tally, requests: Record<string, number>) {
  const counts = new Map<string, number>();
  for (const id of tally.delivered) counts.set(id, (counts.get(id) ?? 0) + 1);
  const duplicated = [...counts.values()].filter((n) => n > 1).length;
  const lost = tally.injected.filter((id) => !counts.has(id)).length;
  console.log(
    `${label}: injected ${tally.injected.length}, delivered ${counts.size}, duplicated ` +
      `${duplicated}, lost ${lost}; replies attempted ${tally.replies}; getupdates ` +
      `${requests.getupdates}, sendmessage ${requests.sendmessage}`,
  );
  assert.equal(duplicated, 0);
  assert.equal(lost, 0);
  return rig;
}

async function assertNoDuplicateSends(rig: Rig): Promise<void> {
  const sent = await rig.sandbox.sent();
  const clientIds = sent.map((r) => r.clientId);
  assert.equal(new Set(clientIds).size, clientIds.length, "a reply reached the server twice");
}

Deno.test("soak: exactly once through the dispatcher while every endpoint fails now and then", async () => {
  const rig = await startRig({ connectionFaults: true, longPollMs: 200 });
  try {
    const a = await rig.login("a", undefined, "alice@im.wechat");
    const b = await rig.login("b", undefined, "bob@im.wechat");
    const tally: Tally = { injected: [], delivered: [], replies: 0 };
    rig.wl.onMessage(async (m) => {
      tally.delivered.push(m.messageId!);
      await reply(rig.wl, m, tally);
    });
    await rig.wl.runBackground({ pollTimeout: 1 });
    await inject(rig, [a.botId, b.botId], tally, PER_PHASE);
    await until(() => new Set(tally.delivered).size >= PER_PHASE, 60_000);
    await new Promise((r) => setTimeout(r, 500)); // a duplicate would show up by now
    await rig.wl.stop();
    report("fault soak (dispatcher)", rig, tally, await rig.sandbox.requests());
    await assertNoDuplicateSends(rig);
  } finally {
    await rig.close();
  }
});

Deno.test("soak: exactly once through a recv() loop while every endpoint fails now and then", async () => {
  const rig = await startRig({ connectionFaults: true, longPollMs: 200 });
  try {
    const a = await rig.login("a", undefined, "alice@im.wechat");
    const b = await rig.login("b", undefined, "bob@im.wechat");
    const tally: Tally = { injected: [], delivered: [], replies: 0 };
    const injecting = inject(rig, [a.botId, b.botId], tally, PER_PHASE);
    const deadline = Date.now() + 60_000;
    // The README's loop. Only "every session expired" may escape recv(), and here one session
    // stays alive throughout.
    while (new Set(tally.delivered).size < PER_PHASE && Date.now() < deadline) {
      for (const m of await rig.wl.recv({ timeout: 1 })) {
        tally.delivered.push(m.messageId!);
        await reply(rig.wl, m, tally);
      }
    }
    await injecting;
    for (const m of await rig.wl.recv({ timeout: 0.5 })) tally.delivered.push(m.messageId!);
    report("fault soak (recv loop)", rig, tally, await rig.sandbox.requests());
    await assertNoDuplicateSends(rig);
  } finally {
    await rig.close();
  }
});
