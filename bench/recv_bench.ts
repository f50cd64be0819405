/**
 * Receive throughput on realistic traffic (see `traffic.ts`: mixed Chinese/English text, a fresh
 * 85-character context token per message, 19-digit ids above 2^53), every way a user receives,
 * against a raw `fetch` `getupdates` loop on the same sandbox (a child process, see
 * `sandbox_child.ts`). Each client has its own bot and data directory, so cursors never mix.
 *
 * Shapes (all in each round, in an order that rotates between rounds, so drift from page cache,
 * JIT and other load hits every client alike; ratios compare clients of the same round):
 * - drain: `COUNT` messages injected first, then drained by
 *   - `recv()` in a `for (;;)` loop, store off and on,
 *   - the dispatcher (`onMessage` + `runBackground()`), store off and on;
 * - live: the child injects while the consumer polls (yielding every 10 messages); p50/p99
 *   latency from injection to the handler, the dispatcher (store off and on) against raw;
 * - per call: a second sandbox answers one message per `getupdates`, 2,000 messages: the fixed
 *   cost of one `recv()` call (cursor and contexts written, files checked) against raw.
 *
 * Beside every rate: CPU per message in µs, all threads of this process (the sandbox's own CPU
 * is its process's and is not counted). When the client and the sandbox together saturate the
 * machine, CPU per message is the honest figure.
 *
 * Run: `deno task bench recv` or `deno run -A bench/recv_bench.ts [count] [rounds]`
 *
 * @module
 */

import { WeiLink } from "../src/client/mod.ts";
import type { BotInfo, Message } from "../src/models/mod.ts";
import { cpuMicros, median, percentile, rawHeaders, SandboxChild, stamp } from "./sandbox_link.ts";

const COUNT = Number(Deno.args[0] ?? 10_000);
const ROUNDS = Number(Deno.args[1] ?? 5);
const PER_CALL_COUNT = 2_000;
const LIVE_CHUNK = 10;

/** What one run measured. */
interface Result {
  rate: number;
  cpuPerMsg: number;
  p50: number;
  p99: number;
}

