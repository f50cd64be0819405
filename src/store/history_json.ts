/**
 * The JSON form of a message history row, shared by `weilink history --json` and the servers'
 * `history` tool.
 *
 * @module
 */

import { type Message, MessageDirection } from "../models/mod.ts";

/** A history row: the Python original's `to_dict()` plus `direction`, plus `to_user`. */
export interface HistoryJson {
  /** Server message id as a decimal string, `null` when unknown. */
  message_id: string | null;
  /**
   * The WeChat user of the conversation: the sender of a received message, the recipient of a
   * sent one (as the Python original records sent rows).
   */
  from_user: string;
  /** `TEXT`, `IMAGE`, `VOICE`, `FILE` or `VIDEO`. */
  msg_type: string;
  /** Creation time, unix milliseconds. */
  timestamp: number;
  /** The bot session that received or sent it. */
  bot_id: string | null;
  /** Content keys (`text`, `image`, `voice`, `file`, `video`, `ref_msg`) as in `to_dict()`. */
  [content: string]: unknown;
  /** `received` or `sent`. */
  direction: "received" | "sent";
  /** Who the message went to: the bot for a received message, the user for a sent one. */
  to_user: string | null;
}

/**
 * A stored message as a history row. The keys and values are the Python original's, so scripts
 * written for it keep working: for a sent row `from_user` is the user the bot wrote to, not the
 * bot. `to_user` says explicitly who received the message.
 *
 * @example
 * ```ts
 * import { Message, MessageDirection, MessageType } from "@weilink/core";
 * import { historyJson } from "@weilink/core/store";
 * const sent = new Message({
 *   fromUser: "b1@im.bot",
 *   toUser: "u1@im.wechat",
 *   msgType: MessageType.TEXT,
 *   text: "hi",
 *   botId: "b1@im.bot",
 *   direction: MessageDirection.SENT,
 * });
 * const row = historyJson(sent);
 * console.log(row.from_user, row.to_user, row.direction); // u1@im.wechat u1@im.wechat sent
 * ```
 */
export function historyJson(message: Message): HistoryJson {
  const sent = message.direction === MessageDirection.SENT;
  const base = message.toJSON();
  if (sent) {
    // Stored sent rows hold the bot as sender and the user as recipient.
    const user = message.toUser || message.fromUser;
    return { ...base, from_user: user, direction: "sent", to_user: user } as HistoryJson;
  }
  return {
    ...base,
    direction: "received",
    to_user: message.toUser || message.botId || null,
  } as HistoryJson;
}
