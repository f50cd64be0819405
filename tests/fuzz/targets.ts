/**
 * The in-process fuzz targets: the wire message parser, AES keys and decryption, CDN URLs, the
 * command line's flag parsing and the servers' tool registry. Each calls the real code; only the
 * WeChat client behind the tools is a stub (it records calls and answers canned data).
 *
 * They run inside the fuzzer's worker (`local_worker.ts`), whose watchdog turns a case that takes
 * longer than its timeout into a hang.
 *
 * @module
 */

import { parseJsonLossless } from "../../src/protocol/json.ts";
import type { WireMessage } from "../../src/protocol/types.ts";
import { InvalidMessageError, Message } from "../../src/models/mod.ts";
import { MessageStore } from "../../src/store/mod.ts";
import {
  AesError,
  cipherSize,
  decodeAesKey,
  decryptAesEcb,
  encodeAesKeyForSend,
  encodeAesKeyRaw,
  encryptAesEcb,
  fromBase64,
  fromHex,
  toBase64,
  toHex,
} from "../../src/crypto/mod.ts";
import { cdnUrl, DEFAULT_CDN_BASE_URL } from "../../src/media/cdn_url.ts";
import { COMMANDS } from "../../src/cli/command_table.ts";
import type { Command, CommandContext } from "../../src/cli/command.ts";
import { flagsOf, UsageError } from "../../src/cli/flags.ts";
import {
  firstPositionalIndex,
  parseCommandArgs,
  resolveCommonOptions,
  wantsHelp,
} from "../../src/cli/parse.ts";
import {
  parseDirection,
  parseInteger,
  parseMessageType,
  parsePort,
  parseSeconds,
} from "../../src/cli/flag_values.ts";
import { Output } from "../../src/cli/output.ts";
import { historyQuery } from "../../src/cli/commands/history.ts";
import { serverOptions } from "../../src/cli/commands/servers.ts";
import { sandboxOptions } from "../../src/cli/commands/sandbox.ts";
import {
  FileAccessPolicy,
  MAX_TIME_MS,
  MIN_TIME_MS,
  parseTime,
  TimeSpecError,
} from "../../src/input/mod.ts";
import {
  createToolRegistry,
  type HistoryPaging,
  type SendContent,
  type ToolBackend,
  ToolError,
} from "../../src/server/tools.ts";
import { outputs, type ToolName } from "../../src/server/schemas.ts";
import { allowing, check, type LocalEnv, OracleError, type Target } from "./harness.ts";
import type { Rng } from "./prng.ts";
import { printable } from "./shrink.ts";
import {
  docText,
  isTreeObject,
  type JsonDoc,
  jsonText,
  mutateDoc,
  type MutateOptions,
  mutateText,
  mutateTree,
  obj,
  RawJson,
  substitute,
  type Tree,
  type TreeObject,
} from "./values.ts";
import { PNG_BYTES } from "./fixtures.ts";

const UINT64_MAX = (1n << 64n) - 1n;
const CANONICAL_ID = /^(?:0|[1-9]\d{0,19})$/;

function isCanonicalId(v: unknown): boolean {
  return typeof v === "string" && CANONICAL_ID.test(v) && BigInt(v) <= UINT64_MAX;
}

// =============================================================================== 1. wire

/** Every field name of the wire message model (spec §4.2–§4.4). */
const WIRE_KEYS: readonly string[] = [
  "seq",
  "message_id",
  "from_user_id",
  "to_user_id",
  "client_id",
  "create_time_ms",
  "update_time_ms",
  "delete_time_ms",
  "session_id",
  "group_id",
  "message_type",
  "message_state",
  "item_list",
  "context_token",
  "run_id",
  "type",
  "msg_id",
  "is_completed",
  "ref_msg",
  "text_item",
  "text",
  "image_item",
  "voice_item",
  "file_item",
  "video_item",
  "media",
  "thumb_media",
  "aeskey",
  "aes_key",
  "encrypt_query_param",
  "encrypt_type",
  "full_url",
  "mid_size",
  "hd_size",
  "thumb_size",
  "thumb_width",
  "thumb_height",
  "encode_type",
  "playtime",
  "file_name",
  "md5",
  "len",
  "video_size",
  "play_length",
  "video_md5",
  "title",
  "message_item",
  "svr_id",
  "partial_text",
  "tool_call_start_item",
  "tool_call_result_item",
  "msgs",
  "ret",
  "errcode",
  "get_updates_buf",
];

const id = (digits: string) => new RawJson(digits);

function cdnMedia(format: "A" | "B"): TreeObject {
  return obj([
    ["encrypt_query_param", "RVFQLWRlbW8="],
    [
      "aes_key",
      format === "A" ? "AAECAwQFBgcICQoLDA0ODw==" : "MDAwMTAyMDMwNDA1MDYwNzA4MDkwYTBiMGMwZDBlMGY=",
    ],
    ["encrypt_type", 1],
    ["full_url", "https://cdn.example/c2c/download?encrypted_query_param=RVFQLWRlbW8%3D"],
  ]);
}

/** One item of each kind, as the spec's tables describe them. */
function itemSeeds(): TreeObject[] {
  return [
    obj([["type", 1], ["text_item", obj([["text", "what is in this picture?"]])]]),
    obj([["type", 2], [
      "image_item",
      obj([
        ["aeskey", "000102030405060708090a0b0c0d0e0f"],
        ["media", cdnMedia("A")],
        ["mid_size", 16],
        ["thumb_width", 120],
        ["thumb_height", 80],
      ]),
    ]]),
    obj([["type", 3], [
      "voice_item",
      obj([
        ["media", cdnMedia("B")],
        ["encode_type", 6],
        ["sample_rate", 24000],
        ["playtime", 3200],
        ["text", "voice transcript"],
      ]),
    ]]),
    obj([["type", 4], [
      "file_item",
      obj([
        ["media", cdnMedia("B")],
        ["file_name", "report.pdf"],
        ["md5", "5d41402abc4b2a76b9719d911017c592"],
        ["len", "5"],
      ]),
    ]]),
    obj([["type", 5], [
      "video_item",
      obj([
        ["media", cdnMedia("B")],
        ["video_size", 4096],
        ["play_length", 12],
        ["video_md5", "5d41402abc4b2a76b9719d911017c592"],
        ["thumb_media", cdnMedia("B")],
      ]),
    ]]),
    obj([["type", 11], ["is_completed", false], [
      "tool_call_start_item",
      obj([["tool_name", "search"], ["tool_call_id", "c1"]]),
    ]]),
    obj([["type", 12], ["is_completed", true], [
      "tool_call_result_item",
      obj([["tool_name", "search"], ["tool_call_id", "c1"], ["status", "completed"]]),
    ]]),
    obj([["type", 1], ["msg_id", id("7300000000000000125")], [
      "text_item",
      obj([["text", "reply"]]),
    ], [
      "ref_msg",
      obj([["title", "quoted"], ["svr_id", id("7300000000000000099")], [
        "partial_text",
        obj([["start", "a"], ["end", "b"], ["startindex", 0], ["endindex", 1], [
          "quotemd5",
          "0cc175b9c0f1b6a831c399e269772661",
        ]]),
      ]]),
    ]]),
  ];
}

