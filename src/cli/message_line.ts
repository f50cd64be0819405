/**
 * How a message reads on a terminal: one line with its time, peer, type, id, text and a compact
 * note per attachment, quote and voice transcript.
 *
 * Everything in a message comes from the network, so it is made safe for a terminal first: a
 * sender must not be able to set the window title, clear the screen, move the cursor, forge a line
 * with `\r` or reorder text with bidi controls. Control, bidi and invisible format characters are
 * shown escaped (`\x1b`, `\u{202e}`). JSON output (`--json`) is never escaped: it is data.
 *
 * @module
 */

import type { Message, RefMessage } from "../models/mod.ts";
import { messageTypeName } from "../models/mod.ts";

/**
 * C0 and C1 controls and DEL; bidi embeddings, overrides, isolates and marks; zero-width and
 * other invisible format characters; line and paragraph separators.
 */
// deno-lint-ignore no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2060-\u2069\ufeff]/gu;

/** `text` with every character that could act on a terminal shown escaped instead. */
export function terminalSafe(text: string): string {
  return text.replace(UNSAFE, (ch) => {
    const code = ch.codePointAt(0)!;
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, "0")}` : `\\u{${code.toString(16)}}`;
  });
}

/** Latest instant a `Date` holds. */
const MAX_DATE_MS = 8.64e15;

/**
 * `2026-03-30 12:00:00` in UTC, as the original prints receive times. A value no date can hold
 * (a hostile `create_time_ms` stored by another program) is shown raw rather than failing the page.
 */
export function formatTimestamp(ms: number): string {
  if (typeof ms !== "number" || !Number.isFinite(ms) || Math.abs(ms) > MAX_DATE_MS) {
    return `time ${String(ms)}?`;
  }
  return new Date(ms).toISOString().replace("T", " ").slice(0, 19);
}

/** `1.2 KB` style sizes. */
function size(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return "? B";
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MB`;
}

/** `59 s` for a duration in milliseconds. */
function seconds(ms: number): string {
  return `${Math.round((Number.isFinite(ms) ? ms : 0) / 1000)} s`;
}

function shorten(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/** Compact notes for the content of a message or quote: attachments and transcripts. */
function contentNotes(m: Pick<Message, "image" | "voice" | "file" | "video">): string[] {
  const notes: string[] = [];
  if (m.image) notes.push(`[image${m.image.midSize ? ` ${size(m.image.midSize)}` : ""}]`);
  if (m.voice) {
    const transcript = m.voice.text ? `: "${shorten(m.voice.text, 60)}"` : "";
    notes.push(`[voice ${seconds(m.voice.playtime)}${transcript}]`);
  }
  if (m.file) {
    const bytes = Number(m.file.fileSize);
    notes.push(
      `[file "${shorten(m.file.fileName || "unnamed", 60)}"${
        m.file.fileSize !== "" && Number.isFinite(bytes) ? ` ${size(bytes)}` : ""
      }]`,
    );
  }
  if (m.video) notes.push(`[video${m.video.playLength ? ` ${m.video.playLength}` : ""}]`);
  return notes;
}

function quoteNote(ref: RefMessage): string {
  const what = ref.text ?? ref.title;
  const inner = [
    what ? `"${shorten(what, 40)}"` : messageTypeName(ref.msgType),
    ...contentNotes(ref),
  ];
  return `[quote ${inner.join(" ")}]`;
}

/** Options of {@linkcode describeMessage}. */
export interface DescribeOptions {
  /** Who is shown as the peer; default the sender. */
  peer?: string;
  /** Text before the peer, e.g. the direction column of `history`. */
  prefix?: string;
  /** Longest text shown; default unlimited. */
  maxText?: number;
}

/**
 * One terminal-safe line for a message: `[time] peer (TYPE) #id: text [file "a.pdf" 2.0 KB]
 * [voice 3 s: "…"] [quote "…"]`.
 */
export function describeMessage(message: Message, options: DescribeOptions = {}): string {
  let line = `  [${formatTimestamp(message.timestamp)}] ${options.prefix ?? ""}` +
    `${options.peer ?? message.fromUser} (${messageTypeName(message.msgType)})`;
  if (message.messageId) line += ` #${message.messageId}`;
  const parts: string[] = [];
  if (message.text) {
    parts.push(options.maxText ? shorten(message.text, options.maxText) : message.text);
  }
  parts.push(...contentNotes(message));
  if (message.refMsg) parts.push(quoteNote(message.refMsg));
  if (parts.length) line += `: ${parts.join(" ")}`;
  return terminalSafe(line);
}
