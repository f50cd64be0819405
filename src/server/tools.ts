/**
 * The tool registry: every tool the MCP server and the REST API expose, defined once with its
 * name, description, zod input and output schemas and an async handler.
 *
 * Handlers talk to a {@linkcode ToolBackend} (the shared `WeiLink` client, adapted in
 * `backend.ts`) and throw {@linkcode ToolError} with a clear message on failure; the transports
 * turn that into an MCP tool error or an HTTP 4xx/5xx.
 *
 * @module
 */

import type * as z from "zod";
import type { Message } from "../models/mod.ts";
import { SessionExpiredError } from "../protocol/mod.ts";
import { inputs, type MessageJson, messageTypeNames, outputs } from "./schemas.ts";
import type { ToolInput, ToolName, ToolOutput } from "./schemas.ts";
import { ToolError, toToolError } from "./tool_errors.ts";
import { DESCRIPTIONS, READ_ONLY, TITLES } from "./tool_catalog.ts";
import { type FileAccessPolicy, mediaFileName, parseTime, writeUniqueFile } from "../input/mod.ts";
import { LoginFlows } from "./login_flow.ts";
import type { HistoryFilters, HistoryPaging, SendContent, ToolBackend } from "./tool_backend.ts";

export { ToolError, type ToolErrorKind, toToolError } from "./tool_errors.ts";
export type {
  HistoryFilters,
  HistoryPageJson,
  HistoryPaging,
  LoginHooks,
  SendContent,
  SessionSummary,
  ToolBackend,
} from "./tool_backend.ts";
export type {
  HistoryMessageJson,
  MessageJson,
  ToolInput,
  ToolName,
  ToolOutput,
} from "./schemas.ts";

/** Shared state of the tools of one server process. */
export interface ToolContext {
  /** The backend, opened on first use. */
  backend(): Promise<ToolBackend>;
  /**
   * Which local files `send` may read and where `download` may write (the default folder for
   * downloads is its `downloadDir`).
   */
  readonly files: FileAccessPolicy;
}

/** A tool: metadata, schemas and handler. */
export interface ToolDefinition<N extends ToolName = ToolName> {
  /** Tool name as clients call it. */
  readonly name: N;
  /** Short human-readable name (MCP `title`, OpenAPI `summary`), from the catalog. */
  readonly title: string;
  /** What the tool does, for the model and the OpenAPI document. */
  readonly description: string;
  /** Input schema (zod). */
  readonly input: (typeof inputs)[N];
  /** Output schema (zod). */
  readonly output: (typeof outputs)[N];
  /** Whether the tool changes nothing (MCP `readOnlyHint`). */
  readonly readOnly: boolean;
  /** Run the tool on parsed input. */
  run(input: ToolInput<N>): Promise<ToolOutput<N>>;
}

/** The tool set of one server, bound to a context. */
export interface ToolRegistry {
  /** Tools in listing order. */
  readonly tools: readonly ToolDefinition[];
  /** Look a tool up by name. */
  get(name: string): ToolDefinition | undefined;
  /**
   * Validate raw arguments and run a tool. Throws {@linkcode ToolError} (`bad_request` for
   * invalid arguments, `not_found` for an unknown tool).
   */
  call(name: string, args: unknown): Promise<Record<string, unknown>>;
  /** Stop a pending login and forget cached messages. */
  dispose(): void;
}

/** Most recently received messages kept for `download` when the store is off. */
const RECENT_LIMIT = 1000;

/**
 * Build the registry of all tools over `context`.
 *
 * @example
 * ```ts ignore
 * const registry = createToolRegistry(context);
 * const { sessions } = await registry.call("sessions", {});
 * ```
 */
