/**
 * Reply throughput: 100 cycles of [a user message, `recv()`, 10 text replies], the shape of a bot
 * answering in bursts, against a raw `fetch` loop doing the same on the same sandbox (a child
 * process, see `sandbox_child.ts`): a bare `getupdates` for the context token, then 10 bare
 * `sendmessage` requests. Only the replies are timed; rounds alternate between the two clients.
 *
 * Then where one `send()` spends its time, each piece timed alone in the same run: the data lock,
 * reading `contexts.json`, writing it (with and without the fsync), a `sendmessage` on a fresh
 * connection (what `send()` uses: a POST must never be sent twice, and Deno's pooled `fetch`
 * resends one when a kept-alive connection closes under it) against one on a pooled connection,
 * and the message store's record of the send.
 *
 * Run: `deno task bench send` or `deno run -A bench/send_bench.ts [cycles] [rounds]`
 *
 * @module
 */

import { WeiLink } from "../src/client/mod.ts";
import { DataDir } from "../src/client/data_dir.ts";
import { FileLock } from "../src/client/file_lock.ts";
import { createStderrLogger } from "../src/client/logger.ts";
import { cpuMicros, median, rawHeaders, SandboxChild } from "./sandbox_link.ts";

const CYCLES = Number(Deno.args[0] ?? 100);
const ROUNDS = Number(Deno.args[1] ?? 3);
const REPLIES = 10;

await using child = await SandboxChild.start({ longPollMs: 1000 });
const dirs: string[] = [];
const tempDir = async () => {
  const d = await Deno.makeTempDir({ prefix: "weilink-send-bench-" });
  dirs.push(d);
  return d;
};

interface Result {
  rate: number;
  cpuPerSend: number;
}

const rawDir = await tempDir();
const helper = new WeiLink({ basePath: rawDir, baseUrl: child.baseUrl, logger: "warn" });
const rawBot = await child.login(helper, "raw");
await helper.close();
const headers = rawHeaders(rawBot.token);
const url = (endpoint: string) => new URL(`ilink/bot/${endpoint}`, child.baseUrl).href;
let rawCursor = "";

/** The raw client: a bare getupdates for the token, then bare sendmessage requests. */
async function rawRound(tag: string): Promise<Result> {
  let sendMs = 0;
  let cpu = 0;
  for (let c = 0; c < CYCLES; c++) {
    await child.inject(rawBot.botId, `${tag}${c}:`, 1, 0);
    let msg: { from_user_id: string; context_token: string } | undefined;
    while (!msg) {
      const res = await fetch(url("getupdates"), {
        method: "POST",
        headers,
        body: JSON.stringify({ get_updates_buf: rawCursor, base_info: { channel_version: "b" } }),
      });
      const body = JSON.parse(await res.text());
      if (body.get_updates_buf) rawCursor = body.get_updates_buf;
      msg = body.msgs?.at(-1);
    }
    const t0 = performance.now();
    const c0 = cpuMicros();
    for (let i = 0; i < REPLIES; i++) {
      const res = await fetch(url("sendmessage"), {
        method: "POST",
        headers,
        body: JSON.stringify({
          msg: {
            from_user_id: "",
            to_user_id: msg.from_user_id,
            client_id: `raw-${tag}-${c}-${i}`,
            message_type: 2,
            message_state: 2,
            context_token: msg.context_token,
            item_list: [{ type: 1, text_item: { text: `reply ${i}` } }],
          },
          base_info: { channel_version: "b" },
        }),
      });
      const body = JSON.parse(await res.text());
      if (body.ret !== 0) throw new Error(`raw send refused: ${JSON.stringify(body)}`);
    }
    cpu += cpuMicros() - c0;
    sendMs += performance.now() - t0;
  }
  return { rate: (CYCLES * REPLIES) / (sendMs / 1000), cpuPerSend: cpu / (CYCLES * REPLIES) };
}

