/**
 * The file-access policy of the servers: read and write roots, real paths, credentials, regular
 * files only, size caps.
 */
import assert from "node:assert/strict";
import { FileAccessError, FileAccessPolicy, MAX_MEDIA_BYTES } from "../../src/input/file_access.ts";
import { DEFAULT_MAX_MEDIA_BYTES } from "../../src/media/mod.ts";

interface Layout extends AsyncDisposable {
  /** Temp root holding everything below. */
  root: string;
  /** Data directory (`<root>/work/.weilink`, inside the working directory). */
  data: string;
  /** Working directory. */
  work: string;
  /** A folder outside every root. */
  outside: string;
}

async function layout(): Promise<Layout> {
  const root = await Deno.realPath(await Deno.makeTempDir({ prefix: "weilink_access_" }));
  const work = `${root}/work`;
  const data = `${work}/.weilink`;
  const outside = `${root}/outside`;
  for (const dir of [work, `${data}/default`, `${data}/downloads`, outside]) {
    await Deno.mkdir(dir, { recursive: true });
  }
  await Deno.writeTextFile(`${data}/default/token.json`, '{"token":"secret"}');
  await Deno.writeTextFile(`${data}/downloads/photo.jpg`, "jpeg");
  await Deno.writeTextFile(`${work}/report.txt`, "report");
  await Deno.writeTextFile(`${outside}/secret.txt`, "secret");
  return {
    root,
    data,
    work,
    outside,
    [Symbol.asyncDispose]: () => Deno.remove(root, { recursive: true }),
  };
}

async function refused(
  promise: Promise<unknown>,
  code: FileAccessError["code"],
  pattern: RegExp,
): Promise<void> {
  await assert.rejects(promise, (e: unknown) => {
    assert.ok(e instanceof FileAccessError, String(e));
    assert.equal(e.code, code, e.message);
    assert.match(e.message, pattern);
    return true;
  });
}

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("reads: the working directory and the downloads folder by default, nothing else", async () => {
  await using l = await layout();
  const policy = new FileAccessPolicy({ dataDir: l.data, cwd: l.work, home: l.root });
  assert.equal(text(await policy.readFile("report.txt", "file")), "report");
  assert.equal(text(await policy.readFile(`${l.work}/report.txt`, "file")), "report");
  assert.equal(text(await policy.readFile(`${l.data}/downloads/photo.jpg`, "image")), "jpeg");
  await refused(
    policy.readFile(`${l.outside}/secret.txt`, "file"),
    "forbidden",
    /Cannot read file ".*secret\.txt": the server may only read files under ".*downloads", ".*work"; start it with --allow-read DIR/,
  );
  await refused(policy.readFile("../outside/secret.txt", "image"), "forbidden", /--allow-read/);
  await refused(policy.readFile("/etc/passwd", "file"), "forbidden", /--allow-read/);
  await refused(policy.readFile("/dev/zero", "video"), "forbidden", /Cannot read video/);
  await refused(
    policy.readFile("nope.txt", "voice"),
    "not_found",
    /^Voice file not found: "nope\.txt"$/,
  );
});

Deno.test("reads: a link out of a root is followed before the check", async () => {
  await using l = await layout();
  const policy = new FileAccessPolicy({ dataDir: l.data, cwd: l.work, home: l.root });
  await Deno.symlink(`${l.outside}/secret.txt`, `${l.work}/innocent.txt`);
  await Deno.symlink(l.outside, `${l.work}/folder`);
  await Deno.symlink(`${l.work}/report.txt`, `${l.work}/alias.txt`);
  await refused(policy.readFile("innocent.txt", "file"), "forbidden", /--allow-read/);
  await refused(policy.readFile("folder/secret.txt", "file"), "forbidden", /--allow-read/);
  assert.equal(text(await policy.readFile("alias.txt", "file")), "report");
});

Deno.test("reads: credentials in the data directory are never readable, whatever the roots", async () => {
  await using l = await layout();
  for (const allowRead of [[], [l.root], [l.data]]) {
    const policy = new FileAccessPolicy({ dataDir: l.data, cwd: l.work, home: l.root, allowRead });
    await refused(
      policy.readFile(`${l.data}/default/token.json`, "file"),
      "forbidden",
      /hold credentials and are never sent/,
    );
    await refused(
      policy.readFile(".weilink/default/token.json", "file"),
      "forbidden",
      /credentials/,
    );
    assert.equal(text(await policy.readFile(`${l.data}/downloads/photo.jpg`, "image")), "jpeg");
  }
});