/** The inbound message of spec §4.5, verbatim. */
function exampleMessage(): TreeObject {
  return obj([
    ["seq", 42],
    ["message_id", id("7300000000000000123")],
    ["from_user_id", "u_demo_1@im.wechat"],
    ["to_user_id", "0a1b2c3d4e5f@im.bot"],
    ["create_time_ms", 1760000000000],
    ["session_id", "s_demo"],
    ["message_type", 1],
    ["message_state", 2],
    ["context_token", "Q1RYLWRlbW8tMDAx"],
    ["item_list", [
      obj([
        ["type", 1],
        ["text_item", obj([["text", "what is in this picture?"]])],
        [
          "ref_msg",
          obj([["title", "[image]"], [
            "message_item",
            obj([["type", 2], [
              "image_item",
              obj([
                ["aeskey", "000102030405060708090a0b0c0d0e0f"],
                ["media", cdnMedia("A")],
                ["mid_size", 16],
              ]),
            ]]),
          ]]),
        ],
      ]),
    ]],
  ]);
}

/** A quote nested `depth` levels deep (real quotes are one or two). */
function deepQuote(depth: number): Tree {
  let item: Tree = obj([["type", 1], ["text_item", obj([["text", "bottom"]])]]);
  for (let i = 0; i < depth; i++) {
    item = obj([["type", 1], ["text_item", obj([["text", `level ${i}`]])], [
      "ref_msg",
      obj([["title", "q"], ["message_item", item]]),
    ]]);
  }
  return item;
}

function wireMessageSeed(rng: Rng): TreeObject {
  if (rng.chance(0.3)) return exampleMessage();
  const items = itemSeeds();
  const count = rng.range(0, 3);
  const list: Tree[] = [];
  for (let i = 0; i < count; i++) list.push(rng.pick(items));
  if (rng.chance(0.08)) list.unshift(deepQuote(rng.pick([7, 8, 9, 64, 1000, 3000])));
  const entries: [string, Tree][] = [
    ["seq", rng.int(1000)],
    [
      "message_id",
      rng.chance(0.7) ? id(`73${String(rng.u32()).padStart(17, "0")}`) : "7300000000000000123",
    ],
    ["from_user_id", "u_demo_1@im.wechat"],
    ["to_user_id", "0a1b2c3d4e5f@im.bot"],
    ["create_time_ms", 1760000000000 + rng.int(1e9)],
    ["message_type", rng.chance(0.9) ? 1 : 2],
    ["message_state", 2],
    ["context_token", "Q1RYLWRlbW8tMDAx"],
    ["item_list", list],
  ];
  if (rng.chance(0.2)) entries.splice(1, 1);
  return obj(entries);
}

/** JSON text of a wire message seed, mutated half the time (the payload of `/inject_raw`). */
export function wireSeedText(rng: Rng): string {
  const seed = wireMessageSeed(rng);
  return jsonText(
    rng.chance(0.5) ? seed : mutateTree(rng, seed, { ...WIRE_OPTIONS, invalidJson: false }),
  );
}

/** A wire case: a message, or a whole `getupdates` answer whose `msgs` are parsed one by one. */
export interface WireInput {
  /** Whether the document is a `getupdates` answer. */
  batch: boolean;
  /** The JSON text, as a tree plus edits. */
  doc: JsonDoc;
}

const WIRE_OPTIONS: MutateOptions = {
  keys: WIRE_KEYS,
  invalidJson: true,
  maxDepth: 3000,
  hot: [
    "type",
    "message_id",
    "msg_id",
    "svr_id",
    "create_time_ms",
    "message_type",
    "item_list",
    "msgs",
    "ref_msg",
    "message_item",
    "text_item",
    "text",
    "image_item",
    "voice_item",
    "file_item",
    "video_item",
    "media",
    "aes_key",
    "aeskey",
    "len",
    "file_name",
    "from_user_id",
    "context_token",
    "title",
  ],
};

const ID_KEYS = new Set(["message_id", "msg_id", "svr_id"]);

/**
 * Where `JSON.parse` accepts the text, the lossless parse must give the same value except that
 * numeric ids became decimal strings naming the same number.
 */
function checkLossless(text: string, lossless: unknown): void {
  let plain: unknown;
  try {
    plain = JSON.parse(text);
  } catch {
    return;
  }
  const where = firstDifference(
    plain,
    lossless,
    (a, b, key) =>
      typeof a === "number" && typeof b === "string" && ID_KEYS.has(key) &&
      /^-?\d/.test(b) && Object.is(Number(b), a),
  );
  check(where === undefined, `the lossless parse differs from JSON.parse at ${where}`);
}

/**
 * The path of the first difference between two JSON values (`undefined` when equal), walked
 * without recursion. Leaves are equal as JSON writes them (-0 is 0), or when `same` says so.
 */
function firstDifference(
  a: unknown,
  b: unknown,
  same: (x: unknown, y: unknown, key: string) => boolean = () => false,
): string | undefined {
  const stack: [unknown, unknown, string, string][] = [[a, b, "$", ""]];
  while (stack.length) {
    const [x, y, where, key] = stack.pop()!;
    if (same(x, y, key)) continue;
    if (typeof x !== "object" || x === null || typeof y !== "object" || y === null) {
      if (x !== y) return where;
      continue;
    }
    const kx = Object.keys(x);
    if (
      Array.isArray(x) !== Array.isArray(y) || kx.join("\u0000") !== Object.keys(y).join("\u0000")
    ) {
      return where;
    }
    for (const k of kx) {
      const [vx, vy] = [(x as Record<string, unknown>)[k], (y as Record<string, unknown>)[k]];
      stack.push([vx, vy, `${where}.${k}`, k]);
    }
  }
  return undefined;
}

/** Properties every parsed message has, however hostile its wire form. */
function checkMessage(message: Message): void {
  check(
    message.messageId === undefined || isCanonicalId(message.messageId),
    "messageId is not a canonical uint64",
    () => JSON.stringify(message.messageId),
  );
  for (const item of message.items) {
    check(
      item.msgId === undefined || isCanonicalId(item.msgId),
      "an item's msgId is not a canonical uint64",
      () => JSON.stringify(item.msgId),
    );
  }
  check(
    Number.isInteger(message.timestamp) && message.timestamp >= 0 &&
      message.timestamp <= 8.64e15,
    "timestamp is not an epoch millisecond",
    () => String(message.timestamp),
  );
  check(typeof message.fromUser === "string", "fromUser is not a string");
  check(typeof message.contextToken === "string", "contextToken is not a string");
}

