/**
 * The runtime-agnostic core of WeiLink: AES-128-ECB and key encodings, the message models, the
 * iLink protocol client and the CDN media pipeline. It uses only web standards (`fetch`,
 * `AbortSignal`, `Uint8Array`, `TextEncoder`, `crypto.getRandomValues`), so it runs in Deno, Node,
 * Bun, workers and browsers. The `WeiLink` client with its data directory and locks is in the root
 * module; the message store in `@weilink/core/store`.
 *
 * Message ids are decimal strings everywhere: they exceed 2^53 and would lose precision as numbers.
 *
 * @example Talk to the protocol directly
 * ```ts ignore
 * import { ILinkApi, Message } from "@weilink/core/core";
 *
 * const api = new ILinkApi({ token: Deno.env.get("BOT_TOKEN") });
 * const updates = await api.getUpdates("", { timeoutMs: 35_000 });
 * for (const raw of updates.msgs) console.log(Message.fromWire(raw).toJSON());
 * ```
 *
 * @module
 */

export * from "./crypto/mod.ts";
export * from "./models.ts";
export * from "./protocol/mod.ts";
export * from "./media/mod.ts";
export { WeiLinkError } from "./weilink_error.ts";
