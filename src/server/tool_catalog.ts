/**
 * What a client sees of each tool before calling it: name, description, MCP annotations and the
 * JSON Schemas of its input and output, in listing order.
 *
 * This module imports no zod. The JSON Schemas come precomputed from `tool_schemas.json`, so an
 * MCP server can answer `tools/list` without building the zod schemas of `schemas.ts` or
 * converting them; those are loaded on the first tool call, which validates with them. The test
 * `tests/server/tool_catalog_test.ts` checks that the JSON file equals what `z.toJSONSchema` makes
 * of the zod schemas (and regenerates it with `UPDATE_TOOL_SCHEMAS=1`), so the two cannot drift.
 *
 * @module
 */

import schemas from "./tool_schemas.json" with { type: "json" };
import type { ToolName } from "./schemas.ts";

/** A JSON Schema object. */
export type JsonSchemaObject = { type: "object"; [key: string]: unknown };

/** MCP tool annotations. */
export interface ToolAnnotations {
  /** The tool's title again: clients of protocol versions before 2025-06-18 look for it here. */
  title: string;
  /** The tool changes nothing. */
  readOnlyHint: boolean;
  /** The tool may delete something. */
  destructiveHint: boolean;
  /** The tool reaches WeChat (its server, its CDN or its users), not only local state. */
  openWorldHint: boolean;
}

/** One tool as MCP `tools/list` reports it. */
export interface ToolListing {
  /** Tool name as clients call it. */
  name: ToolName;
  /** Short human-readable name, for clients to show instead of `name`. */
  title: string;
  /** What the tool does, for the model. */
  description: string;
  /** JSON Schema (draft-07) of the arguments. */
  inputSchema: JsonSchemaObject;
  /** Behaviour hints. */
  annotations: ToolAnnotations;
  /** Task support: these tools answer directly, never as MCP tasks (as `McpServer` lists them). */
  execution: { taskSupport: "forbidden" };
  /** JSON Schema (draft-07) of `structuredContent`. */
  outputSchema: JsonSchemaObject;
}

/** Tool names in listing order (the key order of `inputs` in `schemas.ts`). */
export const TOOL_NAMES: readonly ToolName[] = [
  "recv",
  "send",
  "download",
  "history",
  "sessions",
  "login",
  "logout",
  "rename_session",
  "set_default",
  "send_typing",
];

/** Tool titles, shared by the MCP listing (`title`) and the OpenAPI document (`summary`). */
export const TITLES: Readonly<Record<ToolName, string>> = {
  recv: "Receive new messages",
  send: "Send a message",
  download: "Download media",
  history: "Search message history",
  sessions: "List bot sessions",
  login: "Log in with a QR code",
  logout: "Log out a session",
  rename_session: "Rename a session",
  set_default: "Set the default session",
  send_typing: "Show the typing indicator",
};

/** Tool descriptions, shared by the MCP listing and the OpenAPI document. */
export const DESCRIPTIONS: Readonly<Record<ToolName, string>> = {
  recv: "Wait up to `timeout` seconds for new WeChat messages to the bot and return them. " +
    "Media messages can then be saved with the download tool.",
  send: "Send a WeChat message to a user: text and/or media read from local files " +
    "(image, file, video, voice). Each part is sent as its own message. A bot can only reply " +
    "to users who wrote to it in the last 24 hours, at most 10 times per user message; " +
    "`remaining` tells how many replies are left. Local files: only regular files of at most " +
    "100 MiB, and only from the folders the server allows reading (by default its working " +
    "directory and the downloads folder of its data directory, where `download` saves; the " +
    "server's owner allows others with --allow-read). Relative paths are relative to the " +
    "server's working directory; symbolic links are resolved before the check. Other paths " +
    "fail with a `forbidden` error naming the allowed folders.",
  download: "Save the media (image, voice, file or video) of a received message to a new " +
    "local file and return its path. Saves into the downloads folder of the data directory " +
    "unless `save_dir` names a folder the server allows writing (its owner allows folders with " +
    "--allow-write); other folders fail with a `forbidden` error. The sender's file name is " +
    "sanitised (no folders, control characters or reserved names) and an existing file is " +
    "never overwritten: the new one gets a ' (1)' style suffix.",
  history: "Search stored messages (received and sent), newest first, by user, bot, type, " +
    "direction, time range or text. For older ones, call again with the same filters and " +
    "`cursor` set to the answer's `next_cursor`.",
  sessions: "List the bot sessions with their bot id, connection state and which one is the " +
    "default.",
  login: "Log a bot session in with a WeChat QR code. The first call returns `pending` with " +
    "`qr_url` for the user to scan; call again to wait for `scanned`, then `confirmed` (or " +
    "`expired`: call again for a new code).",
  logout: "Log a session out and delete its stored credentials.",
  rename_session: "Rename a session.",
  set_default: "Choose the session used when none is named.",
  send_typing: "Show the typing indicator to a user (or clear it with `cancel`).",
};

/** Tools that change nothing. */
export const READ_ONLY: ReadonlySet<ToolName> = new Set(["history", "sessions"]);

/**
 * Tools that reach WeChat, and why. `openWorldHint` tells a client that a call leaves this
 * machine and that what comes back was written by people outside it; the other tools read or
 * change only the data directory: `history` reads the local message store, `sessions`,
 * `rename_session` and `set_default` read or change session files, and `logout` deletes a
 * session's credentials without telling the server.
 */
export const OPEN_WORLD: ReadonlySet<ToolName> = new Set([
  // Returns what WeChat users wrote, fetched from the server by the long poll.
  "recv",
  // Delivers messages (and uploads media to the CDN) to a WeChat user.
  "send",
  // Fetches a message's media from the WeChat CDN.
  "download",
  // Asks the server for a QR code and waits for a person to confirm it on a phone.
  "login",
  // Shows or clears the indicator on the user's phone, through the server.
  "send_typing",
]);

/** The precomputed JSON Schemas, keyed by tool name. */
export const TOOL_SCHEMAS: Readonly<
  Record<ToolName, { inputSchema: JsonSchemaObject; outputSchema: JsonSchemaObject }>
> = schemas as never;

/** The MCP annotations of a tool. */
export function toolAnnotations(name: ToolName): ToolAnnotations {
  return {
    title: TITLES[name],
    readOnlyHint: READ_ONLY.has(name),
    destructiveHint: name === "logout",
    openWorldHint: OPEN_WORLD.has(name),
  };
}

/** Every tool as `tools/list` reports it, in listing order. */
export const TOOL_LISTINGS: readonly ToolListing[] = TOOL_NAMES.map((name) => ({
  name,
  title: TITLES[name],
  description: DESCRIPTIONS[name],
  inputSchema: TOOL_SCHEMAS[name].inputSchema,
  annotations: toolAnnotations(name),
  execution: { taskSupport: "forbidden" },
  outputSchema: TOOL_SCHEMAS[name].outputSchema,
}));
