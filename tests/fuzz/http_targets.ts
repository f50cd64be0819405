/**
 * The HTTP fuzz targets: tool calls over the real OpenAPI server (`POST /tools/<name>`), and the
 * control API of a running sandbox (`/_control/*`). Both servers run in the fuzzer's server-host
 * worker; requests go over real HTTP with a time limit each.
 *
 * Allowed answers: 2xx with a JSON body (a tool's 200 must match its output schema), 4xx with a
 * JSON `{error}` body. A 5xx, a non-JSON error, or no answer in time is a failure.
 *
 * @module
 */

import { FAULT_ENDPOINTS, FAULT_KINDS } from "../../src/sandbox/mod.ts";
import { outputs, type ToolName } from "../../src/server/schemas.ts";
import { parseJsonLossless } from "../../src/protocol/json.ts";
import type { WireMessage } from "../../src/protocol/types.ts";
import { InvalidMessageError, Message } from "../../src/models/mod.ts";
import { check, HangError, type HttpEnv, OracleError, type Target } from "./harness.ts";
import type { Rng } from "./prng.ts";
import { printable } from "./shrink.ts";
import { TOOL_NAMES, toolCall, wireSeedText } from "./targets.ts";
import { PNG_BYTES } from "./fixtures.ts";
import {
  docText,
  isTreeObject,
  type JsonDoc,
  jsonText,
  type MutateOptions,
  mutateText,
  mutateTree,
  obj,
  randomEdits,
  RawJson,
  setKey,
  shallow,
  substitute,
  type Tree,
  type TreeObject,
} from "./values.ts";

/** Time limit of one request (tools that wait are bounded to a short wait by the generator). */
const REQUEST_TIMEOUT_MS = 8_000;

/** An answer read in full. */
interface Answer {
  status: number;
  contentType: string;
  text: string;
}

/** Sends one request and reads the whole answer, or throws {@linkcode HangError}. */
async function request(url: string, init: RequestInit, timeoutMs: number): Promise<Answer> {
  const signal = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetch(url, { ...init, signal });
    const text = await res.text();
    return { status: res.status, contentType: res.headers.get("content-type") ?? "", text };
  } catch (error) {
    if (signal.aborted) throw new HangError(`no answer within ${timeoutMs} ms`);
    throw error;
  }
}

/**
 * The allowed shapes of an answer; returns the parsed body. With `binary`, a 2xx may be anything
 * (media bytes).
 */
function checkAnswer(answer: Answer, what: string, binary = false): unknown {
  const excerpt = () => printable(answer.text, 300);
  check(answer.status < 500, `${what} answered HTTP ${answer.status}`, excerpt);
  if (binary && answer.status < 300) return undefined;
  let body: unknown;
  try {
    body = JSON.parse(answer.text);
  } catch {
    throw new OracleError(`${what} answered HTTP ${answer.status} without JSON`, {
      detail: excerpt(),
    });
  }
  check(
    answer.contentType.toLowerCase().startsWith("application/json"),
    `${what} answered HTTP ${answer.status} with a body that is not declared JSON`,
    () => answer.contentType,
  );
  if (answer.status >= 400) {
    check(
      isTreeObject(body) && typeof body.error === "string",
      `${what} answered HTTP ${answer.status} without an error message`,
      excerpt,
    );
  }
  return body;
}

// =============================================================================== 6. REST

/** One REST case. */
export interface RestInput {
  /** The path segment after `/tools/`. */
  tool: string;
  /** The body: a JSON document, nothing, raw bytes, or a JSON text past the body limit. */
  body:
    | { kind: "doc"; doc: JsonDoc }
    | { kind: "empty" }
    | { kind: "bytes"; bytes: Uint8Array }
    | { kind: "huge"; size: number };
  /** `Content-Type`, or none. */
  contentType: string | null;
  /** Other headers. */
  headers: [string, string][];
}

const CONTENT_TYPES: readonly (string | null)[] = [
  "application/json; charset=utf-8",
  "APPLICATION/JSON",
  "application/json;",
  " application/json ",
  "application/json; charset=latin1",
  "text/plain",
  "text/plain; charset=utf-8",
  "application/x-www-form-urlencoded",
  "multipart/form-data; boundary=x",
  "application/jsonp",
  "application/json, text/plain",
  "application/vnd.api+json",
  "",
  null,
];

