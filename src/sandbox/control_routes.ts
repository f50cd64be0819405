/**
 * The control API under `/_control`: JSON over HTTP mirroring the `Sandbox` methods, for tests in
 * other languages, demos and the phone page. Media travel as standard base64.
 *
 * | Method | Path | Body / query | Answer |
 * |---|---|---|---|
 * | GET | `/state` | — | {@linkcode SandboxSnapshot} |
 * | POST | `/confirm` | `{userId?, qrcode?, scanOnly?, verifyCode?}` | `{botId, token, userId}` |
 * | POST | `/inject` | `InjectMessage`, media as base64; nesting ≤ 64 levels | `{messageId, contextToken}` |
 * | POST | `/inject_raw` | `{json: string, botId?}`: `json` becomes one `msgs` entry verbatim | `{ok: true}` |
 * | GET | `/sent` | `?botId=&to=` | `SentRecord[]`, `media.base64` instead of bytes |
 * | GET | `/violations` | — | `Violation[]` |
 * | GET | `/notes` | — | `Note[]` (accepted behaviour worth knowing) |
 * | GET | `/requests` | — | `{<endpoint>: <requests read>}` for every endpoint |
 * | POST | `/fail` | `{endpoint, kind, ret?, errcode?, errmsg?, times?}` | `{ok: true}` |
 * | POST | `/expire` | `{botId, field?, reviveAfterMs?}` | `{ok: true}` |
 * | POST | `/revive` | `{botId}` | `{ok: true}` |
 * | POST | `/stale_context` | `{botId, userId}` | `{ok: true}` |
 * | POST | `/reset` | — | `{ok: true}` |
 * | GET | `/chat` | `?botId=&since=&wait=` | the phone page's chat events (long-polls up to `wait` ms) |
 * | GET | `/media/:messageId` | `?download=1` | decrypted media of an inbound or sent message |
 *
 * Errors answer `{error: "<message>"}` with status 400 (bad input) or 404 (unknown bot, media or
 * route).
 * When the sandbox has a control token, every route needs `Authorization: Bearer <token>` (401
 * otherwise) and every POST needs `Content-Type: application/json` (415); a foreign `Origin` is
 * refused with 403 in any case (see `control_access.ts`).
 *
 * @module
 */

import { Hono } from "hono";
import type { Context } from "hono";
import { INJECT_MAX_DEPTH } from "./inbound.ts";
import type { SandboxCore } from "./sandbox_core.ts";
import type {
  ConfirmLoginOptions,
  InjectMessage,
  SandboxFault,
  SessionExpiryField,
} from "./types.ts";
import { base64, fromBase64Text, isRecord, jsonDepth } from "./wire_json.ts";

/** Longest wait a `/chat` poll may ask for. */
const MAX_CHAT_WAIT_MS = 25_000;

async function bodyOf(c: Context): Promise<Record<string, unknown>> {
  const text = await c.req.text();
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new TypeError("Cannot read the request: the body is not valid JSON");
  }
  if (!isRecord(parsed)) throw new TypeError("Cannot read the request: expected a JSON object");
  // Deep bodies would be stored and later serialised recursively (spec-free hostile input goes
  // through /inject_raw, whose payload is a string).
  if (jsonDepth(parsed, INJECT_MAX_DEPTH) > INJECT_MAX_DEPTH) {
    throw new RangeError(
      `Cannot read the request: the body is nested more than ${INJECT_MAX_DEPTH} levels deep ` +
        "(use /inject_raw for deliberately hostile input)",
    );
  }
  return parsed;
}

function optString(body: Record<string, unknown>, key: string): string | undefined {
  const v = body[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "string") throw new TypeError(`Field "${key}" must be a string`);
  return v;
}

function required(body: Record<string, unknown>, key: string): string {
  const v = optString(body, key);
  if (v === undefined) throw new TypeError(`Field "${key}" is required`);
  return v;
}

function optBytes(body: Record<string, unknown>, key: string): Uint8Array | undefined {
  const v = optString(body, key);
  if (v === undefined) return undefined;
  try {
    return fromBase64Text(v);
  } catch {
    throw new TypeError(`Field "${key}" must be base64`);
  }
}

/** Converts a control-API inject body (media as base64) to an {@linkcode InjectMessage}. */
export function injectFromJson(body: Record<string, unknown>): InjectMessage {
  const msg: InjectMessage = {};
  const strings = ["botId", "from", "text", "voiceText", "fileName"] as const;
  for (const key of strings) {
    const v = optString(body, key);
    if (v !== undefined) msg[key] = v;
  }
  const binaries = ["image", "voice", "file", "video"] as const;
  for (const key of binaries) {
    const v = optBytes(body, key);
    if (v !== undefined) msg[key] = v;
  }
  if (body.quote !== undefined) {
    if (!isRecord(body.quote)) throw new TypeError(`Field "quote" must be an object`);
    const quote: NonNullable<InjectMessage["quote"]> = {};
    for (const key of ["title", "text", "svrId"] as const) {
      const v = optString(body.quote, key);
      if (v !== undefined) quote[key] = v;
    }
    msg.quote = quote;
  }
  if (body.items !== undefined) {
    if (!Array.isArray(body.items)) throw new TypeError(`Field "items" must be an array`);
    msg.items = body.items;
  }
  return msg;
}

