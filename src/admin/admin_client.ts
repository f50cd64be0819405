/**
 * What the panel needs of a client. `WeiLink` has all of it; the panel names this shape rather
 * than the class so that the client can start a panel of its own (`startAdmin`) without the
 * two modules importing each other.
 *
 * @module
 */

import type { BotInfo, Message, SendResult } from "../models/mod.ts";
import type { Contact, LoginOptions, SendContent } from "../client/types.ts";

/** One session as the panel reads it (a `Session` of `WeiLink.sessions`). */
export interface AdminSession {
  /** Session (folder) name. */
  readonly name: string;
  /** Bot account id, `undefined` when not logged in. */
  readonly botId: string | undefined;
  /** WeChat user who authorised the bot, `undefined` when not logged in. */
  readonly userId: string | undefined;
  /** Whether the session has credentials not reported as expired. */
  readonly isConnected: boolean;
  /** Whether the server reported the credentials as expired. */
  readonly isExpired: boolean;
  /** Whether this is the default session. */
  readonly isDefault: boolean;
  /** When the credentials were first saved, if known. */
  readonly createdAt: Date | undefined;
  /** The users who wrote to the session's bot, most recent first. */
  contacts(): Contact[];
}

/** The client the panel serves: a `WeiLink`, usually with the message store on. */
export interface AdminClient {
  /** Absolute path of the data directory (where `messages.db` is by default). */
  readonly basePath: string;
  /** Every session by name, read fresh from the data directory. */
  readonly sessions: Record<string, AdminSession>;
  /** Log a session in by QR code. */
  login(options: LoginOptions): Promise<BotInfo>;
  /** Log a session out. */
  logout(name?: string): Promise<void>;
  /** Rename a session. */
  renameSession(oldName: string, newName: string): Promise<void>;
  /** Make a session the default one. */
  setDefault(name: string): Promise<void>;
  /** Send to a user. */
  send(to: string, content: string | SendContent): Promise<SendResult>;
  /** Download and decrypt the media of a message. */
  download(
    message: Message,
    options?: { index?: number; signal?: AbortSignal },
  ): Promise<Uint8Array>;
}
