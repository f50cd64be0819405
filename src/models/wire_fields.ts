/**
 * Readers for snake_case media objects. The wire format (spec §4.4) and the `data` column of the
 * message store (the Python original's serialiser) name the CDN reference, voice and video fields
 * the same way, so both parsers read them through these functions. Absent or malformed fields read
 * as their zero value (spec §1.6); numbers may also arrive as strings.
 *
 * @module
 */

import type { MediaInfo, VideoInfo, VoiceInfo } from "./media_info.ts";

/** A plain JSON object. */
export type JsonObject = Record<string, unknown>;

/** Whether `v` is a plain object (not `null`, not an array). */
export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/** A string field; numbers are turned into their decimal text, anything else into `fallback`. */
export function str(v: unknown, fallback = ""): string {
  if (typeof v === "string") return v;
  if (typeof v === "number" || typeof v === "bigint") return String(v);
  return fallback;
}

/** A number field, also accepted as numeric text; anything else reads as 0. */
export function num(v: unknown): number {
  if (typeof v === "number" && Number.isFinite(v)) return v;
  if (typeof v === "string" && v.trim() !== "" && Number.isFinite(Number(v))) return Number(v);
  return 0;
}

/** A CDN media reference (`encrypt_query_param`, `aes_key`, `encrypt_type`, `full_url`). */
export function readMediaInfo(v: unknown): MediaInfo {
  const m = isObject(v) ? v : {};
  return {
    encryptQueryParam: str(m.encrypt_query_param),
    aesKey: str(m.aes_key),
    encryptType: num(m.encrypt_type),
    fullUrl: str(m.full_url),
  };
}

/** A voice object: its media, duration, transcription and audio format. */
export function readVoiceInfo(v: unknown): VoiceInfo {
  const d = isObject(v) ? v : {};
  return {
    media: readMediaInfo(d.media),
    playtime: num(d.playtime),
    text: str(d.text),
    encodeType: num(d.encode_type),
    bitsPerSample: num(d.bits_per_sample),
    sampleRate: num(d.sample_rate),
  };
}

/** A video object: its media, duration, checksum, sizes and optional thumbnail. */
export function readVideoInfo(v: unknown): VideoInfo {
  const d = isObject(v) ? v : {};
  const info: VideoInfo = {
    media: readMediaInfo(d.media),
    playLength: num(d.play_length),
    videoMd5: str(d.video_md5),
    thumbWidth: num(d.thumb_width),
    thumbHeight: num(d.thumb_height),
    videoSize: num(d.video_size),
    thumbSize: num(d.thumb_size),
  };
  if (isObject(d.thumb_media)) info.thumbMedia = readMediaInfo(d.thumb_media);
  return info;
}
