/**
 * PostgreSQL storage, side by side in one run:
 *
 * - **Workers**: the scaling curve of `cli.ts worker` processes sharing 6 accounts on one sandbox
 *   and one database. For 1, 2 and 3 workers: once each worker holds its share of the accounts,
 *   the messages are injected as fast as the sandbox takes them; the rate counts from the first
 *   injection to the last row stored. Workers, the sandbox and PostgreSQL share this machine's
 *   cores, so the curve shows what a worker more buys here, not on separate hosts.
 * - **Store inserts**: rows/s of batches of received messages (realistic traffic, see
 *   `traffic.ts`) into SQLite (`MessageStore.store`, the data directory's store) and into
 *   PostgreSQL (one transaction per batch, as a worker commits), rounds alternating, with the
 *   ratio.
 *
 * Uses `WEILINK_TEST_PG_URL` (an admin URL: a fresh database is created and dropped) or starts a
 * throwaway cluster (see `tests/postgres/pg_cluster.ts`).
 *
 * Run: `deno task bench postgres` or `deno run -A bench/postgres_bench.ts [messages] [rounds]`
 *
 * @module
 */

import { Message } from "../src/models/mod.ts";
import { MessageStore } from "../src/store/mod.ts";
import { startSandbox } from "../src/sandbox/mod.ts";
import { WeiLink } from "../src/client/mod.ts";
import { appendMessages } from "../src/postgres/messages_sql.ts";
import { migrate } from "../src/postgres/schema.ts";
import { pgUnavailable, testDatabase } from "../tests/postgres/pg_cluster.ts";
import { chatText, prng, userOf } from "./traffic.ts";

const MESSAGES = Number(Deno.args[0] ?? 3000);
const ROUNDS = Number(Deno.args[1] ?? 3);
const ACCOUNTS = 6;
const CLI = new URL("../cli.ts", import.meta.url).pathname;

if (pgUnavailable) {
  console.log(`postgres bench skipped: ${pgUnavailable}`);
  Deno.exit(0);
}

const { default: postgres } = await import("postgres");

/**
 * `k` workers share the accounts (each holding its share), then `MESSAGES` are injected at once;
 * returns messages per second from the first injection to the last row stored.
 */
async function drain(
  k: number,
  url: string,
  sandbox: Awaited<ReturnType<typeof startSandbox>>,
  bots: string[],
  home: string,
  round: number,
): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  const count = async () =>
    Number((await sql`SELECT COUNT(*)::int AS n FROM weilink_messages`)[0]!.n);
  const before = await count();
  const workers = Array.from({ length: k }, () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "worker", "--store", url, "--json", "--log-level", "ERROR", "-q"],
      env: {
        WEILINK_HOME: home,
        WEILINK_BASE_URL: sandbox.baseUrl,
        WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl,
      },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const held = new Set<string>();
    const reading = (async () => {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const e = JSON.parse(buf.slice(0, i));
          buf = buf.slice(i + 1);
          if (e.event === "claimed") held.add(e.bot_id);
          else held.delete(e.bot_id);
        }
      }
    })();
    return { child, reading, held };
  });
  // Every account held, each worker with its share.
  const share = Math.floor(bots.length / k);
  while (
    new Set(workers.flatMap((w) => [...w.held])).size < bots.length ||
    workers.some((w) => w.held.size < share)
  ) {
    await new Promise((r) => setTimeout(r, 50));
  }
  const t0 = performance.now();
  for (let n = 0; n < MESSAGES; n++) {
    await sandbox.injectMessage({
      botId: bots[n % bots.length]!,
      from: userOf(n, 50),
      text: `r${round}w${k} ${n}`,
    });
  }
  const target = before + MESSAGES;
  while (await count() < target) await new Promise((r) => setTimeout(r, 10));
  const seconds = (performance.now() - t0) / 1000;
  for (const w of workers) {
    w.child.kill("SIGTERM");
    await w.child.status;
    await w.reading.catch(() => {});
  }
  await sql.end();
  return MESSAGES / seconds;
}

