/**
 * HTTP face of the iLink API (spec §3) and of the CDN (spec §5), over {@linkcode SandboxCore}.
 *
 * Header rules are checked and recorded as violations but never enforced, except the bearer token
 * (spec §1.3: the real server appears to need only that).
 *
 * Every endpoint goes through {@linkcode admit} first: it plays an armed fault, reads the request
 * in full and counts it, in that order, so `drop_before_read` never reads and never counts, and
 * every other request is counted exactly once whatever happens next.
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import type { FaultEndpoint, SandboxFault } from "./types.ts";
import { type BotRecord, SESSION_TIMEOUT } from "./bot_record.ts";
import type { CdnResult } from "./cdn_store.ts";
import type { SandboxCore } from "./sandbox_core.ts";
import { isRecord, type WireBody, wireJson } from "./wire_json.ts";

const JSON_TYPE = { "content-type": "application/json; charset=utf-8" };

/** Answers a wire body (or JSON text already assembled) as JSON, 64-bit ids as bare numbers. */
export function wireResponse(
  c: Context,
  body: WireBody | string,
  status: 200 | 400 = 200,
): Response {
  return c.body(typeof body === "string" ? body : wireJson(body), status, JSON_TYPE);
}

/** Endpoint names by path, to name the endpoint of a request whose path had to be repaired. */
export const ENDPOINT_PATHS: Readonly<Record<string, FaultEndpoint>> = {
  "/ilink/bot/get_bot_qrcode": "get_bot_qrcode",
  "/ilink/bot/get_qrcode_status": "get_qrcode_status",
  "/ilink/bot/getupdates": "getupdates",
  "/ilink/bot/sendmessage": "sendmessage",
  "/ilink/bot/getuploadurl": "getuploadurl",
  "/ilink/bot/getconfig": "getconfig",
  "/ilink/bot/sendtyping": "sendtyping",
  "/ilink/bot/msg/notifystart": "notifystart",
  "/ilink/bot/msg/notifystop": "notifystop",
  "/c2c/upload": "cdn_upload",
  "/c2c/download": "cdn_download",
};

/**
 * Truncated bodies of the `malformed_json` fault: the start of what the endpoint would answer, cut
 * where a dropped proxy connection or a crashed encoder would leave it.
 */
const TRUNCATED: Partial<Record<FaultEndpoint, string>> = {
  getupdates: '{"ret":0,"msgs":[',
  sendmessage: '{"ret":0,"message_id":',
  get_qrcode_status: '{"ret":0,"status":"',
};

/** The body a `ret` fault answers with. */
function faultBody(fault: SandboxFault): WireBody {
  const body: WireBody = {};
  if (fault.ret !== undefined) body.ret = fault.ret;
  if (fault.errcode !== undefined) body.errcode = fault.errcode;
  if (fault.ret === undefined && fault.errcode === undefined) body.ret = -1;
  body.errmsg = fault.errmsg ?? "injected fault";
  return body;
}

/** What {@linkcode admit} decided. */
interface Admission {
  /** Answer this instead of processing the request (a fault). */
  answer?: Response;
  /** Process the request, then drop the connection instead of answering. */
  dropAfter: boolean;
}

/**
 * The front of every endpoint: takes an armed fault, reads the request in full, counts it, then
 * plays the fault. Handlers read the body again later from Hono's cache.
 */
async function admit(core: SandboxCore, c: Context, endpoint: FaultEndpoint): Promise<Admission> {
  const fault = core.faults.take(endpoint);
  if (fault?.kind === "drop_before_read") return { answer: drop(core, c), dropAfter: false };
  if (c.req.method !== "GET" && c.req.method !== "HEAD") await c.req.arrayBuffer();
  core.faults.count(endpoint);
  if (!fault) return { dropAfter: false };
  switch (fault.kind) {
    case "drop_after_read":
      return { dropAfter: true };
    case "http500":
      return { answer: c.text("injected fault: internal server error", 500), dropAfter: false };
    case "hang":
      await core.hang();
      return { answer: c.text("sandbox closed", 503), dropAfter: false };
    case "malformed_json":
      return {
        answer: c.body(TRUNCATED[endpoint] ?? '{"ret":0,', 200, JSON_TYPE),
        dropAfter: false,
      };
    default:
      if (endpoint.startsWith("cdn_")) {
        const message = fault.errmsg ?? "injected fault";
        return { answer: c.text(message, 400, { "x-error-message": message }), dropAfter: false };
      }
      return { answer: wireResponse(c, faultBody(fault)), dropAfter: false };
  }
}