/** Target 1: `parseJsonLossless` then `Message.fromWire`, `toJSON()` and `MessageStore.store()`. */
export const wireTarget: Target<WireInput, LocalEnv> = {
  name: "wire",
  summary: "parseJsonLossless → Message.fromWire → toJSON → MessageStore.store (:memory:)",
  weight: 30,
  generate(rng) {
    const batch = rng.chance(0.4);
    const message = wireMessageSeed(rng);
    const seed: Tree = batch
      ? obj([
        ["ret", 0],
        ["get_updates_buf", "Q1VSU09SLTAwMDQy"],
        ["longpolling_timeout_ms", 35000],
        ["msgs", rng.chance(0.5) ? [message] : [message, wireMessageSeed(rng)]],
      ])
      : message;
    return { batch, doc: mutateDoc(rng, seed, WIRE_OPTIONS) };
  },
  run(input) {
    const text = docText(input.doc);
    let parsed: unknown;
    try {
      parsed = parseJsonLossless(text);
    } catch (error) {
      if (!(error instanceof SyntaxError)) throw error;
      let plainParses = true;
      try {
        JSON.parse(text);
      } catch {
        plainParses = false;
      }
      check(!plainParses, "parseJsonLossless refused text that JSON.parse accepts");
      return Promise.resolve();
    }
    checkLossless(text, parsed);
    const msgs = isTreeObject(parsed) && Array.isArray(parsed.msgs) ? parsed.msgs : undefined;
    const entries = input.batch && msgs ? msgs : [parsed];
    for (const entry of entries) {
      let message: Message;
      try {
        message = Message.fromWire(entry as WireMessage, "fuzz@im.bot");
      } catch (error) {
        if (error instanceof InvalidMessageError) continue;
        throw error;
      }
      checkMessage(message);
      JSON.stringify(message.toJSON());
      // A fresh store per message (0.3 ms): no id stored by another case, or by an earlier try
      // of the shrinker, turns this store into a skipped duplicate.
      using store = new MessageStore(":memory:", { maxAgeDays: null, maxCount: null });
      const inserted = store.store([message]);
      if (message.messageId !== undefined) {
        const back = store.getById(message.messageId);
        check(
          back?.messageId === message.messageId,
          "a stored message cannot be read back by its id",
        );
        // A message stored just now (not an earlier one with the same id) reads back the same.
        if (inserted === 1) {
          const where = firstDifference(message.toJSON(), back.toJSON());
          check(
            where === undefined,
            `the stored message reads back differently at ${where}`,
            () =>
              `${printable(JSON.stringify(message.toJSON()), 300)} vs ${
                printable(JSON.stringify(back.toJSON()), 300)
              }`,
          );
        }
      }
    }
    return Promise.resolve();
  },
  describe: (input) =>
    `${
      input.batch && isTreeObject(input.doc.tree) && "msgs" in input.doc.tree
        ? "getupdates body"
        : "message"
    }: ${printable(docText(input.doc))}`,
  shrinkable: () => ({ edit: [["doc", "tree"], ["doc", "edits"]] }),
};

// =============================================================================== 2. aes

/** An argument that should be bytes, in the shapes a caller might pass by mistake. */
export type BytesArg =
  | { kind: "u8"; bytes: Uint8Array; offset: number }
  | { kind: "u16" | "buffer" | "view" | "array"; bytes: Uint8Array }
  | { kind: "string" | "null" | "number" };

function bytesArg(arg: BytesArg): unknown {
  switch (arg.kind) {
    case "u8": {
      // A view into a larger buffer: native code must honour byteOffset.
      const backing = new Uint8Array(arg.bytes.length + arg.offset + 3);
      backing.set(arg.bytes, arg.offset);
      return backing.subarray(arg.offset, arg.offset + arg.bytes.length);
    }
    case "u16":
      return new Uint16Array(arg.bytes);
    case "buffer":
      return arg.bytes.slice().buffer;
    case "view":
      return new DataView(arg.bytes.slice().buffer);
    case "array":
      return Array.from(arg.bytes);
    case "string":
      return "000102030405060708090a0b0c0d0e0f";
    case "null":
      return null;
    case "number":
      return 16;
  }
}

function randomBytesArg(rng: Rng, bytes: Uint8Array): BytesArg {
  const r = rng.float();
  if (r < 0.85) return { kind: "u8", bytes, offset: rng.chance(0.5) ? 0 : rng.range(1, 7) };
  if (r < 0.95) return { kind: rng.pick(["u16", "buffer", "view", "array"] as const), bytes };
  return { kind: rng.pick(["string", "null", "number"] as const) };
}

/** A length near the block boundaries, sometimes past the native backend's piece size. */
function plainLength(rng: Rng): number {
  const r = rng.float();
  if (r < 0.5) return rng.pick([0, 1, 5, 15, 16, 17, 31, 32, 33, 48]);
  if (r < 0.98) return rng.int(4096);
  return 256 * 1024 + rng.range(-17, 17);
}

/** One AES case. */
export type AesInput =
  | { op: "decodeKey"; key: Uint8Array; value: Tree }
  | { op: "roundTrip"; key: Uint8Array; plain: Uint8Array }
  | { op: "decrypt"; cipher: BytesArg; key: BytesArg }
  | { op: "encodeKey"; key: BytesArg }
  | { op: "codec"; text: Tree }
  | { op: "cipherSize"; length: Tree };

const hexText = (b: Uint8Array) => toHex(b);

/** The valid encodings of `key`: hex (three cases), format A, format B (two cases). */
function keyEncodings(key: Uint8Array): string[] {
  const hex = hexText(key);
  const ascii = (s: string) => new TextEncoder().encode(s);
  return [
    hex,
    hex.toUpperCase(),
    hex.replace(/[a-f]/, (c) => c.toUpperCase()),
    toBase64(key),
    toBase64(ascii(hex)),
    toBase64(ascii(hex.toUpperCase())),
  ];
}

const AES_OPTIONS: MutateOptions = { keys: [], longMax: 70_000 };
const AES_ALLOWED = [AesError, TypeError, RangeError];

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The outcome of one call: bytes, or the error's class and code. */
function outcome(work: () => Uint8Array): { bytes?: Uint8Array; error?: string } {
  try {
    return { bytes: work() };
  } catch (error) {
    if (!(error instanceof AesError || error instanceof TypeError || error instanceof RangeError)) {
      throw error;
    }
    return { error: `${error.name}:${(error as { code?: string }).code ?? ""}` };
  }
}

