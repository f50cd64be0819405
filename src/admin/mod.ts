/**
 * The WeiLink admin panel: a web page to log sessions in by QR code, see who wrote to each bot,
 * read and search the history, chat live and send files, plus the JSON API behind it (the
 * Python original's routes and shapes, so scripts written for it keep working).
 *
 * {@linkcode serveAdmin} serves a client; it does not start polling (call
 * `client.runBackground()` for that, or let another process poll: the page follows the message
 * store, whoever writes it).
 *
 * Security beyond the original: without a token the panel listens on loopback only; with one
 * (`token`, `tokenFile` or `WEILINK_ADMIN_TOKEN`) every request needs it, as a bearer header or
 * as a session cookie obtained on `/login`. Host, Origin, body type and size are checked as for
 * the other servers, no CORS header is ever sent, and no bot token, context token or AES key
 * appears in any answer.
 *
 * @example Serve the panel for a client (here logged in to the embedded sandbox)
 * ```ts
 * import { WeiLink } from "@weilink/core";
 * import { startSandbox } from "@weilink/core/testing";
 * import { serveAdmin } from "./mod.ts";
 *
 * const sandbox = await startSandbox({ longPollMs: 300 });
 * const basePath = await Deno.makeTempDir();
 * const client = new WeiLink({
 *   basePath,
 *   baseUrl: sandbox.baseUrl,
 *   cdnBaseUrl: sandbox.cdnBaseUrl,
 *   messageStore: true,
 *   logger: "silent",
 * });
 * const admin = await serveAdmin(client, { port: 0, banner: false });
 * const status = await (await fetch(`${admin.url}/api/status`)).json();
 * console.log(status.session_count, status.is_connected); // 1 false
 * await admin.close();
 * await client.close();
 * await sandbox.close();
 * await Deno.remove(basePath, { recursive: true });
 * ```
 *
 * @module
 */

import { join } from "node:path";
import type { AdminClient } from "./admin_client.ts";
import { createStderrLogger, type Logger, type LogThreshold } from "../client/logger.ts";
import { DEFAULT_MAX_MEDIA_BYTES } from "../media/mod.ts";
import type { MessageStore } from "../store/mod.ts";
import type { AdminHistory } from "./message_events.ts";
import { allowedHostNames, isLoopbackHost } from "../server/http_guard.ts";
import type { HttpListener } from "../server/http_listener.ts";
import { WeiLinkError } from "../weilink_error.ts";
import { VERSION } from "../version.ts";
import { AdminAuth } from "./admin_auth.ts";
import { ADMIN_TOKEN_ENV, resolveAdminToken } from "./admin_token.ts";

export { ADMIN_TOKEN_ENV } from "./admin_token.ts";
export type { AdminClient, AdminSession } from "./admin_client.ts";

/** Options of {@linkcode serveAdmin}. */
export interface AdminOptions {
  /** Address to listen on (default `127.0.0.1`). Any other address requires a token. */
  host?: string;
  /**
   * Port (default 8080). When it is taken, the next free one of the following 99 is used; `0`
   * picks any free port.
   */
  port?: number;
  /**
   * Token that guards the panel (default: read from `tokenFile`, else env
   * `WEILINK_ADMIN_TOKEN`): at least 16 printable characters without whitespace. Browsers trade it
   * for a session cookie on `/login`; scripts send `Authorization: Bearer <token>`.
   */
  token?: string;
  /** File holding the token alone on one line; refused when every user may read it. */
  tokenFile?: string;
  /** Print the panel's URL on stderr once it listens (default `true`). */
  banner?: boolean;
  /** Threshold of the panel's own log lines on stderr (default `info`). */
  logLevel?: LogThreshold;
  /**
   * Largest body of `POST /api/send`, in bytes (default: enough for the largest media WeChat
   * takes, 100 MiB, as base64 JSON). Every other request is limited to 1 MiB. Larger bodies get
   * 413.
   */
  maxBodyBytes?: number;
  /**
   * The message store to read: a `messages.db` path (default `<client.basePath>/messages.db`) or
   * a `postgres://` URL (the default when the client keeps its storage there).
   */
  store?: string;
}

/** A running panel. */
export interface AdminHandle {
  /** The address it listens on. */
  readonly host: string;
  /** The port it listens on. */
  readonly port: number;
  /** The page's URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /** Stop serving: ends event streams and logins in progress. The client stays open. */
  close(): Promise<void>;
  /** Resolves once the panel has stopped. */
  readonly finished: Promise<void>;
}

/** Default body limit of `POST /api/send`: 100 MiB as base64, plus room for the JSON around it. */
export const DEFAULT_SEND_BODY_BYTES: number = Math.ceil(DEFAULT_MAX_MEDIA_BYTES / 3) * 4 +
  1024 * 1024;

/** Ports tried after a busy one before giving up. */
const PORT_ATTEMPTS = 100;

/**
 * Serve the admin panel of `client` (a `WeiLink`).
 *
 * @throws {WeiLinkError} when binding a non-loopback address without a token, the token is weak
 * or its file unreadable, or no port is free.
 * @throws {RangeError} for an invalid port or body limit.
 */