/**
 * Marks the request's connection to be closed without an answer; the `node:http` front does so
 * and never sends the placeholder response returned here.
 */
function drop(core: SandboxCore, c: Context): Response {
  core.faults.drop(c.req.raw);
  return c.body(null, 204);
}

/** Runs an endpoint's handler after {@linkcode admit}, dropping the answer when asked to. */
function endpointRoute(
  core: SandboxCore,
  endpoint: FaultEndpoint,
  handle: (c: Context) => Promise<Response> | Response,
): (c: Context) => Promise<Response> {
  return async (c) => {
    const admission = await admit(core, c, endpoint);
    if (admission.answer) return admission.answer;
    const answer = await handle(c);
    if (!admission.dropAfter) return answer;
    await answer.body?.cancel();
    return drop(core, c);
  };
}

/** Records violations of the headers every request must carry (spec §1.3). */
function checkAppHeaders(core: SandboxCore, c: Context, endpoint: string, botId?: string): void {
  if (c.req.header("iLink-App-Id") === undefined) {
    core.rules.violate(endpoint, "missing_app_id", "header iLink-App-Id is missing", botId);
  }
  const version = c.req.header("iLink-App-ClientVersion");
  if (version === undefined) {
    core.rules.violate(
      endpoint,
      "missing_client_version",
      "header iLink-App-ClientVersion is missing",
      botId,
    );
  } else if (!/^\d+$/.test(version)) {
    core.rules.violate(
      endpoint,
      "bad_client_version",
      "iLink-App-ClientVersion must be a decimal number ((major<<16)|(minor<<8)|patch)",
      botId,
    );
  }
}

/**
 * Records violations of the headers of a JSON POST (spec §1.3) and returns the `X-WECHAT-UIN`
 * value when it is well-formed.
 */
function checkPostHeaders(
  core: SandboxCore,
  c: Context,
  endpoint: string,
  botId?: string,
): string | undefined {
  checkAppHeaders(core, c, endpoint, botId);
  if (!(c.req.header("Content-Type") ?? "").toLowerCase().startsWith("application/json")) {
    core.rules.violate(endpoint, "content_type", "Content-Type must be application/json", botId);
  }
  if (c.req.header("AuthorizationType") !== "ilink_bot_token") {
    core.rules.violate(
      endpoint,
      "missing_authorization_type",
      'header AuthorizationType must be "ilink_bot_token"',
      botId,
    );
  }
  const uin = c.req.header("X-WECHAT-UIN");
  if (uin === undefined) {
    core.rules.violate(endpoint, "missing_wechat_uin", "header X-WECHAT-UIN is missing", botId);
    return undefined;
  }
  let decoded = "";
  try {
    decoded = atob(uin);
  } catch {
    // Reported below.
  }
  if (!/^\d{1,10}$/.test(decoded) || Number(decoded) > 0xffff_ffff) {
    core.rules.violate(
      endpoint,
      "bad_wechat_uin",
      "X-WECHAT-UIN must be base64 of the decimal text of a random uint32",
      botId,
    );
    return undefined;
  }
  return uin;
}

/** Notes the `X-WECHAT-UIN` of a bot call; a repeated value breaks the fresh-per-request rule. */
function checkUinReuse(
  core: SandboxCore,
  bot: BotRecord,
  uin: string | undefined,
  endpoint: string,
): void {
  if (uin === undefined) return;
  if (bot.lastUin === uin) {
    core.rules.violate(
      endpoint,
      "reused_wechat_uin",
      "X-WECHAT-UIN repeats the previous request's value; it must be fresh per request",
      bot.botId,
    );
  }
  bot.lastUin = uin;
}

/** Parses a JSON request body; undefined when it is not a JSON object. */
async function jsonBody(c: Context): Promise<Record<string, unknown> | undefined> {
  try {
    const body: unknown = JSON.parse(await c.req.text());
    if (isRecord(body)) return body;
  } catch {
    // Reported by the caller.
  }
  return undefined;
}

const UNKNOWN_TOKEN: WireBody = { ret: -14, errcode: -14, errmsg: SESSION_TIMEOUT };

