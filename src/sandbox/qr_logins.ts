/**
 * QR logins (spec §3.1, §3.2, §6.1): sessions created by `get_bot_qrcode`, the statuses
 * `get_qrcode_status` walks through (including the IDC redirect, pairing codes and
 * `binded_redirect`), and the phone side that scans and confirms them.
 *
 * @module
 */

import type { ConfirmedLogin, ConfirmLoginOptions, SandboxSnapshot } from "./types.ts";
import { WakeList } from "./wake_list.ts";
import { randomHex, type WireBody } from "./wire_json.ts";

/** How long `confirm` waits for a QR login to appear. */
const CONFIRM_WAIT_MS = 10_000;

interface QrSession {
  qrcode: string;
  createdAt: number;
  status: "wait" | "scaned" | "confirmed" | "binded" | "blocked" | "expired";
  redirectIssued: boolean;
  login?: ConfirmedLogin;
  /** Tokens the client still holds (`local_token_list`), for `binded_redirect`. */
  localTokens: string[];
  /** Pairing code the operator must type, while one is pending. */
  verifyCode?: string | undefined;
  verifyFailures: number;
}

/** Wrong pairing codes accepted before `verify_code_blocked`. */
const VERIFY_ATTEMPTS = 3;

/** What the logins need from the rest of the sandbox. */
export interface QrLoginHost {
  /** The API base without a trailing slash (QR links, `baseurl`). */
  baseUrl(): string;
  /** `host:port` of the sandbox, as a bare `redirect_host`. */
  host(): string;
  /** A bot of `userId` whose still-valid token is among `tokens` (for `binded_redirect`). */
  boundBot(tokens: string[], userId: string): ConfirmedLogin | undefined;
  /** Creates the bot account of a confirmed login. */
  addBot(login: ConfirmedLogin): void;
  /** Aborted when the sandbox closes. */
  readonly closing: AbortSignal;
}

/** The QR login sessions of one sandbox. */
export class QrLogins {
  readonly #options: { qrTtlMs: number; redirect: boolean };
  readonly #host: QrLoginHost;
  #sessions = new Map<string, QrSession>();
  #wake = new WakeList();

  constructor(options: { qrTtlMs: number; redirect: boolean }, host: QrLoginHost) {
    this.#options = options;
    this.#host = host;
  }

