/**
 * WeiLink: put a WeChat account in front of your code or AI agent, over the iLink Bot protocol.
 *
 * Log in once with a QR code, then {@linkcode WeiLink.recv} long-polls messages and
 * {@linkcode WeiLink.send} replies with text, images, voice, files or video. Credentials and
 * conversation state live in a data directory (`~/.weilink`, or `$WEILINK_HOME`) in the same format
 * as the Python `weilink` package, so both can share one login.
 *
 * Entry points:
 * - `@weilink/core` (this module): the {@linkcode WeiLink} client plus everything in the core.
 * - `@weilink/core/core`: the runtime-agnostic core only (crypto, models, protocol, media).
 * - `@weilink/core/store`: the SQLite message store (`node:sqlite`).
 * - `@weilink/core/server`: the MCP and OpenAPI servers.
 * - `@weilink/core/testing`: the embedded iLink sandbox, to test bots without a phone.
 *
 * Message ids are decimal strings everywhere: they exceed 2^53 and would lose precision as numbers.
 *
 * @example An echo bot
 * ```ts ignore
 * import { WeiLink } from "@weilink/core";
 *
 * await using wl = new WeiLink();
 * await wl.login(); // shows a QR code in the terminal the first time
 * wl.onMessage(async (msg) => {
 *   if (msg.text) await wl.send(msg.fromUser, { text: `echo: ${msg.text}` });
 * });
 * await wl.runForever();
 * ```
 *
 * @example Encrypt and decrypt a CDN payload
 * ```ts
 * import { decryptAesEcb, encryptAesEcb } from "@weilink/core";
 *
 * const key = crypto.getRandomValues(new Uint8Array(16));
 * const cipher = encryptAesEcb(new TextEncoder().encode("hello"), key);
 * console.log(new TextDecoder().decode(decryptAesEcb(cipher, key))); // "hello"
 * ```
 *
 * @module
 */

export * from "./src/core.ts";
export * from "./src/client/mod.ts";

export { VERSION } from "./src/version.ts";
