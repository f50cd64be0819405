/**
 * The SQLite message history of WeiLink (`node:sqlite`, built into Deno), file-compatible with the
 * Python original's `messages.db`.
 *
 * @example Open a store, record a received and a sent message, read them back
 * ```ts
 * import { MessageStore } from "@weilink/core/store";
 * import { Message, MessageDirection } from "@weilink/core";
 *
 * const dir = await Deno.makeTempDir();
 * using store = new MessageStore(`${dir}/messages.db`);
 * store.store([Message.fromWire({
 *   message_id: "7300000000000000123",
 *   from_user_id: "u1@im.wechat",
 *   create_time_ms: Date.now(),
 *   item_list: [{ type: 1, text_item: { text: "ping" } }],
 * }, "bot@im.bot")]);
 * store.storeSent({ userId: "u1@im.wechat", botId: "bot@im.bot", text: "pong" });
 * for (const m of store.query({ userId: "u1@im.wechat" })) {
 *   console.log(m.direction === MessageDirection.SENT ? "sent" : "received", m.text);
 * }
 * ```
 *
 * @module
 */

export {
  type HistoryPage,
  MessageStore,
  type MessageStoreOptions,
  type QueryRecentOptions,
  type QuerySinceOptions,
  type SentMediaRecord,
  type SentMessageRecord,
  type StoredMessage,
} from "./message_store.ts";
export {
  DEFAULT_QUERY_LIMIT,
  MAX_QUERY_LIMIT,
  type MessageFilter,
  type QueryOptions,
} from "./query_filter.ts";
export {
  type MessageColumns,
  messageColumns,
  messageFromRow,
  type MessageRow,
  messageToData,
} from "./message_data.ts";

export { decodeMessageId, encodeMessageId } from "./message_id.ts";
export { SCHEMA_VERSION } from "./schema.ts";
export { type HistoryJson, historyJson } from "./history_json.ts";
