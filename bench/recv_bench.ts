/**
 * Receive throughput: 10,000 messages injected into a sandbox running in its own `deno` process
 * (`bench/recv_sandbox_child.ts`), delivered to an `onMessage` handler by the WeiLink dispatcher,
 * compared with a raw `fetch` loop of `getupdates` against the same child (another bot, so cursors
 * do not interfere). Rounds alternate between the two so drift (page cache, JIT, load from other
 * processes) hits both alike; each round's ratio compares raw and ours of that same round. The
 * sandbox answers a poll in O(log n) of the bot's history, so the server stays steady as it grows.
 *
 * Two shapes per round:
 * - live: the child injects while the consumer polls (it yields every few messages so polls are
 *   answered mid-burst); messages/s from the first injection to the last delivery, and p50/p99
 *   latency from each message's injection to its delivery (absolute clocks of both processes).
 * - backlog drain: all messages injected first, then the consumer starts; consumer-bound.
 *
 * Prints a table per shape and the ratio ours / raw (target >= 0.8).
 *
 * Run: `deno run -A bench/recv_bench.ts [count] [rounds]`
 *
 * @module
 */
import { WeiLink } from "../src/client/mod.ts";

const COUNT = Number(Deno.args[0] ?? 10_000);
/** Five rounds by default: the medians of three still moved by ±10% between runs. */
const ROUNDS = Number(Deno.args[1] ?? 5);
/** Messages the child injects between two yields to its event loop in the live shape. */
const LIVE_CHUNK = 10;

/** Absolute time in ms, comparable with the child's stamps. */
function stamp(): number {
  return performance.timeOrigin + performance.now();
}

// ---- the sandbox child ------------------------------------------------------------------------

const child = new Deno.Command(Deno.execPath(), {
  args: ["run", "-A", new URL("./recv_sandbox_child.ts", import.meta.url).pathname, "1000"],
  stdin: "piped",
  stdout: "piped",
  stderr: "inherit",
}).spawn();
const childIn = child.stdin.getWriter();
const childLines = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
let childBuffer = "";

async function childLine(): Promise<Record<string, unknown>> {
  for (;;) {
    const nl = childBuffer.indexOf("\n");
    if (nl >= 0) {
      const line = childBuffer.slice(0, nl);
      childBuffer = childBuffer.slice(nl + 1);
      return JSON.parse(line);
    }
    const { value, done } = await childLines.read();
    if (done) throw new Error("The sandbox child exited");
    childBuffer += value;
  }
}

let commandId = 0;
/** Ask the child to inject `count` messages; resolves with its first/last injection times. */
async function inject(
  botId: string,
  prefix: string,
  chunk: number,
): Promise<{ t0: number; t1: number }> {
  const id = ++commandId;
  await childIn.write(
    new TextEncoder().encode(
      JSON.stringify({ id, cmd: "inject", botId, prefix, count: COUNT, chunk }) + "\n",
    ),
  );
  const answer = await childLine();
  if (answer.id !== id) throw new Error(`Unexpected child answer ${JSON.stringify(answer)}`);
  return { t0: answer.t0 as number, t1: answer.t1 as number };
}

const { baseUrl, controlUrl } = await childLine() as { baseUrl: string; controlUrl: string };

// ---- measurement helpers ------------------------------------------------------------------------

interface Collector {
  prefix: string;
  latencies: number[];
  last: number;
  done: Promise<void>;
  resolve: () => void;
}

function collector(prefix: string): Collector {
  let resolve!: () => void;
  const done = new Promise<void>((r) => (resolve = r));
  return { prefix, latencies: [], last: 0, done, resolve };
}

/** Record one delivered text; texts are `<prefix><i>:<injection stamp>`. */
function note(c: Collector, text: string | undefined, now: number): void {
  if (!text || !text.startsWith(c.prefix)) return;
  c.latencies.push(now - Number(text.slice(text.indexOf(":") + 1)));
  c.last = now;
  if (c.latencies.length === COUNT) c.resolve();
}

