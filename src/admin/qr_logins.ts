/**
 * QR logins started from the panel. Each runs `client.login({ force: true })` in the background
 * while the page polls its state: the code to show (refreshed codes included: the client fetches
 * a new one when a code expires), whether the phone scanned it, and the outcome.
 *
 * Logins are kept per session name: a new login of a session replaces that session's pending
 * one (its QR code is then dead), and never touches another session's. Every login, finished or
 * not, is dropped 5 minutes after it started, the lifetime of the client's own login.
 *
 * @module
 */

import type { AdminClient } from "./admin_client.ts";
import { toBase64 } from "../crypto/mod.ts";
import { AdminHttpError, describeFailure } from "./admin_errors.ts";

/** What the page polls for: the original's four states. */
export type QrLoginState = "waiting" | "scaned" | "expired" | "confirmed";

/** A login in progress (or just finished), as the API shows it. */
export interface QrLoginView {
  /** Opaque id of this login (not the iLink QR code). */
  qrcode: string;
  /** Session being logged in. */
  session: string;
  /** Current state. */
  status: QrLoginState;
  /** The URL the QR code encodes (the newest code). */
  qrUrl: string;
  /** The QR code as `data:image/svg+xml;base64,…`. */
  qrSvg: string;
  /** 1 for the first code, 2 and 3 for refreshed ones. */
  attempt: number;
  /** The bot id, once confirmed. */
  botId?: string;
  /** Why the login ended without credentials. */
  error?: string;
}

/** Lifetime of a pending login, in milliseconds (as the client's login deadline). */
export const LOGIN_LIFETIME_MS = 5 * 60_000;
/** Most logins in progress at once (a bound on the background work one caller can start). */
export const MAX_PENDING_LOGINS = 16;

interface PendingLogin {
  view: QrLoginView;
  startedAt: number;
  abort: AbortController;
}

/** The panel's QR logins. */
export class QrLogins {
  readonly #client: AdminClient;
  readonly #now: () => number;
  readonly #byId = new Map<string, PendingLogin>();

  constructor(client: AdminClient, now: () => number = Date.now) {
    this.#client = client;
    this.#now = now;
  }

  /**
   * Start logging `session` in; resolves with the first QR code once the server handed it out.
   *
   * @throws {AdminHttpError} 409 when the session is connected (an expired one may log in
   * again), 429 when too many logins are in progress, 400 for an invalid name, 502 when no QR
   * code could be obtained.
   */
  async start(session: string): Promise<QrLoginView> {
    this.#dropStale();
    const existing = this.#client.sessions[session];
    if (existing?.isConnected) {
      throw new AdminHttpError(
        409,
        `Session "${session}" is already connected; log it out first to log in again`,
      );
    }
    for (const [id, pending] of this.#byId) {
      if (pending.view.session === session) this.#drop(id);
    }
    const active = [...this.#byId.values()].filter((p) => !isFinal(p.view.status)).length;
    if (active >= MAX_PENDING_LOGINS) {
      throw new AdminHttpError(429, "Too many logins in progress: finish or wait for one");
    }
    const id = randomId();
    const abort = new AbortController();
    const view: QrLoginView = {
      qrcode: id,
      session,
      status: "waiting",
      qrUrl: "",
      qrSvg: "",
      attempt: 0,
    };
    const pending: PendingLogin = { view, startedAt: this.#now(), abort };
    this.#byId.set(id, pending);
    const firstCode = Promise.withResolvers<void>();
    const login = this.#client.login({
      name: session,
      force: true,
      signal: abort.signal,
      onQr: async (event) => {
        view.qrSvg = await qrSvgDataUrl(event.url);
        view.qrUrl = event.url;
        view.attempt = event.attempt;
        view.status = "waiting";
        firstCode.resolve();
      },
      onStatus: (status) => {
        if (status === "scanned" || status === "redirect") view.status = "scaned";
        // "expired" is followed by a fresh code (onQr) or by the login failing; "confirmed"
        // counts once the credentials are saved, when the promise resolves.
      },
    });
    login.then(
      (bot) => {
        view.status = "confirmed";
        view.botId = bot.botId;
      },
      (error) => {
        view.status = "expired";
        view.error = abort.signal.aborted
          ? "The login was replaced or cancelled"
          : describeFailure(error).message;
        firstCode.reject(error);
      },
    );
    try {
      await firstCode.promise;
    } catch (error) {
      this.#byId.delete(id);
      const { status, message } = describeFailure(error);
      throw new AdminHttpError(
        status === 400 ? 400 : 502,
        status === 400 ? message : `Failed to get a QR code: ${message}`,
        { cause: error },
      );
    }
    return { ...view };
  }

  /** The state of login `id`, `undefined` when unknown or older than 5 minutes. */
  status(id: string): QrLoginView | undefined {
    this.#dropStale();
    const pending = this.#byId.get(id);
    return pending ? { ...pending.view } : undefined;
  }

  /** Cancel every login in progress. */
  close(): void {
    for (const id of [...this.#byId.keys()]) this.#drop(id);
  }

  #drop(id: string): void {
    const pending = this.#byId.get(id);
    if (!pending) return;
    this.#byId.delete(id);
    if (!isFinal(pending.view.status)) pending.abort.abort();
  }

  #dropStale(): void {
    const cutoff = this.#now() - LOGIN_LIFETIME_MS;
    for (const [id, pending] of this.#byId) {
      if (pending.startedAt < cutoff) this.#drop(id);
    }
  }
}

function isFinal(status: QrLoginState): boolean {
  return status === "confirmed" || status === "expired";
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

/** The QR code of `url` as an SVG data URL, drawn by the library the CLI uses for the terminal. */
export async function qrSvgDataUrl(url: string): Promise<string> {
  const { renderSVG } = await import("uqr");
  const svg = renderSVG(url, { border: 2 });
  return `data:image/svg+xml;base64,${toBase64(new TextEncoder().encode(svg))}`;
}
