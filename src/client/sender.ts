/**
 * Sending: routing to the session that holds the user's context token, the reply window and
 * quota reserved across processes, media upload, typing tickets, and media download.
 *
 * @module
 */

import {
  checkSendableText,
  ILinkError,
  NetworkError,
  QuotaExhaustedError,
  SessionExpiredError,
} from "../protocol/mod.ts";
import type { WireMessage } from "../protocol/mod.ts";
import {
  CdnError,
  downloadMedia,
  type DownloadOptions,
  type MediaBytes,
  mediaItemFor,
  uploadMedia,
} from "../media/mod.ts";
import {
  type Message,
  MessageType,
  type SendResult,
  type UploadedMedia,
  UploadMediaType,
} from "../models/mod.ts";
import { md5Hex, toHex } from "../crypto/mod.ts";
import {
  CONTEXT_QUOTA,
  contextStatus,
  dropToken,
  reserveSends,
  settleSends,
} from "./context_state.ts";
import { type ContextsFile, errorText } from "./data_dir.ts";
import {
  NoContextError,
  NotLoggedInError,
  SessionNotFoundError,
  StaleContextError,
} from "./errors.ts";
import {
  isUploadedMedia,
  type MediaInput,
  readMediaInput,
  suggestedFileName,
} from "./media_input.ts";
import type { SentPart } from "./store_binding.ts";
import type { ClientContext } from "./client_context.ts";
import type { Committer } from "./committer.ts";
import { SendStamps } from "./send_stamps.ts";
import { WeiLinkError } from "../weilink_error.ts";
import { isUsable, type SessionRegistry, type SessionState } from "./session_registry.ts";
import type { MediaKind, SendContent } from "./types.ts";
import type { SendLedger } from "./storage.ts";

/** A typing ticket is fetched again after this long (the official client refreshes within 24 h). */
export const TYPING_TICKET_TTL_MS = 12 * 3600_000;

const MEDIA_KINDS: Record<MediaKind, UploadMediaType> = {
  image: UploadMediaType.IMAGE,
  voice: UploadMediaType.VOICE,
  file: UploadMediaType.FILE,
  video: UploadMediaType.VIDEO,
};

const UPLOAD_TO_MESSAGE_TYPE: Record<UploadMediaType, MessageType> = {
  [UploadMediaType.IMAGE]: MessageType.IMAGE,
  [UploadMediaType.VIDEO]: MessageType.VIDEO,
  [UploadMediaType.FILE]: MessageType.FILE,
  [UploadMediaType.VOICE]: MessageType.VOICE,
};

/** Options of {@linkcode Sender.download}; see `WeiLink.download`. */
export interface DownloadCall {
  index?: number;
  signal?: AbortSignal;
  maxBytes?: number;
  timeoutMs?: number;
  onProgress?: (done: number, total: number) => void;
  /** Stream the plaintext into this file instead of returning it. */
  to?: string;
  /** Permission bits of the file written with `to`; default `0o600`. */
  mode?: number;
}

/** What a download with `to` wrote. */
export interface SavedMedia {
  /** The file written (`to` as given). */
  path: string;
  /** Plaintext bytes written. */
  bytes: number;
  /** Lowercase hex MD5 of the plaintext. */
  md5: string;
}

/** One media part of a send, resolved to bytes or a previous upload. */
interface MediaPart {
  type: UploadMediaType;
  data: MediaBytes | UploadedMedia;
  fileName?: string;
}

/** Sends messages, typing indicators and media. */
export class Sender {
  readonly #ctx: ClientContext;
  readonly #registry: SessionRegistry;
  readonly #committer: Committer;
  readonly #stamps: SendStamps;

  /** Creates the sender of a client. */
  constructor(ctx: ClientContext, registry: SessionRegistry, committer: Committer) {
    this.#ctx = ctx;
    this.#registry = registry;
    this.#committer = committer;
    this.#stamps = new SendStamps(ctx);
  }

  /** `contexts` of `s` as just read from disk, with what sends left pending applied. */
  viewContexts(s: SessionState, contexts: ContextsFile): ContextsFile {
    return this.#stamps.view(s, contexts);
  }

  /** Write what sends left pending (the time of the last sends). */
  close(): Promise<void> {
    return this.#stamps.flush();
  }