async function oursClient(store: boolean) {
  const wl = new WeiLink({
    basePath: await tempDir(),
    baseUrl: child.baseUrl,
    logger: "warn",
    messageStore: store,
  });
  const bot = await child.login(wl, "bench");
  const round = async (tag: string): Promise<Result> => {
    let sendMs = 0;
    let cpu = 0;
    for (let c = 0; c < CYCLES; c++) {
      await child.inject(bot.botId, `${tag}${c}:`, 1, 0);
      let from: string | undefined;
      while (!from) from = (await wl.recv({ timeout: 5 })).at(-1)?.fromUser;
      const t0 = performance.now();
      const c0 = cpuMicros();
      for (let i = 0; i < REPLIES; i++) {
        const r = await wl.send(from, `reply ${i}`);
        if (!r.success) throw new Error(`send failed: ${r.error}`);
      }
      cpu += cpuMicros() - c0;
      sendMs += performance.now() - t0;
    }
    return { rate: (CYCLES * REPLIES) / (sendMs / 1000), cpuPerSend: cpu / (CYCLES * REPLIES) };
  };
  return { wl, round };
}

const storeOn = await oursClient(true);
const storeOff = await oursClient(false);
const clients: [string, (tag: string) => Promise<Result>][] = [
  ["raw fetch sendmessage", rawRound],
  ["WeiLink send(), store on", storeOn.round],
  ["WeiLink send(), store off", storeOff.round],
];
const results = new Map<string, Result[]>(clients.map(([n]) => [n, []]));
try {
  for (const [, round] of clients) await round("w"); // warm-up
  for (let r = 0; r < ROUNDS; r++) {
    const order = r % 2 ? [...clients].reverse() : clients;
    for (const [name, round] of order) results.get(name)!.push(await round(`r${r}${name[0]}`));
  }
  console.log(
    `send bench: ${CYCLES} cycles of [message, recv(), ${REPLIES} replies] per round, ` +
      `${ROUNDS} alternating rounds, sandbox in a child process`,
  );
  console.log("| client | send/s (median) | ratio to raw | CPU µs/send | target |");
  console.log("|---|---:|---:|---:|---|");
  const rawRate = median(results.get(clients[0]![0])!.map((x) => x.rate));
  for (const [name] of clients) {
    const rs = results.get(name)!;
    const rate = median(rs.map((x) => x.rate));
    console.log(
      `| ${name} | ${rate.toFixed(0)} | ${(rate / rawRate).toFixed(2)} | ${
        median(rs.map((x) => x.cpuPerSend)).toFixed(0)
      } | ${name.startsWith("raw") ? "" : ">= 0.80"} |`,
    );
  }
  await pieces();
} finally {
  await storeOn.wl.close();
  await storeOff.wl.close();
  for (const d of dirs) await Deno.remove(d, { recursive: true }).catch(() => {});
}

/** Each piece of a send, timed alone (median of 300 runs, µs). */
async function pieces(): Promise<void> {
  const base = await tempDir();
  const dir = new DataDir(base, createStderrLogger("error"));
  dir.ensure();
  const contexts: Record<string, Record<string, unknown>> = {};
  for (let u = 0; u < 40; u++) {
    contexts[`u${String(u).padStart(3, "0")}_wx@im.wechat`] = {
      t: "x".repeat(85),
      ts: Date.now() / 1000,
      sc: 3,
      first_seen: Date.now() / 1000 - 86_000,
    };
  }
  await dir.writeContexts("s", contexts);
  const lock = FileLock.acquireHandle(dir.lockPath(".data.lock"));
  const time = async (f: () => unknown | Promise<unknown>, runs = 300) => {
    for (let i = 0; i < 20; i++) await f();
    const ts: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await f();
      ts.push((performance.now() - t) * 1000);
    }
    return median(ts);
  };
  const fresh = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  const post = (client?: Deno.HttpClient) => async () => {
    const res = await fetch(url("getconfig"), {
      method: "POST",
      headers,
      body: JSON.stringify({ ilink_user_id: "nobody@im.wechat", base_info: {} }),
      ...(client ? { client } : {}),
    });
    await res.text();
  };
  const rows: [string, number][] = [
    ["data lock, taken and released", await time(() => lock.withLock(() => {}))],
    ["contexts.json read and parsed (40 users)", await time(() => dir.readContexts("s"))],
    [
      "contexts.json written: temp file, fsync, rename",
      await time(() => dir.writeContexts("s", contexts), 100),
    ],
    ["a request on a pooled connection", await time(post())],
    ["a request on a fresh connection (send()'s)", await time(post(fresh))],
  ];
  fresh.close();
  FileLock.releaseHandle(lock);
  console.log("\nWhere one send() spends its time (each piece alone, median µs)");
  console.log("| piece | µs |");
  console.log("|---|---:|");
  for (const [name, us] of rows) console.log(`| ${name} | ${us.toFixed(0)} |`);
}
