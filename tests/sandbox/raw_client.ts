/**
 * A deliberately small, hand-written iLink client over plain `fetch`, used to test the sandbox
 * itself (independently of the project's protocol client).
 */

import type { Sandbox } from "../../src/sandbox/mod.ts";

/** Headers a well-behaved client sends on a JSON POST (spec §1.3). */
export function goodHeaders(token?: string): Record<string, string> {
  const uin = String(crypto.getRandomValues(new Uint32Array(1))[0]);
  const headers: Record<string, string> = {
    "Content-Type": "application/json",
    "AuthorizationType": "ilink_bot_token",
    "X-WECHAT-UIN": btoa(uin),
    "iLink-App-Id": "bot",
    "iLink-App-ClientVersion": "65538",
  };
  if (token !== undefined) headers.Authorization = `Bearer ${token}`;
  return headers;
}

/** Headers of the QR-status GET (spec §1.3). */
export const GET_HEADERS: Record<string, string> = {
  "iLink-App-Id": "bot",
  "iLink-App-ClientVersion": "65538",
};

/** A JSON answer with its raw text (to inspect number formatting). */
export interface RawAnswer {
  status: number;
  text: string;
  // deno-lint-ignore no-explicit-any
  json: any;
}

/** POSTs a bot endpoint with good headers and `base_info`. */
export async function call(
  sandbox: Sandbox,
  token: string | undefined,
  endpoint: string,
  body: Record<string, unknown> = {},
  init: { headers?: Record<string, string>; signal?: AbortSignal } = {},
): Promise<RawAnswer> {
  const res = await fetch(`${sandbox.baseUrl}/ilink/bot/${endpoint}`, {
    method: "POST",
    headers: init.headers ?? goodHeaders(token),
    body: JSON.stringify({ ...body, base_info: { channel_version: "1.0.2" } }),
    ...(init.signal ? { signal: init.signal } : {}),
  });
  const text = await res.text();
  let json: unknown = undefined;
  try {
    json = JSON.parse(text);
  } catch {
    // Non-JSON answers (HTTP 500 faults) keep json undefined.
  }
  return { status: res.status, text, json };
}

/** GETs `get_qrcode_status`. */
// deno-lint-ignore no-explicit-any
export async function qrStatus(sandbox: Sandbox, qrcode: string, host?: string): Promise<any> {
  const base = host === undefined ? sandbox.baseUrl : `http://${host}`;
  const res = await fetch(
    `${base}/ilink/bot/get_qrcode_status?qrcode=${encodeURIComponent(qrcode)}`,
    { headers: GET_HEADERS },
  );
  return await res.json();
}

/** Creates a QR with the POST form. */
export async function createQr(sandbox: Sandbox): Promise<{ qrcode: string; url: string }> {
  const res = await fetch(`${sandbox.baseUrl}/ilink/bot/get_bot_qrcode?bot_type=3`, {
    method: "POST",
    headers: goodHeaders(),
    body: JSON.stringify({ local_token_list: [] }),
  });
  const json = await res.json();
  return { qrcode: json.qrcode, url: json.qrcode_img_content };
}

/** A logged-in bot: token and ids as the `confirmed` status reported them. */
export interface LoggedIn {
  token: string;
  botId: string;
  userId: string;
  baseUrl: string;
}

/** Runs the whole QR login and returns the credentials from the `confirmed` status. */
export async function login(sandbox: Sandbox, userId?: string): Promise<LoggedIn> {
  const { qrcode } = await createQr(sandbox);
  await sandbox.confirmLogin({ qrcode, ...(userId ? { userId } : {}) });
  const s = await qrStatus(sandbox, qrcode);
  return { token: s.bot_token, botId: s.ilink_bot_id, userId: s.ilink_user_id, baseUrl: s.baseurl };
}

/** Polls once and returns the messages and next cursor. */
export async function poll(
  sandbox: Sandbox,
  token: string,
  cursor = "",
  // deno-lint-ignore no-explicit-any
): Promise<{ msgs: any[]; cursor: string; text: string; json: any }> {
  const a = await call(sandbox, token, "getupdates", { get_updates_buf: cursor });
  return { msgs: a.json.msgs ?? [], cursor: a.json.get_updates_buf, text: a.text, json: a.json };
}

/** Sends one text message as a well-behaved client would. */
export function sendText(
  sandbox: Sandbox,
  token: string,
  to: string,
  contextToken: string,
  text: string,
): Promise<RawAnswer> {
  return call(sandbox, token, "sendmessage", { msg: textReply(to, contextToken, text) });
}

/** The `msg` of a well-formed text reply. */
export function textReply(to: string, contextToken: string, text: string): Record<string, unknown> {
  return {
    from_user_id: "",
    to_user_id: to,
    client_id: crypto.randomUUID(),
    message_type: 2,
    message_state: 2,
    context_token: contextToken,
    item_list: [{ type: 1, text_item: { text } }],
  };
}