  /**
   * Wait until the context tokens of every message handed out so far are in `contexts.json`, the
   * file a send reads under the data lock.
   */
  async #tokensSaved(to: string): Promise<void> {
    try {
      await this.#committer.flush();
    } catch (err) {
      throw new WeiLinkError(
        `Cannot reach "${to}": the context tokens of the latest messages could not be saved: ${
          errorText(err)
        }`,
        { cause: err },
      );
    }
  }

  /** See `WeiLink.send`. */
  async send(to: string, content: string | SendContent): Promise<SendResult> {
    const ctx = this.#ctx;
    if (typeof to !== "string" || to === "") {
      throw new TypeError("Cannot send: the recipient id is empty");
    }
    const c: SendContent = typeof content === "string" ? { text: content } : content;
    const text = c.text ? c.text : undefined;
    if (text !== undefined) checkSendableText(text);
    const parts = await this.#prepareMedia(c);
    const total = (text !== undefined ? 1 : 0) + parts.length;
    if (total === 0) throw new TypeError("Cannot send: no text or media given");

    // Route, check the window and reserve the quota in one short critical section.
    await this.#tokensSaved(to);
    const nowSec = ctx.now() / 1000;
    const refuse = (session: string, entry: ContextsFile[string] | undefined) => {
      const status = contextStatus(entry, nowSec);
      if (status.kind !== "live") throw new NoContextError(to, status.kind, session);
      if (status.remaining < total) {
        throw new QuotaExhaustedError(
          "sendmessage",
          -2,
          0,
          "",
          `Cannot send ${total} message(s) to "${to}": ${status.remaining} of ${CONTEXT_QUOTA} replies left on the current context token (the user must write again)`,
        );
      }
      return status.token;
    };
    const ledger = ctx.storage.ledger;
    const { s, token } = ledger
      ? await this.#reserveShared(ledger, to, c.session, total, nowSec, refuse)
      : await ctx.dataLock.withLock(() => {
        this.#registry.sync();
        const s = this.#route(to, c.session);
        s.contexts = ctx.dir.readContexts(s.name);
        const token = refuse(s.name, s.contexts[to]);
        reserveSends(s.contexts, to, total);
        this.#stamps.applyTo(s, s.contexts);
        // Visible to every process before the request leaves; fsynced in the background.
        ctx.dir.updateContexts(s.name, s.contexts);
        return { s, token };
      });

    const cred = s.cred!;
    const api = this.#registry.apiFor(cred);
    const messageIds: string[] = [];
    const sentParts: SentPart[] = [];
    let sent = 0;
    let error: string | undefined;
    let cause: Error | undefined;
    let maybeDelivered = false;
    // Set just before each sendmessage: a failure of that request (not of an upload before it)
    // may have delivered the part.
    let sending = false;
    try {
      if (text !== undefined) {
        sending = true;
        const res = await api.sendText(to, text, token);
        sending = false;
        sent++;
        const id = res.message_id;
        if (id) messageIds.push(String(id));
        sentParts.push({
          msgType: MessageType.TEXT,
          text,
          ...(id ? { messageId: String(id) } : {}),
        });
      }
      for (const part of parts) {
        const uploaded = isUploadedMedia(part.data) ? part.data : await uploadMedia(part.data, {
          api,
          cdnBaseUrl: ctx.cdnBaseUrl,
          allowedHosts: ctx.mediaHosts,
          ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
          to,
          mediaType: part.type,
          ...(part.fileName ? { fileName: part.fileName } : {}),
        });
        const media = part.fileName && !uploaded.fileName
          ? { ...uploaded, fileName: part.fileName }
          : uploaded;
        const item = mediaItemFor(media);
        const msg: WireMessage = { to_user_id: to, context_token: token, item_list: [item] };
        sending = true;
        const res = await api.sendMessage(msg);
        sending = false;
        sent++;
        const id = res.message_id;
        if (id) messageIds.push(String(id));
        sentParts.push({
          msgType: UPLOAD_TO_MESSAGE_TYPE[media.mediaType],
          uploaded: media,
          ...(id ? { messageId: String(id) } : {}),
        });
      }
    } catch (err) {
      cause = err instanceof Error ? err : new Error(String(err));
      if (err instanceof SessionExpiredError) {
        // -14 on a send is weak evidence (spec §6.3): it usually means a stale context token.
        // Only getupdates decides whether the session expired; probe it now.
        cause = new StaleContextError(to, s.name, { cause: err });
        this.#registry.requestProbe(s, cred);
      } else if (
        sending && err instanceof NetworkError && !err.unsent && err.status === undefined
      ) {
        // The request left but no answer came back: never sent again (a duplicate on the phone is
        // worse than a report), and reported as possibly delivered.
        maybeDelivered = true;
      }
      error = cause.message;
      ctx.logger.warn(
        `Sending to "${to}" stopped after ${sent} of ${total} part(s)${
          maybeDelivered ? " (the last one may have been delivered)" : ""
        }: ${error}`,
      );
    }
    const success = error === undefined;
    const used = sent + (maybeDelivered ? 1 : 0);
    let remaining: number;
    if (success && used === total) {
      // All sent: nothing to give back, only the time of the last send to record, which can
      // wait for the next write of the file (or the stamps' own, moments later).
      remaining = Math.max(0, CONTEXT_QUOTA - (s.contexts[to]?.sc ?? 0));
      if (ledger) {
        await ledger.sent(s.name, to, ctx.now() / 1000).catch((err) =>
          ctx.logger.warn(`Cannot record the time of the last send: ${errorText(err)}`)
        );
      } else this.#stamps.record(s, to, ctx.now() / 1000);
    } else if (ledger) {
      remaining = await ledger.settle({
        session: s.name,
        to,
        token,
        unused: total - used,
        success,
        stale: cause instanceof StaleContextError,
        nowSec: ctx.now() / 1000,
      });
    } else {
      remaining = await ctx.dataLock.withLock(() => {
        const contexts = ctx.dir.readContexts(s.name);
        this.#stamps.applyTo(s, contexts);
        const left = cause instanceof StaleContextError
          ? (dropToken(contexts, to, token), 0)
          : settleSends(contexts, to, token, total - used, success, ctx.now() / 1000);
        ctx.dir.updateContexts(s.name, contexts);
        s.contexts = contexts;
        return left;
      });
    }
    if (sentParts.length) await this.#storeSent(cred.bot.botId, to, sentParts, token);
    const result: SendResult = { success, messageIds, remaining };
    if (error !== undefined) result.error = error;
    if (cause !== undefined) result.cause = cause;
    if (maybeDelivered) result.maybeDelivered = true;
    return result;
  }

  /**
   * Route and reserve on shared storage: the ledger locks the user's context rows, `refuse`
   * checks the window and the quota on the locked entry, and the reservation commits before any
   * request leaves.
   */
  async #reserveShared(
    ledger: SendLedger,
    to: string,
    explicit: string | undefined,
    total: number,
    nowSec: number,
    refuse: (session: string, entry: ContextsFile[string] | undefined) => string,
  ): Promise<{ s: SessionState; token: string }> {
    const ctx = this.#ctx;
    await ctx.storage.refresh();
    this.#registry.sync();
    let fallback: string | undefined;
    if (explicit !== undefined) this.#route(to, explicit);
    else {
      const def = this.#registry.get(this.#registry.defaultName);
      fallback = def && isUsable(def) ? def.name : undefined;
      // Throws the same errors as the files when nothing can send.
      if (this.#registry.usable().length === 0) this.#route(to);
    }
    let token = "";
    const reserved = await ledger.reserve({
      to,
      explicit,
      candidates: this.#registry.usable().map((x) => x.name),
      fallback,
      total,
      nowSec,
    }, (session, entry) => {
      token = refuse(session, entry);
    });
    const s = this.#registry.get(reserved.session)!;
    if (reserved.entry) s.contexts[to] = reserved.entry;
    return { s, token };
  }

  /** Resolve every media input to bytes (or an upload) before anything is sent or reserved. */
  async #prepareMedia(c: SendContent): Promise<MediaPart[]> {
    const list = (v: MediaInput | MediaInput[] | undefined): MediaInput[] =>
      v === undefined ? [] : Array.isArray(v) ? v : [v];
    const names = c.fileName === undefined
      ? []
      : Array.isArray(c.fileName)
      ? c.fileName
      : [c.fileName];
    const out: MediaPart[] = [];
    const add = async (input: MediaInput, type: UploadMediaType, fileName?: string) => {
      if (isUploadedMedia(input)) {
        out.push({ type: input.mediaType, data: input, ...(fileName ? { fileName } : {}) });
        return;
      }
      const data = await readMediaInput(input);
      out.push({ type, data, ...(fileName ? { fileName } : {}) });
    };
    for (const x of list(c.image)) await add(x, UploadMediaType.IMAGE);
    const voices = list(c.voice);
    if (voices.length) {
      this.#ctx.logger.warn(
        "Outbound voice is accepted by the server but the phone may not show it",
      );
    }
    for (const x of voices) await add(x, UploadMediaType.VOICE);
    const files = list(c.file);
    for (const [i, x] of files.entries()) {
      const name = names.length === 1 ? names[0] : names[i];
      const fileName = name || (isUploadedMedia(x) ? x.fileName : suggestedFileName(x));
      if (!fileName) {
        throw new TypeError(`Cannot send file #${i + 1}: "fileName" is required for raw bytes`);
      }
      if (!fileName.isWellFormed()) {
        throw new TypeError(`Cannot send file #${i + 1}: its name is not well-formed UTF-16`);
      }
      await add(x, UploadMediaType.FILE, fileName);
    }
    for (const x of list(c.video)) await add(x, UploadMediaType.VIDEO);
    return out;
  }

  /** The session to send to `to` through (caller holds the data lock). */
  #route(to: string, explicit?: string): SessionState {
    if (explicit !== undefined) {
      const s = this.#registry.get(explicit);
      if (!s) throw new SessionNotFoundError(explicit);
      if (!isUsable(s)) {
        throw new NotLoggedInError(
          s.cred
            ? `Session "${explicit}" has expired: log it in again`
            : `Session "${explicit}" is not logged in`,
        );
      }
      return s;
    }
    const usable = this.#registry.usable();
    if (usable.length === 0) {
      throw new NotLoggedInError(
        this.#registry.withCredentials().length > 0
          ? "Not logged in: every session has expired, log in again"
          : undefined,
      );
    }
    // One session: nothing to choose, and the caller reads its contexts anyway.
    if (usable.length === 1) return usable[0]!;
    let best: SessionState | undefined;
    let bestTs = -Infinity;
    for (const s of usable) {
      s.contexts = this.#ctx.dir.readContexts(s.name);
      const e = s.contexts[to];
      if (e?.t && (e.ts ?? 0) > bestTs) {
        best = s;
        bestTs = e.ts ?? 0;
      }
    }
    if (best) return best;
    const def = this.#registry.get(this.#registry.defaultName);
    return def && isUsable(def) ? def : usable[0]!;
  }

  /** The session to reach `to` through, routed under the data lock. */
  async #routeLocked(to: string): Promise<SessionState> {
    await this.#tokensSaved(to);
    return await this.#ctx.dataLock.withLock(() => {
      this.#registry.sync();
      const s = this.#route(to);
      s.contexts = this.#ctx.dir.readContexts(s.name);
      return s;
    });
  }

  // ---- typing -------------------------------------------------------------------------------

  /** Show (`1`) or cancel (`2`) "typing…"; `false` (with a warning) when it could not be shown. */
  async typing(to: string, status: 1 | 2): Promise<boolean> {
    const ctx = this.#ctx;
    const s = await this.#routeLocked(to);
    const cred = s.cred!;
    const api = this.#registry.apiFor(cred);
    for (let attempt = 0; attempt < 2; attempt++) {
      let cached = cred.typing.get(to);
      if (!cached || ctx.now() - cached.fetchedAt >= TYPING_TICKET_TTL_MS) {
        const live = contextStatus(s.contexts[to], ctx.now() / 1000);
        try {
          const cfg = await api.getConfig(to, live.kind === "live" ? live.token : undefined);
          if (!cfg.typing_ticket) {
            ctx.logger.warn(`No typing ticket for "${to}" in session "${s.name}"`);
            return false;
          }
          cached = { ticket: cfg.typing_ticket, fetchedAt: ctx.now() };
          cred.typing.set(to, cached);
        } catch (err) {
          ctx.logger.warn(`Cannot get a typing ticket for "${to}": ${errorText(err)}`);
          return false;
        }
      }
      try {
        await api.sendTyping(to, cached.ticket, status);
        return true;
      } catch (err) {
        cred.typing.delete(to);
        // A refused ticket may be stale: fetch a new one once.
        if (attempt === 0 && err instanceof ILinkError) continue;
        ctx.logger.warn(`Cannot set typing for "${to}": ${errorText(err)}`);
        return false;
      }
    }
    return false;
  }

  // ---- media --------------------------------------------------------------------------------

  /** See `WeiLink.download`. */
  async download(
    message: Message,
    options: DownloadCall = {},
  ): Promise<Uint8Array | SavedMedia> {
    const ctx = this.#ctx;
    const items = options.index === undefined
      ? message.items
      : message.items.slice(options.index, options.index + 1);
    let found = items.find((i) => i.image || i.voice || i.file || i.video);
    if (!found && options.index === undefined) {
      const first = message.image ?? message.voice ?? message.file ?? message.video;
      if (first) found = { type: message.msgType, ...mediaField(message) };
    }
    const media = found?.image?.media ?? found?.voice?.media ?? found?.file?.media ??
      found?.video?.media;
    if (!found || !media || (!media.encryptQueryParam && !media.fullUrl)) {
      throw new TypeError(
        `Cannot download: message "${message.messageId ?? "?"}" has no downloadable media`,
      );
    }
    const fetchOptions: DownloadOptions = {
      cdnBaseUrl: ctx.cdnBaseUrl,
      allowedHosts: ctx.mediaHosts,
      ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
      ...(found.image?.aesKeyHex ? { aesKeyHex: found.image.aesKeyHex } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }),
      ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
    };
    // AES-ECB has no integrity check: a wrong key passes the padding check about once in 256
    // tries. Files and videos carry the plaintext MD5, so a wrong result is never returned.
    const expected = (found.file?.md5 || found.video?.videoMd5 || "").toLowerCase();
    const check = (md5: string) => {
      if (/^[0-9a-f]{32}$/.test(expected) && md5 !== expected) {
        throw new CdnError(
          `Cannot download: media of message "${message.messageId ?? "?"}" does not match its ` +
            "MD5 (wrong key or corrupted download)",
        );
      }
    };
    if (options.to === undefined) {
      const bytes = await downloadMedia(media, fetchOptions);
      if (expected) check(md5Hex(bytes));
      return bytes;
    }
    return await saveToFile(options.to, options.mode ?? 0o600, async (into) => {
      const written = await downloadMedia(media, { ...fetchOptions, into });
      check(written.md5);
      return written;
    });
  }

  /** See `WeiLink.upload`. */
  async upload(
    to: string,
    data: Exclude<MediaInput, UploadedMedia>,
    type: MediaKind | UploadMediaType,
    fileName?: string,
  ): Promise<UploadedMedia> {
    const ctx = this.#ctx;
    const mediaType = typeof type === "number" ? type : MEDIA_KINDS[type];
    if (!mediaType || !Object.values(UploadMediaType).includes(mediaType)) {
      throw new TypeError(`Invalid media type "${type}": expected image, voice, file or video`);
    }
    const name = fileName || suggestedFileName(data);
    if (mediaType === UploadMediaType.FILE && !name) {
      throw new TypeError('Cannot upload a file without "fileName"');
    }
    const bytes = await readMediaInput(data);
    const s = await this.#routeLocked(to);
    return await uploadMedia(bytes, {
      api: this.#registry.apiFor(s.cred!),
      cdnBaseUrl: ctx.cdnBaseUrl,
      allowedHosts: ctx.mediaHosts,
      ...(ctx.fetch ? { fetch: ctx.fetch } : {}),
      to,
      mediaType,
      ...(name && mediaType === UploadMediaType.FILE ? { fileName: name } : {}),
    });
  }

  async #storeSent(botId: string, to: string, parts: SentPart[], token: string): Promise<void> {
    const store = await this.#ctx.store();
    if (!store) return;
    try {
      await store.storeSent(botId, to, parts, token);
    } catch (err) {
      this.#ctx.logger.warn(`Cannot store ${parts.length} sent message(s): ${errorText(err)}`);
    }
  }
}