const EXTRA_HEADERS: readonly [string, string][] = [
  ["origin", "http://evil.example"],
  ["origin", "null"],
  ["origin", "http://localhost:1"],
  ["origin", "$ORIGIN"],
  ["sec-fetch-site", "cross-site"],
  ["sec-fetch-site", "same-origin"],
  ["authorization", "Bearer nope"],
  ["authorization", "Basic Zm9vOmJhcg=="],
  ["accept", "text/html"],
  ["x-forwarded-host", "evil.example"],
  ["accept-encoding", "gzip, deflate, br"],
  ["content-encoding", "gzip"],
];

const BAD_TOOL_NAMES: readonly string[] = [
  "__proto__",
  "constructor",
  "hasOwnProperty",
  "RECV",
  "recv%00",
  "%2e%2e",
  "..",
  "recv;x",
  "a".repeat(300),
  "%F0%9F%98%80",
  "%ZZ",
];

/**
 * 1–64 random bytes, the first one not ASCII: never empty or white space, which the server reads
 * as no arguments at all (the "empty" body kind covers that).
 */
function junkBytes(rng: Rng): Uint8Array {
  const bytes = rng.bytes(rng.range(1, 64));
  bytes[0] = bytes[0]! | 0x80;
  return bytes;
}

/** Tools whose answer waits for `timeout` seconds: their waits are kept short. */
const WAITING_TOOLS = new Set(["recv", "login"]);

function numeric(v: Tree | undefined): number | undefined {
  if (typeof v === "number") return v;
  if (v instanceof RawJson) return Number(v.text);
  return undefined;
}

/**
 * Keeps the wait of `recv` and `login` short: an absent or valid long `timeout` becomes 0 (the
 * wait itself is the tools' documented behaviour, not a hang; invalid values stay as they are).
 */
function boundWait(tool: string, args: Tree): Tree {
  if (!WAITING_TOOLS.has(tool) || !isTreeObject(args)) return args;
  const t = args.timeout;
  const n = numeric(t);
  if (t !== undefined && !(n !== undefined && n > 0.2 && n <= 120)) return args;
  const copy = shallow(args);
  setKey(copy, "timeout", 0);
  return copy;
}

