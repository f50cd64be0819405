import assert from "node:assert/strict";
import { WeiLink } from "../../src/client/mod.ts";
import { DataDir, resolveBasePath } from "../../src/client/data_dir.ts";
import { contextStatus } from "../../src/client/context_state.ts";
import { FileLock } from "../../src/client/file_lock.ts";
import {
  copyDir,
  modeOf,
  pythonFixture,
  readJson,
  recordingLogger,
  withTempDir,
} from "./harness.ts";

const WRITER = new URL("./fixtures/writer.ts", import.meta.url).pathname;
const posix = Deno.build.os !== "windows";

Deno.test("data dir: a folder written by the Python original loads", async () => {
  await withTempDir(async (dir) => {
    await copyDir(pythonFixture("multi"), dir);
    const logger = recordingLogger();
    await using wl = new WeiLink({ basePath: dir, logger });
    assert.deepEqual(Object.keys(wl.sessions).sort(), ["default", "work"], "notes/ is no session");
    // .default_session is honoured although a default/ folder exists.
    assert.equal(wl.defaultSessionName, "work");
    assert.equal(wl.botId, "ffeeddccbbaa@im.bot");
    assert.deepEqual(wl.botIds, { default: "0a1b2c3d4e5f@im.bot", work: "ffeeddccbbaa@im.bot" });
    const def = wl.sessions["default"]!;
    assert.equal(def.userId, "owner_default@im.wechat");
    assert.equal(def.isConnected, true);
    assert.equal(def.isDefault, false);
    assert.equal(def.createdAt?.getTime(), 1760000000123);
    // A token.json without created_at falls back to the file's mtime, like the original.
    const mtime = (await Deno.stat(`${dir}/work/token.json`)).mtime!;
    assert.equal(wl.sessions["work"]!.createdAt?.getTime(), mtime.getTime());

    const data = new DataDir(dir, logger);
    const ctx = data.readContexts("default");
    assert.deepEqual(Object.keys(ctx).sort(), [
      "alice@im.wechat",
      "bob@im.wechat",
      "张三@im.wechat",
    ]);
    const alice = contextStatus(ctx["alice@im.wechat"], 1760003000.5 + 60);
    assert.deepEqual(alice, {
      kind: "live",
      token: "ctx-alice-default",
      receivedAt: 1760003000.5,
      remaining: 7,
    });
    assert.equal(contextStatus(ctx["alice@im.wechat"], 1760003000.5 + 86400).kind, "expired");
    assert.equal(contextStatus(ctx["bob@im.wechat"], 1760003000).kind, "missing");
    assert.equal(data.readToken("default")?.cursor, "Q1VSU09SLTAwMDQy");
  });
});

Deno.test("data dir: the legacy flat layout is migrated into default/", async () => {
  await withTempDir(async (dir) => {
    await copyDir(pythonFixture("flat"), dir);
    await using wl = new WeiLink({ basePath: dir, logger: recordingLogger() });
    assert.deepEqual(Object.keys(wl.sessions), ["default"]);
    assert.equal(wl.botId, "123456abcdef@im.bot");
    const token = await readJson(`${dir}/default/token.json`);
    assert.equal(token.cursor, "Q1VSU09SLTAwMDAx");
    assert.equal(
      (await readJson(`${dir}/default/contexts.json`))["carol@im.wechat"] !== undefined,
      true,
    );
    await assert.rejects(Deno.stat(`${dir}/token.json`), Deno.errors.NotFound);
    await assert.rejects(Deno.stat(`${dir}/contexts.json`), Deno.errors.NotFound);
  });
});

Deno.test("data dir: no migration when default/token.json already exists", async () => {
  await withTempDir(async (dir) => {
    await copyDir(pythonFixture("flat"), dir);
    await copyDir(new URL("default/", pythonFixture("multi")), `${dir}/default`);
    await using wl = new WeiLink({ basePath: dir, logger: recordingLogger() });
    assert.equal(wl.botId, "0a1b2c3d4e5f@im.bot");
    await Deno.stat(`${dir}/token.json`); // left in place, as the original does
  });
});

Deno.test("data dir: writes keep the original's keys, are atomic and private", async () => {
  await withTempDir(async (dir) => {
    const data = new DataDir(`${dir}/home`, recordingLogger());
    await data.writeToken("s", {
      bot_id: "b@im.bot",
      base_url: "http://127.0.0.1:9",
      token: "secret",
      user_id: "u@im.wechat",
      cursor: "c",
      created_at: 1760000000.5,
    });
    await data.writeContexts("s", {
      "u@im.wechat": { t: "x", ts: 1.5, sc: 2, first_seen: 1.5, extra: 1 },
    });
    const text = await Deno.readTextFile(`${dir}/home/s/token.json`);
    assert.deepEqual(Object.keys(JSON.parse(text)), [
      "bot_id",
      "base_url",
      "token",
      "user_id",
      "cursor",
      "created_at",
    ]);
    assert.ok(text.startsWith('{\n  "bot_id": "b@im.bot",\n'), "indent=2 layout");
    assert.deepEqual(data.readContexts("s")["u@im.wechat"], {
      t: "x",
      ts: 1.5,
      sc: 2,
      first_seen: 1.5,
      extra: 1,
    });
    if (posix) {
      assert.equal(await modeOf(`${dir}/home/s/token.json`), 0o600);
      assert.equal(await modeOf(`${dir}/home/s/contexts.json`), 0o600);
      assert.equal(await modeOf(`${dir}/home/s`), 0o700);
    }
    const leftovers = [...Deno.readDirSync(`${dir}/home/s`)].map((e) => e.name).sort();
    assert.deepEqual(leftovers, ["contexts.json", "token.json"]);
  });
});

