/**
 * Input and output schemas of the server tools, shared by MCP (tool listing and validation) and
 * the REST API (request validation and the OpenAPI document).
 *
 * Keys are snake_case, as in the Python original's tool parameters and JSON output. Every message
 * id is a decimal string: 19-digit ids do not survive a round trip through a JSON number.
 *
 * @module
 */

import * as z from "zod";

const MESSAGE_TYPES = ["TEXT", "IMAGE", "VOICE", "FILE", "VIDEO"] as const;
const DIRECTIONS = ["received", "sent"] as const;

/**
 * A filter naming one of `values`. The JSON Schema lists them as an `enum`, so a client can
 * offer exactly these; the server is more forgiving than that list and stays a plain string
 * for zod: any letter case is accepted, and so is `""` for "no filter", which clients written
 * for the Python original send. `parseHistoryFilters` refuses anything else, naming the values.
 */
const choice = (values: readonly string[]) => z.string().meta({ enum: [...values] }).optional();

/** A message as the tools report it (the shape of the original's `Message.to_dict()`). */
export const messageSchema = z.looseObject({
  message_id: z.string().nullable().describe("Server message id (decimal string)."),
  from_user: z.string().describe("Sender id (xxx@im.wechat)."),
  msg_type: z.string().describe(
    "TEXT, IMAGE, VOICE, FILE or VIDEO; rarer item types by name (NONE, TOOL_CALL_START, " +
      "TOOL_CALL_RESULT) or as UNKNOWN_<number>.",
  ),
  timestamp: z.number().describe("Creation time, unix milliseconds."),
  bot_id: z.string().nullable().describe("Bot session that received or sent it."),
  text: z.string().optional(),
  image: z.looseObject({}).optional(),
  voice: z.looseObject({}).optional(),
  file: z.looseObject({}).optional(),
  video: z.looseObject({}).optional(),
  ref_msg: z.looseObject({}).optional().describe("The quoted message, when this is a reply."),
});

/**
 * A stored message as the `history` tool reports it: the keys of the Python original's history
 * rows, where a sent row's `from_user` is the user the bot wrote to, plus `to_user`.
 */
export const historyMessageSchema = messageSchema.extend({
  from_user: z.string().describe(
    "The WeChat user of the conversation: the sender of a received message, the recipient of a " +
      "sent one.",
  ),
  direction: z.enum(DIRECTIONS).describe(
    "received: a WeChat user wrote it to the bot; sent: the bot wrote it.",
  ),
  to_user: z.string().nullable().describe(
    "Who the message went to: the bot for a received message, the user for a sent one.",
  ),
});

const timeoutSeconds = (fallback: number, max: number) =>
  z.number().min(0).max(max).default(fallback);