Deno.test("reads: only regular files; FIFOs are refused at once, never opened", async () => {
  await using l = await layout();
  const policy = new FileAccessPolicy({
    dataDir: l.data,
    cwd: l.work,
    home: l.root,
    allowRead: [l.work, "/dev"],
  });
  await refused(policy.readFile("/dev/zero", "file"), "not_a_file", /only regular files/);
  await refused(policy.readFile("/dev/null", "file"), "not_a_file", /only regular files/);
  await refused(policy.readFile(l.work, "file"), "not_a_file", /not folders/);
  if (Deno.build.os !== "windows") {
    const fifo = `${l.work}/pipe`;
    const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
    assert.ok(made.success);
    const started = Date.now();
    await refused(policy.readFile(fifo, "file"), "not_a_file", /FIFOs/);
    assert.ok(Date.now() - started < 1000, "no wait for a writer");
  }
});

Deno.test("reads: each kind is capped at the protocol's 100 MiB, checked before reading", async () => {
  await using l = await layout();
  assert.deepEqual(Object.values(MAX_MEDIA_BYTES), Array(4).fill(100 * 1024 * 1024));
  assert.equal(MAX_MEDIA_BYTES.file, DEFAULT_MAX_MEDIA_BYTES, "the media layer's limit");
  const policy = new FileAccessPolicy({ dataDir: l.data, cwd: l.work, home: l.root });
  const big = `${l.work}/big.mp4`;
  // A sparse file: nothing is written, so the refusal must come from the size alone.
  using file = await Deno.open(big, { write: true, create: true });
  await file.truncate(MAX_MEDIA_BYTES.video + 1);
  await refused(
    policy.readFile(big, "video"),
    "too_large",
    /larger than 104857600 bytes \(100 MiB/,
  );
  await file.truncate(MAX_MEDIA_BYTES.video);
  assert.equal((await policy.readFile(big, "video")).length, MAX_MEDIA_BYTES.video);
});

Deno.test("reads: explicit roots replace the working directory; downloads stay readable", async () => {
  await using l = await layout();
  const policy = new FileAccessPolicy({
    dataDir: l.data,
    cwd: l.work,
    home: l.root,
    allowRead: ["../outside"],
  });
  assert.deepEqual(policy.readRoots, [`${l.data}/downloads`, l.outside]);
  assert.equal(text(await policy.readFile(`${l.outside}/secret.txt`, "file")), "secret");
  assert.equal(text(await policy.readFile(`${l.data}/downloads/photo.jpg`, "file")), "jpeg");
  await refused(policy.readFile("report.txt", "file"), "forbidden", /--allow-read/);
});

Deno.test("reads: a working directory of / or the home directory is no default root", async () => {
  await using l = await layout();
  for (const cwd of ["/", l.work]) {
    const policy = new FileAccessPolicy({ dataDir: l.data, cwd, home: l.work });
    assert.deepEqual(policy.readRoots, [`${l.data}/downloads`]);
    assert.match(policy.notice ?? "", /is not readable by tools \(too broad\).*--allow-read/);
    await refused(policy.readFile(`${l.work}/report.txt`, "file"), "forbidden", /--allow-read/);
  }
  const explicit = new FileAccessPolicy({
    dataDir: l.data,
    cwd: "/",
    home: l.work,
    allowRead: ["/"],
  });
  assert.equal(explicit.notice, undefined);
  assert.equal(text(await explicit.readFile(`${l.outside}/secret.txt`, "file")), "secret");
});

Deno.test("writes: only under the write roots, nothing created outside", async () => {
  await using l = await layout();
  const policy = new FileAccessPolicy({ dataDir: l.data, cwd: l.work, home: l.root });
  assert.equal(await policy.writableDir(), `${l.data}/downloads`);
  assert.equal(await policy.writableDir(""), `${l.data}/downloads`);
  assert.equal(
    await policy.writableDir(`${l.data}/downloads/new/deeper`),
    `${l.data}/downloads/new/deeper`,
  );
  assert.ok((await Deno.stat(`${l.data}/downloads/new/deeper`)).isDirectory);
  const cases = [
    `${l.root}/home/.ssh`,
    "../../escape",
    `${l.data}/downloads/../default`,
    l.work,
    `${l.data}/default`,
  ];
  for (const dir of cases) {
    await refused(
      policy.writableDir(dir),
      "forbidden",
      /^Cannot save into ".*": the server may only write under ".*downloads"; start it with --allow-write DIR/,
    );
  }
  await assert.rejects(Deno.stat(`${l.root}/home`), Deno.errors.NotFound);
  await assert.rejects(Deno.stat(`${l.root}/escape`), Deno.errors.NotFound);
});

Deno.test("writes: a link inside the downloads folder does not lead out", async () => {
  await using l = await layout();
  const policy = new FileAccessPolicy({ dataDir: l.data, cwd: l.work, home: l.root });
  await Deno.symlink(l.outside, `${l.data}/downloads/out`);
  await refused(policy.writableDir(`${l.data}/downloads/out`), "forbidden", /--allow-write/);
  await refused(policy.writableDir(`${l.data}/downloads/out/sub`), "forbidden", /--allow-write/);
  await assert.rejects(Deno.stat(`${l.outside}/sub`), Deno.errors.NotFound);
});

Deno.test("writes: --allow-write adds roots, but never the data directory's credentials", async () => {
  await using l = await layout();
  const policy = new FileAccessPolicy({
    dataDir: l.data,
    cwd: l.work,
    home: l.root,
    allowWrite: [l.outside, l.data],
  });
  assert.equal(await policy.writableDir("../outside/saved"), `${l.outside}/saved`);
  await refused(policy.writableDir(`${l.data}/default`), "forbidden", /--allow-write/);
  await refused(policy.writableDir(l.data), "forbidden", /--allow-write/);
});

Deno.test("explicit roots must exist", async () => {
  await using l = await layout();
  await new FileAccessPolicy({ dataDir: l.data, cwd: l.work, allowRead: [l.outside] })
    .assertRootsExist();
  await assert.rejects(
    new FileAccessPolicy({ dataDir: l.data, cwd: l.work, allowRead: ["missing"] })
      .assertRootsExist(),
    /Cannot allow ".*\/work\/missing" \(--allow-read\): it does not exist/,
  );
  await assert.rejects(
    new FileAccessPolicy({ dataDir: l.data, cwd: l.work, allowWrite: ["/nonexistent/x"] })
      .assertRootsExist(),
    /--allow-write/,
  );
});

Deno.test("paths that cannot exist are refused as file-access errors, never raw OS errors", async () => {
  // Found by the fuzzer: ENAMETOOLONG, ENOTDIR and EEXIST escaped as plain errors, which the
  // servers reported as internal failures (HTTP 500).
  await using l = await layout();
  const policy = new FileAccessPolicy({ dataDir: l.data, cwd: l.work, home: l.root });
  const long = `${l.work}/${"n".repeat(300)}`;
  await refused(
    policy.readFile(long, "file"),
    "not_found",
    /not found: ".*" \(a name in it is too long\)$/,
  );
  await refused(
    policy.readFile(`${l.work}/report.txt/x`, "image"),
    "not_found",
    /\(a part of its path is a file\)$/,
  );
  await Deno.symlink(`${l.work}/loop_b`, `${l.work}/loop_a`);
  await Deno.symlink(`${l.work}/loop_a`, `${l.work}/loop_b`);
  await refused(policy.readFile(`${l.work}/loop_a`, "file"), "not_found", /loop of links/);

  const downloads = `${l.data}/downloads`;
  await refused(policy.writableDir(`${downloads}/photo.jpg`), "not_a_file", /it is not a folder$/);
  await refused(
    policy.writableDir(`${downloads}/photo.jpg/sub`),
    "not_a_file",
    /a part of its path is a file$/,
  );
  await refused(
    policy.writableDir(`${downloads}/${"n".repeat(300)}`),
    "not_a_file",
    /a name in it is too long$/,
  );
  // Outside the roots the rule is named first, whatever the path.
  await refused(policy.writableDir(`${l.outside}/secret.txt/sub`), "forbidden", /--allow-write/);
});

Deno.test("a path of thousands of components is resolved with a few system calls", async () => {
  // Found by the fuzzer: resolving a save folder walked up one component at a time with a
  // realPath each, over deep folders 40 ms apiece: 1,000 components took 11 s, 4,000 took 131 s,
  // and a 1 MiB tool argument could hold a server for hours.
  await using l = await layout();
  const policy = new FileAccessPolicy({ dataDir: l.data, cwd: l.work, home: l.root });
  const realPath = Deno.realPath;
  let calls = 0;
  Deno.realPath = (path) => {
    calls++;
    return realPath(path);
  };
  try {
    const deep = `${l.data}/downloads/${"out/".repeat(4000)}`;
    await refused(policy.writableDir(deep), "not_a_file", /a name in it is too long$/);
    assert.ok(calls < 80, `${calls} realPath calls`);
    calls = 0;
    await refused(policy.readFile(`${deep}x.png`, "image"), "not_found", /^Image file not found/);
    assert.ok(calls < 10, `${calls} realPath calls`);
  } finally {
    Deno.realPath = realPath;
  }
});