/** Target 6: the OpenAPI server over HTTP. */
export const restTarget: Target<RestInput, HttpEnv> = {
  name: "rest",
  summary: "POST /tools/<name> on serveOpenApi (real client on a sandbox): never 5xx, never hangs",
  weight: 5,
  generate(rng) {
    const call = toolCall(rng);
    const tool = rng.chance(0.95) ? call.tool : rng.pick(BAD_TOOL_NAMES);
    let args = boundWait(tool, call.args ?? obj([]));
    // Logging the serving session out once teaches all there is to learn; doing it every few
    // dozen cases would leave the server logged out for most of the run. Most logouts name
    // another session.
    if (tool === "logout" && isTreeObject(args) && !args.session_name && rng.chance(0.85)) {
      args = obj([...Object.entries(args), ["session_name", "work"]]);
    }
    const r = rng.float();
    const body: RestInput["body"] = r < 0.86
      ? {
        kind: "doc",
        doc: {
          tree: args,
          rawStrings: rng.chance(0.3),
          edits: rng.chance(0.15) ? randomEdits(rng) : [],
        },
      }
      // An empty body means default arguments: for recv and login a wait of 5 or 30 s.
      : r < 0.91 && !WAITING_TOOLS.has(tool)
      ? { kind: "empty" }
      : r < 0.96
      ? {
        kind: "bytes",
        bytes: rng.chance(0.5) ? junkBytes(rng) : Uint8Array.of(0xff, 0xfe, 0x7b, 0x7d),
      }
      : { kind: "huge", size: 1024 * 1024 + rng.range(-64, 64) };
    const contentType = rng.chance(0.7) ? "application/json" : rng.pick(CONTENT_TYPES);
    const headers = rng.chance(0.15) ? [rng.pick(EXTRA_HEADERS)] : [];
    return { tool, body, contentType, headers };
  },
  async run(input, env) {
    const headers = new Headers();
    if (input.contentType !== null) headers.set("content-type", input.contentType);
    const origin = new URL(env.openapiUrl).origin;
    for (const [k, v] of input.headers) headers.set(k, v === "$ORIGIN" ? origin : v);
    let body: BodyInit | undefined;
    switch (input.body.kind) {
      case "doc":
        body = docText({
          ...input.body.doc,
          tree: substitute(input.body.doc.tree, env.vars),
        });
        break;
      case "bytes":
        body = input.body.bytes as Uint8Array<ArrayBuffer>;
        break;
      case "huge":
        body = `{"text":"${"a".repeat(input.body.size)}"}`;
        break;
    }
    const what = `POST /tools/${input.tool}`;
    const answer = await request(
      `${env.openapiUrl}/tools/${input.tool}`,
      { method: "POST", headers, ...(body !== undefined ? { body } : {}) },
      REQUEST_TIMEOUT_MS,
    );
    const json = checkAnswer(answer, what);
    if (answer.status === 200 && (TOOL_NAMES as readonly string[]).includes(input.tool)) {
      const parsed = outputs[input.tool as ToolName].safeParse(json);
      check(
        parsed.success,
        `${what} answered 200 with output that breaks its schema`,
        () => parsed.error!.message.slice(0, 300),
      );
    }
  },
  describe(input) {
    const head = `POST /tools/${printable(input.tool, 80)} content-type=${
      JSON.stringify(input.contentType)
    }${input.headers.map(([k, v]) => ` ${k}=${JSON.stringify(v)}`).join("")}`;
    switch (input.body.kind) {
      case "doc":
        return `${head} body: ${printable(docText(input.body.doc))}`;
      case "bytes":
        return `${head} body bytes: ${[...input.body.bytes].map((b) => b.toString(16)).join(" ")}`;
      case "empty":
        return `${head} (no body)`;
      case "huge":
        return `${head} body of ${input.body.size + 12} bytes`;
    }
  },
  shrinkable(input) {
    const body = input.body.kind === "doc"
      ? [["body", "doc", "tree"], ["body", "doc", "edits"]]
      : input.body.kind === "bytes"
      ? [["body", "bytes"]]
      : [];
    return { edit: body, drop: input.headers.map((_, i) => ["headers", i]) };
  },
};

/** When the REST target last asked for a re-login of the server's default session. */
const restState = { reloginAt: 0 };

/** Keeps the OpenAPI server's client logged in and its user's reply quota fresh. */
export async function maintainRestServer(env: HttpEnv): Promise<void> {
  const post = async (url: string, body: unknown) =>
    JSON.parse(
      (await request(url, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(body),
      }, REQUEST_TIMEOUT_MS)).text,
    );
  type Sessions = {
    sessions?: { name: string; connected: boolean; is_default: boolean; bot_id: string | null }[];
  };
  const defaultSession = async () =>
    ((await post(`${env.openapiUrl}/tools/sessions`, {})) as Sessions).sessions?.find((s) =>
      s.is_default
    );
  let current = await defaultSession();
  const control = `${env.serverSandboxUrl}/_control`;
  // A fuzzed logout (or rename) left no logged-in default session: log it in again, playing the
  // phone through the sandbox, and wait for the client's next QR poll (about 1 s) to see it.
  if (!current?.connected && Date.now() - restState.reloginAt > 3_000) {
    restState.reloginAt = Date.now();
    await post(`${env.openapiUrl}/tools/login`, {
      session_name: current?.name ?? "default",
      force: true,
      timeout: 0,
    });
    const state = JSON.parse((await request(`${control}/state`, {}, REQUEST_TIMEOUT_MS)).text) as {
      pendingLogins: { qrcode: string }[];
    };
    const newest = state.pendingLogins.at(-1);
    if (newest) await post(`${control}/confirm`, { qrcode: newest.qrcode, userId: env.vars.USER });
    for (let i = 0; i < 15 && !current?.connected; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      current = await defaultSession();
    }
  }
  if (current?.bot_id) {
    env.vars.BOT = current.bot_id;
    await post(`${control}/inject`, {
      botId: current.bot_id,
      from: env.vars.USER,
      text: "keep going",
    });
  }
}

// =============================================================================== 7. sandbox