/** Inputs, one per tool. */
export const inputs = {
  recv: z.object({
    timeout: timeoutSeconds(5, 120).describe("Maximum wait in seconds (default 5)."),
  }),
  send: z.object({
    to: z.string().min(1).describe("Recipient user id, e.g. xxx@im.wechat."),
    text: z.string().default("").describe("Text to send."),
    image_path: z.string().default("").describe(
      "Local path of an image to send (in a folder the server may read).",
    ),
    file_path: z.string().default("").describe(
      "Local path of a file attachment to send (in a folder the server may read).",
    ),
    file_name: z.string().default("").describe(
      "Name shown for the file attachment (default: the file's own name).",
    ),
    video_path: z.string().default("").describe(
      "Local path of a video to send (in a folder the server may read).",
    ),
    voice_path: z.string().default("").describe(
      "Local path of a voice clip to send (in a folder the server may read).",
    ),
  }),
  download: z.object({
    message_id: z.string().min(1).describe("Id of a received media message (from recv/history)."),
    save_dir: z.string().default("").describe(
      "Folder to save into, created if missing (default: the downloads folder of the data " +
        "directory). Must be inside a folder the server may write.",
    ),
  }),
  history: z.object({
    user_id: z.string().default("").describe("Only messages with this WeChat user."),
    bot_id: z.string().default("").describe("Only messages of this bot session."),
    msg_type: choice(MESSAGE_TYPES).describe(
      "Only messages of this type: TEXT, IMAGE, VOICE (a voice note), FILE (an attachment) or " +
        "VIDEO. Omit for every type.",
    ),
    direction: choice(DIRECTIONS).describe(
      "Only received messages (written by WeChat users to the bot) or only sent ones (written " +
        "by the bot). Omit for both.",
    ),
    since: z.string().default("").describe(
      "Start time: ISO 8601 (2026-03-30, 2026-03-30T08:00:00Z; no offset = server local time), " +
        "unix milliseconds, a relative time back from now (30m, 2h, 7d, 1w), now, today or " +
        "yesterday.",
    ),
    until: z.string().default("").describe("End time, in the same forms as since."),
    text_contains: z.string().default("").describe("Case-insensitive substring of the text."),
    limit: z.int().min(1).max(200).default(50).describe("Page size (default 50, max 200)."),
    offset: z.int().min(0).default(0).describe(
      "Rows to skip (after the cursor, when one is given). Prefer cursor for paging: offsets " +
        "shift when messages arrive between two calls, so a page repeats rows.",
    ),
    cursor: z.string().optional().describe(
      "Continue with the messages after an earlier answer: pass its next_cursor (the same " +
        "filters are expected). Pages by cursor neither repeat nor skip a message, whatever " +
        "arrives in between.",
    ),
  }),
  sessions: z.object({}),
  login: z.object({
    session_name: z.string().default("").describe(
      "Session to log in (default: the login in progress when exactly one is, else the default " +
        "session).",
    ),
    timeout: timeoutSeconds(30, 120).describe(
      "While a login is pending: seconds to wait for its status to change (default 30).",
    ),
    force: z.boolean().default(false).describe(
      "Drop this session's pending login (or its existing login) and start a fresh QR code.",
    ),
  }),
  logout: z.object({
    session_name: z.string().default("").describe(
      "Session to log out (default: the default session).",
    ),
  }),
  rename_session: z.object({
    old_name: z.string().min(1).describe("Current session name."),
    new_name: z.string().min(1).describe("New session name."),
  }),
  set_default: z.object({
    session_name: z.string().min(1).describe("Session to use when none is named."),
  }),
  send_typing: z.object({
    to: z.string().min(1).describe("User id to show the typing indicator to."),
    cancel: z.boolean().default(false).describe("Clear the indicator instead of showing it."),
  }),
} as const;

/** Outputs, one per tool. MCP requires an object at the top level, so lists are wrapped. */
export const outputs = {
  recv: z.object({
    messages: z.array(messageSchema),
    count: z.int(),
  }),
  send: z.object({
    success: z.boolean(),
    to: z.string(),
    message_ids: z.array(z.string()).describe("Ids of the messages sent, one per part."),
    remaining: z.int().nullable().describe(
      "Replies left before the user must write again (null when unknown).",
    ),
  }),
  download: z.object({
    path: z.string().describe("Where the file was saved."),
    size: z.int().describe("Size in bytes."),
    file_name: z.string(),
    msg_type: z.string(),
  }),
  history: z.object({
    messages: z.array(historyMessageSchema),
    total: z.int().describe("Rows matching the filters."),
    limit: z.int(),
    offset: z.int(),
    next_cursor: z.string().nullable().describe(
      "Pass as cursor to get the next (older) messages; null when there are none.",
    ),
  }),
  sessions: z.object({
    sessions: z.array(z.object({
      name: z.string(),
      bot_id: z.string().nullable(),
      user_id: z.string().nullable(),
      connected: z.boolean(),
      is_default: z.boolean(),
    })),
  }),
  login: z.object({
    status: z.enum(["pending", "scanned", "confirmed", "expired"]),
    session: z.string(),
    qr_url: z.string().optional().describe("Open this URL and scan the code with WeChat."),
    bot_id: z.string().optional(),
    message: z.string(),
  }),
  logout: z.object({ success: z.boolean(), session: z.string() }),
  rename_session: z.object({
    success: z.boolean(),
    old_name: z.string(),
    new_name: z.string(),
  }),
  set_default: z.object({ success: z.boolean(), default_session: z.string() }),
  send_typing: z.object({ success: z.boolean(), to: z.string(), typing: z.boolean() }),
} as const;

/** Names of all tools. */
export type ToolName = keyof typeof inputs;

/** Parsed input of a tool. */
export type ToolInput<N extends ToolName> = z.output<(typeof inputs)[N]>;

/** Output of a tool. */
export type ToolOutput<N extends ToolName> = z.output<(typeof outputs)[N]>;

/** A message in tool output. */
export type MessageJson = z.output<typeof messageSchema>;

/** A history row in tool output. */
export type HistoryMessageJson = z.output<typeof historyMessageSchema>;

/** Message type names accepted by `history`. */
export const messageTypeNames: readonly string[] = MESSAGE_TYPES;
