/**
 * Shared set-up of the protocol and media tests: a real sandbox on 127.0.0.1 and a bot logged in
 * through the real QR flow of {@linkcode ILinkApi}.
 */

import assert from "node:assert/strict";
import { startSandbox } from "../../src/sandbox/mod.ts";
import type { Sandbox, SandboxOptions } from "../../src/sandbox/mod.ts";
import { ILinkApi } from "../../src/protocol/mod.ts";

/** A sandbox plus a logged-in bot. */
export interface BotFixture {
  sandbox: Sandbox;
  /** API client of the logged-in bot. */
  api: ILinkApi;
  botId: string;
  userId: string;
  token: string;
}

/** Logs a bot in over HTTP: get_bot_qrcode, confirm on the "phone", poll until confirmed. */
export async function loginBot(sandbox: Sandbox, userId?: string): Promise<BotFixture> {
  const qrApi = new ILinkApi({ qrBaseUrl: sandbox.baseUrl });
  const { qrcode } = await qrApi.getBotQrcode();
  const confirmed = sandbox.confirmLogin({ qrcode, ...(userId ? { userId } : {}) });
  let host: string | undefined;
  for (let i = 0; i < 50; i++) {
    const s = await qrApi.getQrcodeStatus(qrcode, { ...(host ? { host } : {}), timeoutMs: 2000 });
    if (s.status === "scaned_but_redirect") host = s.redirect_host || host;
    if (s.status === "confirmed") {
      const login = await confirmed;
      assert.equal(s.ilink_bot_id, login.botId);
      const api = new ILinkApi({ baseUrl: s.baseurl!, token: s.bot_token! });
      return {
        sandbox,
        api,
        botId: s.ilink_bot_id!,
        userId: s.ilink_user_id!,
        token: s.bot_token!,
      };
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error("Login did not complete");
}

/** Runs `fn` with a fresh sandbox and bot, then closes the sandbox. */
export async function withBot(
  fn: (f: BotFixture) => Promise<void>,
  options: SandboxOptions = {},
): Promise<void> {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true, ...options });
  try {
    await fn(await loginBot(sandbox));
  } finally {
    await sandbox.close();
  }
}

/** Injects a text from the bot's user and receives it, returning the context token. */
export async function userWrites(f: BotFixture, text = "hi"): Promise<string> {
  const injected = await f.sandbox.injectMessage({ botId: f.botId, text });
  const res = await f.api.getUpdates("", { timeoutMs: 3000 });
  assert.ok(res.msgs?.some((m) => m.message_id === injected.messageId));
  return injected.contextToken;
}
