/**
 * The stateful QR logins behind the `login` tool.
 *
 * A login runs in the background; tool calls only read its state, so an agent can show the QR
 * URL and come back for the result. One server serves many clients (each HTTP session, each
 * agent), so logins are kept **per session name**: a client logging in session `y` never
 * cancels another client's login of session `z`, and `force` restarts only the named session's
 * login.
 *
 * @module
 */

import type { ToolBackend } from "./tool_backend.ts";
import type { ToolInput, ToolOutput } from "./schemas.ts";
import { toToolError } from "./tool_errors.ts";

type LoginOutput = ToolOutput<"login">;
type LoginStatus = LoginOutput["status"];

/** How long the first call waits for a QR code before answering without one. */
const FIRST_QR_WAIT_MS = 20_000;

interface PendingLogin {
  session: string;
  status: LoginStatus;
  qrUrl?: string;
  botId?: string;
  failure?: string;
  /** Bumped on every change; a waiting call returns once it differs from what it last reported. */
  version: number;
  /** The version last reported to a caller. */
  reported: number;
  abort: AbortController;
  changed: PromiseWithResolvers<void>;
}

/** The QR logins of one server, one per session name. */
export class LoginFlows {
  readonly #backend: () => Promise<ToolBackend>;
  readonly #pending = new Map<string, PendingLogin>();

  /** @param backend The backend, opened on first use. */
  constructor(backend: () => Promise<ToolBackend>) {
    this.#backend = backend;
  }

  /** One `login` tool call: start a login, or report how the pending one is going. */
  async step(input: ToolInput<"login">): Promise<LoginOutput> {
    const backend = await this.#backend();
    const session = await this.#sessionOf(input.session_name, backend);
    if (input.force) this.#cancel(session);
    let pending = this.#pending.get(session);
    if (pending) {
      await waitForChange(pending, pending.reported, input.timeout * 1000);
      return this.#report(pending);
    }
    if (!input.force) {
      const current = (await backend.sessions()).find((s) => s.name === session);
      if (current?.connected && current.botId) {
        return {
          status: "confirmed",
          session,
          bot_id: current.botId,
          message: `Session "${session}" is already logged in; pass force=true to log in again.`,
        };
      }
    }
    // Another call for this session may have started a login while this one awaited.
    pending = this.#pending.get(session) ?? this.#start(backend, session);
    // The first call returns as soon as a QR code is there (or the login ended).
    await waitForChange(pending, pending.reported, FIRST_QR_WAIT_MS);
    return this.#report(pending);
  }

  /** Stop every pending login. */
  cancel(): void {
    for (const session of [...this.#pending.keys()]) this.#cancel(session);
  }

  /**
   * The session a call means: the one it names; without a name, the only pending login (so
   * "call login again" needs no name), else the default session.
   */
  async #sessionOf(named: string, backend: ToolBackend): Promise<string> {
    if (named) return named;
    if (this.#pending.size === 1) return [...this.#pending.keys()][0]!;
    return await backend.defaultSessionName();
  }

  #cancel(session: string): void {
    const pending = this.#pending.get(session);
    this.#pending.delete(session);
    if (pending && (pending.status === "pending" || pending.status === "scanned")) {
      pending.abort.abort();
    }
  }

  #start(backend: ToolBackend, session: string): PendingLogin {
    const pending: PendingLogin = {
      session,
      status: "pending",
      version: 0,
      reported: 0,
      abort: new AbortController(),
      changed: Promise.withResolvers<void>(),
    };
    const update = (change: Partial<PendingLogin>) => {
      Object.assign(pending, change);
      pending.version++;
      const { resolve } = pending.changed;
      pending.changed = Promise.withResolvers<void>();
      resolve();
    };
    this.#pending.set(session, pending);
    backend.login(session, {
      onQr: (url) => update({ qrUrl: url, status: "pending" }),
      onScanned: () => update({ status: "scanned" }),
    }, pending.abort.signal).then(
      (bot) => update({ status: "confirmed", botId: bot.botId, session: bot.session }),
      (error) => {
        if (pending.abort.signal.aborted) return;
        update({ status: "expired", failure: toToolError(error).message });
      },
    );
    return pending;
  }

  #report(pending: PendingLogin): LoginOutput {
    pending.reported = pending.version;
    const out: LoginOutput = { status: pending.status, session: pending.session, message: "" };
    switch (pending.status) {
      case "pending":
        if (pending.qrUrl) out.qr_url = pending.qrUrl;
        out.message = pending.qrUrl
          ? "Open qr_url and scan the code with WeChat, then call login again."
          : "Waiting for a QR code; call login again.";
        break;
      case "scanned":
        out.message = "QR code scanned; waiting for confirmation on the phone.";
        break;
      case "confirmed":
        if (pending.botId) out.bot_id = pending.botId;
        out.message = "Login successful.";
        break;
      case "expired":
        out.message = `${pending.failure ?? "The QR code expired"}. Call login again.`;
        break;
    }
    if (pending.status === "confirmed" || pending.status === "expired") {
      // Reported once: the next call starts afresh (or finds the session logged in).
      for (const [session, entry] of this.#pending) {
        if (entry === pending) this.#pending.delete(session);
      }
    }
    return out;
  }
}

async function waitForChange(pending: PendingLogin, seen: number, timeoutMs: number) {
  if (pending.version !== seen) return;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => timer = setTimeout(resolve, timeoutMs));
  try {
    await Promise.race([pending.changed.promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