/** One control-API case. */
export interface ControlInput {
  /** `POST` for the writing routes, `GET` for the reading ones. */
  method: "POST" | "GET";
  /** The route after `/_control/`. */
  route: string;
  /** The body (POST). */
  doc: JsonDoc | null;
  /** The query string (GET). */
  query: [string, string][];
  /** `Content-Type`, or none. */
  contentType: string | null;
}

const B64_PNG = btoa(String.fromCharCode(...PNG_BYTES));

const CONTROL_KEYS: readonly string[] = [
  "botId",
  "userId",
  "qrcode",
  "scanOnly",
  "verifyCode",
  "from",
  "text",
  "voiceText",
  "fileName",
  "image",
  "voice",
  "file",
  "video",
  "quote",
  "title",
  "svrId",
  "items",
  "json",
  "endpoint",
  "kind",
  "ret",
  "errcode",
  "errmsg",
  "times",
  "field",
  "reviveAfterMs",
];

/** Valid bodies of each writing route (`$CTL_BOT`, `$CTL_USER`, `$QR` filled in at run time). */
function controlSeeds(rng: Rng): Record<string, TreeObject[]> {
  return {
    confirm: [
      obj([]),
      obj([["qrcode", "$QR"]]),
      obj([["qrcode", "$QR"], ["scanOnly", true]]),
      obj([["qrcode", "$QR"], ["verifyCode", "123456"]]),
      obj([["userId", "u_fuzz_peer@im.wechat"]]),
    ],
    inject: [
      obj([["botId", "$CTL_BOT"], ["from", "$CTL_USER"], ["text", "hi"]]),
      obj([["image", B64_PNG]]),
      obj([["file", B64_PNG], ["fileName", "photo.png"]]),
      obj([["voice", B64_PNG], ["voiceText", "transcript"]]),
      obj([["video", B64_PNG]]),
      obj([["text", "reply"], [
        "quote",
        obj([["title", "q"], ["text", "quoted"], [
          "svrId",
          "7300000000000000123",
        ]]),
      ]]),
      obj([["text", "extra"], ["items", [
        obj([["type", 1], ["text_item", obj([["text", "x"]])]]),
      ]]]),
    ],
    inject_raw: [
      obj([["json", wireSeedText(rng)]]),
      obj([["json", wireSeedText(rng)], ["botId", "$CTL_BOT"]]),
    ],
    fail: [
      obj([["endpoint", rng.pick(FAULT_ENDPOINTS)], ["kind", rng.pick(FAULT_KINDS)], [
        "times",
        1,
      ]]),
      obj([["endpoint", "sendmessage"], ["kind", "ret"], ["ret", -2], ["errmsg", "rate limited"]]),
    ],
    expire: [
      obj([["botId", "$CTL_BOT"]]),
      obj([["botId", "$CTL_BOT"], ["field", "ret"], ["reviveAfterMs", 50]]),
    ],
    revive: [obj([["botId", "$CTL_BOT"]])],
    stale_context: [obj([["botId", "$CTL_BOT"], ["userId", "$CTL_USER"]])],
    reset: [obj([])],
  };
}

const GET_ROUTES: readonly [string, [string, string][]][] = [
  ["state", []],
  ["violations", []],
  ["notes", []],
  ["requests", []],
  ["sent", [["botId", "$CTL_BOT"], ["to", "$CTL_USER"]]],
  ["chat", [["botId", "$CTL_BOT"], ["since", "0"], ["wait", "0"]]],
  ["media/$CTL_MSG", [["download", "1"]]],
];

const CONTROL_OPTIONS: MutateOptions = { keys: CONTROL_KEYS, longMax: 20_000, maxDepth: 2000 };

/** State the control target keeps between cases: the tokens of bots it saw confirmed. */
const controlState = { tokens: [] as string[], needLogin: false };

/** Forgets the HTTP targets' state (a new server host was started). */
export function resetHttpState(): void {
  controlState.tokens = [];
  controlState.needLogin = false;
  restState.reloginAt = 0;
}

