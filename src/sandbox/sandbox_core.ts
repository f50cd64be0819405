/**
 * The sandbox's state and rules, independent of HTTP: bots and their sessions, the inbound queue
 * and cursors, the rules of `sendmessage`, what the bots sent, recorded violations and notes.
 * Its parts live beside it: QR logins (`qr_logins.ts`), context tokens with their window and
 * quota (`context_tokens.ts`, spec §6.4), upload slots and the CDN blob store (`cdn_store.ts`),
 * armed faults and request counts (`fault_board.ts`). Both the iLink routes and the control API
 * call into {@linkcode SandboxCore}; the TypeScript `Sandbox` object calls the same methods.
 *
 * Wire data stays in the protocol's snake_case here; this module deliberately does not import the
 * project's protocol client or models, so the sandbox is an independent check of them.
 *
 * @module
 */

import {
  cipherSize,
  decodeAesKey,
  decryptAesEcb,
  encodeAesKeyForSend,
  encodeAesKeyRaw,
  md5Hex,
  toHex,
} from "../crypto/mod.ts";
import type {
  ConfirmedLogin,
  InjectMessage,
  SandboxFault,
  SandboxSnapshot,
  SentRecord,
  SessionExpiryField,
  Violation,
} from "./types.ts";
import { ContextTokens } from "./context_tokens.ts";
import { FaultBoard } from "./fault_board.ts";
import { CdnStore } from "./cdn_store.ts";
import { QrLogins } from "./qr_logins.ts";
import { WakeList } from "./wake_list.ts";
import {
  base64,
  fromBase64Text,
  jsonDepth,
  randomBytes,
  randomHex,
  type WireBody,
  wireJson,
} from "./wire_json.ts";

/** Resolved options of the core. */
export interface CoreOptions {
  longPollMs: number;
  /** Most messages per `getupdates` answer. */
  updatesBatch: number;
  windowMs: number;
  quota: number;
  qrTtlMs: number;
  redirect: boolean;
  uploadFullUrl: boolean;
  /** Whether the server can close connections without answering (the `drop_*` faults). */
  connectionFaults: boolean;
  /** Receives one line per recorded violation; absent when quiet. */
  log?: (line: string) => void;
}

export type { WireBody } from "./wire_json.ts";

/** Text limit of one TEXT item in UTF-8 bytes (spec §4.6.3). */
export const TEXT_LIMIT_BYTES = 16384;

/** Messages returned by one `getupdates` at most. */

/** Violations (and, separately, notes) kept at most; older ones are dropped first. */
const VIOLATION_CAP = 5000;

/** Deepest JSON nesting `injectMessage` accepts in `items` (and `/inject` in its body). */
export const INJECT_MAX_DEPTH = 64;

/** `getuploadurl.media_type` expected for each item type (spec §4.1: two numberings). */
const UPLOAD_TYPE_OF_ITEM: Record<number, number> = { 2: 1, 5: 2, 4: 3, 3: 4 };

/** The `*_item` key of each media item type. */
const MEDIA_ITEM_KEY: Record<number, string> = {
  2: "image_item",
  3: "voice_item",
  4: "file_item",
  5: "video_item",
};

const SESSION_TIMEOUT = "session timeout";
const encoder = new TextEncoder();

/**
 * One entry of a bot's inbound queue, already serialised: a message is written once when it is
 * queued (not on every delivery), and raw entries are kept exactly as given.
 */
interface InboundRecord {
  seq: number;
  json: string;
}

/**
 * Index of the first record with `seq > after`. `inbound` is in increasing `seq` order (records
 * are only ever appended, each with the next `seq`), so a binary search finds it: a poll costs
 * O(log n) in the bot's history instead of a scan of all of it.
 */
