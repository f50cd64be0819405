/**
 * Message store bench: batched inserts through the real `store()` path against a naive
 * one-transaction-per-message baseline, history queries on a 100,000-row store, and memory while
 * a 1,000,000-row store is pruned back to 100,000.
 *
 * Run: `deno run -A bench/store_bench.ts` (`--quick` uses a tenth of the rows).
 *
 * @module
 */

import { DatabaseSync } from "node:sqlite";
import { MessageStore } from "../src/store/mod.ts";
import { Message, MessageType } from "../src/models/mod.ts";
import type { WireMessage } from "../src/protocol/types.ts";

const QUICK = Deno.args.includes("--quick");
const ROWS = QUICK ? 10_000 : 100_000;
const BATCH = 100;
const NAIVE_ROWS = QUICK ? 1_000 : 5_000;
/** Rows stored into a scratch file, untimed, before the timed runs. */
const WARMUP_ROWS = QUICK ? 1_000 : 5_000;
/** Timed runs per insert path (median reported). */
const INSERT_ROUNDS = 3;
const PRUNE_FROM = QUICK ? 100_000 : 1_000_000;
const PRUNE_TO = ROWS;
const QUERY_RUNS = 300;
const USERS = 20;
const BOTS = 3;
const T0 = Date.now() - ROWS * 1000;
const WORDS = ["hello", "weather", "report", "lunch", "invoice", "meeting", "photo", "thanks"];

/** A wire message as `getupdates` delivers it: mostly text, some images and files. */
function wire(i: number): WireMessage {
  const media = {
    encrypt_query_param: `eqp${i.toString(36)}xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx`,
    aes_key: "MDAxMTIyMzM0NDU1NjY3Nzg4OTlhYWJiY2NkZGVlZmY=",
    encrypt_type: 1,
  };
  const item = i % 20 === 7
    ? { type: 2, image_item: { media, aeskey: "00112233445566778899aabbccddeeff", hd_size: 9000 } }
    : i % 20 === 13
    ? { type: 4, file_item: { media, file_name: `doc${i}.pdf`, len: "12345", md5: "0".repeat(32) } }
    : {
      type: 1,
      text_item: {
        text: `message ${i}: ${WORDS[i % WORDS.length]} ${WORDS[(i * 7) % WORDS.length]} again`,
      },
    };
  return {
    message_id: String(7_300_000_000_000_000_000n + BigInt(i)),
    from_user_id: `user${i % USERS}@im.wechat`,
    to_user_id: `bot${i % BOTS}@im.bot`,
    create_time_ms: T0 + i * 1000,
    message_type: 1,
    message_state: 2,
    context_token: `AARzJWAFAAABAAAAAAAp${i.toString(36)}`,
    item_list: [item],
  };
}

function rss(): number {
  return Deno.memoryUsage().rss;
}

/** Peak RSS since the last {@linkcode resetPeak} (Linux), else `undefined`. */
function peakRss(): number | undefined {
  try {
    const m = /VmHWM:\s+(\d+) kB/.exec(Deno.readTextFileSync("/proc/self/status"));
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

function resetPeak(): void {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
  } catch {
    // Not Linux: the peak then covers the whole run.
  }
}

const mb = (n: number | undefined) => n === undefined ? "n/a" : `${(n / 2 ** 20).toFixed(1)} MB`;
const fmt = (n: number) => Math.round(n).toLocaleString("en-US");

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? 0;
}

function table(headers: string[], rows: string[][]): void {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]) =>
    "| " + cells.map((c, i) =>
      i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!)
    ).join(" | ") +
    " |";
  console.log(line(headers));
  console.log("|" + widths.map((w, i) => (i === 0 ? "-" : "-").repeat(w + 2)).join("|") + "|");
  for (const r of rows) console.log(line(r));
  console.log();
}