function batchOf(n: number, offset: number): Message[] {
  const random = prng(offset + 1);
  return Array.from({ length: n }, (_, i) =>
    Message.fromWire({
      message_id: String(7_300_000_000_000_000_000n + BigInt(offset + i)),
      from_user_id: userOf(i, 50),
      message_type: 1,
      create_time_ms: Date.now(),
      context_token: crypto.randomUUID().repeat(2),
      item_list: [{ type: 1, text_item: { text: chatText(random) } }],
    }, "bench@im.bot"));
}

/** Rows per second into SQLite and into PostgreSQL, batches of `size`. */
async function inserts(url: string, size: number, total: number, offset: number) {
  const batches = Array.from({ length: total / size }, (_, b) => batchOf(size, offset + b * size));
  const dir = await Deno.makeTempDir({ prefix: "weilink-bench-" });
  const store = new MessageStore(`${dir}/messages.db`, { maxAgeDays: null, maxCount: null });
  let t = performance.now();
  for (const batch of batches) store.store(batch);
  const sqlite = total / ((performance.now() - t) / 1000);
  store.close();
  await Deno.remove(dir, { recursive: true });
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  await migrate(sql);
  await sql`TRUNCATE weilink_messages`;
  t = performance.now();
  for (const batch of batches) {
    await sql.begin((tx) => appendMessages(tx, batch, Date.now() / 1000));
  }
  const pg = total / ((performance.now() - t) / 1000);
  await sql.end();
  return { sqlite, pg };
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US");
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const db = await testDatabase();
const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
const home = await Deno.makeTempDir({ prefix: "weilink-bench-home-" });
try {
  const admin = new WeiLink({
    storage: db.url,
    basePath: home,
    baseUrl: sandbox.baseUrl,
    cdnBaseUrl: sandbox.cdnBaseUrl,
    logger: "error",
    loginPollIntervalMs: 20,
  });
  await admin.ready();
  const bots: string[] = [];
  for (let a = 0; a < ACCOUNTS; a++) {
    const pending = admin.login({ name: `acct${a}`, onQr: () => {} });
    await sandbox.confirmLogin({ userId: `owner${a}@im.wechat` });
    bots.push((await pending).botId);
  }
  await admin.close();

  console.log(
    `Workers storing ${fmt(MESSAGES)} messages of ${ACCOUNTS} accounts ` +
      `(${ROUNDS} rounds, median; ${navigator.hardwareConcurrency} cores shared with the ` +
      "sandbox and PostgreSQL)",
  );
  const rates = new Map<number, number[]>([[1, []], [2, []], [3, []]]);
  for (let round = 0; round < ROUNDS; round++) {
    const order = [1, 2, 3].map((_, i, a) => a[(i + round) % a.length]!);
    for (const k of order) rates.get(k)!.push(await drain(k, db.url, sandbox, bots, home, round));
  }
  const one = median(rates.get(1)!);
  for (const [k, xs] of rates) {
    const m = median(xs);
    console.log(`  ${k} worker(s)  ${fmt(m).padStart(7)} msg/s   ×${(m / one).toFixed(2)}`);
  }

  console.log("\nStore inserts, received messages (rows/s, median of rounds)");
  for (const size of [1, 100]) {
    const total = size === 1 ? 1000 : 20_000;
    const runs: { sqlite: number; pg: number }[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      runs.push(await inserts(db.url, size, total, round * 1_000_000 + size * 100_000));
    }
    const s = median(runs.map((r) => r.sqlite));
    const p = median(runs.map((r) => r.pg));
    console.log(
      `  batch ${String(size).padStart(3)}: SQLite ${fmt(s).padStart(8)}   PostgreSQL ` +
        `${fmt(p).padStart(8)}   PostgreSQL/SQLite ×${(p / s).toFixed(2)}`,
    );
  }
} finally {
  await sandbox.close();
  await db.drop();
  await Deno.remove(home, { recursive: true }).catch(() => {});
}
