/**
 * PostgreSQL storage between several clients: the quota of 10 replies per inbound message holds
 * across concurrent senders; named consumers on different clients, woken by LISTEN/NOTIFY, see
 * each message once; an account is polled by one dispatcher at a time and taken over from the
 * committed cursor when its poller goes; a data directory copied into PostgreSQL and back is
 * equal, history included.
 */
import assert from "node:assert/strict";
import { fastOptions, recordingLogger } from "../client/harness.ts";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { MessageStore } from "../../src/store/mod.ts";
import { copyDataDirToPostgres, copyPostgresToDataDir } from "../../src/postgres/mod.ts";
import { QuotaExhaustedError, WeiLink, type WeiLinkEvent, type WeiLinkOptions } from "../../mod.ts";
import { until } from "../until.ts";
import { pgTest } from "./pg_cluster.ts";

async function rig(url: string) {
  const sandbox = await startSandbox({ longPollMs: 200, quiet: true });
  const dir = await Deno.makeTempDir({ prefix: "weilink-shared-" });
  const clients: WeiLink[] = [];
  const open = (extra: WeiLinkOptions = {}) => {
    const wl = new WeiLink({
      ...fastOptions(sandbox, dir, recordingLogger()),
      storage: url,
      ...extra,
    });
    clients.push(wl);
    return wl;
  };
  const login = async (wl: WeiLink, name: string) => {
    const pending = wl.login({ name, onQr: () => {} });
    await sandbox.confirmLogin({ userId: `${name}-owner@im.wechat` });
    return (await pending).botId;
  };
  return {
    sandbox,
    dir,
    open,
    login,
    async close() {
      for (const wl of clients) await wl.close();
      await sandbox.close();
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    },
  };
}

pgTest("postgres: concurrent senders on two clients never exceed the quota of 10", async (url) => {
  const r = await rig(url);
  try {
    const a = r.open();
    const bot = await r.login(a, "default");
    await r.sandbox.injectMessage({ botId: bot, from: "u@im.wechat", text: "hi" });
    await a.recv({ timeout: 5 });
    const b = r.open();
    const c = r.open();
    await Promise.all([b.ready(), c.ready()]);
    const outcomes = await Promise.all(
      Array.from({ length: 30 }, (_, i) =>
        (i % 2 ? b : c).send("u@im.wechat", `reply ${i}`).then(
          (res) => (res.success ? "sent" : "failed"),
          (err) => (err instanceof QuotaExhaustedError ? "quota" : `error ${err}`),
        )),
    );
    assert.equal(outcomes.filter((o) => o === "sent").length, 10);
    assert.equal(outcomes.filter((o) => o === "quota").length, 20);
    assert.equal((await r.sandbox.sent({ to: "u@im.wechat" })).length, 10);
    assert.deepEqual(await r.sandbox.violations(), []);
  } finally {
    await r.close();
  }
});

pgTest(
  "postgres: consumers on two clients, woken by NOTIFY, see each message once",
  async (url) => {
    const r = await rig(url);
    try {
      const poller = r.open();
      const bot = await r.login(poller, "default");
      await poller.runBackground({ followOthers: false });
      const readers = [r.open().consumer("alpha"), r.open().consumer("beta")];
      const seen: string[][] = [[], []];
      const reading = readers.map(async (reader, i) => {
        while (seen[i]!.length < 40) {
          const batch = await reader.recv({ timeout: 10 });
          if (batch.length === 0) break;
          seen[i]!.push(...batch.map((m) => m.text ?? ""));
          await reader.ack();
        }
      });
      for (let n = 0; n < 40; n++) {
        await r.sandbox.injectMessage({ botId: bot, from: `u${n % 4}@im.wechat`, text: `m${n}` });
      }
      await Promise.all(reading);
      const expected = Array.from({ length: 40 }, (_, n) => `m${n}`);
      for (const got of seen) assert.deepEqual([...got].sort(), [...expected].sort());
      // A reader of the same name on another client goes on after the acknowledged position.
      for (const reader of readers) await reader.close();
      await r.sandbox.injectMessage({ botId: bot, from: "u0@im.wechat", text: "late" });
      const again = await r.open().consumer("alpha").recv({ timeout: 5 });
      assert.deepEqual(again.map((m) => m.text), ["late"]);
    } finally {
      await r.close();
    }
  },
);

