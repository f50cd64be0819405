/**
 * The {@linkcode ToolBackend} of the servers: one `WeiLink` client with the message store and
 * background polling on, adapted to what the tools need.
 *
 * @module
 */

import { type LogThreshold, WeiLink } from "../client/mod.ts";
import {
  type HistoryPage,
  type MessageFilter,
  MessageStore,
  type QueryOptions,
} from "../store/mod.ts";
import { historyJson } from "../store/history_json.ts";
import { type Message, MessageDirection } from "../models/mod.ts";
import type {
  HistoryFilters,
  HistoryPaging,
  LoginHooks,
  SendContent,
  SessionSummary,
  ToolBackend,
} from "./tools.ts";
import { ToolError } from "./tool_errors.ts";

/** Options of {@linkcode openWeiLinkBackend}. */
export interface BackendOptions {
  /** Data directory. */
  basePath?: string;
  /** Storage: `files` (default) or a `postgres://` URL shared with other hosts. */
  store?: string;
  /** iLink API base URL. */
  baseUrl?: string;
  /** CDN base URL. */
  cdnBaseUrl?: string;
  /** stderr log threshold. */
  logLevel?: LogThreshold;
}

/** A {@linkcode ToolBackend} that owns its client. */
export interface WeiLinkBackend extends ToolBackend {
  /** The underlying client. */
  readonly client: WeiLink;
  /** Stop polling and close the client and its store. */
  close(): Promise<void>;
}

/**
 * Open the client (store on), start background polling, and adapt it for the tools. History is
 * read through a second connection to the client's `messages.db` (SQLite WAL allows concurrent
 * readers), opened on first use.
 */
export async function openWeiLinkBackend(options: BackendOptions = {}): Promise<WeiLinkBackend> {
  const level = options.logLevel ?? "info";
  const client = new WeiLink({
    messageStore: true,
    logger: level,
    ...(options.basePath !== undefined ? { basePath: options.basePath } : {}),
    ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}),
    ...(options.cdnBaseUrl !== undefined ? { cdnBaseUrl: options.cdnBaseUrl } : {}),
    ...(options.store !== undefined ? { storage: options.store } : {}),
  });
  try {
    await client.ready();
    await client.runBackground();
  } catch (error) {
    await client.close();
    throw error;
  }
  return adapt(client, client.storageKind === "postgres" ? options.store : undefined);
}

/** The history reads the tools need, from SQLite or PostgreSQL. */
interface HistoryReads {
  queryPage(options: QueryOptions): Promise<HistoryPage> | HistoryPage;
  count(filter: MessageFilter): Promise<number> | number;
  getById(id: string): Promise<Message | undefined> | Message | undefined;
}

function adapt(client: WeiLink, pgUrl: string | undefined): WeiLinkBackend {
  let reader: MessageStore | undefined;
  let pg: Promise<{ history: HistoryReads; close(): Promise<void> }> | undefined;
  // With PostgreSQL the history is the database's (every host's messages); else messages.db.
  const store = async (): Promise<HistoryReads> => {
    if (pgUrl === undefined) return reader ??= new MessageStore(`${client.basePath}/messages.db`);
    pg ??= import("../postgres/mod.ts").then((m) => m.openPgHistory(pgUrl));
    return (await pg).history;
  };
  const backend: WeiLinkBackend = {
    client,
    recv: (timeout) => client.recv({ timeout }),
    send: (to, content: SendContent) => client.send(to, content),
    download: (message) => client.download(message),
    async typing(to, on) {
      const shown = on ? await client.sendTyping(to) : await client.stopTyping(to);
      if (!shown) {
        throw new ToolError(
          "upstream",
          `Cannot ${on ? "show" : "clear"} the typing indicator for "${to}"`,
        );
      }
    },
    sessions(): Promise<SessionSummary[]> {
      return Promise.resolve(
        Object.values(client.sessions).map((s) => ({
          name: s.name,
          botId: s.botId ?? null,
          userId: s.userId ?? null,
          connected: s.isConnected,
          isDefault: s.isDefault,
        })),
      );
    },
    defaultSessionName: () => Promise.resolve(client.defaultSessionName),
    async login(sessionName, hooks: LoginHooks, signal) {
      const bot = await client.login({
        ...(sessionName !== undefined ? { name: sessionName } : {}),
        force: true,
        signal,
        onQr: (event) => hooks.onQr(event.url),
        onStatus: (status) => {
          if (status === "scanned") hooks.onScanned();
        },
      });
      return { botId: bot.botId, session: sessionName ?? client.defaultSessionName };
    },
    async logout(sessionName) {
      const name = sessionName ?? client.defaultSessionName;
      await client.logout(name);
      return name;
    },
    renameSession: async (oldName, newName) => await client.renameSession(oldName, newName),
    setDefault: async (name) => await client.setDefault(name),
    history: {
      async query(filters: HistoryFilters, paging: HistoryPaging) {
        const page = await (await store()).queryPage({ ...filter(filters), ...paging });
        return {
          messages: page.messages.map(historyJson),
          nextCursor: page.nextCursor ?? null,
        };
      },
      count: async (filters: HistoryFilters) => await (await store()).count(filter(filters)),
      getById: async (id: string) => await (await store()).getById(id),
    },
    async close() {
      reader?.close();
      await (await pg?.catch(() => undefined))?.close();
      await client.close();
    },
  };
  return backend;
}

function filter(filters: HistoryFilters) {
  const { direction, ...rest } = filters;
  return direction === undefined ? rest : { ...rest, direction: direction as MessageDirection };
}