/** Target 2: key decoding in every encoding, both AES backends, the key encoders and codecs. */
export const aesTarget: Target<AesInput, LocalEnv> = {
  name: "aes",
  summary: "decodeAesKey, encrypt/decryptAesEcb (pure and native), key encoders, hex/base64",
  weight: 20,
  generate(rng) {
    const key = rng.bytes(16);
    switch (rng.int(6)) {
      case 0:
      case 1: {
        const valid = rng.pick(keyEncodings(key));
        return {
          op: "decodeKey",
          key,
          value: rng.chance(0.2) ? valid : mutateTree(rng, valid, AES_OPTIONS, 2),
        };
      }
      case 2:
        return { op: "roundTrip", key, plain: rng.bytes(plainLength(rng)) };
      case 3: {
        let cipher: Uint8Array;
        if (rng.chance(0.5)) {
          cipher = encryptAesEcb(rng.bytes(plainLength(rng) % 200), key, { backend: "pure" });
          const at = rng.int(cipher.length);
          const damage = rng.float();
          if (damage < 0.3) cipher[at] = cipher[at]! ^ (1 << rng.int(8));
          else if (damage < 0.5) cipher = cipher.subarray(0, rng.int(cipher.length + 1));
        } else {
          cipher = rng.bytes(rng.chance(0.6) ? 16 * rng.range(0, 4) : rng.int(70));
        }
        const keyBytes = rng.chance(0.85) ? key : rng.bytes(rng.pick([0, 15, 17, 32]));
        return {
          op: "decrypt",
          cipher: randomBytesArg(rng, cipher),
          key: randomBytesArg(rng, keyBytes),
        };
      }
      case 4: {
        const bytes = rng.chance(0.7) ? key : rng.bytes(rng.pick([0, 15, 17, 32]));
        return { op: "encodeKey", key: randomBytesArg(rng, bytes) };
      }
      default: {
        if (rng.chance(0.3)) {
          return { op: "cipherSize", length: mutateTree(rng, rng.int(100), AES_OPTIONS, 1) };
        }
        const bytes = rng.bytes(rng.int(40));
        const seed = rng.chance(0.5) ? toBase64(bytes) : hexText(bytes);
        return { op: "codec", text: mutateTree(rng, seed, AES_OPTIONS, 2) };
      }
    }
  },
  async run(input) {
    switch (input.op) {
      case "decodeKey": {
        const value = jsonValue(input.value);
        const key = await allowing(AES_ALLOWED, () => decodeAesKey(value as string));
        if (typeof value === "string" && keyEncodings(input.key).includes(value)) {
          check(key !== undefined && sameBytes(key, input.key), "a valid key encoding was refused");
        }
        if (key === undefined) return;
        check(key instanceof Uint8Array && key.length === 16, "decoded key is not 16 bytes");
        // An independent decoder must agree: hex, or lenient base64 of 16 bytes or 32 hex chars.
        const text = value as string;
        let agrees = /^[0-9a-f]{32}$/i.test(text) && toHex(key) === text.toLowerCase();
        if (!agrees) {
          const raw = atob(text);
          agrees = raw.length === 16
            ? sameBytes(Uint8Array.from(raw, (c) => c.charCodeAt(0)), key)
            : raw.length === 32 && raw.toLowerCase() === toHex(key);
        }
        check(agrees, "decodeAesKey accepted a value that does not encode the key it returned");
        return;
      }
      case "roundTrip": {
        const { key, plain } = input;
        const pure = encryptAesEcb(plain, key, { backend: "pure" });
        const native = encryptAesEcb(plain, key, { backend: "native" });
        check(pure.length === cipherSize(plain.length), "ciphertext length is not cipherSize()");
        check(sameBytes(pure, native), "pure and native encryption differ");
        check(sameBytes(decryptAesEcb(pure, key, { backend: "pure" }), plain), "pure round trip");
        check(
          sameBytes(decryptAesEcb(native, key, { backend: "native" }), plain),
          "native round trip",
        );
        for (const encoded of [encodeAesKeyForSend(key), encodeAesKeyRaw(key), toHex(key)]) {
          check(sameBytes(decodeAesKey(encoded), key), "an encoded key does not decode to itself");
        }
        return;
      }
      case "decrypt": {
        const cipher = bytesArg(input.cipher) as Uint8Array;
        const key = bytesArg(input.key) as Uint8Array;
        const pure = outcome(() => decryptAesEcb(cipher, key, { backend: "pure" }));
        const native = outcome(() => decryptAesEcb(cipher, key, { backend: "native" }));
        check(
          pure.error === native.error &&
            (pure.bytes === undefined) === (native.bytes === undefined) &&
            (pure.bytes === undefined || sameBytes(pure.bytes, native.bytes!)),
          "pure and native decryption disagree",
          () => `${pure.error ?? "bytes"} vs ${native.error ?? "bytes"}`,
        );
        return;
      }
      case "encodeKey": {
        const key = bytesArg(input.key) as Uint8Array;
        for (const encode of [encodeAesKeyForSend, encodeAesKeyRaw]) {
          const text = await allowing(AES_ALLOWED, () => encode(key));
          if (text !== undefined) {
            check(sameBytes(decodeAesKey(text), key), "an encoded key does not decode to itself");
          }
        }
        return;
      }
      case "codec": {
        const text = jsonValue(input.text) as string;
        const b64 = await allowing([TypeError], () => fromBase64(text));
        if (b64 !== undefined) {
          check(toBase64(b64) === text, "fromBase64 accepted a non-canonical encoding");
          check(
            sameBytes(b64, Uint8Array.from(atob(text), (c) => c.charCodeAt(0))),
            "fromBase64 and atob disagree",
          );
        }
        const hex = await allowing([TypeError], () => fromHex(text));
        if (hex !== undefined) {
          check(toHex(hex) === String(text).toLowerCase(), "fromHex does not invert toHex");
        }
        return;
      }
      case "cipherSize": {
        const n = jsonValue(input.length) as number;
        const size = await allowing(AES_ALLOWED, () => cipherSize(n));
        if (size !== undefined) {
          check(
            size > n && size % 16 === 0 && size - n <= 16,
            "cipherSize is not the padded length",
            () => `cipherSize(${n}) = ${size}`,
          );
        }
        return;
      }
    }
  },
  describe(input) {
    const bytes = (b: BytesArg) =>
      "bytes" in b
        ? `${b.kind}(${b.bytes.length})${b.kind === "u8" ? `+${b.offset}` : ""} ${
          toHex(b.bytes.subarray(0, 48))
        }`
        : b.kind;
    switch (input.op) {
      case "decodeKey":
        return `decodeAesKey(${printable(jsonText(input.value))})`;
      case "roundTrip":
        return `round trip of ${input.plain.length} bytes`;
      case "decrypt":
        return `decryptAesEcb(${bytes(input.cipher)}, ${bytes(input.key)})`;
      case "encodeKey":
        return `encodeAesKey*(${bytes(input.key)})`;
      case "codec":
        return `fromBase64/fromHex(${printable(jsonText(input.text))})`;
      case "cipherSize":
        return `cipherSize(${printable(jsonText(input.length))})`;
    }
  },
  shrinkable(input) {
    switch (input.op) {
      case "decodeKey":
        return { edit: [["value"]] };
      case "roundTrip":
        return { edit: [["plain"]] };
      case "decrypt":
        return { edit: [["cipher", "bytes"], ["key", "bytes"]] };
      case "encodeKey":
        return { edit: [["key", "bytes"]] };
      case "codec":
        return { edit: [["text"]] };
      case "cipherSize":
        return { edit: [["length"]] };
    }
  },
};

