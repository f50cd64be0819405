/**
 * The tools' file-access policy end to end: `send` reads only regular files under the read
 * roots, `download` writes only under the write roots, with the CLI's file-name rules.
 */
import assert from "node:assert/strict";
import { serveOpenApi } from "../../src/server/mod.ts";
import { eventually, serverOptions, startEnv } from "./harness.ts";

Deno.test("rest send and download honour the file-access policy", async (t) => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0 });
  const post = async (name: string, body: Record<string, unknown>) => {
    const res = await fetch(`${server.url}/tools/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() as Record<string, unknown> };
  };
  try {
    await post("login", {});
    const { userId } = await env.sandbox.confirmLogin();
    assert.equal((await post("login", { timeout: 10 })).json.status, "confirmed");
    await env.sandbox.injectMessage({ text: "hello" });
    await eventually(
      async () => {
        const r = await post("recv", { timeout: 2 });
        return (r.json.messages as unknown[]).length ? true : undefined;
      },
      10_000,
      "the first message",
    );

    await t.step("send refuses files outside the read roots, naming --allow-read", async () => {
      await Deno.symlink("/etc/passwd", `${env.files}/passwd-link`);
      await Deno.writeTextFile(`${env.home}/token-copy.json`, "{}");
      const outside = [
        { file_path: "/etc/passwd" },
        { image_path: "/dev/zero" },
        { file_path: `${env.files}/passwd-link` },
        { file_path: `${env.files}/../../../../../../etc/passwd` },
        { video_path: `${env.home}/token-copy.json` },
      ];
      for (const args of outside) {
        const r = await post("send", { to: userId, ...args });
        assert.equal(r.status, 403, JSON.stringify({ args, r }));
        assert.match(String(r.json.error), /--allow-read|credentials/);
      }
    });

    await t.step("send refuses FIFOs and folders at once, and files over 100 MiB", async () => {
      const fifo = `${env.files}/pipe`;
      assert.ok((await new Deno.Command("mkfifo", { args: [fifo] }).output()).success);
      const started = Date.now();
      const r = await post("send", { to: userId, file_path: fifo });
      assert.equal(r.status, 400, JSON.stringify(r));
      assert.match(String(r.json.error), /only regular files/);
      assert.ok(Date.now() - started < 2_000, "the FIFO did not block the call");
      const folder = await post("send", { to: userId, file_path: env.files });
      assert.equal(folder.status, 400);
      using big = await Deno.open(`${env.files}/big.bin`, { write: true, create: true });
      await big.truncate(100 * 1024 * 1024 + 1);
      const tooBig = await post("send", { to: userId, file_path: `${env.files}/big.bin` });
      assert.equal(tooBig.status, 400);
      assert.match(String(tooBig.json.error), /larger than 104857600 bytes/);
      assert.deepEqual(await env.sandbox.sent(), [], "nothing was sent");
    });

    await t.step("send reads files under a read root", async () => {
      await Deno.writeTextFile(`${env.files}/note.txt`, "note");
      const r = await post("send", { to: userId, file_path: `${env.files}/note.txt` });
      assert.equal(r.status, 200, JSON.stringify(r));
      const [record] = await env.sandbox.sent();
      assert.equal(record?.fileName, "note.txt");
    });

    const names: [string, string][] = [
      ["invoice\u202Etxt.exe", "invoicetxt.exe"],
      ["CON", "_CON"],
      ["nul.tar.gz", "_nul.tar.gz"],
      ["COM1.txt", "_COM1.txt"],
      ["   ", ""],
      ["///", ""],
      ["a".repeat(300) + ".pdf", "a".repeat(251) + ".pdf"],
    ];
    const ids: string[] = [];
    await t.step("receive files with hostile names", async () => {
      for (const [fileName] of names) {
        const bytes = new TextEncoder().encode(fileName);
        ids.push((await env.sandbox.injectMessage({ file: bytes, fileName })).messageId);
      }
      await eventually(
        async () => {
          const r = await post("history", { msg_type: "FILE" });
          return (r.json.total as number) >= names.length ? true : undefined;
        },
        10_000,
        "the files in history",
      );
    });

    await t.step("download sanitises names like the CLI and never overwrites", async () => {
      for (const [i, [, expected]] of names.entries()) {
        const r = await post("download", { message_id: ids[i] });
        assert.equal(r.status, 200, JSON.stringify(r));
        // Names that sanitise to nothing fall back to the message id.
        const name = expected || `${ids[i]}.bin`;
        assert.equal(r.json.path, `${env.home}/downloads/${name}`);
        assert.equal(r.json.file_name, name);
      }
      const again = await post("download", { message_id: ids[2] });
      assert.equal(again.json.path, `${env.home}/downloads/_nul.tar (1).gz`);
    });

    await t.step("download writes only under the write roots", async () => {
      const saved = await post("download", { message_id: ids[0], save_dir: `${env.files}/in` });
      assert.equal(saved.status, 200, JSON.stringify(saved));
      assert.equal(saved.json.path, `${env.files}/in/invoicetxt.exe`);
      await Deno.symlink("/tmp", `${env.files}/tmp-link`);
      const refused = [
        `${env.home}/.ssh`,
        `${env.home}/default`,
        "../../escape",
        `${env.files}/tmp-link/escape`,
        "/tmp",
      ];
      for (const save_dir of refused) {
        const r = await post("download", { message_id: ids[0], save_dir });
        assert.equal(r.status, 403, JSON.stringify({ save_dir, r }));
        assert.match(String(r.json.error), /--allow-write/);
      }
      await assert.rejects(Deno.stat(`${env.home}/.ssh`), Deno.errors.NotFound);
      await assert.rejects(Deno.stat("/tmp/escape"), Deno.errors.NotFound);
    });
  } finally {
    await server.close();
  }
});