export async function serveAdmin(
  client: AdminClient,
  options: AdminOptions = {},
): Promise<AdminHandle> {
  const host = options.host ?? "127.0.0.1";
  const port = options.port ?? 8080;
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new RangeError(`Invalid port ${port}: use 0-65535`);
  }
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_SEND_BODY_BYTES;
  if (!Number.isSafeInteger(maxBodyBytes) || maxBodyBytes < 1024) {
    throw new RangeError(`Invalid maxBodyBytes ${maxBodyBytes}: use at least 1024`);
  }
  const level = options.logLevel ?? "info";
  const logger = createStderrLogger(level);
  const token = await resolveAdminToken(options, (line) => logger.warn(line));
  if (!token && !isLoopbackHost(host)) {
    throw new WeiLinkError(
      `Refusing to serve the admin panel on "${host}" without a token: anyone who can reach ` +
        `it could read the bot's messages and send in its name. Set a token (--token-file or ` +
        `${ADMIN_TOKEN_ENV}), or bind 127.0.0.1.`,
    );
  }

  const [{ createAdminApp }, { MessageEvents }, { QrLogins }, { MessageStore }] = await Promise
    .all([
      import("./admin_app.ts"),
      import("./message_events.ts"),
      import("./qr_logins.ts"),
      import("../store/mod.ts"),
    ]);
  let boundPort = port;
  let closing: Promise<void> | undefined;
  const auth = new AdminAuth(token, () => boundPort);
  const storePath = options.store ?? join(client.basePath, "messages.db");
  let store: MessageStore | undefined;
  const pg = /^postgres(ql)?:\/\//i.test(storePath)
    ? await (await import("../postgres/mod.ts")).openPgHistory(storePath)
    : undefined;
  const openStore = (): AdminHistory => {
    if (closing) throw new WeiLinkError("The admin panel is closed");
    if (pg) return pg.history;
    // A reader only: pruning is the writer's business.
    return store ??= new MessageStore(storePath, { maxAgeDays: null, maxCount: null });
  };
  const events = new MessageEvents(openStore, {
    onError: (error) => logger.warn(`Admin event stream: ${(error as Error).message}`),
  });
  const logins = new QrLogins(client);
  const app = createAdminApp({
    client,
    auth,
    hosts: allowedHostNames(host),
    port: () => boundPort,
    maxBodyBytes,
    store: openStore,
    logins,
    events,
    logger,
  });
  const listener = await listenOnFreePort(app.fetch, host, port, logger);
  boundPort = listener.port;
  const url = `http://${urlHost(host)}:${listener.port}`;
  if (options.banner !== false && level !== "silent") {
    console.error(
      `WeiLink admin panel ${VERSION} on ${url}${
        token ? " (token required: sign in at /login)" : ""
      }`,
    );
  }
  const close = () =>
    closing ??= (async () => {
      events.closeAll();
      logins.close();
      await listener.close();
      store?.close();
      await pg?.close();
    })();
  return {
    host,
    port: listener.port,
    url,
    close,
    finished: listener.finished.then(() => closing).then(() => {}),
  };
}

/** Listen on `port`, or the next free one when it is taken (any free port for 0). */
async function listenOnFreePort(
  handler: (request: Request) => Response | Promise<Response>,
  host: string,
  port: number,
  logger: Logger,
): Promise<HttpListener> {
  const { listenHttp } = await import("../server/http_listener.ts");
  // Uploads of large media over a slow network need longer than the 30 s the other servers allow.
  const timeouts = { requestMs: 120_000 };
  const last = port === 0 ? 0 : Math.min(65535, port + PORT_ATTEMPTS - 1);
  for (let candidate = port;; candidate++) {
    // Deno's node:http reports a refused net permission as an uncaught error, after listen()
    // returned: ask first, and say which flag is missing.
    if (!netGranted(host, candidate)) {
      if (candidate === port) {
        throw new WeiLinkError(
          `Cannot serve the admin panel: Deno does not grant listening on ${
            listenTarget(host, port)
          } (add --allow-net=${listenTarget(host, port)}, or turn the panel off)`,
        );
      }
      throw new WeiLinkError(
        `Cannot serve the admin panel: port ${port} on "${host}" is in use and Deno does not ` +
          `grant the next one, ${candidate}`,
      );
    }
    try {
      const listener = await listenHttp(handler, { hostname: host, port: candidate, timeouts });
      if (candidate !== port) {
        logger.info(`Port ${port} is in use; the admin panel took ${candidate}`);
      }
      return listener;
    } catch (error) {
      const code = ((error as Error).cause as { code?: string } | undefined)?.code;
      if (code !== "EADDRINUSE" || candidate >= last) {
        if (code === "EADDRINUSE" && port !== 0) {
          throw new WeiLinkError(
            `Cannot serve the admin panel: ports ${port}-${last} on "${host}" are all in use`,
            { cause: error },
          );
        }
        throw error;
      }
    }
  }
}

/** `host:port` as `--allow-net` names it (`host` alone for any port). */
function listenTarget(host: string, port: number): string {
  const bare = host.replace(/^\[|\]$/g, "");
  const named = bare.includes(":") ? `[${bare}]` : bare;
  return port === 0 ? named : `${named}:${port}`;
}

/** Whether Deno grants listening on `host:port` (never prompts). */
function netGranted(host: string, port: number): boolean {
  try {
    return Deno.permissions.querySync({ name: "net", host: listenTarget(host, port) }).state ===
      "granted";
  } catch {
    return true;
  }
}

/** The host as a URL names it: brackets around IPv6, this machine for a wildcard bind. */
function urlHost(host: string): string {
  const bare = host.replace(/^\[|\]$/g, "");
  if (bare === "0.0.0.0" || bare === "::" || bare === "") return "127.0.0.1";
  return bare.includes(":") ? `[${bare}]` : bare;
}