/** A tree as the JavaScript value `JSON.parse` would give for it. */
function jsonValue(tree: Tree): unknown {
  return JSON.parse(jsonText(tree));
}

// =============================================================================== 3. cdn_url

/** One CDN URL case. */
export interface CdnUrlInput {
  /** The CDN base (configuration). */
  base: string;
  /** `download` or `upload` (rarely something else). */
  action: string;
  /** Query parameters: tokens from the server, a hex file key. */
  params: [string, string][];
}

const CDN_BASES: readonly string[] = [
  DEFAULT_CDN_BASE_URL,
  `${DEFAULT_CDN_BASE_URL}/`,
  "http://127.0.0.1:8080/c2c",
  "http://127.0.0.1:8080/c2c//",
  "http://[::1]:9000",
  "https://cdn.example",
  "http://localhost:1/a/b/c",
];

const CDN_OPTIONS: MutateOptions = { keys: [], longMax: 20_000 };

/** Target 3: `cdnUrl`, the download and upload URL builder of the media layer. */
export const cdnUrlTarget: Target<CdnUrlInput, LocalEnv> = {
  name: "cdn_url",
  summary: "cdnUrl(base, download|upload, params): a URL that parses and keeps every parameter",
  weight: 12,
  generate(rng) {
    const base0 = rng.pick(CDN_BASES);
    const base = rng.chance(0.6) ? base0 : mutateText(rng, base0, CDN_OPTIONS);
    const action = rng.chance(0.95) ? rng.pick(["download", "upload"]) : "../x?y#z";
    const token0 = toBase64(rng.bytes(23));
    const token = rng.chance(0.3) ? token0 : mutateText(rng, token0, CDN_OPTIONS);
    const params: [string, string][] = [["encrypted_query_param", token]];
    if (action === "upload") params.push(["filekey", toHex(rng.bytes(16))]);
    return { base, action, params };
  },
  run(input) {
    let url: string;
    try {
      url = cdnUrl(input.base, input.action, Object.fromEntries(input.params));
    } catch (error) {
      if (error instanceof TypeError || error instanceof RangeError) return Promise.resolve();
      throw error;
    }
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new OracleError("cdnUrl returned something that is not a URL", {
        detail: printable(url, 200),
      });
    }
    const base = URL.parse(input.base);
    check(base !== null, "cdnUrl accepted a base that is not a URL");
    check(
      parsed.origin === base.origin,
      "the URL is not on the base's origin",
      () => `${parsed.origin} vs ${base.origin}`,
    );
    if (input.action === "download" || input.action === "upload") {
      check(
        parsed.pathname.endsWith(`/${input.action}`),
        "the URL's path does not end with the action",
        () => parsed.pathname,
      );
      for (const [name, value] of input.params) {
        check(
          parsed.searchParams.get(name) === value,
          "a parameter does not survive the URL",
          () => name,
        );
      }
    }
    return Promise.resolve();
  },
  describe: (input) =>
    `cdnUrl(${printable(JSON.stringify(input.base))}, ${JSON.stringify(input.action)}, ${
      printable(JSON.stringify(Object.fromEntries(input.params)))
    })`,
  shrinkable: (input) => ({
    edit: [["base"], ...input.params.map((_, i) => ["params", i, 1])],
  }),
};

// =============================================================================== 4. cli

/** Realistic values per flag name, the seeds the mutations start from. */
const FLAG_VALUES: Readonly<Record<string, readonly string[]>> = {
  "base-path": ["/tmp/weilink", "./data", "~/.weilink"],
  "log-level": ["DEBUG", "INFO", "WARNING", "ERROR", "warn", "debug"],
  "base-url": ["http://127.0.0.1:8080", "https://ilinkai.weixin.qq.com"],
  "cdn-base-url": ["https://novac2c.cdn.weixin.qq.com/c2c", "http://127.0.0.1:8080/c2c"],
  timeout: ["5", "0", "0.5", "30", "86400"],
  consumer: ["cli", "my-script"],
  text: ["hello", "invoice"],
  image: ["./cat.png"],
  file: ["./report.pdf"],
  "file-name": ["report.pdf"],
  video: ["./clip.mp4"],
  voice: ["./note.silk"],
  output: ["./out"],
  user: ["u_demo_1@im.wechat"],
  bot: ["0a1b2c3d4e5f@im.bot"],
  type: ["TEXT", "image", "3", "video"],
  direction: ["received", "sent", "SENT"],
  since: ["2h", "7d", "2026-03-30", "1700000000000", "now", "yesterday", "30m ago"],
  until: [
    "now",
    "today",
    "2026-03-30T08:00:00+08:00",
    "2026-03-30 08:00:00",
    "2026-03-30T23:59:59.999Z",
    "2024-02-29T12:00:00-05:30",
  ],
  limit: ["50", "1", "200"],
  offset: ["0", "100"],
  transport: ["stdio", "sse", "http", "streamable-http"],
  host: ["127.0.0.1", "::1", "[::1]", "localhost"],
  port: ["8000", "0", "65535"],
  "admin-port": ["8080"],
  token: ["0123456789abcdef0123456789abcdef"],
  "token-file": ["./token"],
  "allow-read": ["/tmp:/var/tmp", "./media"],
  "allow-write": ["./downloads"],
  "max-body-bytes": ["1048576", "1024"],
  "max-sessions": ["64"],
  "session-idle-timeout": ["600", "0.5"],
  "long-poll-ms": ["35000", "0"],
  "window-ms": ["86400000"],
  quota: ["10"],
  "qr-ttl-ms": ["300000"],
  "exit-after": ["10"],
};

const POSITIONAL_VALUES: Readonly<Record<string, readonly string[]>> = {
  SESSION: ["work", "default"],
  TO: ["u_demo_1@im.wechat"],
  MESSAGE_ID: ["7300000000000000123"],
  OLD: ["default"],
  NEW: ["main"],
  NAME: ["work"],
};

/** Every command path with its command: `login`, …, `sessions rename`, `sessions default`. */
const COMMAND_PATHS: readonly [string, Command][] = COMMANDS.flatMap((c) => [
  [c.name, c] as [string, Command],
  ...(c.subcommands ?? []).map((s) => [`${c.name} ${s.name}`, s] as [string, Command]),
]);

const EXTRA_ARGS: readonly string[] = [
  "--nope",
  "-z",
  "---x",
  "--",
  "-",
  "--port=",
  "--json=1",
  "--=",
  "-\u0000",
  "--help",
  "-h",
  "stray",
  "--no-json",
  "--text",
  "-p",
  "-pq",
  "--log-level",
];

/** One command-line case: a command, its argv, or a single value parser. */
export type CliInput =
  | { op: "argv"; command: string; argv: Tree }
  | { op: "value"; parser: string; value: Tree };

const CLI_OPTIONS: MutateOptions = { keys: [], longMax: 5_000 };