/**
 * Streams a download into `path` through a temporary file beside it (same folder, so the final
 * rename is atomic), created exclusively with `mode`. `run` writes into the stream it is given and
 * returns what it wrote once the data is checked; only then is the file renamed into place, and
 * on any failure the temporary file is removed, so `path` is never left half-written.
 */
async function saveToFile(
  path: string,
  mode: number,
  run: (into: WritableStream<Uint8Array>) => Promise<{ bytes: number; md5: string }>,
): Promise<SavedMedia> {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")) + 1;
  const name = path.slice(cut);
  if (name === "" || name === "." || name === "..") {
    throw new TypeError(`Cannot download to "${path}": not a file path`);
  }
  const temp = `${path.slice(0, cut)}.${name}.${
    toHex(crypto.getRandomValues(new Uint8Array(6)))
  }.part`;
  const file = await Deno.open(temp, { write: true, createNew: true, mode });
  let open = true;
  const close = () => {
    if (open) file.close();
    open = false;
  };
  const into = new WritableStream<Uint8Array>({
    async write(chunk) {
      // FsFile.write may write less than asked: loop until the piece is on disk.
      for (let done = 0; done < chunk.length;) done += await file.write(chunk.subarray(done));
    },
    close,
    abort: close,
  });
  try {
    const written = await run(into);
    close();
    await Deno.rename(temp, path);
    return { path, ...written };
  } catch (err) {
    close();
    await Deno.remove(temp).catch(() => {});
    throw err;
  }
}

function mediaField(m: Message): Pick<Message, "image" | "voice" | "file" | "video"> {
  const out: Pick<Message, "image" | "voice" | "file" | "video"> = {};
  if (m.image) out.image = m.image;
  else if (m.voice) out.voice = m.voice;
  else if (m.file) out.file = m.file;
  else if (m.video) out.video = m.video;
  return out;
}
