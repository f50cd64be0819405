/**
 * The storage boundary's contract, run against both implementations with the same cases: files +
 * SQLite (the data directory) and PostgreSQL. Sessions, default, rename and logout; cursors (a
 * second client goes on from the committed cursor); context tokens with their window and quota;
 * the message store; consumer positions. Everything over real HTTP against the sandbox.
 */
import assert from "node:assert/strict";
import { fastOptions, recordingLogger } from "../client/harness.ts";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { MessageStore } from "../../src/store/mod.ts";
import { QuotaExhaustedError, WeiLink, type WeiLinkOptions } from "../../mod.ts";
import { pgTest } from "./pg_cluster.ts";

type Kind = "files" | "postgres";

async function contract(kind: Kind, url: string | undefined): Promise<void> {
  const sandbox = await startSandbox({ longPollMs: 200, quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "weilink-contract-" });
  const clients: WeiLink[] = [];
  const open = (extra: WeiLinkOptions = {}) => {
    const wl = new WeiLink({
      ...fastOptions(sandbox, dir, recordingLogger()),
      messageStore: true,
      ...(url ? { storage: url } : {}),
      ...extra,
    });
    clients.push(wl);
    return wl;
  };
  try {
    const a = open();
    await a.ready();
    assert.equal(a.storageKind, kind);
    // ---- sessions
    const login = async (wl: WeiLink, name: string, userId: string) => {
      const pending = wl.login({ name, onQr: () => {} });
      await sandbox.confirmLogin({ userId });
      return await pending;
    };
    const bot1 = await login(a, "work", "owner1@im.wechat");
    const bot2 = await login(a, "home", "owner2@im.wechat");
    assert.deepEqual(Object.keys(a.botIds).sort(), ["home", "work"]);
    assert.equal(a.defaultSessionName, "work");
    await a.setDefault("home");
    const b = open();
    await b.ready();
    assert.equal(b.defaultSessionName, "home");
    assert.equal(b.botIds.work, bot1.botId);

    // ---- receive: stored, context token recorded, cursor committed
    await sandbox.injectMessage({ botId: bot1.botId, from: "u1@im.wechat", text: "one" });
    const got = await a.recv({ timeout: 5 });
    assert.deepEqual(got.map((m) => m.text), ["one"]);
    await a.close();
    // A new client starts from the committed cursor: "one" is not received again.
    const c = open();
    await sandbox.injectMessage({ botId: bot1.botId, from: "u1@im.wechat", text: "two" });
    const next = await c.recv({ timeout: 5 });
    assert.deepEqual(next.map((m) => m.text), ["two"]);

    // ---- send: routed by context token, quota of 10 per inbound message
    const first = await c.send("u1@im.wechat", "r1");
    assert.equal(first.success, true);
    assert.equal(first.remaining, 9);
    for (let i = 2; i <= 10; i++) {
      assert.equal((await c.send("u1@im.wechat", `r${i}`)).success, true);
    }
    await assert.rejects(() => c.send("u1@im.wechat", "r11"), QuotaExhaustedError);
    const contact = c.sessions.work!.contacts();
    // Contacts read the records (PostgreSQL: a mirror refreshed in the background).
    if (kind === "postgres") await new Promise((r) => setTimeout(r, 1100));
    const seen = c.sessions.work!.contacts().find((x) => x.userId === "u1@im.wechat") ??
      contact.find((x) => x.userId === "u1@im.wechat");
    assert.ok(seen, "the user is a contact of the session");
    assert.equal(seen.repliesLeft, 0);
    await sandbox.injectMessage({ botId: bot1.botId, from: "u1@im.wechat", text: "three" });
    await c.recv({ timeout: 5 });
    assert.equal((await c.send("u1@im.wechat", "again")).remaining, 9);

    // ---- consumers: each message once per consumer, positions durable
    const reader = c.consumer("audit");
    const firstRead = await reader.recv({ timeout: 2 });
    assert.ok(firstRead.length >= 1);
    await reader.ack();
    await reader.close();
    await sandbox.injectMessage({ botId: bot2.botId, from: "u2@im.wechat", text: "four" });
    const again = open().consumer("audit");
    const after = await again.recv({ timeout: 5 });
    assert.deepEqual(after.map((m) => m.text), ["four"]);
    await again.ack();
    await again.close();

    // ---- rename and logout
    await c.renameSession("home", "house");
    assert.equal(c.defaultSessionName, "house");
    await c.logout("house");
    const d = open();
    await d.ready();
    assert.deepEqual(Object.keys(d.botIds), ["work"]);
    assert.equal(d.defaultSessionName, "work");

    // ---- the history holds received and sent rows
    if (kind === "files") {
      using store = new MessageStore(`${dir}/messages.db`);
      assert.ok(store.count({}) >= 15);
    }
    assert.deepEqual(await sandbox.violations(), []);
  } finally {
    for (const wl of clients) await wl.close();
    await sandbox.close();
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  }
}

Deno.test({
  name: "storage contract: files + SQLite",
  sanitizeOps: false,
  sanitizeResources: false,
  fn: () => contract("files", undefined),
});

pgTest("storage contract: PostgreSQL", (url) => contract("postgres", url));
