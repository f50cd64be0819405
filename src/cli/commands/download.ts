/**
 * `weilink download MESSAGE_ID [-o DIR]`.
 *
 * The default folder is `<data directory>/downloads`, so `-d` moves it too.
 * The file name from the message is sanitised and an existing file is never
 * overwritten.
 *
 * @module
 */

import type { Message } from "../../models/mod.ts";
import type { CommandContext } from "../command.ts";
import { mediaFileName, writeUniqueFile } from "../../input/mod.ts";
import { withClient } from "../open_client.ts";
import { UsageError } from "../flags.ts";
import { downloadProgressFetch } from "../transfer_progress.ts";

function hasMedia(message: Message): boolean {
  return Boolean(message.image || message.voice || message.file || message.video);
}

/** Looks a message up in `<data directory>/messages.db`, without creating the file. */
async function findMessage(basePath: string, id: string): Promise<Message | undefined> {
  const path = `${basePath}/messages.db`;
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
  const { MessageStore } = await import("../../store/mod.ts");
  using store = new MessageStore(path, { maxAgeDays: null, maxCount: null });
  return store.getById(id);
}

/** Downloads and decrypts the media of a stored message into a new file. */
export async function runDownload(ctx: CommandContext): Promise<number> {
  const id = (ctx.positionals[0] as string).trim();
  if (!/^\d{1,20}$/.test(id)) {
    throw new UsageError(`Invalid message id '${id}': expected a decimal number`);
  }
  let label = `Downloading message ${id}`;
  const progress = { quiet: ctx.out.quiet, write: (t: string) => ctx.out.stderr(t) };
  const { message, data, basePath } = await withClient(ctx.common, async (client) => {
    const message = await findMessage(client.basePath, id);
    if (!message) throw new Error(`Message ${id} not found in the message store`);
    if (!hasMedia(message)) throw new Error(`Message ${id} has no media to download`);
    if (message.file?.fileName) label = `Downloading ${mediaFileName(message, new Uint8Array())}`;
    const data = await client.download(message, { signal: ctx.signal });
    return { message, data, basePath: client.basePath };
  }, { messageStore: false, fetch: downloadProgressFetch(progress, () => label) });

  const output = ctx.values.output;
  const dir = typeof output === "string" ? output : `${basePath}/downloads`;
  await Deno.mkdir(dir, { recursive: true });
  const path = await writeUniqueFile(dir, mediaFileName(message, data), data);
  ctx.out.result(
    { path, size: data.length },
    () => `Saved to ${path} (${data.length} bytes)`,
  );
  return 0;
}
