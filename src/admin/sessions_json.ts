/**
 * The JSON of `GET /api/status` and `GET /api/sessions`: the Python original's keys and value
 * types (times in epoch seconds, `0` when unknown), with `expired` added. No token of any kind
 * appears in it.
 *
 * @module
 */

import type { AdminClient } from "./admin_client.ts";
import { VERSION } from "../version.ts";

/** `GET /api/status`. */
export interface StatusJson {
  version: string;
  is_connected: boolean;
  session_count: number;
  connected_count: number;
}

/** One user of a session in `GET /api/sessions`. */
export interface SessionUserJson {
  user_id: string;
  /** When the user last wrote, epoch seconds (`0`: unknown). */
  last_interaction: number;
  /** Whether the bot can reply now (within the 24-hour window, replies left). */
  fresh: boolean;
  /** When the bot last sent to the user, epoch seconds (`0`: never). */
  last_sent: number;
  /** When the user first wrote, epoch seconds (`0`: unknown). */
  first_seen: number;
}

/** One session in `GET /api/sessions`. */
export interface SessionJson {
  name: string;
  bot_id: string | null;
  user_id: string | null;
  connected: boolean;
  expired: boolean;
  is_default: boolean;
  /** When the credentials were first saved, epoch seconds, `null` when unknown. */
  created_at: number | null;
  user_count: number;
  users: SessionUserJson[];
}

/** The panel's status line. */
export function statusJson(client: AdminClient): StatusJson {
  const sessions = Object.values(client.sessions);
  return {
    version: VERSION,
    is_connected: sessions.some((s) => s.isConnected),
    session_count: sessions.length,
    connected_count: sessions.filter((s) => s.isConnected).length,
  };
}

/** Every session with its users. */
export function sessionsJson(client: AdminClient): { sessions: SessionJson[] } {
  return {
    sessions: Object.values(client.sessions).map((s) => {
      const users = s.contacts().map((c): SessionUserJson => ({
        user_id: c.userId,
        last_interaction: seconds(c.lastReceivedAt),
        fresh: c.canReply,
        last_sent: seconds(c.lastSentAt),
        first_seen: seconds(c.firstSeenAt),
      }));
      return {
        name: s.name,
        bot_id: s.botId ?? null,
        user_id: s.userId ?? null,
        connected: s.isConnected,
        expired: s.isExpired,
        is_default: s.isDefault,
        created_at: s.createdAt ? s.createdAt.getTime() / 1000 : null,
        user_count: users.length,
        users,
      };
    }),
  };
}

function seconds(date: Date | undefined): number {
  return date ? date.getTime() / 1000 : 0;
}
