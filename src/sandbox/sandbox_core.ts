/**
 * The sandbox's state machine, independent of HTTP: bots and their sessions, the inbound queue
 * and cursors, what the bots sent, recorded violations and notes, typing and presence.
 * Its parts live beside it: bot records (`bot_record.ts`), inbound message building
 * (`inbound.ts`), the rules of `sendmessage` and `getuploadurl` (`outbound_rules.ts`), QR logins
 * (`qr_logins.ts`), context tokens with their window and quota (`context_tokens.ts`, spec §6.4),
 * upload slots and the CDN blob store (`cdn_store.ts`), armed faults and request counts
 * (`fault_board.ts`). Both the iLink routes and the control API call into
 * {@linkcode SandboxCore}; the TypeScript `Sandbox` object calls the same methods.
 *
 * Wire data stays in the protocol's snake_case here; this module deliberately does not import the
 * project's protocol client or models, so the sandbox is an independent check of them.
 *
 * @module
 */

import { md5Hex } from "../crypto/mod.ts";
import {
  type BotRecord,
  cursorFor,
  cursorSeq,
  expireSession,
  firstAfter,
  newBotRecord,
  SESSION_TIMEOUT,
  sessionExpiry,
  type StoredMedia,
} from "./bot_record.ts";
import { CdnStore } from "./cdn_store.ts";
import { type ChatPage, ChatView } from "./chat_view.ts";
import { FaultBoard } from "./fault_board.ts";
import { checkRawInbound, inboundContent, inboundMessage } from "./inbound.ts";
import { answerUploadUrl, checkSendMessage } from "./outbound_rules.ts";
import { QrLogins } from "./qr_logins.ts";
import { RuleLog } from "./rule_log.ts";
import type {
  ConfirmedLogin,
  InjectMessage,
  SandboxFault,
  SandboxSnapshot,
  SentRecord,
  SessionExpiryField,
} from "./types.ts";
import { answerConfig, answerTyping } from "./typing.ts";
import { WakeList } from "./wake_list.ts";
import { randomBytes, type WireBody, wireJson } from "./wire_json.ts";

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

/** The sandbox's state machine; see the module documentation. */
export class SandboxCore {
  readonly options: CoreOptions;
  /** Recorded violations and notes. */
  readonly rules: RuleLog;
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
  #messageCounter = 0;
  readonly #chatView = new ChatView();

  constructor(options: CoreOptions) {
    this.options = options;
    this.rules = new RuleLog(options.log);
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

  // ---------------------------------------------------------------- faults

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
    const bot = newBotRecord(login, this.options);
    this.#bots.set(bot.botId, bot);
    this.#botsByToken.set(bot.token, bot);
    this.#chatView.changed();
  }

  // ---------------------------------------------------------------- bots and sessions

  /** The bot owning `token`, if the token was ever issued (expired or not). */
  botByToken(token: string): BotRecord | undefined {
    return this.#botsByToken.get(token);
  }