/** A valid argument list for `command`, in one of the spellings parseArgs accepts. */
function validArgv(rng: Rng, command: Command): string[] {
  const argv: string[] = [];
  for (const spec of command.positionals ?? []) {
    if (spec.optional && rng.chance(0.5)) continue;
    argv.push(rng.pick(POSITIONAL_VALUES[spec.name] ?? ["x"]));
  }
  for (const [name, spec] of Object.entries(flagsOf(command))) {
    if (name === "help" || rng.chance(0.6)) continue;
    if (spec.type === "boolean") {
      argv.splice(
        rng.int(argv.length + 1),
        0,
        spec.short && rng.chance(0.3) ? `-${spec.short}` : `--${name}`,
      );
      continue;
    }
    const value = rng.pick(FLAG_VALUES[name] ?? ["x"]);
    const spelling = rng.int(4);
    const words = spelling === 0
      ? [`--${name}=${value}`]
      : spelling === 1 && spec.short
      ? [`-${spec.short}${value}`]
      : [spec.short && rng.chance(0.5) ? `-${spec.short}` : `--${name}`, value];
    argv.splice(rng.int(argv.length + 1), 0, ...words);
  }
  return argv;
}

const VALUE_PARSERS: Readonly<Record<string, (v: string) => number>> = {
  time: (v) => parseTime(v, "--since", NOW),
  integer: (v) => parseInteger(v, "--limit", { min: 1, max: 200 }),
  unbounded: (v) => parseInteger(v, "--offset", { min: 0 }),
  seconds: (v) => parseSeconds(v, "--timeout"),
  port: (v) => parsePort(v, "--port"),
  type: (v) => parseMessageType(v),
  direction: (v) => parseDirection(v),
};

/** ISO 8601 with a zone, in the form `Date.parse` is specified to read. */
const STRICT_ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{3})?(?:Z|[+-]\d{2}:\d{2})$/;

/** A fixed "now" so that relative times replay exactly. */
const NOW = Date.UTC(2026, 2, 30, 12);

const silentOutput = () =>
  new Output({ json: false, quiet: true, stdout: () => {}, stderr: () => {} });

function checkRange(value: number, min: number, max: number, what: string): void {
  check(
    typeof value === "number" && Number.isFinite(value) && value >= min && value <= max,
    `${what} is outside its range`,
    () => `${value} is not in ${min}..${max}`,
  );
}

/** Target 4: the CLI's strict flag parsing, common options and every flag-value parser. */
export const cliTarget: Target<CliInput, LocalEnv> = {
  name: "cli",
  summary: "parseCommandArgs → resolveCommonOptions → each command's value parsers (all COMMANDS)",
  weight: 15,
  generate(rng) {
    if (rng.chance(0.3)) {
      const parser = rng.pick(Object.keys(VALUE_PARSERS));
      const seeds = parser === "time" ? FLAG_VALUES.since! : ["5", "0", "200", "TEXT", "sent"];
      return {
        op: "value",
        parser,
        value: rng.chance(0.5)
          ? rng.pick([...seeds, ...FLAG_VALUES.until!])
          : mutateText(rng, rng.pick(seeds), CLI_OPTIONS),
      };
    }
    const [path, command] = rng.pick(COMMAND_PATHS);
    let argv: Tree = validArgv(rng, command);
    if (rng.chance(0.8)) {
      argv = mutateTree(rng, argv, { ...CLI_OPTIONS, keys: [] }, 3);
      if (rng.chance(0.3) && Array.isArray(argv)) {
        argv = [...argv];
        argv.splice(rng.int(argv.length + 1), 0, rng.pick(EXTRA_ARGS));
      }
    }
    return { op: "argv", command: path, argv };
  },
  run(input) {
    const allowed = [UsageError, TimeSpecError];
    if (input.op === "value") {
      const parse = VALUE_PARSERS[input.parser]!;
      const value = jsonValue(input.value);
      if (typeof value !== "string") return Promise.resolve();
      return allowing(allowed, () => {
        const n = parse(value);
        if (input.parser === "time") {
          check(Number.isInteger(n), "parseTime gave a fraction", () => String(n));
          checkRange(n, MIN_TIME_MS, MAX_TIME_MS, "time");
          // Where the text is ISO 8601 as Date.parse reads it too, both must name the same instant.
          if (STRICT_ISO.test(value.trim())) {
            const reference = Date.parse(value.trim());
            check(
              Number.isNaN(reference) || reference === n,
              "parseTime and Date.parse disagree",
              () => `${n} vs ${reference}`,
            );
          }
        } else if (input.parser === "integer") checkRange(n, 1, 200, "--limit");
        else if (input.parser === "port") checkRange(n, 0, 65535, "--port");
        else if (input.parser === "seconds") checkRange(n, 0, 86_400, "--timeout");
        else if (input.parser === "unbounded") {
          checkRange(n, 0, Number.MAX_SAFE_INTEGER, "--offset");
        }
      }).then(() => {});
    }
    const command = COMMAND_PATHS.find(([p]) => p === input.command)?.[1];
    if (!command) throw new Error(`No command "${input.command}"`);
    // argv is what the shell hands over: strings only. Other JSON types are not argv.
    const raw = jsonValue(input.argv);
    if (!Array.isArray(raw) || raw.some((a) => typeof a !== "string")) return Promise.resolve();
    const argv = raw as string[];
    firstPositionalIndex(argv, flagsOf(command));
    if (wantsHelp(argv)) return Promise.resolve();
    return allowing(allowed, () => {
      const parsed = parseCommandArgs(command, input.command, argv);
      const common = resolveCommonOptions(parsed.values, input.command);
      const ctx: CommandContext = {
        commandPath: input.command,
        values: parsed.values,
        positionals: parsed.positionals,
        common,
        out: silentOutput(),
        signal: new AbortController().signal,
      };
      const str = (name: string) => {
        const v = parsed.values[name];
        return typeof v === "string" ? v : undefined;
      };
      switch (input.command) {
        case "history": {
          const query = historyQuery(parsed.values, NOW);
          checkRange(query.limit ?? 50, 1, 200, "limit");
          checkRange(query.offset ?? 0, 0, Number.MAX_SAFE_INTEGER, "offset");
          if (query.since !== undefined && query.until !== undefined) {
            check(query.since <= query.until, "since is after until");
          }
          break;
        }
        case "mcp":
        case "openapi": {
          const options = serverOptions(ctx);
          checkRange(options.port ?? 8000, 0, 65535, "port");
          if (options.maxBodyBytes !== undefined) {
            checkRange(options.maxBodyBytes, 1024, 1024 ** 3, "max-body-bytes");
          }
          if (options.sessionIdleTimeoutMs !== undefined) {
            checkRange(options.sessionIdleTimeoutMs, 1e-9, 7 * 86_400_000, "idle timeout");
          }
          break;
        }
        case "sandbox": {
          const options = sandboxOptions(ctx);
          if (options.port !== undefined) checkRange(options.port, 0, 65535, "port");
          break;
        }
        case "recv": {
          const timeout = str("timeout");
          if (timeout !== undefined) {
            checkRange(parseSeconds(timeout, "--timeout"), 0, 86_400, "timeout");
          }
          break;
        }
        case "demo": {
          const exitAfter = str("exit-after");
          if (exitAfter !== undefined) parseSeconds(exitAfter, "--exit-after", 7 * 86_400);
          const port = str("port");
          if (port !== undefined) parsePort(port, "--port");
          break;
        }
      }
    }).then(() => {});
  },
  describe: (input) =>
    input.op === "value"
      ? `${input.parser}(${printable(jsonText(input.value))})`
      : `weilink ${input.command} ${printable(jsonText(input.argv))}`,
  shrinkable: (input) => ({ edit: [[input.op === "value" ? "value" : "argv"]] }),
};