  /** Creates a QR login session (`get_bot_qrcode`); `localTokens` is the `local_token_list`. */
  create(localTokens: string[] = []): WireBody {
    const qrcode = randomHex(16);
    this.#sessions.set(qrcode, {
      qrcode,
      createdAt: Date.now(),
      status: "wait",
      redirectIssued: false,
      localTokens,
      verifyFailures: 0,
    });
    this.#wake.wake();
    return { ret: 0, qrcode, qrcode_img_content: this.url(qrcode) };
  }

  /** The URL encoded in the QR image: the phone page, focused on this login. */
  url(qrcode: string): string {
    return `${this.#host.baseUrl()}/phone?qrcode=${encodeURIComponent(qrcode)}`;
  }

  #refresh(s: QrSession): void {
    if (
      (s.status === "wait" || s.status === "scaned") &&
      Date.now() - s.createdAt > this.#options.qrTtlMs
    ) {
      s.status = "expired";
    }
  }

  /**
   * Answers `get_qrcode_status`. Unknown codes read as expired, so clients fetch a new one.
   * `verifyCode` is the `verify_code` query parameter, if any.
   */
  status(qrcode: string, verifyCode?: string): WireBody {
    const s = this.#sessions.get(qrcode);
    if (!s) return { ret: 0, status: "expired" };
    this.#refresh(s);
    if (s.status === "blocked") return { ret: 0, status: "verify_code_blocked" };
    if (s.verifyCode !== undefined && s.status !== "expired") {
      if (verifyCode === s.verifyCode) {
        s.verifyCode = undefined;
      } else {
        if (verifyCode !== undefined && ++s.verifyFailures >= VERIFY_ATTEMPTS) {
          s.status = "blocked";
          return { ret: 0, status: "verify_code_blocked" };
        }
        return { ret: 0, status: "need_verifycode" };
      }
    }
    if (s.status === "binded") return { ret: 0, status: "binded_redirect" };
    if (
      this.#options.redirect && !s.redirectIssued &&
      (s.status === "scaned" || s.status === "confirmed")
    ) {
      s.redirectIssued = true;
      return { ret: 0, status: "scaned_but_redirect", redirect_host: this.#host.host() };
    }
    if (s.status === "confirmed" && s.login) {
      return {
        ret: 0,
        status: "confirmed",
        bot_token: s.login.token,
        ilink_bot_id: s.login.botId,
        baseurl: this.#host.baseUrl(),
        ilink_user_id: s.login.userId,
      };
    }
    return { ret: 0, status: s.status };
  }

  #pending(qrcode?: string): QrSession | undefined {
    if (qrcode !== undefined) {
      const s = this.#sessions.get(qrcode);
      if (s) this.#refresh(s);
      return s;
    }
    let newest: QrSession | undefined;
    for (const s of this.#sessions.values()) {
      this.#refresh(s);
      if (s.status === "wait" || s.status === "scaned") newest = s;
    }
    return newest;
  }

  /** Scans and (unless `scanOnly`) confirms a QR login; waits up to 10 s for one to appear. */
  async confirm(opts: ConfirmLoginOptions = {}): Promise<ConfirmedLogin> {
    const deadline = Date.now() + CONFIRM_WAIT_MS;
    let s = this.#pending(opts.qrcode);
    while (!s && opts.qrcode === undefined && Date.now() < deadline) {
      const reason = await this.#wake.wait(deadline - Date.now(), this.#host.closing);
      if (reason === "abort") break;
      s = this.#pending();
    }
    if (!s) {
      throw new Error(
        opts.qrcode === undefined
          ? "Cannot confirm login: no pending QR login (call get_bot_qrcode first)"
          : `Cannot confirm login: unknown QR code "${opts.qrcode}"`,
      );
    }
    if (s.status === "expired") {
      throw new Error(`Cannot confirm login: QR code "${s.qrcode}" has expired`);
    }
    if (s.status === "blocked" || s.status === "binded" || s.status === "confirmed") {
      if (!s.login) throw new Error(`Cannot confirm login: QR code "${s.qrcode}" is closed`);
      return { ...s.login };
    }
    if (opts.verifyCode !== undefined) {
      if (!/^\d+$/.test(opts.verifyCode)) {
        throw new TypeError("Cannot confirm login: verifyCode must be decimal digits");
      }
      s.verifyCode = opts.verifyCode;
      s.verifyFailures = 0;
    }
    if (!s.login) {
      const botId = `${randomHex(6)}@im.bot`;
      s.login = {
        botId,
        token: `${botId}:${randomHex(20)}`,
        userId: opts.userId ?? `u_${randomHex(8)}@im.wechat`,
      };
    } else if (opts.userId !== undefined) {
      s.login.userId = opts.userId;
    }
    if (s.status === "wait") s.status = "scaned";
    if (opts.scanOnly) return { ...s.login };
    // The client still holds a valid token of this user's bot: no duplicate bot (spec §3.2).
    const userId = s.login.userId;
    const bound = this.#host.boundBot(s.localTokens, userId);
    if (bound) {
      s.status = "binded";
      s.login = bound;
    } else {
      s.status = "confirmed";
      this.#host.addBot(s.login);
    }
    return { ...s.login };
  }

  /** QR logins that are neither confirmed nor expired. */
  pending(): SandboxSnapshot["pendingLogins"] {
    const out: SandboxSnapshot["pendingLogins"] = [];
    for (const s of this.#sessions.values()) {
      this.#refresh(s);
      if (s.status === "wait" || s.status === "scaned") {
        out.push({
          qrcode: s.qrcode,
          status: s.status,
          createdAt: s.createdAt,
          url: this.url(s.qrcode),
        });
      }
    }
    return out;
  }

  /** Forgets every session. */
  clear(): void {
    this.#sessions.clear();
  }
}