function firstAfter(inbound: readonly InboundRecord[], after: number): number {
  let lo = 0;
  let hi = inbound.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (inbound[mid]!.seq > after) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** One line of the phone page's chat view. */
export interface ChatEvent {
  index: number;
  direction: "in" | "out";
  user: string;
  type: number;
  text?: string;
  fileName?: string;
  messageId: string;
  at: number;
  media: boolean;
}

/** A logged-in bot account and its per-user state. */
export interface BotRecord {
  botId: string;
  token: string;
  userId: string;
  createdAt: number;
  expired?: SessionExpiryField | undefined;
  /** Epoch milliseconds at which an expired session becomes valid again by itself. */
  reviveAt?: number | undefined;
  seq: number;
  inbound: InboundRecord[];
  wake: WakeList;
  contexts: ContextTokens;
  tickets: Map<string, string>;
  typing: Map<string, number>;
  online: boolean;
  lastUin?: string;
  chat: ChatEvent[];
}

/** Decoded media kept for the phone page and `sent()`. */
export interface StoredMedia {
  bytes: Uint8Array;
  type: number;
  fileName?: string;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function asString(v: unknown): string | undefined {
  return typeof v === "string" ? v : undefined;
}

const HEX32 = /^[0-9a-fA-F]{32}$/;

/** Classifies an outbound `aes_key` per spec §5.6 without throwing. */
function keyFormat(value: string): "A" | "B" | "hex" | "invalid" {
  if (HEX32.test(value)) return "hex";
  let raw: Uint8Array;
  try {
    raw = fromBase64Text(value);
  } catch {
    return "invalid";
  }
  if (raw.length === 16) return "A";
  if (raw.length === 32 && HEX32.test(String.fromCharCode(...raw))) return "B";
  return "invalid";
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** The sandbox's state machine; see the module documentation. */
export class SandboxCore {
  readonly options: CoreOptions;
  /** Armed faults and request counts. */
  readonly faults: FaultBoard;
  /** Upload slots and stored media. */
  readonly cdn: CdnStore = new CdnStore();
  /** QR login sessions. */
  readonly logins: QrLogins;
  /** API base without a trailing slash, set once the server listens. */
  baseUrl = "http://127.0.0.1";
  /** CDN base without a trailing slash. */
  cdnBaseUrl = "http://127.0.0.1/c2c";
  /** Aborted by {@linkcode SandboxCore.close}; every held request listens to it. */
  readonly closing: AbortController = new AbortController();

  #bots = new Map<string, BotRecord>();
  #botsByToken = new Map<string, BotRecord>();
  #sent: SentRecord[] = [];
  #storedMedia = new Map<string, StoredMedia>();
  #violations: Violation[] = [];
  #notes: Violation[] = [];
  #messageCounter = 0;
  #chatWake = new WakeList();

  constructor(options: CoreOptions) {
    this.options = options;
    this.faults = new FaultBoard(options.connectionFaults);
    this.logins = new QrLogins(options, {
      baseUrl: () => this.baseUrl,
      host: () => this.host,
      boundBot: (tokens, userId) => {
        const bot = tokens.map((t) => this.#botsByToken.get(t)).find((b) =>
          b !== undefined && b.userId === userId && this.expiredBody(b) === undefined
        );
        return bot && { botId: bot.botId, token: bot.token, userId: bot.userId };
      },
      addBot: (login) => this.#addBot(login),
      closing: this.closing.signal,
    });
  }

  /**
   * Sets the public URLs once the listening port is known. No trailing slash: the real `baseurl`
   * has none (spec §1.2), and clients that join `baseurl + "/ilink/..."` would otherwise call
   * `//ilink/...`.
   */
  setBaseUrl(origin: string): void {
    this.baseUrl = origin.replace(/\/+$/, "");
    this.cdnBaseUrl = `${this.baseUrl}/c2c`;
  }

  /** `host:port` of the sandbox, as a bare `redirect_host`. */
  get host(): string {
    return new URL(this.baseUrl).host;
  }

  // ---------------------------------------------------------------- violations and faults

  /** Records a protocol violation. */
  violate(endpoint: string, rule: string, detail: string, botId?: string): void {
    const v: Violation = { at: Date.now(), endpoint, rule, detail };
    if (botId !== undefined) v.botId = botId;
    this.#violations.push(v);
    if (this.#violations.length > VIOLATION_CAP) this.#violations.shift();
    this.options.log?.(`violation ${endpoint} ${rule}: ${detail}`);
  }

  /** Violations so far, oldest first. */
  violations(): Violation[] {
    return this.#violations.map((v) => ({ ...v }));
  }

  /** Records a note: accepted behaviour worth knowing (same shape as a violation). */
  note(endpoint: string, rule: string, detail: string, botId?: string): void {
    const n: Violation = { at: Date.now(), endpoint, rule, detail };
    if (botId !== undefined) n.botId = botId;
    this.#notes.push(n);
    if (this.#notes.length > VIOLATION_CAP) this.#notes.shift();
  }

  /** Notes so far, oldest first. */
  notes(): Violation[] {
    return this.#notes.map((n) => ({ ...n }));
  }

  /** Arms a fault for the next `times` calls of `endpoint`. */
  fail(endpoint: string, fault: SandboxFault): void {
    this.faults.arm(endpoint, fault);
  }

  /**
   * Holds a request until the sandbox closes. (Client disconnects are not observed: reading
   * `Request.signal` makes `Deno.serve` print a legacy-behaviour warning in every test run; the
   * client has long given up by then anyway.)
   */
  async hang(): Promise<void> {
    await new WakeList().wait(Infinity, this.closing.signal);
  }

  #addBot(login: ConfirmedLogin): void {
    const bot: BotRecord = {
      botId: login.botId,
      token: login.token,
      userId: login.userId,
      createdAt: Date.now(),
      seq: 0,
      inbound: [],
      wake: new WakeList(),
      contexts: new ContextTokens(this.options.windowMs, this.options.quota),
      tickets: new Map(),
      typing: new Map(),
      online: false,
      chat: [],
    };
    this.#bots.set(bot.botId, bot);
    this.#botsByToken.set(bot.token, bot);
    this.#chatWake.wake();
  }

  // ---------------------------------------------------------------- bots and sessions

  /** The bot owning `token`, if the token was ever issued (expired or not). */
  botByToken(token: string): BotRecord | undefined {
    return this.#botsByToken.get(token);
  }

  /** The `-14` body for an expired session, or undefined while the session is valid. */
  expiredBody(bot: BotRecord): WireBody | undefined {
    if (!this.#bots.has(bot.botId)) return { ret: -14, errcode: -14, errmsg: SESSION_TIMEOUT };
    if (bot.reviveAt !== undefined && Date.now() >= bot.reviveAt) {
      bot.expired = undefined;
      bot.reviveAt = undefined;
    }
    switch (bot.expired) {
      case undefined:
        return undefined;
      case "ret":
        return { ret: -14, errmsg: SESSION_TIMEOUT };
      case "both":
        return { ret: -14, errcode: -14, errmsg: SESSION_TIMEOUT };
      default:
        return { errcode: -14, errmsg: SESSION_TIMEOUT };
    }
  }

  /**
   * Expires a bot's session: every later call with its token answers -14, until
   * {@linkcode SandboxCore.revive} or, when given, `reviveAfterMs` later.
   */
  expire(botId: string, field: SessionExpiryField = "errcode", reviveAfterMs?: number): void {
    const bot = this.#bots.get(botId);
    if (!bot) throw new Error(`Cannot expire session: unknown bot "${botId}"`);
    if (!["errcode", "ret", "both"].includes(field)) {
      throw new TypeError(`Cannot expire session: unknown field "${field}"`);
    }
    if (
      reviveAfterMs !== undefined && (!Number.isFinite(reviveAfterMs) || reviveAfterMs < 0)
    ) {
      throw new RangeError(
        `Cannot expire session: reviveAfterMs must be a non-negative number, got ${reviveAfterMs}`,
      );
    }
    bot.expired = field;
    bot.reviveAt = reviveAfterMs === undefined ? undefined : Date.now() + reviveAfterMs;
    bot.wake.wake();
  }

  /** Makes an expired session valid again. */
  revive(botId: string): void {
    const bot = this.#bots.get(botId);
    if (!bot) throw new Error(`Cannot revive session: unknown bot "${botId}"`);
    bot.expired = undefined;
    bot.reviveAt = undefined;
  }

  /**
   * Marks every context token issued so far to `userId` by `botId` as stale: sendmessage with one
   * of them answers -14 while the session itself stays valid (spec §6.3 field reports).
   */
  staleContext(botId: string, userId: string): void {
    const bot = this.#bots.get(botId);
    if (!bot) throw new Error(`Cannot mark context tokens stale: unknown bot "${botId}"`);
    if (!bot.contexts.markStale(userId)) {
      throw new Error(
        `Cannot mark context tokens stale: user "${userId}" never wrote to bot "${botId}"`,
      );
    }
  }

  /** Notes the `X-WECHAT-UIN` of a bot call; a repeated value breaks the fresh-per-request rule. */
  checkUinReuse(bot: BotRecord, uin: string | undefined, endpoint: string): void {
    if (uin === undefined) return;
    if (bot.lastUin === uin) {
      this.violate(
        endpoint,
        "reused_wechat_uin",
        "X-WECHAT-UIN repeats the previous request's value; it must be fresh per request",
        bot.botId,
      );
    }
    bot.lastUin = uin;
  }

  #newestBot(): BotRecord | undefined {
    let newest: BotRecord | undefined;
    for (const b of this.#bots.values()) newest = b;
    return newest;
  }

  #nextMessageId(): bigint {
    // Above 2^53 on purpose (spec §1.6): a client that parses ids as floats loses digits. Odd, so
    // that this holds for every id (an even one may happen to be a float64 exactly).
    this.#messageCounter++;
    return 7_300_000_000_000_000_000n + BigInt(this.#messageCounter) * 1000n +
      BigInt(randomBytes(1)[0]! % 50) * 2n + 1n;
  }

  // ---------------------------------------------------------------- inbound messages

  #storeMedia(
    bytes: Uint8Array,
    mediaType: number,
    bot: BotRecord,
    user: string,
  ): { token: string; key: Uint8Array; cipher: Uint8Array; media: WireBody } {
    const { token, key, cipher } = this.cdn.storeInbound(bytes, {
      botId: bot.botId,
      user,
      mediaType,
    });
    const media = {
      encrypt_query_param: token,
      aes_key: mediaType === 1 ? encodeAesKeyRaw(key) : encodeAesKeyForSend(key),
      encrypt_type: 1,
      full_url: `${this.cdnBaseUrl}/download?encrypted_query_param=${encodeURIComponent(token)}`,
    };
    return { token, key, cipher, media };
  }

  #injectTarget(botId: string | undefined, what: string): BotRecord {
    const bot = botId !== undefined ? this.#bots.get(botId) : this.#newestBot();
    if (!bot) {
      throw new Error(
        botId !== undefined
          ? `Cannot inject ${what}: unknown bot "${botId}"`
          : `Cannot inject ${what}: no bot has logged in yet`,
      );
    }
    return bot;
  }

  /** Queues an inbound user message; see {@linkcode InjectMessage}. */
  inject(msg: InjectMessage): { messageId: string; contextToken: string } {
    const bot = this.#injectTarget(msg.botId, "message");
    if (msg.items !== undefined) {
      // The queue is serialised with a recursive JSON writer: unbounded nesting would overflow
      // the stack on every poll of this bot. Hostile depth goes through injectRaw instead.
      const depth = jsonDepth(msg.items, INJECT_MAX_DEPTH);
      if (depth > INJECT_MAX_DEPTH) {
        throw new RangeError(
          `Cannot inject message: items are nested more than ${INJECT_MAX_DEPTH} levels deep ` +
            "(use injectRaw for deliberately hostile input)",
        );
      }
    }
    const from = msg.from ?? bot.userId;
    const items: WireBody[] = [];
    let stored: StoredMedia | undefined;
    const keep = (bytes: Uint8Array, type: number, fileName?: string) => {
      if (!stored) stored = fileName === undefined ? { bytes, type } : { bytes, type, fileName };
    };
    if (msg.text !== undefined || (msg.quote && !msg.image && !msg.file && !msg.video)) {
      items.push({ type: 1, text_item: { text: msg.text ?? "" } });
    }
    if (msg.image) {
      const m = this.#storeMedia(msg.image, 1, bot, from);
      items.push({
        type: 2,
        image_item: {
          media: m.media,
          aeskey: toHex(m.key),
          mid_size: m.cipher.length,
          hd_size: m.cipher.length,
        },
      });
      keep(msg.image, 2);
    }
    if (msg.voice) {
      const m = this.#storeMedia(msg.voice, 4, bot, from);
      const voice: WireBody = {
        media: m.media,
        encode_type: 6,
        bits_per_sample: 16,
        sample_rate: 24000,
        // Synthetic duration: SILK at ~16 kbit/s is about 2 bytes per millisecond.
        playtime: Math.max(1000, Math.round(msg.voice.length / 2)),
      };
      if (msg.voiceText !== undefined) voice.text = msg.voiceText;
      items.push({ type: 3, voice_item: voice });
      keep(msg.voice, 3);
    }
    if (msg.file) {
      const m = this.#storeMedia(msg.file, 3, bot, from);
      const fileName = msg.fileName ?? "file.bin";
      items.push({
        type: 4,
        file_item: {
          media: m.media,
          file_name: fileName,
          md5: md5Hex(msg.file),
          len: String(msg.file.length),
        },
      });
      keep(msg.file, 4, fileName);
    }
    if (msg.video) {
      const m = this.#storeMedia(msg.video, 2, bot, from);
      items.push({
        type: 5,
        video_item: {
          media: m.media,
          video_size: m.cipher.length,
          play_length: 5,
          video_md5: md5Hex(msg.video),
        },
      });
      keep(msg.video, 5);
    }
    for (const raw of msg.items ?? []) {
      if (!isRecord(raw)) throw new TypeError("Cannot inject message: extra items must be objects");
      items.push(raw);
    }
    const first = items[0];
    if (!first) throw new TypeError("Cannot inject message: it has no content");
    if (msg.quote) first.ref_msg = this.#refMsg(msg.quote);

    const now = Date.now();
    const seq = ++bot.seq;
    const messageId = this.#nextMessageId();
    const contextToken = bot.contexts.issue(from, now);
    const wire: WireBody = {
      seq,
      message_id: messageId,
      from_user_id: from,
      to_user_id: bot.botId,
      client_id: `sandbox-${randomHex(8)}`,
      create_time_ms: now,
      update_time_ms: now,
      session_id: `s_${bot.botId.slice(0, 12)}_${from.split("@")[0]}`,
      group_id: "",
      message_type: 1,
      message_state: 2,
      item_list: items,
      context_token: contextToken,
    };
    bot.inbound.push({ seq, json: wireJson(wire) });
    const id = messageId.toString();
    if (stored) this.#storedMedia.set(id, stored);
    const type = typeof first.type === "number" ? first.type : 0;
    const text = msg.text ?? (msg.voiceText !== undefined ? msg.voiceText : undefined);
    this.#chat(bot, {
      direction: "in",
      user: from,
      type,
      messageId: id,
      at: now,
      media: stored !== undefined,
      ...(text !== undefined ? { text } : {}),
      ...(stored?.fileName !== undefined ? { fileName: stored.fileName } : {}),
    });
    bot.wake.wake();
    return { messageId: id, contextToken };
  }

  /**
   * Queues `json` verbatim as one `msgs` entry of the bot's next poll (hostile-input tests). It
   * takes a `seq` like a message; the text is checked to be JSON but never re-serialised.
   */
  injectRaw(json: string, botId?: string): void {
    if (typeof json !== "string") {
      throw new TypeError("Cannot inject raw JSON: json must be a string of JSON text");
    }
    try {
      JSON.parse(json);
    } catch {
      throw new TypeError("Cannot inject raw JSON: the text is not valid JSON");
    }
    const bot = this.#injectTarget(botId, "raw JSON");
    bot.inbound.push({ seq: ++bot.seq, json });
    bot.wake.wake();
  }

  #refMsg(quote: NonNullable<InjectMessage["quote"]>): WireBody {
    const ref: WireBody = { title: quote.title ?? quote.text ?? "" };
    if (quote.text !== undefined) ref.message_item = { type: 1, text_item: { text: quote.text } };
    if (quote.svrId !== undefined) {
      // Sent as a JSON number like message_id (spec §4.4), when it is one.
      ref.svr_id = /^\d+$/.test(quote.svrId) ? BigInt(quote.svrId) : quote.svrId;
    }
    return ref;
  }

  #chat(bot: BotRecord, event: Omit<ChatEvent, "index">): void {
    bot.chat.push({ index: bot.chat.length, ...event });
    this.#chatWake.wake();
  }

  // ---------------------------------------------------------------- getupdates

  /** Encodes an opaque cursor. */
  static cursorFor(seq: number): string {
    return btoa(`sandbox-cursor:${seq}`);
  }

  #parseCursor(cursor: string, bot: BotRecord): number {
    if (cursor === "") return 0;
    try {
      const m = /^sandbox-cursor:(\d+)$/.exec(atob(cursor));
      if (m) return Number(m[1]);
    } catch {
      // Falls through to the violation below.
    }
    this.violate(
      "getupdates",
      "altered_cursor",
      "get_updates_buf is not a cursor this server issued; cursors are opaque and must be echoed " +
        "unchanged",
      bot.botId,
    );
    return 0;
  }

  /**
   * Answers `getupdates`: messages after the cursor, held up to `longPollMs` when none. A
   * successful answer is JSON text assembled from the queued entries as they were serialised.
   */
  async updates(bot: BotRecord, cursor: string): Promise<WireBody | string> {
    const after = this.#parseCursor(cursor, bot);
    const deadline = Date.now() + this.options.longPollMs;
    const held = this.closing.signal;
    while (true) {
      const expired = this.expiredBody(bot);
      if (expired) return expired;
      const start = firstAfter(bot.inbound, after);
      const msgs = bot.inbound.slice(start, start + this.options.updatesBatch);
      const left = deadline - Date.now();
      if (msgs.length > 0 || left <= 0 || held.aborted) {
        const last = msgs.at(-1)?.seq ?? after;
        return `{"ret":0,"msgs":[${msgs.map((m) => m.json).join(",")}],"get_updates_buf":${
          JSON.stringify(SandboxCore.cursorFor(last))
        },"longpolling_timeout_ms":${this.options.longPollMs}}`;
      }
      await bot.wake.wait(left, held);
    }
  }

  // ---------------------------------------------------------------- sendmessage

  /** Answers `sendmessage`, enforcing the rules of spec §3.4, §4.6 and §6.4. */
  sendMessage(bot: BotRecord, body: Record<string, unknown>): WireBody {
    const ep = "sendmessage";
    const invalid = { ret: -1, errmsg: "invalid arguments" };
    const msg = body.msg;
    if (!isRecord(msg)) {
      this.violate(ep, "missing_msg", 'the body has no "msg" object', bot.botId);
      return invalid;
    }
    const items = Array.isArray(msg.item_list) ? msg.item_list : [];
    if (items.length === 0) {
      this.violate(ep, "empty_item_list", "item_list must hold exactly one item", bot.botId);
      return invalid;
    }
    if (items.length > 1) {
      this.violate(
        ep,
        "multiple_items",
        `item_list holds ${items.length} items; the server accepts exactly one per message`,
        bot.botId,
      );
      return invalid;
    }
    const item = items[0];
    if (!isRecord(item) || typeof item.type !== "number") {
      this.violate(ep, "bad_item", 'the item has no numeric "type"', bot.botId);
      return invalid;
    }
    if (msg.message_type !== 2) {
      this.violate(
        ep,
        "message_type",
        `message_type is ${JSON.stringify(msg.message_type)}; bot messages use 2 (BOT)`,
        bot.botId,
      );
    }
    if (msg.message_state !== 2) {
      this.violate(
        ep,
        "message_state",
        `message_state is ${JSON.stringify(msg.message_state)}; the server expects 2 (FINISH)`,
        bot.botId,
      );
    }
    if (!asString(msg.client_id)) {
      this.violate(ep, "missing_client_id", "client_id must be a unique string", bot.botId);
    }
    const from = asString(msg.from_user_id);
    if (from !== undefined && from !== "" && from !== bot.botId) {
      this.violate(
        ep,
        "from_user_id",
        "from_user_id must be empty (the server fills it in)",
        bot.botId,
      );
    }
    const to = asString(msg.to_user_id) ?? "";
    if (to === "") {
      this.violate(ep, "missing_to_user_id", "to_user_id is required", bot.botId);
      return invalid;
    }

    // Text size first: an oversize item is refused whatever the context (spec §4.6.3).
    let text: string | undefined;
    if (item.type === 1) {
      const textItem = isRecord(item.text_item) ? item.text_item : {};
      text = asString(textItem.text) ?? "";
      const size = encoder.encode(text).length;
      if (size > TEXT_LIMIT_BYTES) {
        this.violate(
          ep,
          "text_too_long",
          `text is ${size} UTF-8 bytes; the limit is ${TEXT_LIMIT_BYTES} (split it)`,
          bot.botId,
        );
        return { ret: -2, errmsg: "" };
      }
    }

    const prepareFailed = { ret: -2, errmsg: "prepare failed" };
    if (!bot.contexts.has(to)) {
      this.violate(
        ep,
        "send_to_unknown_user",
        `user "${to}" never wrote to this bot; a bot cannot start a conversation`,
        bot.botId,
      );
      return prepareFailed;
    }
    const token = asString(msg.context_token) ?? "";
    if (token === "") {
      this.violate(ep, "missing_context_token", "context_token is required", bot.botId);
      return prepareFailed;
    }
    const check = bot.contexts.check(to, token, Date.now());
    if (!check.ok) {
      switch (check.reason) {
        case "stale":
          return { ret: -14, errcode: -14, errmsg: SESSION_TIMEOUT };
        case "quota":
          return { ret: -2, errmsg: "rate limited" };
        default:
          return prepareFailed;
      }
    }
    if (check.older) {
      this.note(
        ep,
        "older_context_token",
        "context_token is not the user's newest one (a newer message arrived); accepted, since " +
          "each token keeps its own window and quota",
        bot.botId,
      );
    }

    const media = this.#resolveOutboundMedia(bot, to, item);
    check.state.sent++;

    const messageId = this.#nextMessageId();
    const id = messageId.toString();
    const fileName = item.type === 4 && isRecord(item.file_item)
      ? asString(item.file_item.file_name)
      : undefined;
    const record: SentRecord = {
      botId: bot.botId,
      to,
      messageId: id,
      clientId: asString(msg.client_id) ?? "",
      type: item.type,
      item: structuredClone(item),
      at: Date.now(),
    };
    if (text !== undefined) record.text = text;
    if (fileName !== undefined) record.fileName = fileName;
    if (media) {
      record.media = { bytes: media, md5: md5Hex(media), size: media.length };
      this.#storedMedia.set(id, {
        bytes: media,
        type: item.type,
        ...(fileName !== undefined ? { fileName } : {}),
      });
    }
    this.#sent.push(record);
    bot.typing.delete(to);
    this.#chat(bot, {
      direction: "out",
      user: to,
      type: item.type,
      messageId: id,
      at: record.at,
      media: media !== undefined,
      ...(text !== undefined ? { text } : {}),
      ...(fileName !== undefined ? { fileName } : {}),
    });
    return { ret: 0, message_id: messageId };
  }

  /** Checks an outbound media item against its upload and returns the decrypted bytes. */
  #resolveOutboundMedia(
    bot: BotRecord,
    to: string,
    item: Record<string, unknown>,
  ): Uint8Array | undefined {
    const ep = "sendmessage";
    const type = item.type as number;
    const key = MEDIA_ITEM_KEY[type];
    if (key === undefined) return undefined;
    if (type === 3) {
      this.violate(
        ep,
        "outbound_voice",
        "the real server accepts outbound VOICE items but the phone does not display them",
        bot.botId,
      );
    }
    const sub = item[key];
    if (!isRecord(sub) || !isRecord(sub.media)) {
      this.violate(ep, "missing_media", `${key}.media is missing`, bot.botId);
      return undefined;
    }
    const m = sub.media;
    if (m.full_url !== undefined && m.full_url !== "") {
      this.violate(
        ep,
        "outbound_full_url",
        "media.full_url must not be set on outbound media",
        bot.botId,
      );
    }
    if (m.encrypt_type !== 1) {
      this.violate(
        ep,
        "encrypt_type",
        `media.encrypt_type is ${JSON.stringify(m.encrypt_type)}; send 1`,
        bot.botId,
      );
    }
    const token = asString(m.encrypt_query_param) ?? "";
    const rec = this.cdn.media(token);
    if (!rec) {
      this.violate(
        ep,
        "unknown_media",
        "media.encrypt_query_param is not a download token issued by the CDN (x-encrypted-param)",
        bot.botId,
      );
      return undefined;
    }
    if (rec.user !== to) {
      this.violate(
        ep,
        "media_recipient_mismatch",
        `the media was uploaded for "${rec.user}" but is sent to "${to}"`,
        bot.botId,
      );
    }
    if (UPLOAD_TYPE_OF_ITEM[type] !== rec.mediaType) {
      this.violate(
        ep,
        "media_type_mismatch",
        `item type ${type} needs upload media_type ${
          UPLOAD_TYPE_OF_ITEM[type]
        }, got ${rec.mediaType}`,
        bot.botId,
      );
    }
    const aesKey = asString(m.aes_key) ?? "";
    const format = keyFormat(aesKey);
    if (format !== "B") {
      this.violate(
        ep,
        "media_key_not_format_b",
        format === "invalid"
          ? "media.aes_key is not a valid AES key encoding"
          : `media.aes_key is in ${
            format === "A" ? "format A (base64 of raw bytes)" : "bare hex"
          }; send format B (base64 of the hex text)`,
        bot.botId,
      );
      if (format === "invalid") return undefined;
    }
    let keyBytes: Uint8Array;
    try {
      keyBytes = decodeAesKey(aesKey);
    } catch {
      return undefined;
    }
    if (!sameBytes(keyBytes, rec.key)) {
      this.violate(
        ep,
        "media_key_mismatch",
        "media.aes_key is not the key registered with getuploadurl; the phone cannot decrypt it",
        bot.botId,
      );
      return undefined;
    }
    const sizeRule = (field: string, got: unknown, want: number | string) => {
      if (got !== want) {
        this.violate(
          ep,
          "media_size_mismatch",
          `${key}.${field} is ${JSON.stringify(got)}; the upload needs ${JSON.stringify(want)}`,
          bot.botId,
        );
      }
    };
    if (type === 2) sizeRule("mid_size", sub.mid_size, rec.cipher.length);
    if (type === 5) sizeRule("video_size", sub.video_size, rec.cipher.length);
    if (type === 4) {
      sizeRule("len", sub.len, String(rec.rawsize));
      if (!asString(sub.file_name)) {
        this.violate(ep, "missing_file_name", "file_item.file_name is required", bot.botId);
      }
    }
    return decryptAesEcb(rec.cipher, rec.key);
  }

  // ---------------------------------------------------------------- uploads and CDN

  /** Answers `getuploadurl`: validates the request and issues an upload slot. */
  uploadUrl(bot: BotRecord, body: Record<string, unknown>): WireBody {
    const ep = "getuploadurl";
    const filekey = asString(body.filekey) ?? "";
    if (!/^[0-9a-f]{32}$/.test(filekey)) {
      this.violate(
        ep,
        "bad_filekey",
        "filekey must be 16 random bytes as 32 lowercase hex",
        bot.botId,
      );
    }
    const mediaType = body.media_type;
    if (typeof mediaType !== "number" || ![1, 2, 3, 4].includes(mediaType)) {
      this.violate(ep, "bad_media_type", "media_type must be 1, 2, 3 or 4", bot.botId);
      return { ret: -2, errmsg: "invalid media_type" };
    }
    const to = asString(body.to_user_id) ?? "";
    if (to !== bot.userId && !bot.contexts.has(to)) {
      return { ret: -1, errmsg: "invalid to_user_id" };
    }
    const rawsize = body.rawsize;
    const filesize = body.filesize;
    const rawMd5 = asString(body.rawfilemd5) ?? "";
    if (typeof rawsize !== "number" || !Number.isInteger(rawsize) || rawsize < 0) {
      this.violate(ep, "bad_rawsize", "rawsize must be the plaintext size in bytes", bot.botId);
      return { ret: -2, errmsg: "invalid rawsize" };
    }
    if (typeof filesize !== "number" || filesize !== cipherSize(rawsize)) {
      this.violate(
        ep,
        "upload_size_mismatch",
        `filesize is ${JSON.stringify(filesize)}; for rawsize ${rawsize} it must be ${
          cipherSize(rawsize)
        }`,
        bot.botId,
      );
    }
    if (!/^[0-9a-f]{32}$/.test(rawMd5)) {
      this.violate(ep, "bad_rawfilemd5", "rawfilemd5 must be the lowercase hex MD5", bot.botId);
    }
    const aeskey = asString(body.aeskey) ?? "";
    if (!HEX32.test(aeskey)) {
      this.violate(ep, "bad_upload_aeskey", "aeskey must be the key as 32 hex chars", bot.botId);
      return { ret: -2, errmsg: "invalid aeskey" };
    }
    const slot = this.cdn.openSlot({
      filekey,
      key: decodeAesKey(aeskey),
      rawsize,
      rawMd5: rawMd5.toLowerCase(),
      filesize: typeof filesize === "number" ? filesize : -1,
      mediaType,
      botId: bot.botId,
      to,
    });
    const answer: WireBody = { ret: 0, upload_param: slot.param, thumb_upload_param: "" };
    if (this.options.uploadFullUrl) {
      answer.upload_full_url = `${this.cdnBaseUrl}/upload?slot=${slot.id}&filekey=${
        encodeURIComponent(filekey)
      }`;
    }
    return answer;
  }

  // ---------------------------------------------------------------- typing and presence

  /** Answers `getconfig` with the user's typing ticket (one per bot and user). */
  config(bot: BotRecord, body: Record<string, unknown>): WireBody {
    const user = asString(body.ilink_user_id) ?? "";
    if (user === "") {
      this.violate("getconfig", "missing_ilink_user_id", "ilink_user_id is required", bot.botId);
      return { ret: -1, errmsg: "invalid arguments" };
    }
    let ticket = bot.tickets.get(user);
    if (!ticket) {
      ticket = base64(randomBytes(18));
      bot.tickets.set(user, ticket);
    }
    return { ret: 0, errmsg: "", typing_ticket: ticket };
  }

  /** Answers `sendtyping`, validating the ticket. */
  typing(bot: BotRecord, body: Record<string, unknown>): WireBody {
    const ep = "sendtyping";
    const user = asString(body.ilink_user_id) ?? "";
    const ticket = asString(body.typing_ticket) ?? "";
    if (ticket === "" || bot.tickets.get(user) !== ticket) {
      this.violate(
        ep,
        "bad_typing_ticket",
        "typing_ticket is not the ticket getconfig issued for this user",
        bot.botId,
      );
      return { ret: -1, errmsg: "invalid typing_ticket" };
    }
    const status = body.status ?? 1;
    if (status !== 1 && status !== 2) {
      this.violate(ep, "bad_typing_status", "status must be 1 (typing) or 2 (cancel)", bot.botId);
      return { ret: -1, errmsg: "invalid arguments" };
    }
    if (status === 1) bot.typing.set(user, Date.now());
    else bot.typing.delete(user);
    this.#chatWake.wake();
    return { ret: 0, errmsg: "" };
  }

  /** Records `msg/notifystart` / `msg/notifystop`. */
  presence(bot: BotRecord, online: boolean): WireBody {
    bot.online = online;
    this.#chatWake.wake();
    return { ret: 0, errmsg: "" };
  }

  // ---------------------------------------------------------------- inspection

  /** Accepted bot messages, oldest first, optionally filtered. */
  sent(filter: { botId?: string; to?: string } = {}): SentRecord[] {
    return this.#sent
      .filter((r) =>
        (filter.botId === undefined || r.botId === filter.botId) &&
        (filter.to === undefined || r.to === filter.to)
      )
      .map((r) => ({
        ...r,
        item: structuredClone(r.item),
        ...(r.media ? { media: { ...r.media, bytes: r.media.bytes.slice() } } : {}),
      }));
  }

  /** Decrypted media of an inbound or sent message, by message id. */
  mediaOf(messageId: string): StoredMedia | undefined {
    return this.#storedMedia.get(messageId);
  }

  /**
   * The phone page's view of one bot: chat events after `since`, who is typing. Waits up to
   * `waitMs` for news so the page can long-poll.
   */
  async chat(
    botId: string,
    since: number,
    waitMs: number,
  ): Promise<{ events: ChatEvent[]; typing: string[]; online: boolean } | undefined> {
    const held = this.closing.signal;
    const deadline = Date.now() + waitMs;
    let woken = false;
    while (true) {
      const bot = this.#bots.get(botId);
      if (!bot) return undefined;
      const events = bot.chat.slice(Math.max(0, since));
      const left = deadline - Date.now();
      // Any activity (typing, presence) ends the wait, so the page's indicators stay current.
      if (events.length > 0 || woken || left <= 0 || held.aborted) {
        const now = Date.now();
        // A typing indicator lapses after 8 s without keep-alive (the client renews every 5 s).
        const typing = [...bot.typing].filter(([, at]) => now - at < 8000).map(([u]) => u);
        return { events, typing, online: bot.online };
      }
      woken = (await this.#chatWake.wait(left, held)) === "wake";
    }
  }

  /** A summary without secrets. */
  snapshot(): SandboxSnapshot {
    const pendingLogins = this.logins.pending();
    const faults: SandboxSnapshot["faults"] = this.faults.armed();
    return {
      baseUrl: this.baseUrl,
      bots: [...this.#bots.values()].map((b) => ({
        botId: b.botId,
        userId: b.userId,
        online: b.online,
        expired: b.expired !== undefined,
        inbound: b.inbound.length,
        sent: this.#sent.filter((r) => r.botId === b.botId).length,
        users: [...new Set([b.userId, ...b.contexts.users()])],
      })),
      pendingLogins,
      violations: this.#violations.length,
      notes: this.#notes.length,
      faults,
    };
  }

  /** Forgets everything; held long polls of removed bots answer -14. */
  reset(): void {
    const bots = [...this.#bots.values()];
    this.logins.clear();
    this.#bots.clear();
    this.#botsByToken.clear();
    this.cdn.clear();
    this.#sent = [];
    this.#storedMedia.clear();
    this.#violations = [];
    this.#notes = [];
    this.faults.clear();
    for (const b of bots) b.wake.wake();
    this.#chatWake.wake();
  }

  /** Releases every held request. */
  close(): void {
    this.closing.abort();
  }
}