// =============================================================================== 5. tools

/** Valid arguments of every tool (`$FILES`, `$DATA` are the fixture's folders). */
const TOOL_SEEDS: Readonly<Record<ToolName, readonly TreeObject[]>> = {
  recv: [obj([["timeout", 0]]), obj([])],
  send: [
    obj([["to", "$USER"], ["text", "hello"]]),
    obj([["to", "$USER"], ["image_path", "$FILES/cat.png"]]),
    obj([["to", "$USER"], ["file_path", "$FILES/report.txt"], [
      "file_name",
      "report.txt",
    ]]),
    obj([["to", "$USER"], ["text", "both"], ["video_path", "$FILES/cat.png"], [
      "voice_path",
      "$DATA/downloads/saved.png",
    ]]),
    obj([["to", "fail@im.wechat"], ["text", "refused"]]),
  ],
  download: [
    obj([["message_id", "$MSG_IMAGE"]]),
    obj([["message_id", "$MSG_FILE"], ["save_dir", "$FILES/out"]]),
    obj([["message_id", "$MSG_TEXT"], ["save_dir", "$DATA/downloads/x"]]),
  ],
  history: [
    obj([]),
    obj([
      ["user_id", "$USER"],
      ["bot_id", "$BOT"],
      ["msg_type", "image"],
      ["direction", "received"],
      ["since", "7d"],
      ["until", "now"],
      ["text_contains", "invoice"],
      ["limit", 20],
      ["offset", 0],
    ]),
  ],
  sessions: [obj([])],
  login: [obj([]), obj([["session_name", "work"], ["timeout", 0], ["force", true]])],
  logout: [obj([]), obj([["session_name", "work"]])],
  rename_session: [obj([["old_name", "default"], ["new_name", "main"]])],
  set_default: [obj([["session_name", "work"]])],
  send_typing: [
    obj([["to", "$USER"]]),
    obj([["to", "$USER"], [
      "cancel",
      true,
    ]]),
  ],
};

const TOOL_NAMES = Object.keys(TOOL_SEEDS) as ToolName[];

const TOOL_KEYS: readonly string[] = [
  ...new Set(Object.values(TOOL_SEEDS).flatMap((seeds) => seeds.flatMap((s) => Object.keys(s)))),
  "timeout",
  "force",
  "cancel",
  "save_dir",
];

/** Paths a file-access policy must refuse or handle, mixed into path arguments. */
const HOSTILE_PATHS: readonly string[] = [
  "$FILES/big.bin",
  "$FILES/dir",
  "$FILES/fifo",
  "$FILES/link_out",
  "$FILES/link_token",
  "$FILES/link_in",
  "$FILES/empty.bin",
  "$FILES/missing.png",
  "$FILES/../data/default/token.json",
  "$DATA/default/token.json",
  "$DATA/downloads/../default/token.json",
  "$DATA",
  "$DATA/downloads",
  "/etc/passwd",
  "/dev/zero",
  "/dev/stdin",
  "/proc/self/environ",
  "",
  ".",
  "..",
  "~/.ssh/id_ed25519",
  "$FILES/a\u0000b",
  "$FILES/\ud800",
  `$FILES/${"n".repeat(300)}`,
  `$FILES/${"d/".repeat(2000)}x`,
];

const TOOL_OPTIONS: MutateOptions = { keys: TOOL_KEYS, longMax: 20_000, maxDepth: 2000 };

/** One tool call of a case. */
export interface ToolCall {
  /** Tool name (mostly real ones). */
  tool: string;
  /** Arguments as a tree, or `undefined` for a call without any. */
  args: Tree | undefined;
}

/** Calls made in order on one fresh registry (state such as pending logins carries over). */
export interface ToolsInput {
  /** The calls. */
  calls: ToolCall[];
}

/** A tool call: a seed, mutated, with hostile paths in path arguments now and then. */
export function toolCall(rng: Rng, opts: MutateOptions = TOOL_OPTIONS): ToolCall {
  const tool = rng.chance(0.97)
    ? rng.pick(TOOL_NAMES)
    : rng.pick(["__proto__", "constructor", "RECV", "recv ", "", "toString", "tools/recv"]);
  const seeds = TOOL_SEEDS[tool as ToolName] ?? [obj([])];
  let args: Tree = rng.pick(seeds);
  if (rng.chance(0.3) && isTreeObject(args)) {
    const key = rng.pick(["image_path", "file_path", "video_path", "voice_path", "save_dir"]);
    args = obj([...Object.entries(args), [key, rng.pick(HOSTILE_PATHS)]]);
  }
  if (rng.chance(0.8)) args = mutateTree(rng, args, opts, 3);
  return { tool, args: rng.chance(0.02) ? undefined : args };
}

const CANNED_WIRE: readonly WireMessage[] = [
  {
    message_id: "7300000000000000123",
    from_user_id: "u_demo_1@im.wechat",
    create_time_ms: 1760000000000,
    context_token: "ctx",
    item_list: [{
      type: 2,
      image_item: {
        aeskey: "000102030405060708090a0b0c0d0e0f",
        media: { encrypt_query_param: "q" },
      },
    }],
  } as WireMessage,
  {
    message_id: "7300000000000000125",
    from_user_id: "u_demo_1@im.wechat",
    create_time_ms: 1760000000001,
    item_list: [{
      type: 4,
      file_item: {
        file_name: "../../.bashrc\u202e.png",
        len: "5",
        media: { encrypt_query_param: "q" },
      },
    }],
  } as WireMessage,
  {
    message_id: "7300000000000000127",
    from_user_id: "u_demo_1@im.wechat",
    create_time_ms: 1760000000002,
    item_list: [{ type: 1, text_item: { text: "no media" } }],
  } as WireMessage,
];

/** A stand-in for the WeChat client only: records what reached it, answers canned data. */
class RecordingBackend implements ToolBackend {
  readonly calls: { method: string; args: unknown[] }[] = [];
  readonly messages = CANNED_WIRE.map((w) => Message.fromWire(w, "fuzz@im.bot"));