/** Mounts `/ilink/bot/*` on a new Hono app. */
export function ilinkRoutes(core: SandboxCore): Hono {
  const app = new Hono();

  // ------------------------------------------------------------------ QR login (fixed host)

  app.on(
    ["GET", "POST"],
    "/ilink/bot/get_bot_qrcode",
    endpointRoute(core, "get_bot_qrcode", async (c) => {
      const ep = "get_bot_qrcode";
      if (c.req.query("bot_type") !== "3") {
        core.rules.violate(ep, "bot_type", "query parameter bot_type must be 3");
      }
      let localTokens: string[] = [];
      if (c.req.method === "POST") {
        checkPostHeaders(core, c, ep);
        const body = await jsonBody(c);
        if (!body) {
          core.rules.violate(ep, "invalid_json", "the body is not a JSON object");
        } else {
          if (!Array.isArray(body.local_token_list)) {
            core.rules.violate(
              ep,
              "missing_local_token_list",
              "local_token_list (possibly []) is required in the body",
            );
          } else {
            localTokens = body.local_token_list.filter((t): t is string => typeof t === "string");
          }
          if (body.base_info !== undefined) {
            core.rules.violate(
              ep,
              "unexpected_base_info",
              "get_bot_qrcode does not take base_info",
            );
          }
        }
      } else {
        checkAppHeaders(core, c, ep);
      }
      return wireResponse(c, core.logins.create(localTokens));
    }),
  );

  app.get(
    "/ilink/bot/get_qrcode_status",
    endpointRoute(core, "get_qrcode_status", (c) => {
      const ep = "get_qrcode_status";
      checkAppHeaders(core, c, ep);
      const qrcode = c.req.query("qrcode");
      if (!qrcode) {
        core.rules.violate(ep, "missing_qrcode", "query parameter qrcode is required");
        return wireResponse(c, { ret: -1, errmsg: "invalid arguments" });
      }
      return wireResponse(c, core.logins.status(qrcode, c.req.query("verify_code")));
    }),
  );

  // ------------------------------------------------------------------ bot endpoints

  /** The shared front of every bearer-token endpoint: fault, headers, token, body, base_info. */
  const botCall = (
    endpoint: FaultEndpoint,
    path: string,
    handle: (
      bot: BotRecord,
      body: Record<string, unknown>,
    ) => WireBody | string | Promise<WireBody | string>,
  ) => {
    app.post(
      path,
      endpointRoute(core, endpoint, async (c) => {
        const auth = c.req.header("Authorization") ?? "";
        const token = /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim();
        const bot = token ? core.botByToken(token) : undefined;
        const uin = checkPostHeaders(core, c, endpoint, bot?.botId);
        if (!token) {
          core.rules.violate(
            endpoint,
            "missing_authorization",
            "header Authorization: Bearer is missing",
          );
          return wireResponse(c, UNKNOWN_TOKEN);
        }
        // An unknown token reads like a revoked one (spec §2: -14 "stale/invalid").
        if (!bot) return wireResponse(c, UNKNOWN_TOKEN);
        const expired = core.expiredBody(bot);
        if (expired) return wireResponse(c, expired);
        checkUinReuse(core, bot, uin, endpoint);
        const body = await jsonBody(c);
        if (!body) {
          core.rules.violate(endpoint, "invalid_json", "the body is not a JSON object", bot.botId);
          return c.text("invalid JSON body", 400);
        }
        if (typeof body.base_info !== "object" || body.base_info === null) {
          core.rules.violate(
            endpoint,
            "missing_base_info",
            "the body has no base_info object",
            bot.botId,
          );
        } else if (
          typeof (body.base_info as Record<string, unknown>).channel_version !== "string"
        ) {
          core.rules.violate(
            endpoint,
            "missing_channel_version",
            "base_info.channel_version should name the client version",
            bot.botId,
          );
        }
        return wireResponse(c, await handle(bot, body));
      }),
    );
  };

  botCall("getupdates", "/ilink/bot/getupdates", (bot, body) => {
    if (body.sync_buf !== undefined) {
      core.rules.violate(
        "getupdates",
        "sync_buf",
        "sync_buf is deprecated; send get_updates_buf only",
        bot.botId,
      );
    }
    const cursor = typeof body.get_updates_buf === "string" ? body.get_updates_buf : "";
    return core.updates(bot, cursor);
  });
  botCall("sendmessage", "/ilink/bot/sendmessage", (bot, body) => core.sendMessage(bot, body));
  botCall("getuploadurl", "/ilink/bot/getuploadurl", (bot, body) => core.uploadUrl(bot, body));
  botCall("getconfig", "/ilink/bot/getconfig", (bot, body) => core.config(bot, body));
  botCall("sendtyping", "/ilink/bot/sendtyping", (bot, body) => core.typing(bot, body));
  botCall("notifystart", "/ilink/bot/msg/notifystart", (bot) => core.presence(bot, true));
  botCall("notifystop", "/ilink/bot/msg/notifystop", (bot) => core.presence(bot, false));

  return app;
}