/** Guesses a content type from magic bytes, so the phone page can show images inline. */
function sniffContentType(bytes: Uint8Array): string {
  const startsWith = (...sig: number[]) => sig.every((b, i) => bytes[i] === b);
  if (startsWith(0x89, 0x50, 0x4e, 0x47)) return "image/png";
  if (startsWith(0xff, 0xd8, 0xff)) return "image/jpeg";
  if (startsWith(0x47, 0x49, 0x46, 0x38)) return "image/gif";
  if (startsWith(0x52, 0x49, 0x46, 0x46) && bytes[8] === 0x57 && bytes[9] === 0x45) {
    return "image/webp";
  }
  if (bytes[4] === 0x66 && bytes[5] === 0x74 && bytes[6] === 0x79 && bytes[7] === 0x70) {
    return "video/mp4";
  }
  return "application/octet-stream";
}

/** Builds the `/_control` routes (mount with `app.route("/_control", …)`). */
export function controlRoutes(core: SandboxCore): Hono {
  const app = new Hono();

  app.onError((err, c) => {
    const status = err instanceof TypeError || err instanceof RangeError ? 400 : 404;
    return c.json({ error: err.message }, status);
  });

  app.get("/state", (c) => c.json(core.snapshot()));

  app.post("/confirm", async (c) => {
    const body = await bodyOf(c);
    const opts: ConfirmLoginOptions = {};
    for (const key of ["userId", "qrcode", "verifyCode"] as const) {
      const v = optString(body, key);
      if (v !== undefined) opts[key] = v;
    }
    if (body.scanOnly === true) opts.scanOnly = true;
    return c.json(await core.logins.confirm(opts));
  });

  app.post("/inject", async (c) => {
    return c.json(core.inject(injectFromJson(await bodyOf(c))));
  });

  app.post("/inject_raw", async (c) => {
    const body = await bodyOf(c);
    const json = optString(body, "json");
    if (json === undefined) throw new TypeError(`Field "json" (a string of JSON text) is required`);
    core.injectRaw(json, optString(body, "botId"));
    return c.json({ ok: true });
  });

  app.get("/sent", (c) => {
    const filter: { botId?: string; to?: string } = {};
    const botId = c.req.query("botId");
    const to = c.req.query("to");
    if (botId !== undefined) filter.botId = botId;
    if (to !== undefined) filter.to = to;
    return c.json(
      core.sent(filter).map(({ media, ...rest }) => ({
        ...rest,
        ...(media
          ? { media: { base64: base64(media.bytes), md5: media.md5, size: media.size } }
          : {}),
      })),
    );
  });

  app.get("/violations", (c) => c.json(core.rules.violations()));
  app.get("/notes", (c) => c.json(core.rules.notes()));
  app.get("/requests", (c) => c.json(core.faults.counts()));

  app.post("/fail", async (c) => {
    const body = await bodyOf(c);
    const endpoint = optString(body, "endpoint") ?? "";
    const fault: SandboxFault = { kind: (optString(body, "kind") ?? "") as SandboxFault["kind"] };
    for (const key of ["ret", "errcode", "times"] as const) {
      const v = body[key];
      if (v === undefined) continue;
      if (typeof v !== "number") throw new TypeError(`Field "${key}" must be a number`);
      fault[key] = v;
    }
    const errmsg = optString(body, "errmsg");
    if (errmsg !== undefined) fault.errmsg = errmsg;
    core.fail(endpoint, fault);
    return c.json({ ok: true });
  });

  app.post("/expire", async (c) => {
    const body = await bodyOf(c);
    const botId = required(body, "botId");
    const reviveAfterMs = body.reviveAfterMs;
    if (reviveAfterMs !== undefined && typeof reviveAfterMs !== "number") {
      throw new TypeError(`Field "reviveAfterMs" must be a number`);
    }
    core.expire(
      botId,
      (optString(body, "field") ?? "errcode") as SessionExpiryField,
      reviveAfterMs,
    );
    return c.json({ ok: true });
  });

  app.post("/revive", async (c) => {
    core.revive(required(await bodyOf(c), "botId"));
    return c.json({ ok: true });
  });

  app.post("/stale_context", async (c) => {
    const body = await bodyOf(c);
    core.staleContext(required(body, "botId"), required(body, "userId"));
    return c.json({ ok: true });
  });

  app.post("/reset", (c) => {
    core.reset();
    return c.json({ ok: true });
  });

  app.get("/chat", async (c) => {
    const botId = c.req.query("botId") ?? "";
    const since = Number(c.req.query("since") ?? "0");
    const wait = Math.min(Number(c.req.query("wait") ?? "0"), MAX_CHAT_WAIT_MS);
    const view = await core.chat(
      botId,
      Number.isFinite(since) ? since : 0,
      Number.isFinite(wait) ? wait : 0,
    );
    if (!view) return c.json({ error: `Unknown bot "${botId}"` }, 404);
    return c.json(view);
  });

  app.get("/media/:messageId", (c) => {
    const media = core.mediaOf(c.req.param("messageId"));
    if (!media) return c.json({ error: "Unknown media" }, 404);
    const headers: Record<string, string> = { "content-type": sniffContentType(media.bytes) };
    if (c.req.query("download") !== undefined) {
      const name = media.fileName ?? "download.bin";
      // Header values must be Latin-1: an ASCII fallback plus the RFC 5987 UTF-8 form.
      const ascii = name.replace(/[^\x20-\x7e]|["\\]/g, "_");
      headers["content-disposition"] = `attachment; filename="${ascii}"; filename*=UTF-8''${
        encodeURIComponent(name)
      }`;
    }
    return c.body(media.bytes as Uint8Array<ArrayBuffer>, 200, headers);
  });

  // Anything else under /_control (an unknown route, a known one with another method, a media
  // route without an id) answers in the API's own error shape, not the sandbox's plain-text 404.
  app.all("*", (c) => c.json({ error: `No control route for ${c.req.method} ${c.req.path}` }, 404));

  return app;
}
