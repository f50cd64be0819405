/**
 * The QR login state machine (spec §6.1–§6.2): show a QR code, poll its status about once a second,
 * follow `scaned_but_redirect` to the data centre it names, fetch a fresh code when one expires (at
 * most 3 codes per login), honour an overall deadline and an abort signal.
 *
 * @module
 */

import { ILinkApi, type ILinkApiOptions } from "../protocol/mod.ts";
import type { BotInfo } from "../models/mod.ts";
import { LoginError } from "./errors.ts";
import type { Logger } from "./logger.ts";
import { sleep } from "../protocol/sleep.ts";
import { renderLoginQr } from "./qr.ts";

/** What a login shows to the operator. */
export interface QrCodeEvent {
  /** The URL to render as a QR code (or open on the phone). */
  url: string;
  /** Session being logged in. */
  session: string;
  /** 1 for the first code, 2 and 3 for refreshed codes. */
  attempt: number;
}

/** Status updates during a login, for UIs. */
export type LoginStatus = "wait" | "scanned" | "redirect" | "expired" | "confirmed";

/** Options of a QR login. */
export interface QrLoginOptions {
  /** Called with every QR code to show; default: print it to stderr as terminal art. */
  onQr?: (event: QrCodeEvent) => void | Promise<void>;
  /** Called on every status change. */
  onStatus?: (status: LoginStatus) => void;
  /**
   * Asked for the pairing code when the phone shows one (`need_verifycode`). Without it such a
   * login fails with reason `"verify_code"`.
   */
  onVerifyCode?: () => Promise<string>;
  /** Aborts the login; the promise rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Overall deadline in ms (default 5 minutes). */
  timeoutMs?: number;
}

/** Internals a login needs from the client. */
export interface QrLoginContext {
  session: string;
  apiOptions: ILinkApiOptions;
  /** Base URL used when the confirmation carries no `baseurl`. */
  defaultBaseUrl: string;
  /** Bot tokens still held, newest first (lets the server answer `binded_redirect`). */
  localTokens: string[];
  logger: Logger;
  pollIntervalMs: number;
  now: () => number;
}

/** Result of a completed login: new credentials, or "already bound" (keep the old ones). */
export type QrLoginResult = { kind: "confirmed"; bot: BotInfo } | { kind: "bound" };

/** Most QR codes fetched per login (initial + 2 refreshes), as the official client. */
export const MAX_QR_CODES = 3;
/** Default overall login deadline. */
export const LOGIN_TIMEOUT_MS = 5 * 60_000;

/** The default `onQr`: the URL and the code as terminal art, on stderr. */
export async function printQrToTerminal(event: QrCodeEvent): Promise<void> {
  const text = await renderLoginQr(event.url, event.session, event.attempt);
  try {
    Deno.stderr.writeSync(new TextEncoder().encode(text));
  } catch {
    // stderr unavailable.
  }
}

/** Run one QR login to completion. */
export async function runQrLogin(
  ctx: QrLoginContext,
  options: QrLoginOptions = {},
): Promise<QrLoginResult> {
  const { signal } = options;
  const api = new ILinkApi(ctx.apiOptions);
  const deadline = ctx.now() + (options.timeoutMs ?? LOGIN_TIMEOUT_MS);
  const onQr = options.onQr ?? printQrToTerminal;
  const status = (s: LoginStatus) => {
    try {
      options.onStatus?.(s);
    } catch {
      // A UI callback must not break the login.
    }
  };

  let attempt = 0;
  const newCode = async () => {
    attempt++;
    signal?.throwIfAborted();
    const qr = await api.getBotQrcode(ctx.localTokens);
    await onQr({ url: qr.qrcodeUrl, session: ctx.session, attempt });
    return qr.qrcode;
  };

  let qrcode = await newCode();
  let host: string | undefined;
  let verifyCode: string | undefined;
  let last = "";
  while (ctx.now() < deadline) {
    signal?.throwIfAborted();
    const remaining = deadline - ctx.now();
    const opts: Parameters<ILinkApi["getQrcodeStatus"]>[1] = {
      timeoutMs: Math.max(1, Math.min(35_000, remaining)),
    };
    if (host) opts.host = host;
    if (verifyCode) opts.verifyCode = verifyCode;
    if (signal) opts.signal = signal;
    const res = await api.getQrcodeStatus(qrcode, opts);
    const s = res.status;
    if (s !== last) ctx.logger.debug(`QR status of session "${ctx.session}": ${s}`);
    last = s;
    switch (s) {
      case "confirmed": {
        if (!res.ilink_bot_id || !res.bot_token) {
          throw new LoginError(
            "invalid_response",
            'Cannot complete login: the confirmation has no "ilink_bot_id" or "bot_token"',
          );
        }
        status("confirmed");
        return {
          kind: "confirmed",
          bot: {
            botId: res.ilink_bot_id,
            baseUrl: res.baseurl || ctx.defaultBaseUrl,
            token: res.bot_token,
            userId: res.ilink_user_id ?? "",
          },
        };
      }
      case "binded_redirect":
        status("confirmed");
        return { kind: "bound" };
      case "scaned":
        // The code typed earlier (if any) was accepted.
        verifyCode = undefined;
        status("scanned");
        break;
      case "scaned_but_redirect":
        if (res.redirect_host) host = res.redirect_host;
        status("redirect");
        break;
      case "need_verifycode": {
        if (!options.onVerifyCode) {
          throw new LoginError(
            "verify_code",
            'Cannot complete login: the phone asks for a pairing code and no "onVerifyCode" was given',
          );
        }
        verifyCode = (await options.onVerifyCode()).trim();
        // Poll again at once with the code, as the official client does.
        continue;
      }
      case "expired":
      case "verify_code_blocked": {
        status("expired");
        if (attempt >= MAX_QR_CODES) {
          throw new LoginError(
            "expired",
            `Cannot complete login: ${MAX_QR_CODES} QR codes expired without confirmation`,
          );
        }
        ctx.logger.info(`QR code expired, fetching a new one (${attempt + 1}/${MAX_QR_CODES})`);
        verifyCode = undefined;
        // A refreshed code is polled on the fixed host again.
        host = undefined;
        qrcode = await newCode();
        continue;
      }
      default:
        status("wait");
    }
    await sleep(Math.min(ctx.pollIntervalMs, Math.max(0, deadline - ctx.now())), signal);
  }
  throw new LoginError(
    "timeout",
    `Cannot complete login: no confirmation within ${
      Math.round((options.timeoutMs ?? LOGIN_TIMEOUT_MS) / 1000)
    } s`,
  );
}
