import assert from "node:assert/strict";
import {
  createUniqueFile,
  MAX_FILE_NAME_BYTES,
  numberedName,
  sanitizeFileName,
  splitExtension,
  writeUniqueFile,
} from "../../src/input/file_name.ts";

const bytes = (s: string) => new TextEncoder().encode(s).length;

/** Properties every sanitised name must have, whatever the input. */
function assertSafe(name: string): void {
  assert.ok(name.length > 0, "empty name");
  assert.ok(!/[/\\]/.test(name), `separator in ${JSON.stringify(name)}`);
  assert.ok(name !== "." && name !== "..", `dot name ${JSON.stringify(name)}`);
  assert.ok(!name.startsWith("."), `hidden name ${JSON.stringify(name)}`);
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/.test(name));
  assert.ok(!/[<>:"|?*]/.test(name), `forbidden char in ${JSON.stringify(name)}`);
  assert.ok(!/[. ]$/.test(name), `trailing dot/space in ${JSON.stringify(name)}`);
  assert.ok(bytes(name) <= MAX_FILE_NAME_BYTES, `too long: ${bytes(name)}`);
}

Deno.test("sanitizeFileName keeps ordinary names", () => {
  for (const name of ["report.pdf", "photo 2024-01-01.jpg", "数据.xlsx", "a.b.c.tar.gz", "x"]) {
    assert.equal(sanitizeFileName(name), name);
  }
});

Deno.test("sanitizeFileName removes path traversal and separators", () => {
  const cases: [string, string][] = [
    ["../../etc/passwd", "passwd"],
    ["..\\..\\Windows\\win.ini", "win.ini"],
    ["/etc/shadow", "shadow"],
    ["C:\\Users\\me\\evil.exe", "evil.exe"],
    ["dir/sub/", "sub"],
    ["a/../../b.txt", "b.txt"],
    ["..././..././x.txt", "x.txt"],
    ["\\\\server\\share\\f.doc", "f.doc"],
    ["//", "fb.bin"],
    ["///", "fb.bin"],
    ["..", "fb.bin"],
    [".", "fb.bin"],
    ["...", "fb.bin"],
    ["../..", "fb.bin"],
    ["", "fb.bin"],
    ["   ", "fb.bin"],
  ];
  for (const [input, expected] of cases) {
    const out = sanitizeFileName(input, "fb.bin");
    assert.equal(out, expected, `input ${JSON.stringify(input)}`);
    assertSafe(out);
  }
});

Deno.test("sanitizeFileName strips hidden-file dots and trailing dots/spaces", () => {
  assert.equal(sanitizeFileName(".bashrc"), "bashrc");
  assert.equal(sanitizeFileName("..hidden.txt"), "hidden.txt");
  assert.equal(sanitizeFileName("name.txt. . "), "name.txt");
  assert.equal(sanitizeFileName("  spaced.txt  "), "spaced.txt");
});

Deno.test("sanitizeFileName removes control and invisible formatting characters", () => {
  assert.equal(sanitizeFileName("a\u0000b\nc\rd\te.txt"), "abcde.txt");
  assert.equal(sanitizeFileName("bell\u0007\u007f\u0085.txt"), "bell.txt");
  // Right-to-left override used to disguise "exe" as "txt".
  assert.equal(sanitizeFileName("invoice\u202Etxt.exe"), "invoicetxt.exe");
  assert.equal(sanitizeFileName("zero\u200Bwidth\uFEFF.pdf"), "zerowidth.pdf");
  assert.equal(sanitizeFileName("\u2066iso\u2069.pdf"), "iso.pdf");
});

Deno.test("sanitizeFileName replaces characters Windows forbids", () => {
  assert.equal(sanitizeFileName('a<b>c:d"e|f?g*h.txt'), "a_b_c_d_e_f_g_h.txt");
  assert.equal(sanitizeFileName("C:evil.txt"), "C_evil.txt");
});

Deno.test("sanitizeFileName prefixes reserved device names", () => {
  const reserved = ["CON", "con", "nul.txt", "NUL.tar.gz", "com1", "COM1.txt", "LPT9.log", "aux "];
  for (const name of [...reserved, "PRN.x", "nul.tar.gz"]) {
    const out = sanitizeFileName(name);
    assert.ok(out.startsWith("_"), `${name} -> ${out}`);
    assertSafe(out);
  }
  for (const name of ["console.txt", "conference", "com10", "nullable.js", "auxiliary"]) {
    assert.equal(sanitizeFileName(name), name);
  }
});

Deno.test("sanitizeFileName cuts long names to 255 bytes and keeps the extension", () => {
  const long = "a".repeat(400) + ".pdf";
  const out = sanitizeFileName(long);
  assert.equal(bytes(out), 255);
  assert.ok(out.endsWith(".pdf"));
  // Multi-byte characters are never split.
  const wide = "数".repeat(200) + ".docx";
  const outWide = sanitizeFileName(wide);
  assert.ok(bytes(outWide) <= 255);
  assert.ok(outWide.endsWith(".docx"));
  assert.ok(!outWide.includes("\uFFFD"));
  // An absurd "extension" is cut as part of the name.
  const weird = "x." + "e".repeat(300);
  assert.ok(bytes(sanitizeFileName(weird)) <= 255);
});

Deno.test("sanitizeFileName normalises to NFC and sanitises the fallback too", () => {
  assert.equal(sanitizeFileName("e\u0301.txt"), "\u00e9.txt");
  assert.equal(sanitizeFileName("..", "../x.bin"), "x.bin");
  assert.equal(sanitizeFileName("..", ".."), "file");
});

Deno.test("sanitizeFileName output is always safe for random hostile input", () => {
  const alphabet = [
    "/",
    "\\",
    ".",
    "..",
    " ",
    "\u0000",
    "\u202e",
    ":",
    "*",
    "a",
    "数",
    "CON",
    "\n",
  ];
  let seed = 42;
  const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  for (let i = 0; i < 2000; i++) {
    let name = "";
    const parts = Math.floor(random() * 12);
    for (let j = 0; j < parts; j++) name += alphabet[Math.floor(random() * alphabet.length)];
    assertSafe(sanitizeFileName(name, "fallback.bin"));
  }
});

Deno.test("splitExtension and numberedName", () => {
  assert.deepEqual(splitExtension("a.tar.gz"), ["a.tar", ".gz"]);
  assert.deepEqual(splitExtension("noext"), ["noext", ""]);
  assert.deepEqual(splitExtension(".profile"), [".profile", ""]);
  assert.deepEqual(splitExtension("trailing."), ["trailing.", ""]);
  assert.equal(numberedName("photo", ".jpg", 2), "photo (2).jpg");
  const longStem = "s".repeat(251);
  const numbered = numberedName(longStem, ".pdf", 12);
  assert.ok(numbered.endsWith(" (12).pdf"));
  assert.equal(bytes(numbered), 255);
});

Deno.test("createUniqueFile never overwrites and adds ' (n)' suffixes", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/a.txt`, "original");
    const paths: string[] = [];
    for (let i = 0; i < 3; i++) {
      const { file, path } = await createUniqueFile(dir, "a.txt");
      await file.write(new TextEncoder().encode(`copy ${i}`));
      file.close();
      paths.push(path);
    }
    assert.deepEqual(paths, [`${dir}/a (1).txt`, `${dir}/a (2).txt`, `${dir}/a (3).txt`]);
    assert.equal(await Deno.readTextFile(`${dir}/a.txt`), "original");
    assert.equal(await Deno.readTextFile(`${dir}/a (2).txt`), "copy 1");
    // Long names keep their number.
    const long = "L".repeat(251) + ".pdf";
    const first = await createUniqueFile(dir, long);
    first.file.close();
    const second = await createUniqueFile(dir, long);
    second.file.close();
    assert.notEqual(first.path, second.path);
    assert.ok(second.path.endsWith(" (1).pdf"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("createUniqueFile gives concurrent callers distinct files", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const results = await Promise.all(
      Array.from({ length: 8 }, () => createUniqueFile(dir, "same.bin")),
    );
    for (const r of results) r.file.close();
    assert.equal(new Set(results.map((r) => r.path)).size, 8);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeUniqueFile writes new files only, and refuses unsanitised names", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const bytes = new TextEncoder().encode("data");
    assert.equal(await writeUniqueFile(dir, "a.txt", bytes), `${dir}/a.txt`);
    assert.equal(await writeUniqueFile(dir, "a.txt", bytes), `${dir}/a (1).txt`);
    // A link planted under the name is never followed: the next free name is used.
    await Deno.symlink("/etc/passwd", `${dir}/b.txt`);
    assert.equal(await writeUniqueFile(dir, "b.txt", bytes), `${dir}/b (1).txt`);
    for (const bad of ["../x.txt", "a/b.txt", "CON", ".hidden", ""]) {
      await assert.rejects(writeUniqueFile(dir, bad, bytes), TypeError, bad);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