interface Result {
  rate: number;
  p50: number;
  p99: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

function summarise(c: Collector, start: number): Result {
  const sorted = c.latencies.slice().sort((a, b) => a - b);
  return {
    rate: COUNT / ((c.last - start) / 1000),
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
  };
}

function median(values: number[]): number {
  const s = values.slice().sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

// ---- clients ------------------------------------------------------------------------------------

async function login(wl: WeiLink, name: string) {
  const pending = wl.login({ name, onQr: () => {} });
  const res = await fetch(`${controlUrl}/confirm`, { method: "POST", body: "{}" });
  if (!res.ok) throw new Error(`Cannot confirm login: ${await res.text()}`);
  await res.body?.cancel();
  return await pending;
}

const dir = await Deno.makeTempDir({ prefix: "weilink-bench-" });
const rawDir = await Deno.makeTempDir({ prefix: "weilink-bench-raw-" });
const wl = new WeiLink({
  basePath: dir,
  baseUrl,
  logger: "warn",
  queueMaxSize: COUNT + 10,
});
// The raw baseline's bot lives in another data directory, so the client polls only its own bot.
const rawClient = new WeiLink({ basePath: rawDir, baseUrl, logger: "warn" });

let current: Collector | undefined;
wl.onMessage((m) => {
  if (current) note(current, m.text, stamp());
});

try {
  const rawBot = await login(rawClient, "raw");
  await rawClient.close();
  const ourBot = await login(wl, "ours");

  const url = new URL("ilink/bot/getupdates", baseUrl).href;
  let cursor = "";
  /** The baseline: a bare `getupdates` loop, JSON.parse and nothing else. */
  const rawLoop = async (c: Collector): Promise<void> => {
    while (c.latencies.length < COUNT) {
      const res = await fetch(url, {
        method: "POST",
        headers: {
          "Content-Type": "application/json",
          "AuthorizationType": "ilink_bot_token",
          "Authorization": `Bearer ${rawBot.token}`,
          "X-WECHAT-UIN": btoa(String(Math.floor(Math.random() * 2 ** 32))),
        },
        body: JSON.stringify({ get_updates_buf: cursor, base_info: { channel_version: "bench" } }),
      });
      const body = JSON.parse(await res.text());
      const now = stamp();
      if (body.get_updates_buf) cursor = body.get_updates_buf;
      for (const m of body.msgs ?? []) note(c, m.item_list?.[0]?.text_item?.text, now);
    }
  };

  const rawLive = async (round: number): Promise<Result> => {
    const c = collector(`rl${round}-`);
    const loop = rawLoop(c);
    const { t0 } = await inject(rawBot.botId, c.prefix, LIVE_CHUNK);
    await loop;
    return summarise(c, t0);
  };

  const oursLive = async (round: number): Promise<Result> => {
    const c = collector(`ol${round}-`);
    current = c;
    const { t0 } = await inject(ourBot.botId, c.prefix, LIVE_CHUNK);
    await c.done;
    current = undefined;
    await wl.recv({ timeout: 0 }); // empty the recv() buffer the dispatcher also fed
    return summarise(c, t0);
  };

  const rawDrain = async (round: number): Promise<Result> => {
    const c = collector(`rd${round}-`);
    await inject(rawBot.botId, c.prefix, 0);
    const start = stamp();
    await rawLoop(c);
    return summarise(c, start);
  };

  const oursDrain = async (round: number): Promise<Result> => {
    await wl.stop();
    const c = collector(`od${round}-`);
    await inject(ourBot.botId, c.prefix, 0);
    current = c;
    const start = stamp();
    await wl.runBackground({ pollTimeout: 5 });
    await c.done;
    current = undefined;
    await wl.recv({ timeout: 0 });
    return summarise(c, start);
  };

  // Warm-up (JIT, connections, files) before anything is timed.
  await wl.runBackground({ pollTimeout: 5 });
  await rawLive(-1);
  await oursLive(-1);

  const live: { raw: Result[]; ours: Result[] } = { raw: [], ours: [] };
  const drain: { raw: Result[]; ours: Result[] } = { raw: [], ours: [] };
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      live.raw.push(await rawLive(r));
      live.ours.push(await oursLive(r));
    } else {
      live.ours.push(await oursLive(r));
      live.raw.push(await rawLive(r));
    }
  }
  for (let r = 0; r < ROUNDS; r++) {
    if (r % 2 === 0) {
      drain.raw.push(await rawDrain(r));
      drain.ours.push(await oursDrain(r));
    } else {
      drain.ours.push(await oursDrain(r));
      drain.raw.push(await rawDrain(r));
    }
  }
  await wl.stop();

  const cell = (r: Result) =>
    `${r.rate.toFixed(0).padStart(7)} msg/s  p50 ${r.p50.toFixed(1).padStart(6)} ms  p99 ${
      r.p99.toFixed(1).padStart(6)
    } ms`;
  const report = (title: string, t: { raw: Result[]; ours: Result[] }, latency: boolean) => {
    console.log(`\n${title}`);
    console.log(
      `| round | raw fetch getupdates${" ".repeat(latency ? 24 : 0)} | WeiLink onMessage${
        " ".repeat(latency ? 27 : 0)
      } | ratio |`,
    );
    const show = (r: Result) => latency ? cell(r) : `${r.rate.toFixed(0).padStart(7)} msg/s`;
    for (let i = 0; i < ROUNDS; i++) {
      const raw = t.raw[i]!;
      const ours = t.ours[i]!;
      console.log(
        `| ${String(i + 1).padEnd(5)} | ${show(raw).padEnd(44)} | ${show(ours).padEnd(44)} | ${
          (ours.rate / raw.rate).toFixed(2)
        }  |`,
      );
    }
    const rawMed = median(t.raw.map((r) => r.rate));
    const oursMed = median(t.ours.map((r) => r.rate));
    console.log(
      `median: raw ${rawMed.toFixed(0)} msg/s, WeiLink ${oursMed.toFixed(0)} msg/s, ratio ${
        (oursMed / rawMed).toFixed(2)
      } (target >= 0.80)`,
    );
  };
  console.log(
    `recv bench: ${COUNT} messages per run, ${ROUNDS} alternating rounds, sandbox in a child ` +
      `process, ${navigator.hardwareConcurrency} CPUs`,
  );
  report(`live (child injects, yielding every ${LIVE_CHUNK} messages)`, live, true);
  report("backlog drain (consumer-bound)", drain, false);
} finally {
  await wl.close();
  await rawClient.close();
  await childIn.write(new TextEncoder().encode(JSON.stringify({ cmd: "close" }) + "\n"));
  await childIn.close();
  await childLines.cancel();
  await child.status;
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(rawDir, { recursive: true });
}