/**
 * Splits a URL's query string into still-encoded values, so unencoded `+`, `/` and `=` stay
 * visible (`URLSearchParams` would read a `+` as a space).
 */
function rawQuery(url: string): Map<string, string> {
  const out = new Map<string, string>();
  const q = url.indexOf("?");
  if (q < 0) return out;
  for (const part of url.slice(q + 1).split("#")[0]!.split("&")) {
    if (part === "") continue;
    const eq = part.indexOf("=");
    const name = eq < 0 ? part : part.slice(0, eq);
    if (!out.has(name)) out.set(name, eq < 0 ? "" : part.slice(eq + 1));
  }
  return out;
}

/** CDN query parameters whose raw values must be percent-encoded (spec §5.2 step 4). */
const ENCODED_PARAMS = ["encrypted_query_param", "filekey"];

/**
 * Decodes the CDN query, recording unencoded `+`, `/` or `=` as violations. Returns undefined when
 * a value is not valid percent-encoding.
 */
function cdnQuery(
  core: SandboxCore,
  c: Context,
  endpoint: string,
): Map<string, string> | undefined {
  const raw = rawQuery(c.req.url);
  const decoded = new Map<string, string>();
  for (const [name, value] of raw) {
    if (ENCODED_PARAMS.includes(name) && /[+/=]/.test(value)) {
      core.rules.violate(
        endpoint,
        "unencoded_query_param",
        `query parameter ${name} contains an unencoded "+", "/" or "="; use encodeURIComponent`,
      );
    }
    try {
      decoded.set(name, decodeURIComponent(value));
    } catch {
      return undefined;
    }
  }
  if (c.req.header("Authorization") !== undefined) {
    core.rules.violate(
      endpoint,
      "token_sent_to_cdn",
      "CDN requests must not carry the bearer token",
    );
  }
  return decoded;
}

function cdnResponse(c: Context, r: CdnResult): Response {
  if (r.body === undefined) return c.body(null, r.status as 200, r.headers);
  const body = typeof r.body === "string" ? r.body : r.body as Uint8Array<ArrayBuffer>;
  return c.body(body, r.status as 200, r.headers);
}

/** Mounts `/c2c/upload` and `/c2c/download` on a new Hono app. */
export function cdnRoutes(core: SandboxCore): Hono {
  const app = new Hono();

  app.on(
    ["POST", "PUT"],
    "/c2c/upload",
    endpointRoute(core, "cdn_upload", async (c) => {
      const ep = "cdn_upload";
      if (c.req.method === "PUT") {
        core.rules.violate(
          ep,
          "upload_method",
          "CDN uploads use POST (PUT was an early README error)",
        );
      }
      if (c.req.header("Content-Type") !== "application/octet-stream") {
        core.rules.violate(
          ep,
          "cdn_content_type",
          "CDN uploads send Content-Type: application/octet-stream",
        );
      }
      const query = cdnQuery(core, c, ep);
      if (!query) {
        const message = "malformed percent-encoding in the query";
        return c.text(message, 400, { "x-error-message": message });
      }
      const body = new Uint8Array(await c.req.arrayBuffer());
      return cdnResponse(c, core.cdn.upload(query, body));
    }),
  );

  app.get(
    "/c2c/download",
    endpointRoute(core, "cdn_download", (c) => {
      const ep = "cdn_download";
      const query = cdnQuery(core, c, ep);
      if (!query) {
        const message = "malformed percent-encoding in the query";
        return c.text(message, 400, { "x-error-message": message });
      }
      return cdnResponse(c, core.cdn.download(query.get("encrypted_query_param")));
    }),
  );

  return app;
}
