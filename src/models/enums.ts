/**
 * The numeric codes of the message models: item types, directions, states and the upload media
 * types, with the names the Python original prints.
 *
 * @module
 */

/** Content type of a message item (wire `MessageItem.type`). */
export enum MessageType {
  /** Plain text. */
  TEXT = 1,
  /** Image. */
  IMAGE = 2,
  /** Voice note. */
  VOICE = 3,
  /** File attachment. */
  FILE = 4,
  /** Video. */
  VIDEO = 5,
}

/** Who sent a message; these are also the values of the store's `direction` column. */
export enum MessageDirection {
  /** Sent by the WeChat user to the bot. */
  RECEIVED = 1,
  /** Sent by the bot. */
  SENT = 2,
}

/** Wire `message_state`. */
export enum MessageState {
  /** New. */
  NEW = 0,
  /** Still being generated (unused by the official client). */
  GENERATING = 1,
  /** Complete. */
  FINISH = 2,
}

/** Media type codes of `getuploadurl.media_type` (numbered differently from {@linkcode MessageType}). */
export enum UploadMediaType {
  /** Image. */
  IMAGE = 1,
  /** Video. */
  VIDEO = 2,
  /** File. */
  FILE = 3,
  /** Voice. */
  VOICE = 4,
}

const ITEM_TYPE_NAMES: Record<number, string> = {
  0: "NONE",
  11: "TOOL_CALL_START",
  12: "TOOL_CALL_RESULT",
};

/** Name of a message type as the Python original prints it (`"TEXT"`, `"IMAGE"`, …). */
export function messageTypeName(type: number): string {
  return MessageType[type] ?? ITEM_TYPE_NAMES[type] ?? `UNKNOWN_${type}`;
}