Deno.test("data dir: corrupt and partial files are tolerated with one warning", async () => {
  await withTempDir(async (dir) => {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b`);
    await Deno.writeTextFile(`${dir}/a/token.json`, '{"bot_id": "x@im.bot", "base_');
    await Deno.writeTextFile(`${dir}/b/token.json`, '{"bot_id": "y@im.bot"}');
    await Deno.writeTextFile(`${dir}/b/contexts.json`, "[1, 2");
    await Deno.writeTextFile(`${dir}/.default_session`, "\n");
    const logger = recordingLogger();
    await using wl = new WeiLink({ basePath: dir, logger });
    assert.deepEqual(Object.keys(wl.sessions).sort(), ["a", "b"]);
    assert.equal(wl.isConnected, false);
    assert.ok(logger.lines.some((l) => l.startsWith("WARN") && l.includes("a/token.json")));
    const own = recordingLogger();
    const data = new DataDir(dir, own);
    for (let i = 0; i < 3; i++) assert.deepEqual(data.readContexts("b"), {});
    const warnings = own.lines.filter((l) => l.startsWith("WARN"));
    assert.equal(warnings.filter((l) => l.includes("b/contexts.json")).length, 1, "reported once");
    assert.ok(!warnings.join("\n").includes("secret"));
  });
});

Deno.test("data dir: WEILINK_HOME and ~ are honoured", () => {
  const prev = Deno.env.get("WEILINK_HOME");
  try {
    Deno.env.set("WEILINK_HOME", "/tmp/weilink-env-home/");
    assert.equal(resolveBasePath(), "/tmp/weilink-env-home");
    assert.equal(resolveBasePath("/x/y"), "/x/y");
    Deno.env.delete("WEILINK_HOME");
    assert.equal(resolveBasePath(), `${Deno.env.get("HOME")}/.weilink`);
    assert.equal(resolveBasePath("~/wl"), `${Deno.env.get("HOME")}/wl`);
  } finally {
    if (prev === undefined) Deno.env.delete("WEILINK_HOME");
    else Deno.env.set("WEILINK_HOME", prev);
  }
});

Deno.test("sessions: rename, default and logout keep disk and memory consistent", async () => {
  await withTempDir(async (dir) => {
    await copyDir(pythonFixture("multi"), dir);
    const wl = new WeiLink({ basePath: dir, logger: recordingLogger() });
    try {
      await wl.sessions["work"]!.rename("job");
      assert.equal(wl.defaultSessionName, "job");
      assert.equal((await Deno.readTextFile(`${dir}/.default_session`)).trim(), "job");
      assert.equal((await readJson(`${dir}/job/token.json`)).bot_id, "ffeeddccbbaa@im.bot");
      await assert.rejects(Deno.stat(`${dir}/work`), Deno.errors.NotFound);
      await assert.rejects(wl.renameSession("job", "default"), TypeError);
      await assert.rejects(wl.renameSession("job", "../x"), TypeError);
      await assert.rejects(wl.renameSession("nope", "x"), /No session named "nope"/);

      await wl.setDefault("default");
      assert.equal(wl.sessions["default"]!.isDefault, true);
      assert.equal((await Deno.readTextFile(`${dir}/.default_session`)).trim(), "default");

      // Logging out the default leaves a consistent state: another session takes over.
      await wl.logout();
      assert.deepEqual(Object.keys(wl.sessions), ["job"]);
      assert.equal(wl.defaultSessionName, "job");
      assert.equal(wl.botId, "ffeeddccbbaa@im.bot");
      assert.equal((await Deno.readTextFile(`${dir}/.default_session`)).trim(), "job");
      await assert.rejects(Deno.stat(`${dir}/default`), Deno.errors.NotFound);

      await wl.sessions["job"]!.logout();
      assert.deepEqual(Object.keys(wl.sessions), ["default"]);
      assert.equal(wl.botId, undefined);
      assert.equal(wl.isConnected, false);
      await assert.rejects(Deno.stat(`${dir}/.default_session`), Deno.errors.NotFound);
    } finally {
      await wl.close();
    }
    // A fresh client agrees with what the first one left behind.
    await using again = new WeiLink({ basePath: dir, logger: recordingLogger() });
    assert.deepEqual(Object.keys(again.sessions), ["default"]);
  });
});

Deno.test("data dir: kill -9 of a writer never leaves an invalid file", async () => {
  await withTempDir(async (dir) => {
    const data = new DataDir(dir, recordingLogger());
    const lock = FileLock.acquireHandle(data.lockPath(".data.lock"));
    try {
      for (let i = 0; i < 8; i++) {
        const child = new Deno.Command(Deno.execPath(), {
          args: ["run", "-A", WRITER, dir],
          stdout: "piped",
          stderr: "inherit",
        }).spawn();
        const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let seen = "";
        while (!seen.includes("ready")) seen += (await reader.read()).value ?? "";
        reader.releaseLock();
        await new Promise((r) => setTimeout(r, 20 + Math.random() * 80));
        child.kill("SIGKILL");
        await child.status;
        await child.stdout.cancel().catch(() => {});
        // The kernel released the child's flock; every file parses completely.
        await lock.withLock(async () => {
          const token = await readJson(`${dir}/s/token.json`);
          assert.match(String(token.cursor), /^cursor-\d+-x*$/);
          const contexts = await readJson(`${dir}/s/contexts.json`);
          assert.ok(Object.keys(contexts).length >= 50);
        });
        assert.ok(data.readToken("s"));
      }
    } finally {
      FileLock.releaseHandle(lock);
    }
  });
});