/** Counts the deliveries of one run; texts start with `<prefix><i>:<injection stamp>`. */
class Tally {
  readonly latencies: number[] = [];
  last = 0;
  readonly done: Promise<void>;
  #resolve!: () => void;
  constructor(readonly prefix: string, readonly count: number) {
    this.done = new Promise((r) => (this.#resolve = r));
  }
  get complete(): boolean {
    return this.latencies.length >= this.count;
  }
  note(text: string | undefined, now: number): void {
    if (!text?.startsWith(this.prefix)) return;
    const colon = text.indexOf(":");
    this.latencies.push(now - Number(text.slice(colon + 1, text.indexOf(" ", colon))));
    this.last = now;
    if (this.latencies.length === this.count) this.#resolve();
  }
  result(start: number, cpu0: number): Result {
    const cpu = cpuMicros() - cpu0;
    const sorted = this.latencies.slice().sort((a, b) => a - b);
    return {
      rate: this.count / ((this.last - start) / 1000),
      cpuPerMsg: cpu / this.count,
      p50: percentile(sorted, 50),
      p99: percentile(sorted, 99),
    };
  }
}

/** A receiving client under test. */
interface Client {
  name: string;
  /** Drains `tally` from the backlog the caller injected. */
  drain(tally: Tally): Promise<void>;
  close(): Promise<void>;
  bot: BotInfo;
}

const dirs: string[] = [];

async function rawClient(child: SandboxChild, name: string): Promise<Client> {
  const dir = await Deno.makeTempDir({ prefix: "weilink-bench-raw-" });
  dirs.push(dir);
  const helper = new WeiLink({ basePath: dir, baseUrl: child.baseUrl, logger: "warn" });
  const bot = await child.login(helper, "raw");
  await helper.close();
  const url = new URL("ilink/bot/getupdates", child.baseUrl).href;
  const headers = rawHeaders(bot.token);
  let cursor = "";
  return {
    name,
    bot,
    async drain(tally) {
      while (!tally.complete) {
        const res = await fetch(url, {
          method: "POST",
          headers,
          body: JSON.stringify({ get_updates_buf: cursor, base_info: { channel_version: "b" } }),
        });
        const body = JSON.parse(await res.text());
        const now = stamp();
        if (body.get_updates_buf) cursor = body.get_updates_buf;
        for (const m of body.msgs ?? []) tally.note(m.item_list?.[0]?.text_item?.text, now);
      }
    },
    close: () => Promise.resolve(),
  };
}

async function weilink(child: SandboxChild, store: boolean): Promise<WeiLink> {
  const dir = await Deno.makeTempDir({ prefix: "weilink-bench-" });
  dirs.push(dir);
  return new WeiLink({
    basePath: dir,
    baseUrl: child.baseUrl,
    logger: "warn",
    messageStore: store,
    queueMaxSize: COUNT + 100,
  });
}

async function recvClient(child: SandboxChild, name: string, store: boolean): Promise<Client> {
  const wl = await weilink(child, store);
  const bot = await child.login(wl, "bench");
  return {
    name,
    bot,
    async drain(tally) {
      // The README's loop: for (;;) { for (const m of await wl.recv()) … }
      while (!tally.complete) {
        const messages = await wl.recv({ timeout: 5 });
        const now = stamp();
        for (const m of messages) tally.note(m.text, now);
      }
    },
    close: () => wl.close(),
  };
}

async function dispatchClient(
  child: SandboxChild,
  name: string,
  store: boolean,
): Promise<Client & { wl: WeiLink; target: { tally?: Tally | undefined } }> {
  const wl = await weilink(child, store);
  const bot = await child.login(wl, "bench");
  const target: { tally?: Tally | undefined } = {};
  wl.onMessage((m: Message) => target.tally?.note(m.text, stamp()));
  return {
    name,
    bot,
    wl,
    target,
    async drain(tally) {
      target.tally = tally;
      await wl.runBackground({ pollTimeout: 5 });
      await tally.done;
      await wl.stop();
      target.tally = undefined;
      // The buffer recv() would read, fed alongside.
      while ((await wl.recv({ timeout: 0 })).length > 0);
    },
    close: () => wl.close(),
  };
}

/** Injects a backlog for `client`, then times its drain. */
async function drainRun(
  child: SandboxChild,
  client: Client,
  tag: string,
  count: number,
): Promise<Result> {
  const tally = new Tally(`${tag}-`, count);
  await child.inject(client.bot.botId, tally.prefix, count, 0);
  const start = stamp();
  const cpu0 = cpuMicros();
  await client.drain(tally);
  return tally.result(start, cpu0);
}

function order<T>(items: readonly T[], round: number): T[] {
  const k = round % items.length;
  const rotated = [...items.slice(k), ...items.slice(0, k)];
  return round % 2 ? rotated.reverse() : rotated;
}

const fmt = (n: number, digits = 0) => n.toFixed(digits);

/** Prints one shape's medians: rate and CPU per message, with ratios to the raw client. */
function table(
  title: string,
  clients: readonly Client[],
  results: Map<string, Result[]>,
  targets: Record<string, number>,
): void {
  console.log(`\n${title}`);
  console.log("| client | msg/s (median) | ratio to raw | CPU µs/msg | CPU ratio | target |");
  console.log("|---|---:|---:|---:|---:|---|");
  const raw = results.get(clients[0]!.name)!;
  const rawRate = median(raw.map((r) => r.rate));
  const rawCpu = median(raw.map((r) => r.cpuPerMsg));
  for (const c of clients) {
    const rs = results.get(c.name)!;
    const rate = median(rs.map((r) => r.rate));
    const cpu = median(rs.map((r) => r.cpuPerMsg));
    const target = targets[c.name];
    console.log(
      `| ${c.name} | ${fmt(rate)} | ${fmt(rate / rawRate, 2)} | ${fmt(cpu, 1)} | ${
        fmt(cpu / rawCpu, 2)
      } | ${target ? `>= ${target.toFixed(2)}` : ""} |`,
    );
  }
}

await using child = await SandboxChild.start({ longPollMs: 1000 });
await using perCallChild = await SandboxChild.start({ longPollMs: 1000, updatesBatch: 1 });
const clients: Client[] = [];
try {
  const raw = await rawClient(child, "raw fetch getupdates");
  const recvOff = await recvClient(child, "recv() loop, store off", false);
  const recvOn = await recvClient(child, "recv() loop, store on", true);
  const dispOff = await dispatchClient(child, "dispatcher, store off", false);
  const dispOn = await dispatchClient(child, "dispatcher, store on", true);
  const drainClients = [raw, recvOff, recvOn, dispOff, dispOn];
  const perCallRaw = await rawClient(perCallChild, "raw fetch getupdates");
  const perCallOn = await recvClient(perCallChild, "recv() loop, store on", true);
  const perCallOff = await recvClient(perCallChild, "recv() loop, store off", false);
  const perCallClients = [perCallRaw, perCallOff, perCallOn];
  clients.push(...drainClients, perCallRaw, perCallOn, perCallOff);

  console.log(
    `recv bench: ${COUNT} realistic messages per drain, ${ROUNDS} rounds in rotating order, ` +
      `sandbox in a child process, ${navigator.hardwareConcurrency} CPUs`,
  );

  // Warm-up: JIT, connections, files, one small run of everything.
  for (const c of drainClients) await drainRun(child, c, `w-${c.name}`, 500);
  for (const c of perCallClients) await drainRun(perCallChild, c, `wp-${c.name}`, 100);

  const drains = new Map<string, Result[]>(drainClients.map((c) => [c.name, []]));
  const perCall = new Map<string, Result[]>(perCallClients.map((c) => [c.name, []]));
  const live = new Map<string, Result[]>([[raw.name, []], [dispOff.name, []], [dispOn.name, []]]);
  for (let r = 0; r < ROUNDS; r++) {
    for (const c of order(drainClients, r)) {
      drains.get(c.name)!.push(await drainRun(child, c, `d${r}-${c.name}`, COUNT));
    }
    for (const c of order(perCallClients, r)) {
      perCall.get(c.name)!.push(await drainRun(perCallChild, c, `p${r}-${c.name}`, PER_CALL_COUNT));
    }
    for (const which of order(["raw", "off", "on"], r)) {
      const tally = new Tally(`l${r}-${which}-`, COUNT);
      const cpu0 = cpuMicros();
      if (which === "raw") {
        const loop = raw.drain(tally);
        const { t0 } = await child.inject(raw.bot.botId, tally.prefix, COUNT, LIVE_CHUNK);
        await loop;
        live.get(raw.name)!.push(tally.result(t0, cpu0));
      } else {
        const d = which === "on" ? dispOn : dispOff;
        d.target.tally = tally;
        await d.wl.runBackground({ pollTimeout: 5 });
        const { t0 } = await child.inject(d.bot.botId, tally.prefix, COUNT, LIVE_CHUNK);
        await tally.done;
        await d.wl.stop();
        d.target.tally = undefined;
        while ((await d.wl.recv({ timeout: 0 })).length > 0);
        live.get(d.name)!.push(tally.result(t0, cpu0));
      }
    }
  }

  table("Backlog drain", drainClients, drains, {
    [recvOff.name]: 0.85,
    [recvOn.name]: 0.75,
    [dispOff.name]: 0.85,
    [dispOn.name]: 0.75,
  });
  console.log("\nPer call (the sandbox answers one message per getupdates, 2,000 messages)");
  console.log(
    "| client | µs per call (median) | ratio to raw | CPU µs/call | CPU ratio | target |",
  );
  console.log("|---|---:|---:|---:|---:|---|");
  const rawCall = 1e6 / median(perCall.get(perCallRaw.name)!.map((r) => r.rate));
  const rawCallCpu = median(perCall.get(perCallRaw.name)!.map((r) => r.cpuPerMsg));
  for (const c of perCallClients) {
    const call = 1e6 / median(perCall.get(c.name)!.map((r) => r.rate));
    const cpu = median(perCall.get(c.name)!.map((r) => r.cpuPerMsg));
    console.log(
      `| ${c.name} | ${fmt(call)} | ${fmt(call / rawCall, 2)} | ${fmt(cpu, 1)} | ${
        fmt(cpu / rawCallCpu, 2)
      } | ${c === perCallRaw ? "" : "<= 1.30"} |`,
    );
  }
  console.log("\nLive (the sandbox injects while the client polls, yielding every 10 messages)");
  console.log("| client | p50 ms | p99 ms | p50 ratio to raw | CPU µs/msg | target |");
  console.log("|---|---:|---:|---:|---:|---|");
  const rawP50 = median(live.get(raw.name)!.map((r) => r.p50));
  for (const [name, rs] of live) {
    const p50 = median(rs.map((r) => r.p50));
    console.log(
      `| ${name} | ${fmt(p50, 2)} | ${fmt(median(rs.map((r) => r.p99)), 2)} | ${
        fmt(p50 / rawP50, 2)
      } | ${fmt(median(rs.map((r) => r.cpuPerMsg)), 1)} | ${name === raw.name ? "" : "<= 1.10"} |`,
    );
  }
} finally {
  for (const c of clients) await c.close();
  for (const d of dirs) await Deno.remove(d, { recursive: true });
}
