/**
 * Files the tool targets point at: a readable folder with ordinary media next to the things a
 * file-access policy must refuse (a folder, an oversized sparse file, links out, a FIFO), and a
 * data directory with credentials that must never be read.
 *
 * @module
 */

/** A 1×1 PNG. */
export const PNG_BYTES: Uint8Array = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** Paths of the fixture, also the `$FILES` and `$DATA` placeholders of generated input. */
export interface FileFixture {
  /** Folder the tools may read and write. */
  files: string;
  /** The data directory (credentials inside, `downloads/` readable). */
  data: string;
}

/** Creates the fixture under `root`. */
export async function makeFileFixture(root: string): Promise<FileFixture> {
  const files = `${root}/files`;
  const data = `${root}/data`;
  await Deno.mkdir(`${files}/dir`, { recursive: true });
  await Deno.mkdir(`${data}/default`, { recursive: true });
  await Deno.mkdir(`${data}/downloads`, { recursive: true });
  await Deno.writeFile(`${files}/cat.png`, PNG_BYTES);
  await Deno.writeTextFile(`${files}/report.txt`, "quarterly report\n");
  await Deno.writeFile(`${files}/empty.bin`, new Uint8Array(0));
  await Deno.writeFile(`${data}/downloads/saved.png`, PNG_BYTES);
  await Deno.writeTextFile(
    `${data}/default/token.json`,
    JSON.stringify({ bot_id: "fuzz@im.bot", token: "fuzz-secret-token" }),
  );
  // Over the 100 MiB media cap without using the disk: a sparse file.
  using big = await Deno.open(`${files}/big.bin`, { create: true, write: true });
  await big.truncate(100 * 1024 * 1024 + 1);
  await Deno.symlink("/etc/passwd", `${files}/link_out`).catch(() => {});
  await Deno.symlink(`${data}/default/token.json`, `${files}/link_token`).catch(() => {});
  await Deno.symlink(`${files}/cat.png`, `${files}/link_in`).catch(() => {});
  // A FIFO: opening it for reading would block without O_NONBLOCK.
  await new Deno.Command("mkfifo", { args: [`${files}/fifo`], stderr: "null" }).output()
    .catch(() => {});
  return { files, data };
}
