/**
 * Metadata of the media a message carries (images, voice notes, files, videos), as the SDK hands
 * it out in camelCase. A module of types only, shared by the message models and the readers of
 * the wire and store formats. Re-exported by `models/mod.ts`.
 *
 * @module
 */

/** A CDN media reference (wire `CDNMedia`). */
export interface MediaInfo {
  /** Opaque CDN download token. */
  encryptQueryParam: string;
  /** AES key exactly as on the wire (Format A or B, spec §5.6); secret. */
  aesKey: string;
  /** Wire `encrypt_type`. */
  encryptType: number;
  /** Complete download URL when the server sent one, else `""`. */
  fullUrl: string;
}

/** Image metadata. */
export interface ImageInfo {
  /** The full-size image on the CDN. */
  media: MediaInfo;
  /** `image_item.aeskey` (32 hex chars), preferred over `media.aesKey`; `""` when absent. */
  aesKeyHex: string;
  /** Optional URL, normally empty. */
  url: string;
  /** Thumbnail width in pixels. */
  thumbWidth: number;
  /** Thumbnail height in pixels. */
  thumbHeight: number;
  /** Ciphertext size of the mid-size rendition. */
  midSize: number;
  /** Ciphertext size of the thumbnail. */
  thumbSize: number;
  /** Ciphertext size of the HD rendition. */
  hdSize: number;
}

/** Voice note metadata. */
export interface VoiceInfo {
  /** The audio on the CDN. */
  media: MediaInfo;
  /** Duration in milliseconds. */
  playtime: number;
  /** Server speech-to-text transcript, `""` when none. */
  text: string;
  /** Codec (1 pcm … 6 silk, 7 mp3). */
  encodeType: number;
  /** Bit depth. */
  bitsPerSample: number;
  /** Sample rate in Hz. */
  sampleRate: number;
}

/** File attachment metadata. */
export interface FileInfo {
  /** The file on the CDN. */
  media: MediaInfo;
  /** File name as sent by the user (untrusted: sanitise before using it as a path). */
  fileName: string;
  /** Plaintext size in bytes as a decimal string (as on the wire). */
  fileSize: string;
  /** Plaintext MD5, hex. */
  md5: string;
}

/** Video metadata. */
export interface VideoInfo {
  /** The video on the CDN. */
  media: MediaInfo;
  /** Duration (unit disputed between sources). */
  playLength: number;
  /** Plaintext MD5. */
  videoMd5: string;
  /** Thumbnail width in pixels. */
  thumbWidth: number;
  /** Thumbnail height in pixels. */
  thumbHeight: number;
  /** Thumbnail on the CDN, when sent. */
  thumbMedia?: MediaInfo;
  /** Ciphertext size of the video. */
  videoSize: number;
  /** Ciphertext size of the thumbnail. */
  thumbSize: number;
}