  #record(method: string, ...args: unknown[]): void {
    this.calls.push({ method, args });
  }

  recv(timeoutSeconds: number): Promise<Message[]> {
    this.#record("recv", timeoutSeconds);
    return Promise.resolve(this.messages);
  }

  send(to: string, content: SendContent) {
    this.#record("send", to, content);
    if (to === "fail@im.wechat") {
      return Promise.resolve({
        success: false,
        messageIds: ["7300000000000000201"],
        remaining: null,
        error: "The server refused the message",
        cause: new Error("refused"),
      });
    }
    return Promise.resolve({ success: true, messageIds: ["7300000000000000200"], remaining: 9 });
  }

  download(message: Message): Promise<Uint8Array> {
    this.#record("download", message);
    return Promise.resolve(PNG_BYTES);
  }

  typing(to: string, on: boolean): Promise<void> {
    this.#record("typing", to, on);
    return Promise.resolve();
  }

  sessions() {
    this.#record("sessions");
    return Promise.resolve([{
      name: "default",
      botId: "fuzz@im.bot",
      userId: "u_demo_1@im.wechat",
      connected: true,
      isDefault: true,
    }]);
  }

  defaultSessionName(): Promise<string> {
    return Promise.resolve("default");
  }

  login(sessionName: string | undefined, hooks: { onQr(url: string): void }) {
    this.#record("login", sessionName);
    // The QR code is there at once and the scan confirms at once: no call waits.
    hooks.onQr("http://127.0.0.1:1/phone?qrcode=fuzz");
    return Promise.resolve({ botId: "fuzz@im.bot", session: sessionName ?? "default" });
  }

  logout(sessionName: string | undefined): Promise<string> {
    this.#record("logout", sessionName);
    return Promise.resolve(sessionName ?? "default");
  }

  renameSession(oldName: string, newName: string): Promise<void> {
    this.#record("renameSession", oldName, newName);
    return Promise.resolve();
  }

  setDefault(sessionName: string): Promise<void> {
    this.#record("setDefault", sessionName);
    return Promise.resolve();
  }

  readonly history = {
    query: (filters: unknown, paging: HistoryPaging) => {
      this.#record("history.query", filters, paging);
      return Promise.resolve({
        messages: [{
          message_id: "7300000000000000123",
          from_user: "u_demo_1@im.wechat",
          msg_type: "TEXT",
          timestamp: 1760000000000,
          bot_id: "fuzz@im.bot",
          text: "hi",
          direction: "received" as const,
          to_user: "fuzz@im.bot",
        }],
        nextCursor: null,
      });
    },
    count: (filters: unknown) => {
      this.#record("history.count", filters);
      return Promise.resolve(1);
    },
    getById: (id: string) => {
      this.#record("history.getById", id);
      return Promise.resolve(this.messages.find((m) => m.messageId === id));
    },
  };
}

/** What reached the client must be of the types the tools promise it. */
function checkBackendCalls(calls: RecordingBackend["calls"]): void {
  const nonEmpty = (v: unknown) => typeof v === "string" && v.length > 0;
  for (const { method, args } of calls) {
    switch (method) {
      case "recv":
        checkRange(args[0] as number, 0, 120, "recv timeout");
        break;
      case "send": {
        const [to, content] = args as [unknown, SendContent];
        check(nonEmpty(to), "send reached the client without a recipient");
        check(content.text === undefined || typeof content.text === "string", "send text type");
        for (const media of [content.image, content.file, content.video, content.voice]) {
          check(media === undefined || media instanceof Uint8Array, "send media is not bytes");
        }
        break;
      }
      case "typing":
        check(nonEmpty(args[0]) && typeof args[1] === "boolean", "typing arguments");
        break;
      case "renameSession":
        check(nonEmpty(args[0]) && nonEmpty(args[1]), "rename arguments");
        break;
      case "setDefault":
        check(nonEmpty(args[0]), "set_default argument");
        break;
      case "history.query": {
        const { limit, offset, cursor } = args[1] as HistoryPaging;
        checkRange(limit, 1, 200, "history limit");
        check(Number.isSafeInteger(offset) && offset >= 0, "history offset");
        check(cursor === undefined || (typeof cursor === "string" && cursor !== ""), "cursor");
        break;
      }
    }
  }
}

let toolPolicy: FileAccessPolicy | undefined;

/** Target 5: `createToolRegistry(...).call(name, args)` with the real file-access policy. */
export const toolsTarget: Target<ToolsInput, LocalEnv> = {
  name: "tools",
  summary: "createToolRegistry().call(name, args): validation, file access, error mapping",
  weight: 13,
  generate(rng) {
    const count = rng.chance(0.7) ? 1 : rng.range(2, 3);
    return { calls: Array.from({ length: count }, () => toolCall(rng)) };
  },
  async run(input, env) {
    toolPolicy ??= new FileAccessPolicy({
      dataDir: env.vars.DATA!,
      allowRead: [env.vars.FILES!],
      allowWrite: [env.vars.FILES!],
      cwd: env.vars.FILES!,
      home: env.dir,
    });
    const backend = new RecordingBackend();
    const registry = createToolRegistry({
      backend: () => Promise.resolve(backend),
      files: toolPolicy,
    });
    try {
      for (const call of input.calls) {
        const args = call.args === undefined
          ? undefined
          : JSON.parse(jsonText(substitute(call.args, env.vars)));
        let result: Record<string, unknown>;
        try {
          result = await registry.call(call.tool, args);
        } catch (error) {
          if (!(error instanceof ToolError)) throw error;
          if (error.kind === "internal") {
            // The summary keeps the message's first words: causes differ by what failed.
            throw new OracleError(`internal tool error: ${error.message.slice(0, 40)}`, {
              cause: error.cause,
              detail: error.message,
            });
          }
          continue;
        }
        const schema = outputs[call.tool as ToolName];
        check(schema !== undefined, "an unknown tool returned a result", () => call.tool);
        const valid = schema.safeParse(result);
        check(
          valid.success,
          `${call.tool} returned output that breaks its schema`,
          () => valid.error!.message.slice(0, 300),
        );
        JSON.stringify(result);
      }
      checkBackendCalls(backend.calls);
    } finally {
      registry.dispose();
    }
  },
  describe: (input) =>
    input.calls.map((c) =>
      `${JSON.stringify(c.tool)}(${
        c.args === undefined ? "undefined" : printable(jsonText(c.args))
      })`
    ).join("; "),
  shrinkable: (input) => ({
    edit: input.calls.map((_, i) => ["calls", i, "args"]),
    drop: input.calls.length > 1 ? input.calls.map((_, i) => ["calls", i]) : [],
  }),
};

/** Every in-process target, in report order. */
export const LOCAL_TARGETS: readonly Target<never, LocalEnv>[] = [
  wireTarget,
  aesTarget,
  cdnUrlTarget,
  cliTarget,
  toolsTarget,
] as unknown as Target<never, LocalEnv>[];

/** Shared with the REST target: tool names and mutation options. */
export { TOOL_NAMES, TOOL_OPTIONS };
