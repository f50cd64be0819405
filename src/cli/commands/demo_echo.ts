/**
 * The echo bot the `demo` command runs: the logic of `examples/echo_bot.ts`
 * (typing indicator, then `echo: <text>`), plus media sent back as they came
 * so the phone page's attachments do something too. It lives here rather than
 * being imported from `examples/` (a script that logs in and runs forever on
 * import) so that a compiled binary carries it.
 *
 * @module
 */

import type { WeiLink } from "../../client/mod.ts";
import type { Message } from "../../models/mod.ts";

/** What the bot answers to a text message. */
export function echoText(text: string): string {
  return `echo: ${text}`;
}

/** Replies to one message: its text, then its first media item, sent back as they came. */
export async function echoMessage(client: WeiLink, message: Message): Promise<void> {
  const text = message.text ?? (message.voice?.text ? `(voice) ${message.voice.text}` : undefined);
  await client.sendTyping(message.fromUser);
  try {
    if (text !== undefined) {
      const result = await client.send(message.fromUser, { text: echoText(text) });
      if (!result.success) throw new Error(result.error ?? "Cannot echo the text");
    }
    await echoMedia(client, message);
  } finally {
    await client.stopTyping(message.fromUser);
  }
}

async function echoMedia(client: WeiLink, message: Message): Promise<void> {
  const kind = message.image
    ? "image"
    : message.file
    ? "file"
    : message.video
    ? "video"
    : message.voice
    ? "voice"
    : undefined;
  if (!kind) return;
  const data = await client.download(message);
  const result = await client.send(message.fromUser, {
    [kind]: data,
    ...(kind === "file" ? { fileName: message.file?.fileName || "file.bin" } : {}),
  });
  if (!result.success) throw new Error(result.error ?? "Cannot echo the media");
}

/** Registers the echo handler; returns the function that removes it. */
export function attachEchoBot(client: WeiLink): () => void {
  return client.onMessage((message) => echoMessage(client, message));
}
