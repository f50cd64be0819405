/**
 * Receive throughput: 10,000 messages injected into the sandbox, delivered to an `onMessage`
 * handler by the WeiLink dispatcher, compared in the same run with a raw `fetch` loop of
 * `getupdates` against the same sandbox (another bot, so cursors do not interfere). Prints
 * messages/s, p50/p99 latency (injection → delivery) and the ratio ours / raw (target ≥ 0.8).
 *
 * Run: `deno run -A bench/recv_bench.ts [count]`
 *
 * @module
 */
import { startSandbox } from "../src/sandbox/mod.ts";
import { WeiLink } from "../src/client/mod.ts";

const COUNT = Number(Deno.args[0] ?? 10_000);
const sandbox = await startSandbox({ longPollMs: 1000, quiet: true });
const dir = await Deno.makeTempDir({ prefix: "weilink-bench-" });

interface Result {
  rate: number;
  p50: number;
  p99: number;
  seconds: number;
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

/** Inject COUNT messages for `botId`, recording when each injection returned. */
async function inject(botId: string, sentAt: Map<string, number>): Promise<void> {
  for (let i = 0; i < COUNT; i++) {
    const text = `m${i}`;
    sentAt.set(text, performance.now());
    await sandbox.injectMessage({ botId, text });
  }
}

function summarise(sentAt: Map<string, number>, gotAt: Map<string, number>, t0: number): Result {
  const latencies = [...gotAt].map(([k, t]) => t - sentAt.get(k)!).sort((a, b) => a - b);
  const last = Math.max(...gotAt.values());
  const seconds = (last - t0) / 1000;
  return {
    rate: gotAt.size / seconds,
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    seconds,
  };
}

async function login(wl: WeiLink, name: string) {
  const pending = wl.login({ name, onQr: () => {} });
  await sandbox.confirmLogin();
  return await pending;
}

const wl = new WeiLink({
  basePath: dir,
  baseUrl: sandbox.baseUrl,
  cdnBaseUrl: sandbox.cdnBaseUrl,
  logger: "warn",
  queueMaxSize: COUNT + 10,
});

// The raw baseline's bot lives in another data directory, so the client polls only its own bot.
const rawDir = await Deno.makeTempDir({ prefix: "weilink-bench-raw-" });
const rawClient = new WeiLink({ basePath: rawDir, baseUrl: sandbox.baseUrl, logger: "warn" });

try {
  const rawBot = await login(rawClient, "raw");
  await rawClient.close();
  const ourBot = await login(wl, "ours");

  // --- raw fetch loop ------------------------------------------------------------------------
  const rawSent = new Map<string, number>();
  const rawGot = new Map<string, number>();
  const url = new URL("ilink/bot/getupdates", sandbox.baseUrl).href;
  let cursor = "";
  const rawDone = (async () => {
    while (rawGot.size < COUNT) {
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
      const now = performance.now();
      if (body.get_updates_buf) cursor = body.get_updates_buf;
      for (const m of body.msgs ?? []) rawGot.set(m.item_list?.[0]?.text_item?.text, now);
    }
  })();
  const rawT0 = performance.now();
  await inject(rawBot.botId, rawSent);
  await rawDone;
  const raw = summarise(rawSent, rawGot, rawT0);

  // --- WeiLink dispatcher → onMessage ---------------------------------------------------------
  const ourSent = new Map<string, number>();
  const ourGot = new Map<string, number>();
  let resolveAll!: () => void;
  const all = new Promise<void>((r) => (resolveAll = r));
  wl.onMessage((m) => {
    if (m.botId !== ourBot.botId || !m.text?.startsWith("m")) return;
    ourGot.set(m.text, performance.now());
    if (ourGot.size === COUNT) resolveAll();
  });
  await wl.runBackground({ pollTimeout: 5 });
  const ourT0 = performance.now();
  await inject(ourBot.botId, ourSent);
  await all;
  const ours = summarise(ourSent, ourGot, ourT0);

  await wl.stop();

  // --- backlog drain: 10,000 queued messages, consumer-bound (no injection in the timing) -------
  for (let i = 0; i < COUNT; i++) {
    await sandbox.injectMessage({ botId: rawBot.botId, text: `r${i}` });
  }
  let t = performance.now();
  let drained = 0;
  while (drained < COUNT) {
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
    if (body.get_updates_buf) cursor = body.get_updates_buf;
    drained += (body.msgs ?? []).length;
  }
  const rawDrain = COUNT / ((performance.now() - t) / 1000);
  for (let i = 0; i < COUNT; i++) {
    await sandbox.injectMessage({ botId: ourBot.botId, text: `o${i}` });
  }
  let handled = 0;
  let resolveDrain!: () => void;
  const drainedAll = new Promise<void>((r) => (resolveDrain = r));
  wl.onMessage((m) => {
    if (m.text?.startsWith("o") && ++handled === COUNT) resolveDrain();
  });
  t = performance.now();
  await wl.runBackground({ pollTimeout: 5 });
  await drainedAll;
  const ourDrain = COUNT / ((performance.now() - t) / 1000);

  const fmt = (name: string, r: Result) =>
    `${name.padEnd(22)} ${r.rate.toFixed(0).padStart(8)} msg/s   p50 ${r.p50.toFixed(2)} ms   p99 ${
      r.p99.toFixed(2)
    } ms   (${r.seconds.toFixed(2)} s)`;
  console.log(`recv bench: ${COUNT} messages`);
  console.log(fmt("raw fetch getupdates", raw));
  console.log(fmt("WeiLink onMessage", ours));
  console.log(`live ratio ours/raw: ${(ours.rate / raw.rate).toFixed(2)}`);
  console.log(
    `backlog drain: raw ${rawDrain.toFixed(0)} msg/s, WeiLink ${ourDrain.toFixed(0)} msg/s, ` +
      `ratio ${(ourDrain / rawDrain).toFixed(2)} (target >= 0.80)`,
  );
} finally {
  await wl.close();
  await sandbox.close();
  await rawClient.close();
  await Deno.remove(dir, { recursive: true });
  await Deno.remove(rawDir, { recursive: true });
}
