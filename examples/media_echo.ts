/**
 * Media echo bot: downloads every image, voice clip, file or video it receives and sends it back,
 * with a caption giving its size. Run it like `echo_bot.ts`.
 *
 * @module
 */
import { MessageType, WeiLink } from "@weilink/core";

await using wl = new WeiLink();
await wl.login();

wl.onMessage(async (msg) => {
  const to = msg.fromUser;
  if (!msg.image && !msg.voice && !msg.file && !msg.video) {
    await wl.send(to, "Send me an image, a voice clip, a file or a video.");
    return;
  }
  const data = await wl.download(msg);
  const text = `Got ${data.byteLength} bytes (${MessageType[msg.msgType] ?? msg.msgType})`;
  const result = msg.image
    ? await wl.send(to, { text, image: data })
    : msg.voice
    ? await wl.send(to, { text, voice: data })
    : msg.file
    ? await wl.send(to, { text, file: data, fileName: msg.file.fileName || "file.bin" })
    : await wl.send(to, { text, video: data });
  console.error(result.success ? `Echoed to ${to}` : `Echo failed: ${result.error}`);
});

await wl.runForever();