pgTest(
  "postgres: one poller per account; another client takes over from the committed cursor",
  async (url) => {
    const r = await rig(url);
    try {
      const events: WeiLinkEvent[] = [];
      const first = r.open({ onEvent: (e) => events.push(e) });
      const bot = await r.login(first, "default");
      const second = r.open({ onEvent: (e) => events.push(e) });
      const handled: string[] = [];
      second.onMessage((m) => void handled.push(`second:${m.text}`));
      first.onMessage((m) => void handled.push(`first:${m.text}`));
      await first.runBackground({ followOthers: false });
      await until(() => events.some((e) => e.type === "account_claimed"), 5000);
      await second.runBackground({ followOthers: false });
      await r.sandbox.injectMessage({ botId: bot, from: "u@im.wechat", text: "one" });
      await until(() => handled.length === 1, 5000);
      assert.deepEqual(handled, ["first:one"]);
      // The poller goes away: the other client claims the account within a few seconds.
      const gone = Date.now();
      await first.close();
      await until(() => events.filter((e) => e.type === "account_claimed").length === 2, 10_000);
      assert.ok(Date.now() - gone < 10_000);
      await r.sandbox.injectMessage({ botId: bot, from: "u@im.wechat", text: "two" });
      await until(() => handled.length === 2, 5000);
      assert.deepEqual(handled, ["first:one", "second:two"]);
    } finally {
      await r.close();
    }
  },
);

pgTest("postgres: migrate a data dir to PostgreSQL and back, history included", async (url) => {
  const r = await rig(url);
  const back = await Deno.makeTempDir({ prefix: "weilink-back-" });
  try {
    // A data dir with two sessions, context tokens with counters, history and a consumer.
    const files = new WeiLink({
      ...fastOptions(r.sandbox, r.dir, recordingLogger()),
      messageStore: true,
    });
    const bot = await r.login(files, "work");
    await r.login(files, "home");
    await files.setDefault("work");
    for (let n = 0; n < 5; n++) {
      await r.sandbox.injectMessage({ botId: bot, from: `u${n}@im.wechat`, text: `m${n}` });
    }
    let got = 0;
    while (got < 5) got += (await files.recv({ timeout: 5 })).length;
    await files.send("u1@im.wechat", "reply");
    const reader = files.consumer("audit");
    await reader.recv({ timeout: 1 });
    await reader.ack();
    await files.close();

    const there = await copyDataDirToPostgres(r.dir, url);
    assert.equal(there.sessions, 2);
    assert.equal(there.messages, 6);
    assert.equal(there.consumers, 1);
    const home = await copyPostgresToDataDir(url, back);
    assert.deepEqual(home, there);

    const read = (dir: string, path: string) => JSON.parse(Deno.readTextFileSync(`${dir}/${path}`));
    for (const path of ["work/token.json", "home/token.json", "work/contexts.json"]) {
      assert.deepEqual(read(back, path), read(r.dir, path), path);
    }
    assert.equal(
      Deno.readTextFileSync(`${back}/.default_session`),
      Deno.readTextFileSync(`${r.dir}/.default_session`),
    );
    assert.deepEqual(read(back, ".consumers/audit.json"), read(r.dir, ".consumers/audit.json"));
    const rows = (dir: string) => {
      using store = new MessageStore(`${dir}/messages.db`, { maxAgeDays: null, maxCount: null });
      return store.querySince(0, { limit: 100 }).map((s) => ({ rowid: s.rowid, ...s.message }));
    };
    assert.deepEqual(rows(back), rows(r.dir));
    // And a client on the database carries on where the files left off.
    const shared = r.open();
    await shared.ready();
    assert.deepEqual(Object.keys(shared.botIds).sort(), ["home", "work"]);
    assert.equal((await shared.send("u2@im.wechat", "from postgres")).remaining, 9);
  } finally {
    await r.close();
    await Deno.remove(back, { recursive: true }).catch(() => {});
  }
});