export function createToolRegistry(context: ToolContext): ToolRegistry {
  const recent = new Map<string, Message>();
  const login = new LoginFlows(context.backend);

  const remember = (messages: Message[]) => {
    for (const message of messages) {
      if (!message.messageId) continue;
      recent.delete(message.messageId);
      recent.set(message.messageId, message);
    }
    // Map iteration order is insertion order: the first keys are the oldest.
    for (const key of recent.keys()) {
      if (recent.size <= RECENT_LIMIT) break;
      recent.delete(key);
    }
  };

  const handlers: { [N in ToolName]: (input: ToolInput<N>) => Promise<ToolOutput<N>> } = {
    async recv({ timeout }) {
      const backend = await context.backend();
      const messages = await backend.recv(timeout);
      remember(messages);
      return { messages: messages.map(messageJson), count: messages.length };
    },

    async send(input) {
      const content: SendContent = {};
      const { files } = context;
      if (input.text) content.text = input.text;
      if (input.image_path) content.image = await files.readFile(input.image_path, "image");
      if (input.file_path) {
        content.file = await files.readFile(input.file_path, "file");
        content.fileName = input.file_name || baseName(input.file_path);
      }
      if (input.video_path) content.video = await files.readFile(input.video_path, "video");
      if (input.voice_path) content.voice = await files.readFile(input.voice_path, "voice");
      if (Object.keys(content).length === 0) {
        throw new ToolError(
          "bad_request",
          "Nothing to send: give text, image_path, file_path, video_path or voice_path",
        );
      }
      const backend = await context.backend();
      const result = await backend.send(input.to, content);
      if (!result.success) {
        const sent = result.messageIds.length;
        // An expiry (-14) while sending needs a new login; anything else is an upstream failure.
        throw new ToolError(
          result.cause instanceof SessionExpiredError ? "session_expired" : "upstream",
          `Cannot send to "${input.to}": ${result.error ?? "the server refused the message"}` +
            (sent > 0 ? ` (${sent} part(s) were sent before the failure)` : ""),
        );
      }
      return {
        success: true,
        to: input.to,
        message_ids: result.messageIds,
        remaining: result.remaining,
      };
    },

    async download({ message_id, save_dir }) {
      const backend = await context.backend();
      const message = recent.get(message_id) ?? await backend.history?.getById(message_id);
      if (!message) {
        throw new ToolError(
          "not_found",
          `Message "${message_id}" not found: receive it first with recv, or look it up in history`,
        );
      }
      if (!message.image && !message.voice && !message.file && !message.video) {
        throw new ToolError("bad_request", `Message "${message_id}" has no media to download`);
      }
      // The folder is checked (and made) first: a refused save_dir costs no download.
      const dir = await context.files.writableDir(save_dir);
      const data = await backend.download(message);
      const path = await writeUniqueFile(dir, mediaFileName(message, data), data);
      return {
        path,
        size: data.length,
        file_name: baseName(path),
        msg_type: String(messageJson(message).msg_type),
      };
    },

    async history(input) {
      const backend = await context.backend();
      if (!backend.history) {
        throw new ToolError("conflict", "Message history is not enabled on this server");
      }
      const filters = parseHistoryFilters(input);
      const paging: HistoryPaging = { limit: input.limit, offset: input.offset };
      if (input.cursor) paging.cursor = input.cursor;
      const [page, total] = await Promise.all([
        backend.history.query(filters, paging),
        backend.history.count(filters),
      ]);
      return {
        messages: page.messages,
        total,
        limit: input.limit,
        offset: input.offset,
        next_cursor: page.nextCursor,
      };
    },

    async sessions() {
      const backend = await context.backend();
      const sessions = await backend.sessions();
      return {
        sessions: sessions.map((s) => ({
          name: s.name,
          bot_id: s.botId,
          user_id: s.userId,
          connected: s.connected,
          is_default: s.isDefault,
        })),
      };
    },

    login: (input) => login.step(input),

    async logout({ session_name }) {
      const backend = await context.backend();
      const session = await backend.logout(session_name || undefined);
      return { success: true, session };
    },

    async rename_session({ old_name, new_name }) {
      const backend = await context.backend();
      await backend.renameSession(old_name, new_name);
      return { success: true, old_name, new_name };
    },

    async set_default({ session_name }) {
      const backend = await context.backend();
      await backend.setDefault(session_name);
      return { success: true, default_session: session_name };
    },

    async send_typing({ to, cancel }) {
      const backend = await context.backend();
      await backend.typing(to, !cancel);
      return { success: true, to, typing: !cancel };
    },
  };

  const tools = (Object.keys(inputs) as ToolName[]).map((name) => ({
    name,
    title: TITLES[name],
    description: DESCRIPTIONS[name],
    input: inputs[name],
    output: outputs[name],
    readOnly: READ_ONLY.has(name),
    run: handlers[name],
  })) as unknown as ToolDefinition[];
  const byName = new Map(tools.map((t) => [t.name as string, t]));

  return {
    tools,
    get: (name) => byName.get(name),
    async call(name, args) {
      const tool = byName.get(name);
      if (!tool) throw new ToolError("not_found", `Unknown tool "${name}"`);
      const parsed = (tool.input as z.ZodType).safeParse(args ?? {});
      if (!parsed.success) {
        throw new ToolError(
          "bad_request",
          `Invalid arguments for tool "${name}": ${describeIssues(parsed.error)}`,
        );
      }
      try {
        return await tool.run(parsed.data as never) as Record<string, unknown>;
      } catch (error) {
        throw toToolError(error);
      }
    },
    dispose() {
      login.cancel();
      recent.clear();
    },
  };
}

/** One line per zod issue: `path: message`. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .map((i) => (i.path.length ? `${i.path.join(".")}: ${i.message}` : i.message))
    .join("; ");
}

function messageJson(message: Message): MessageJson {
  return message.toJSON() as MessageJson;
}

function baseName(path: string): string {
  return path.split(/[\\/]/).filter(Boolean).pop() ?? path;
}

/** Parse the string filters of the `history` tool, rejecting values the original ignored. */
export function parseHistoryFilters(input: ToolInput<"history">): HistoryFilters {
  const filters: HistoryFilters = {};
  if (input.user_id) filters.userId = input.user_id;
  if (input.bot_id) filters.botId = input.bot_id;
  if (input.msg_type) {
    const index = messageTypeNames.indexOf(input.msg_type.toUpperCase());
    if (index < 0) {
      throw new ToolError(
        "bad_request",
        `Unknown msg_type "${input.msg_type}": use one of ${messageTypeNames.join(", ")}`,
      );
    }
    filters.msgType = index + 1;
  }
  if (input.direction) {
    const direction = input.direction.toLowerCase();
    if (direction !== "received" && direction !== "sent") {
      throw new ToolError(
        "bad_request",
        `Unknown direction "${input.direction}": use "received" or "sent"`,
      );
    }
    filters.direction = direction === "received" ? 1 : 2;
  }
  // The CLI's --since/--until rules; a TimeSpecError becomes a bad_request tool error.
  const now = Date.now();
  if (input.since) filters.since = parseTime(input.since, "since", now);
  if (input.until) filters.until = parseTime(input.until, "until", now);
  if (filters.since !== undefined && filters.until !== undefined && filters.since > filters.until) {
    throw new ToolError(
      "bad_request",
      `Invalid time range: since '${input.since}' is after until '${input.until}'`,
    );
  }
  if (input.text_contains) filters.textContains = input.text_contains;
  return filters;
}