const dir = await Deno.makeTempDir({ prefix: "weilink_store_bench_" });
try {
  console.log(
    `WeiLink message store bench — Deno ${Deno.version.deno}, SQLite via node:sqlite, ` +
      `${navigator.hardwareConcurrency} CPUs${QUICK ? " (quick)" : ""}\n` +
      `${fmt(ROWS)} wire messages: ${USERS} users, ${BOTS} bots, 85% text / 5% image / 10% file\n` +
      `Warm-up (untimed): ${fmt(WARMUP_ROWS)} messages through fromWire + store() into a ` +
      `scratch file before the timed runs\n`,
  );

  // -- Inserts ------------------------------------------------------------------------------
  const wires = Array.from({ length: ROWS }, (_, i) => wire(i));
  {
    // The first timed path would otherwise also pay for compiling the store path and for
    // SQLite's first inserts; a separate file keeps the timed stores empty.
    const scratch = new MessageStore(`${dir}/warmup.db`);
    for (let i = 0; i < WARMUP_ROWS; i += BATCH) {
      scratch.store(
        wires.slice(i, i + BATCH).map((w, j) => Message.fromWire(w, `bot${(i + j) % BOTS}@im.bot`)),
      );
    }
    scratch.close();
  }
  // Each path runs INSERT_ROUNDS times, the paths taking turns, each round into a fresh file;
  // the median is reported (a single run moved by about 10% with the disk's flush timing).
  const timeStore = (path: string, build: (i: number) => Message[]): number => {
    const target = new MessageStore(path);
    const t = performance.now();
    for (let i = 0; i < ROWS; i += BATCH) target.store(build(i));
    const ms = performance.now() - t;
    if (target.count() !== ROWS) throw new Error(`Expected ${ROWS} rows in ${path}`);
    target.close();
    return ms;
  };
  // Messages built before the timed loop: the rate is what store() itself sustains.
  const prebuilt = wires.map((w, i) => Message.fromWire(w, `bot${i % BOTS}@im.bot`));
  const slices = (i: number) => prebuilt.slice(i, i + BATCH);
  // The whole receive path: wire JSON objects to rows, fromWire inside the timed loop.
  const fromWire = (i: number) =>
    wires.slice(i, i + BATCH).map((w, j) => Message.fromWire(w, `bot${(i + j) % BOTS}@im.bot`));
  const runs = { store: [] as number[], parsed: [] as number[], memory: [] as number[] };
  for (let r = 0; r < INSERT_ROUNDS; r++) {
    runs.store.push(timeStore(`${dir}/history${r}.db`, slices));
    runs.parsed.push(timeStore(`${dir}/parsed${r}.db`, fromWire));
    // The same path without a disk: what store() itself costs, apart from WAL writes and fsyncs.
    runs.memory.push(timeStore(":memory:", slices));
    if (r < INSERT_ROUNDS - 1) await Deno.remove(`${dir}/history${r}.db`);
    await Deno.remove(`${dir}/parsed${r}.db`);
  }
  prebuilt.length = 0;
  const median = (xs: number[]) => xs.slice().sort((a, b) => a - b)[xs.length >> 1]!;
  const storeMs = median(runs.store);
  const parsedMs = median(runs.parsed);
  const memoryMs = median(runs.memory);
  // The queries below run on the last round's file.
  const store = new MessageStore(`${dir}/history${INSERT_ROUNDS - 1}.db`);

  const naive = new MessageStore(`${dir}/naive.db`);
  const naiveMessages = wires.slice(0, NAIVE_ROWS).map((w) => Message.fromWire(w, "bot0@im.bot"));
  const tn = performance.now();
  for (const m of naiveMessages) naive.store([m]);
  const naiveMs = performance.now() - tn;
  naive.close();

  const batchedRate = ROWS / (storeMs / 1000);
  const endToEndRate = ROWS / (parsedMs / 1000);
  const naiveRate = NAIVE_ROWS / (naiveMs / 1000);
  console.log(
    `Inserts (WAL, synchronous=NORMAL, 5 indexes, JSON data column), median of ` +
      `${INSERT_ROUNDS} alternating runs per path: store() ${
        runs.store.map((ms) => fmt(ROWS / (ms / 1000))).join(" / ")
      }, ` +
      `fromWire + store() ${runs.parsed.map((ms) => fmt(ROWS / (ms / 1000))).join(" / ")} rows/s`,
  );
  table(["path", "rows", "time", "rows/s", "vs naive"], [
    [
      `store() batches of ${BATCH}`,
      fmt(ROWS),
      `${fmt(storeMs)} ms`,
      fmt(batchedRate),
      `${(batchedRate / naiveRate).toFixed(1)}x`,
    ],
    [
      `fromWire + store() batches of ${BATCH}`,
      fmt(ROWS),
      `${fmt(parsedMs)} ms`,
      fmt(endToEndRate),
      `${(endToEndRate / naiveRate).toFixed(1)}x`,
    ],
    [
      `store() batches of ${BATCH}, :memory: (no disk I/O)`,
      fmt(ROWS),
      `${fmt(memoryMs)} ms`,
      fmt(ROWS / (memoryMs / 1000)),
      `${(ROWS / (memoryMs / 1000) / naiveRate).toFixed(1)}x`,
    ],
    [
      "store() one message per transaction",
      fmt(NAIVE_ROWS),
      `${fmt(naiveMs)} ms`,
      fmt(naiveRate),
      "1.0x",
    ],
  ]);

  // -- Queries ------------------------------------------------------------------------------
  const span = ROWS * 1000;
  const queries: [string, (i: number) => unknown][] = [
    ["first page of 50 (no filter)", () => store.query()],
    ["by user, page of 50", (i) => store.query({ userId: `user${i % USERS}@im.wechat` })],
    ["by bot, page of 50", (i) => store.query({ botId: `bot${i % BOTS}@im.bot` })],
    ["by time range (1 h), page of 50", (i) => {
      const since = T0 + ((i * 7919) % ROWS) * 1000;
      return store.query({ since, until: since + 3_600_000 });
    }],
    ["by user + time range", (i) => {
      const since = T0 + ((i * 7919) % ROWS) * 1000;
      return store.query({ userId: `user${i % USERS}@im.wechat`, since, until: since + span / 10 });
    }],
    ["by type (image), page of 50", () => store.query({ msgType: MessageType.IMAGE })],
    [
      "by user, page 10 (offset 450)",
      (i) => store.query({ userId: `user${i % USERS}@im.wechat`, offset: 450 }),
    ],
    [
      "getById",
      (i) => store.getById(String(7_300_000_000_000_000_000n + BigInt((i * 7919) % ROWS))),
    ],
    ["count by user", (i) => store.count({ userId: `user${i % USERS}@im.wechat` })],
    ["text search (LIKE, scan)", (i) => store.query({ textContains: WORDS[i % WORDS.length]! })],
    ["text search, no match (full scan)", () => store.query({ textContains: "no-such-text" })],
  ];
  const qRows: string[][] = [];
  for (const [name, run] of queries) {
    for (let i = 0; i < 20; i++) run(i); // warm up statements and the page cache
    const times: number[] = [];
    for (let i = 0; i < QUERY_RUNS; i++) {
      const t = performance.now();
      run(i);
      times.push(performance.now() - t);
    }
    times.sort((a, b) => a - b);
    qRows.push([
      name,
      percentile(times, 0.5).toFixed(3),
      percentile(times, 0.99).toFixed(3),
      (times.at(-1) ?? 0).toFixed(3),
    ]);
  }
  console.log(`History queries on ${fmt(store.count())} rows (${QUERY_RUNS} runs each, ms)`);
  table(["query", "p50", "p99", "max"], qRows);
  store.close();

  // -- Prune --------------------------------------------------------------------------------
  const prunePath = `${dir}/prune.db`;
  const pruneStore = new MessageStore(prunePath, { maxAgeDays: 30, maxCount: PRUNE_TO });
  const tf = performance.now();
  {
    // Filled with raw batched SQL (fast), rows in the store's real shape.
    const db = new DatabaseSync(prunePath);
    db.exec("PRAGMA synchronous = OFF");
    const samples = Array.from(
      { length: 1000 },
      (_, i) => Message.fromWire(wire(i), "bot0@im.bot"),
    );
    const insert = db.prepare(
      "INSERT INTO messages (message_id, user_id, bot_id, msg_type, direction, text, " +
        "timestamp_ms, context_token, data, stored_at) VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?)",
    );
    const now = Date.now() / 1000;
    for (let i = 0; i < PRUNE_FROM; i += 10_000) {
      db.exec("BEGIN");
      for (let j = i; j < i + 10_000; j++) {
        const m = samples[j % 1000]!;
        const data =
          `{"from_user":"${m.fromUser}","msg_type":${m.msgType},"timestamp":${
            T0 + j
          },"message_id":${j + 1},"context_token":"${m.contextToken}","bot_id":"bot0@im.bot",` +
          `"text":${JSON.stringify(m.text ?? "")},"to_user":"bot0@im.bot"}`;
        insert.run(
          j + 1,
          m.fromUser,
          "bot0@im.bot",
          m.msgType,
          m.text ?? null,
          T0 + j,
          m.contextToken,
          data,
          now,
        );
      }
      db.exec("COMMIT");
    }
    db.close();
  }
  const fillMs = performance.now() - tf;
  const before = rss();
  resetPeak();
  const tp = performance.now();
  const deleted = pruneStore.prune();
  const pruneMs = performance.now() - tp;
  const peak = peakRss();
  const after = rss();
  const left = pruneStore.count();
  pruneStore.close();
  const fileSize = Deno.statSync(prunePath).size;
  console.log(
    `Prune ${fmt(PRUNE_FROM)} rows back to ${fmt(PRUNE_TO)} ` +
      `(filled by raw SQL in ${fmt(fillMs)} ms; ${mb(fileSize)} file)`,
  );
  table(["rows deleted", "rows left", "time", "RSS before", "RSS peak", "RSS after"], [[
    fmt(deleted),
    fmt(left),
    `${fmt(pruneMs)} ms`,
    mb(before),
    mb(peak),
    mb(after),
  ]]);

  const verdict = (ok: boolean) => ok ? "met" : "NOT met";
  const indexedP99 = Math.max(...qRows.slice(0, 5).map((r) => Number(r[2])));
  console.log(
    `Targets: >= 100,000 inserts/s through store(): ${fmt(batchedRate)}/s (${
      verdict(batchedRate >= 100_000)
    }); indexed queries p99 < 2 ms: worst ${indexedP99.toFixed(3)} ms (${
      verdict(indexedP99 < 2)
    }); memory flat while pruning: peak - before = ${mb((peak ?? after) - before)}.`,
  );
} finally {
  await Deno.remove(dir, { recursive: true });
}
