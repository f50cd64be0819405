/**
 * The sandbox's CDN (spec §5): upload slots issued by `getuploadurl`, the encrypted blobs behind
 * download tokens, and the checks an upload must pass (spec §5.5).
 *
 * @module
 */

import { decryptAesEcb, encryptAesEcb, md5Hex } from "../crypto/mod.ts";
import { opaqueToken, randomBytes, randomHex } from "./wire_json.ts";

/**
 * `getuploadurl.media_type` (1 image, 2 video, 3 file, 4 voice) of each message item type
 * (2 image, 3 voice, 4 file, 5 video): spec §4.1 has two numberings.
 */
export const UPLOAD_TYPE_OF_ITEM: Readonly<Record<number, number>> = { 2: 1, 5: 2, 4: 3, 3: 4 };

/** An encrypted blob and what it was stored for. */
export interface MediaRecord {
  cipher: Uint8Array;
  key: Uint8Array;
  md5: string;
  rawsize: number;
  botId: string;
  /** The user the media belongs to: the recipient of an upload, the sender of inbound media. */
  user: string;
  /** `getuploadurl.media_type` numbering: 1 image, 2 video, 3 file, 4 voice. */
  mediaType: number;
}

/** What `getuploadurl` registered for one upload. */
export interface UploadSlot {
  /** Short id used by `upload_full_url`. */
  id: string;
  /** The opaque `upload_param`. */
  param: string;
  filekey: string;
  key: Uint8Array;
  rawsize: number;
  rawMd5: string;
  filesize: number;
  mediaType: number;
  botId: string;
  to: string;
}

/** Result of a CDN request, turned into an HTTP response by the route. */
export interface CdnResult {
  status: number;
  headers: Record<string, string>;
  body?: Uint8Array | string;
}

function reject(message: string): CdnResult {
  return { status: 400, headers: { "x-error-message": message }, body: message };
}

/** Upload slots and stored blobs, by token. */
export class CdnStore {
  readonly #media = new Map<string, MediaRecord>();
  readonly #slots = new Map<string, UploadSlot>();
  readonly #slotsById = new Map<string, UploadSlot>();

  /** Encrypts inbound media with a fresh key and stores it; returns its download token. */
  storeInbound(
    bytes: Uint8Array,
    owner: { botId: string; user: string; mediaType: number },
  ): { token: string; key: Uint8Array; cipher: Uint8Array } {
    const key = randomBytes(16);
    const cipher = encryptAesEcb(bytes, key);
    const token = opaqueToken();
    this.#media.set(token, { cipher, key, md5: md5Hex(bytes), rawsize: bytes.length, ...owner });
    return { token, key, cipher };
  }

  /** Registers an upload announced by `getuploadurl`. */
  openSlot(fields: Omit<UploadSlot, "id" | "param">): UploadSlot {
    const slot: UploadSlot = { id: randomHex(8), param: opaqueToken(), ...fields };
    this.#slots.set(slot.param, slot);
    this.#slotsById.set(slot.id, slot);
    return slot;
  }

  /** The blob behind a download token. */
  media(token: string): MediaRecord | undefined {
    return this.#media.get(token);
  }

  /**
   * Handles `POST /c2c/upload`: `query` holds the decoded parameters. The body must match the
   * slot's announced size, key and MD5; the answer carries the new download token in
   * `x-encrypted-param`.
   */
  upload(query: Map<string, string>, body: Uint8Array): CdnResult {
    const slotId = query.get("slot");
    let slot = slotId !== undefined ? this.#slotsById.get(slotId) : undefined;
    if (!slot) {
      const param = query.get("encrypted_query_param");
      if (param === undefined) return reject("missing encrypted_query_param");
      slot = this.#slots.get(param);
    }
    if (!slot) return reject("unknown upload slot");
    const filekey = query.get("filekey");
    if (filekey !== undefined && filekey !== slot.filekey) {
      return reject("filekey does not match the upload slot");
    }
    if (body.length !== slot.filesize) {
      return reject(`body length ${body.length} does not match filesize ${slot.filesize}`);
    }
    let plain: Uint8Array;
    try {
      plain = decryptAesEcb(body, slot.key);
    } catch {
      return reject("cannot decrypt the body with the registered aeskey");
    }
    if (plain.length !== slot.rawsize) {
      return reject(`decrypted size ${plain.length} does not match rawsize ${slot.rawsize}`);
    }
    const md5 = md5Hex(plain);
    if (md5 !== slot.rawMd5) return reject("md5 of the decrypted body does not match rawfilemd5");
    const token = opaqueToken();
    this.#media.set(token, {
      cipher: body,
      key: slot.key,
      md5,
      rawsize: plain.length,
      botId: slot.botId,
      user: slot.to,
      mediaType: slot.mediaType,
    });
    return { status: 200, headers: { "x-encrypted-param": token } };
  }

  /** Handles `GET /c2c/download`: the stored ciphertext for a download token. */
  download(token: string | undefined): CdnResult {
    const rec = token !== undefined ? this.#media.get(token) : undefined;
    if (!rec) {
      const message = token === undefined ? "missing encrypted_query_param" : "unknown media";
      return { status: 404, headers: { "x-error-message": message }, body: message };
    }
    return {
      status: 200,
      headers: { "content-type": "application/octet-stream" },
      body: rec.cipher,
    };
  }

  /** Forgets every slot and blob. */
  clear(): void {
    this.#media.clear();
    this.#slots.clear();
    this.#slotsById.clear();
  }
}
