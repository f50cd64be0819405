import assert from "node:assert/strict";
import { FileLock } from "../../src/client/file_lock.ts";
import { withTempDir } from "./harness.ts";

const HOLDER = new URL("./fixtures/hold_lock.ts", import.meta.url).pathname;

/** Start a child holding the lock; resolves once it printed "locked". */
async function spawnHolder(path: string, ms: number) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", HOLDER, path, String(ms)],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  while (!seen.includes("locked")) {
    const { value, done } = await reader.read();
    if (done) throw new Error("Holder exited before locking");
    seen += value;
  }
  reader.releaseLock();
  return child;
}

Deno.test("FileLock: tryLock is exclusive within one process and reusable after unlock", async () => {
  await withTempDir(async (dir) => {
    const a = FileLock.acquireHandle(`${dir}/.poll.lock`);
    const b = FileLock.acquireHandle(`${dir}/.poll.lock`);
    try {
      assert.equal(a, b, "one lock object per path and process");
      assert.equal(await a.tryLock(), true);
      assert.equal(await b.tryLock(), false);
      await a.unlock();
      assert.equal(await b.tryLock(), true);
      await b.unlock();
    } finally {
      FileLock.releaseHandle(a);
      FileLock.releaseHandle(b);
    }
  });
});

Deno.test("FileLock: lock() queues tasks of one process in order", async () => {
  await withTempDir(async (dir) => {
    const lock = FileLock.acquireHandle(`${dir}/.data.lock`);
    try {
      const order: number[] = [];
      let inside = 0;
      await Promise.all([1, 2, 3, 4].map((n) =>
        lock.withLock(async () => {
          inside++;
          assert.equal(inside, 1, "critical sections never overlap");
          await new Promise((r) => setTimeout(r, 5));
          order.push(n);
          inside--;
        })
      ));
      assert.deepEqual(order, [1, 2, 3, 4]);
      assert.equal(lock.held, false);
    } finally {
      FileLock.releaseHandle(lock);
    }
  });
});

Deno.test("FileLock: concurrent first use opens the lock file once", async () => {
  await withTempDir(async (dir) => {
    const lock = FileLock.acquireHandle(`${dir}/sub/.poll.lock`);
    try {
      const results = await Promise.all([lock.tryLock(), lock.tryLock(), lock.tryLock()]);
      assert.deepEqual(results.filter(Boolean).length, 1);
      await lock.unlock();
      assert.equal(await lock.tryLock(), true, "no descriptor is left locked");
      await lock.unlock();
    } finally {
      FileLock.releaseHandle(lock);
    }
  });
});

Deno.test("FileLock: excludes another Deno process (try and blocking)", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/.poll.lock`;
    const child = await spawnHolder(path, 600);
    const lock = FileLock.acquireHandle(path);
    try {
      assert.equal(await lock.tryLock(), false, "held by the child");
      const started = Date.now();
      await lock.lock();
      assert.ok(Date.now() - started >= 200, "blocking lock waited for the child");
      await lock.unlock();
    } finally {
      FileLock.releaseHandle(lock);
      await child.status;
      await child.stdout.cancel().catch(() => {});
    }
  });
});

Deno.test("FileLock: a killed holder releases the lock", async () => {
  await withTempDir(async (dir) => {
    const path = `${dir}/.poll.lock`;
    const child = await spawnHolder(path, 60_000);
    const lock = FileLock.acquireHandle(path);
    try {
      assert.equal(await lock.tryLock(), false);
      child.kill("SIGKILL");
      await child.status;
      assert.equal(await lock.tryLock(), true);
      await lock.unlock();
    } finally {
      FileLock.releaseHandle(lock);
      await child.stdout.cancel().catch(() => {});
    }
  });
});

const hasPython = (() => {
  try {
    return new Deno.Command("python3", { args: ["-c", "import fcntl"] }).outputSync().success;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "FileLock: interoperates with Python fcntl.flock (the original's lock)",
  ignore: !hasPython || Deno.build.os === "windows",
  fn: async () => {
    await withTempDir(async (dir) => {
      const path = `${dir}/.poll.lock`;
      const script = [
        "import fcntl, os, sys, time",
        "fd = os.open(sys.argv[1], os.O_RDWR | os.O_CREAT, 0o644)",
        "try:",
        "    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB); print('python-got', flush=True)",
        "except OSError:",
        "    print('python-blocked', flush=True)",
      ].join("\n");
      const lock = FileLock.acquireHandle(path);
      try {
        assert.equal(await lock.tryLock(), true);
        let out = new Deno.Command("python3", { args: ["-c", script, path] }).outputSync();
        assert.equal(new TextDecoder().decode(out.stdout).trim(), "python-blocked");
        await lock.unlock();
        out = new Deno.Command("python3", { args: ["-c", script, path] }).outputSync();
        assert.equal(new TextDecoder().decode(out.stdout).trim(), "python-got");
        // And the other way round: Python holds, Deno's tryLock fails.
        const holder = new Deno.Command("python3", {
          args: [
            "-c",
            "import fcntl,os,sys,time\nfd=os.open(sys.argv[1],os.O_RDWR|os.O_CREAT)\nfcntl.flock(fd,fcntl.LOCK_EX)\nprint('held',flush=True)\ntime.sleep(30)",
            path,
          ],
          stdout: "piped",
        }).spawn();
        const reader = holder.stdout.pipeThrough(new TextDecoderStream()).getReader();
        let seen = "";
        while (!seen.includes("held")) seen += (await reader.read()).value ?? "";
        reader.releaseLock();
        assert.equal(await lock.tryLock(), false);
        holder.kill("SIGKILL");
        await holder.status;
        await holder.stdout.cancel().catch(() => {});
        assert.equal(await lock.tryLock(), true);
        await lock.unlock();
      } finally {
        FileLock.releaseHandle(lock);
      }
    });
  },
});