async function controlPost(env: HttpEnv, route: string, body: unknown): Promise<Answer> {
  return await request(`${env.controlUrl}/_control/${route}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(body),
  }, REQUEST_TIMEOUT_MS);
}

/**
 * A pending QR login on the fuzzed sandbox; returns its code, or `undefined` when a fuzzed
 * `/fail` armed a fault on `get_bot_qrcode` (an error, malformed JSON or a hang answer instead).
 */
async function pendingQr(env: HttpEnv): Promise<string | undefined> {
  try {
    const answer = await request(`${env.controlUrl}/ilink/bot/get_bot_qrcode?bot_type=3`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    }, 2_000);
    const qrcode = (JSON.parse(answer.text) as { qrcode?: unknown }).qrcode;
    return typeof qrcode === "string" ? qrcode : undefined;
  } catch {
    return undefined;
  }
}

/** Logs a fresh harness bot in (after a fuzzed `/reset`) and lets its user write once. */
async function relogin(env: HttpEnv): Promise<void> {
  const qrcode = await pendingQr(env);
  if (qrcode === undefined) throw new Error("Cannot log the harness bot in: no QR code");
  const login = JSON.parse(
    (await controlPost(env, "confirm", { qrcode, userId: "u_ctl_user@im.wechat" })).text,
  ) as { botId: string; token: string; userId: string };
  env.vars.CTL_BOT = login.botId;
  env.vars.CTL_TOKEN = login.token;
  env.vars.CTL_USER = login.userId;
  await controlPost(env, "inject", { botId: login.botId, text: "hello control" });
}

/** Target 7: the sandbox's control API. */
export const controlTarget: Target<ControlInput, HttpEnv> = {
  name: "sandbox_control",
  summary: "POST/GET every /_control/* route of a running sandbox; getupdates still served",
  weight: 5,
  generate(rng) {
    if (rng.chance(0.2)) {
      const [route, query] = rng.pick(GET_ROUTES);
      const mutated = query.map(([k, v]): [string, string] => {
        if (!rng.chance(0.4)) return [k, v];
        const value = mutateTree(rng, v, CONTROL_OPTIONS, 2);
        return [k, typeof value === "string" ? value : jsonText(value)];
      });
      // The chat view long-polls up to `wait` ms by design; keep that out of the time limit.
      const bounded = mutated.map(([k, v]): [string, string] =>
        k === "wait" && !(Number(v) <= 300) ? [k, "50"] : [k, v]
      );
      // A URL cannot carry a lone surrogate: it goes as U+FFFD, as a browser would send it.
      const path = route.startsWith("media/") && rng.chance(0.3)
        ? `media/${
          encodeURIComponent(
            mutateText(rng, "7300000000000000123", CONTROL_OPTIONS, 1).toWellFormed(),
          )
        }`
        : route;
      return { method: "GET", route: path, doc: null, query: bounded, contentType: null };
    }
    const seeds = controlSeeds(rng);
    const route = rng.pick(Object.keys(seeds));
    const seed = rng.pick(seeds[route]!);
    const tree = rng.chance(0.15) ? seed : mutateTree(rng, seed, CONTROL_OPTIONS, 3);
    return {
      method: "POST",
      route,
      doc: { tree, rawStrings: rng.chance(0.3), edits: rng.chance(0.1) ? randomEdits(rng) : [] },
      query: [],
      contentType: rng.chance(0.9) ? "application/json" : rng.pick(CONTENT_TYPES),
    };
  },
  async run(input, env) {
    if (controlState.needLogin) {
      await relogin(env);
      controlState.needLogin = false;
    }
    const vars = { ...env.vars };
    // /confirm waits up to 10 s for a QR login to appear (its documented behaviour): one is
    // always pending, so the answer comes at once.
    if (input.route === "confirm") {
      const qrcode = await pendingQr(env);
      // Without a pending login /confirm would wait its 10 s for one: a fault makes this case moot.
      if (qrcode === undefined) return;
      vars.QR = qrcode;
    }
    const query = input.query.length
      ? `?${
        input.query.map(([k, v]) =>
          // A URL cannot carry a lone surrogate: it goes as U+FFFD, as URLSearchParams sends it.
          `${encodeURIComponent(k)}=${
            encodeURIComponent(String(substitute(v, vars)).toWellFormed())
          }`
        ).join("&")
      }`
      : "";
    const headers = new Headers();
    if (input.contentType !== null) headers.set("content-type", input.contentType);
    const init: RequestInit = { method: input.method, headers };
    if (input.doc) init.body = docText({ ...input.doc, tree: substitute(input.doc.tree, vars) });
    const what = `${input.method} /_control/${input.route}`;
    let answer: Answer;
    try {
      const route = String(substitute(input.route, vars));
      answer = await request(`${env.controlUrl}/_control/${route}${query}`, init, 5_000);
    } catch (error) {
      // A URL fetch refuses to send (a lone surrogate in the path) never reaches the server.
      if (error instanceof TypeError && !(error instanceof HangError)) return;
      throw error;
    }
    const body = checkAnswer(answer, what, input.route.startsWith("media/"));
    if (answer.status === 200 && input.route === "confirm" && isTreeObject(body)) {
      if (typeof body.token === "string") {
        controlState.tokens = [body.token, ...controlState.tokens].slice(0, 10);
      }
    }
    if (answer.status === 200 && input.route === "reset") controlState.needLogin = true;
    if (answer.status === 200 && input.route === "inject" && isTreeObject(body)) {
      if (typeof body.messageId === "string") env.vars.CTL_MSG = body.messageId;
    }
  },
  describe(input) {
    const query = input.query.length
      ? `?${input.query.map(([k, v]) => `${k}=${printable(v, 100)}`).join("&")}`
      : "";
    const body = input.doc ? ` body: ${printable(docText(input.doc))}` : "";
    return `${input.method} /_control/${printable(input.route, 100)}${query} content-type=${
      JSON.stringify(input.contentType)
    }${body}`;
  },
  shrinkable: (input) => ({
    edit: [
      ...(input.doc ? [["doc", "tree"], ["doc", "edits"]] : []),
      ...input.query.map((_, i) => ["query", i, 1]),
    ],
  }),
};

/** Whether a getupdates fault is armed (then a failing poll is the fault, not a bug). */
async function getupdatesFaultArmed(env: HttpEnv): Promise<boolean> {
  const state = JSON.parse(
    (await request(`${env.controlUrl}/_control/state`, {}, REQUEST_TIMEOUT_MS)).text,
  ) as { faults?: { endpoint: string }[] };
  return (state.faults ?? []).some((f) => f.endpoint === "getupdates");
}

/** One getupdates poll with a token: the answer, parsed losslessly. */
async function poll(env: HttpEnv, token: string): Promise<Record<string, unknown>> {
  const answer = await request(`${env.controlUrl}/ilink/bot/getupdates`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      authorization: `Bearer ${token}`,
      authorizationtype: "ilink_bot_token",
    },
    body: JSON.stringify({ get_updates_buf: "", base_info: { channel_version: "1.0.2" } }),
  }, 5_000);
  check(answer.status === 200, `getupdates answered HTTP ${answer.status}`);
  const body = parseJsonLossless(answer.text);
  check(isTreeObject(body), "getupdates answered something other than a JSON object");
  return body as Record<string, unknown>;
}

/**
 * After the control API was fuzzed: the sandbox still serves getupdates to every bot the run saw
 * logged in (unless a fuzzed fault was armed on it), what they receive is parsed without a crash,
 * and after a reset a new bot logs in and receives a message.
 */
export async function checkSandboxAfterFuzz(env: HttpEnv): Promise<void> {
  const state = await request(`${env.controlUrl}/_control/state`, {}, REQUEST_TIMEOUT_MS);
  checkAnswer(state, "GET /_control/state");
  if (!(await getupdatesFaultArmed(env))) {
    for (const token of [env.vars.CTL_TOKEN!, ...controlState.tokens]) {
      const body = await poll(env, token);
      for (const entry of Array.isArray(body.msgs) ? body.msgs : []) {
        try {
          JSON.stringify(Message.fromWire(entry as WireMessage, "fuzz@im.bot").toJSON());
        } catch (error) {
          if (!(error instanceof InvalidMessageError)) throw error;
        }
      }
    }
  }
  checkAnswer(await controlPost(env, "reset", {}), "POST /_control/reset");
  await relogin(env);
  const body = await poll(env, env.vars.CTL_TOKEN!);
  const texts = (Array.isArray(body.msgs) ? body.msgs : []).map((m) =>
    Message.fromWire(m as WireMessage).text
  );
  check(texts.includes("hello control"), "after a reset, a new bot does not receive its message");
}

/** Every HTTP target, in report order. */
export const HTTP_TARGETS: readonly Target<never, HttpEnv>[] = [
  restTarget,
  controlTarget,
] as unknown as Target<never, HttpEnv>[];
