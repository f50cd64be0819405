/**
 * Shared fixtures of the store tests: temp stores, wire-shaped messages, the Python DDL.
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { MessageStore, type MessageStoreOptions } from "../../src/store/mod.ts";
import { Message } from "../../src/models/mod.ts";
import type { WireMessage } from "../../src/protocol/types.ts";

/** The Python original's DDL (table, indexes, user_version), committed as a fixture. */
export const PYTHON_DDL = await Deno.readTextFile(
  new URL("../fixtures/python_store_schema.sql", import.meta.url),
);

/** A temp directory removed by `dispose`, plus the stores opened in it. */
export interface TempStoreDir extends AsyncDisposable {
  dir: string;
  path: string;
  open(options?: MessageStoreOptions): MessageStore;
}

/** Creates a temp dir whose stores (default: pruning off) are closed and files removed on dispose. */
export async function tempStoreDir(): Promise<TempStoreDir> {
  const dir = await Deno.makeTempDir({ prefix: "weilink_store_" });
  const path = `${dir}/messages.db`;
  const opened: MessageStore[] = [];
  return {
    dir,
    path,
    open(options = { maxAgeDays: null, maxCount: null }) {
      const store = new MessageStore(path, options);
      opened.push(store);
      return store;
    },
    async [Symbol.asyncDispose]() {
      for (const s of opened) s.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Creates a database from the fixture DDL, as the Python original would have. */
export function createPythonDb(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec("PRAGMA journal_mode = WAL");
  db.exec(PYTHON_DDL);
  return db;
}

/** A received text message as `getupdates` delivers it. */
export function textWire(
  id: string | number,
  text: string,
  overrides: Partial<WireMessage> = {},
): WireMessage {
  return {
    message_id: String(id),
    from_user_id: "alice@im.wechat",
    to_user_id: "bot1@im.bot",
    create_time_ms: 1_700_000_000_000,
    message_type: 1,
    context_token: "ctx-secret",
    item_list: [{ type: 1, text_item: { text } }],
    ...overrides,
  };
}

/** Shorthand: a received text message of bot1. */
export function textMessage(
  id: string | number,
  text: string,
  overrides: Partial<WireMessage> = {},
  botId = "bot1@im.bot",
): Message {
  return Message.fromWire(textWire(id, text, overrides), botId);
}