  /** The `-14` body for an expired session, or undefined while the session is valid. */
  expiredBody(bot: BotRecord): WireBody | undefined {
    if (!this.#bots.has(bot.botId)) return { ret: -14, errcode: -14, errmsg: SESSION_TIMEOUT };
    return sessionExpiry(bot);
  }

  /**
   * Expires a bot's session: every later call with its token answers -14, until
   * {@linkcode SandboxCore.revive} or, when given, `reviveAfterMs` later.
   */
  expire(botId: string, field: SessionExpiryField = "errcode", reviveAfterMs?: number): void {
    const bot = this.#bots.get(botId);
    if (!bot) throw new Error(`Cannot expire session: unknown bot "${botId}"`);
    expireSession(bot, field, reviveAfterMs);
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
    const from = msg.from ?? bot.userId;
    const content = inboundContent(this, msg, bot.botId, from);
    const now = Date.now();
    const seq = ++bot.seq;
    const messageId = this.#nextMessageId();
    const contextToken = bot.contexts.issue(from, now);
    const wire = inboundMessage({
      seq,
      messageId,
      from,
      botId: bot.botId,
      now,
      contextToken,
      items: content.items,
    });
    bot.inbound.push({ seq, json: wireJson(wire) });
    const id = messageId.toString();
    const stored = content.stored;
    if (stored) this.#storedMedia.set(id, stored);
    this.#chatView.add(bot, {
      direction: "in",
      user: from,
      type: content.type,
      messageId: id,
      at: now,
      media: stored !== undefined,
      ...(content.text !== undefined ? { text: content.text } : {}),
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
    checkRawInbound(json);
    const bot = this.#injectTarget(botId, "raw JSON");
    bot.inbound.push({ seq: ++bot.seq, json });
    bot.wake.wake();
  }

  // ---------------------------------------------------------------- getupdates

  #parseCursor(cursor: string, bot: BotRecord): number {
    const seq = cursorSeq(cursor);
    if (seq !== undefined) return seq;
    this.rules.violate(
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
          JSON.stringify(cursorFor(last))
        },"longpolling_timeout_ms":${this.options.longPollMs}}`;
      }
      await bot.wake.wait(left, held);
    }
  }

  // ---------------------------------------------------------------- sending

  /** Answers `sendmessage`, enforcing the rules of spec §3.4, §4.6 and §6.4. */
  sendMessage(bot: BotRecord, body: Record<string, unknown>): WireBody {
    const verdict = checkSendMessage(this, bot, body);
    if ("refused" in verdict) return verdict.refused;
    const { to, item, text, fileName, media } = verdict.accepted;
    const messageId = this.#nextMessageId();
    const id = messageId.toString();
    const record: SentRecord = {
      botId: bot.botId,
      to,
      messageId: id,
      clientId: verdict.accepted.clientId,
      type: item.type as number,
      item: structuredClone(item),
      at: Date.now(),
    };
    if (text !== undefined) record.text = text;
    if (fileName !== undefined) record.fileName = fileName;
    if (media) {
      record.media = { bytes: media, md5: md5Hex(media), size: media.length };
      this.#storedMedia.set(id, {
        bytes: media,
        type: record.type,
        ...(fileName !== undefined ? { fileName } : {}),
      });
    }
    this.#sent.push(record);
    bot.typing.delete(to);
    this.#chatView.add(bot, {
      direction: "out",
      user: to,
      type: record.type,
      messageId: id,
      at: record.at,
      media: media !== undefined,
      ...(text !== undefined ? { text } : {}),
      ...(fileName !== undefined ? { fileName } : {}),
    });
    return { ret: 0, message_id: messageId };
  }

  /** Answers `getuploadurl`: validates the request and issues an upload slot. */
  uploadUrl(bot: BotRecord, body: Record<string, unknown>): WireBody {
    return answerUploadUrl(this, bot, body);
  }

  // ---------------------------------------------------------------- typing and presence

  /** Answers `getconfig` with the user's typing ticket (one per bot and user). */
  config(bot: BotRecord, body: Record<string, unknown>): WireBody {
    return answerConfig(this.rules, bot, body);
  }

  /** Answers `sendtyping`, validating the ticket; the phone page sees the change at once. */
  typing(bot: BotRecord, body: Record<string, unknown>): WireBody {
    const answer = answerTyping(this.rules, bot, body);
    if (answer.ret === 0) this.#chatView.changed();
    return answer;
  }

  /** Records `msg/notifystart` / `msg/notifystop`. */
  presence(bot: BotRecord, online: boolean): WireBody {
    bot.online = online;
    this.#chatView.changed();
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

  /** The phone page's view of one bot; see {@linkcode ChatView.poll}. */
  chat(botId: string, since: number, waitMs: number): Promise<ChatPage | undefined> {
    return this.#chatView.poll(() => this.#bots.get(botId), since, waitMs, this.closing.signal);
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
      ...this.rules.counts(),
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
    this.rules.clear();
    this.faults.clear();
    for (const b of bots) b.wake.wake();
    this.#chatView.changed();
  }

  /** Releases every held request. */
  close(): void {
    this.closing.abort();
  }
}
