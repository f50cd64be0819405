/**
 * AES-128-ECB/PKCS#7 throughput, side by side in one run:
 *
 * - ours, pure backend (`encryptAesEcb(..., { backend: "pure" })`)
 * - ours, native backend (`node:crypto` fed in pieces)
 * - raw `node:crypto` one shot (`createCipheriv` + `update` + `final`), the baseline for native;
 *   it leaves the output split in two buffers, so a second row also charges the copy that joins
 *   them into one, which any caller needing contiguous bytes (like ours) has to pay
 * - `@noble/ciphers` ECB (PKCS#7 built in)
 * - `aes-js` ECB on pre-padded data (it has no padding mode of its own)
 *
 * Each cell is the best of several timed samples after a warm-up, in MB/s (10^6 bytes per second
 * of plaintext). Afterwards a child process encrypts and decrypts 64 MiB with the pure backend and
 * reports its peak resident set size (Linux `VmHWM`) against the input size.
 *
 * Run: `deno task bench aes`, or `deno run -A bench/aes_bench.ts`. Samples are taken round-robin
 * across implementations, so slow phases of a noisy machine hit all of them alike. No GC is forced
 * between samples: forcing one returns freed buffers to the OS and bills fresh page faults to the
 * next sample, which is not how a long-running bot behaves.
 *
 * @module
 */

import { ecb } from "@noble/ciphers/aes.js";
import aesjs from "aes-js";
import { decryptAesEcb, encryptAesEcb } from "../src/crypto/mod.ts";
import { nativeCrypto } from "../src/crypto/native.ts";
import { fillPseudoRandom } from "./random_bytes.ts";

const MiB = 1024 * 1024;

interface Impl {
  name: string;
  /** Rows timed in one round-robin; see {@linkcode throughputTable}. */
  group: "node" | "js";
  encrypt(plain: Uint8Array, key: Uint8Array, padded: Uint8Array): Uint8Array;
  decrypt(cipher: Uint8Array, key: Uint8Array): Uint8Array;
}

function impls(): Impl[] {
  const node = nativeCrypto();
  if (node === null) throw new Error("This bench needs node:crypto");
  return [
    {
      name: "ours pure",
      group: "js",
      encrypt: (p, k) => encryptAesEcb(p, k, { backend: "pure" }),
      decrypt: (c, k) => decryptAesEcb(c, k, { backend: "pure" }),
    },
    {
      name: "ours native",
      group: "node",
      encrypt: (p, k) => encryptAesEcb(p, k, { backend: "native" }),
      decrypt: (c, k) => decryptAesEcb(c, k, { backend: "native" }),
    },
    {
      name: "raw node:crypto",
      group: "node",
      // One-shot baseline: the output stays split in two buffers, no joining copy is charged.
      encrypt: (p, k) => {
        const cipher = node.createCipheriv("aes-128-ecb", k, null);
        const body = cipher.update(p);
        cipher.final();
        return body;
      },
      decrypt: (c, k) => {
        const decipher = node.createDecipheriv("aes-128-ecb", k, null);
        const body = decipher.update(c);
        decipher.final();
        return body;
      },
    },
    {
      name: "raw node + join",
      group: "node",
      // The same one shot, joined into one buffer as any caller needing contiguous bytes must.
      encrypt: (p, k) => {
        const cipher = node.createCipheriv("aes-128-ecb", k, null);
        const body = cipher.update(p);
        const tail = cipher.final();
        const out = new Uint8Array(body.length + tail.length);
        out.set(body);
        out.set(tail, body.length);
        return out;
      },
      decrypt: (c, k) => {
        const decipher = node.createDecipheriv("aes-128-ecb", k, null);
        const body = decipher.update(c);
        const tail = decipher.final();
        const out = new Uint8Array(body.length + tail.length);
        out.set(body);
        out.set(tail, body.length);
        return out;
      },
    },
    {
      name: "@noble/ciphers",
      group: "js",
      encrypt: (p, k) => ecb(k).encrypt(p),
      decrypt: (c, k) => ecb(k).decrypt(c),
    },
    {
      name: "aes-js",
      group: "js",
      encrypt: (_p, k, padded) => new aesjs.ModeOfOperation.ecb(k).encrypt(padded),
      decrypt: (c, k) => new aesjs.ModeOfOperation.ecb(k).decrypt(c),
    },
  ];
}

/** Forces a full GC when the runtime exposes one (`--v8-flags=--expose-gc`). */
function collectGarbage(): void {
  (globalThis as { gc?: () => void }).gc?.();
}

/** One timed workload: an implementation in one direction on one size. */
interface Job {
  row: Row;
  group: Impl["group"];
  column: string;
  reps: number;
  samples: number;
  expected: Uint8Array;
  run: () => Uint8Array;
}

/**
 * Times the jobs round-robin (sample 1 of every job, then sample 2, ...) so that slow phases of a
 * noisy machine hit every implementation alike, and records the best throughput of each in MB/s
 * of plaintext. Every output is checked against `expected`, so a fast wrong answer cannot win.
 */
function runJobs(bytes: number, jobs: Job[]): void {
  const rounds = Math.max(...jobs.map((j) => j.samples));
  for (let s = 0; s < rounds; s++) {
    for (const job of jobs) {
      if (s >= job.samples) continue;
      const start = performance.now();
      let out = job.run();
      for (let r = 1; r < job.reps; r++) out = job.run();
      const seconds = (performance.now() - start) / 1000;
      const mbps = (bytes * job.reps) / 1e6 / seconds;
      job.row.mbps[job.column] = Math.max(job.row.mbps[job.column] ?? 0, mbps);
      if (!sameBytes(out.subarray(0, job.expected.length), job.expected)) {
        throw new Error(`${job.row.name} produced different bytes (${job.column})`);
      }
    }
  }
}

interface Row {
  name: string;
  mbps: Record<string, number>;
}

function pad(text: string, width: number): string {
  return text.length >= width ? text : " ".repeat(width - text.length) + text;
}

function throughputTable(): Row[] {
  const key = Uint8Array.from({ length: 16 }, (_, i) => i * 17);
  const rows = impls().map((impl) => ({ impl, row: { name: impl.name, mbps: {} } as Row }));
  for (const size of [1 * MiB, 64 * MiB]) {
    const plain = new Uint8Array(size);
    fillPseudoRandom(plain, size);
    const padded = new Uint8Array(size + 16);
    padded.set(plain);
    padded.fill(16, size);
    const reference = encryptAesEcb(plain, key, { backend: "native" });
    const big = size >= 16 * MiB;
    const label = `${size / MiB} MiB`;
    const body = reference.subarray(0, size);
    const jobs: Job[] = [];
    for (const { impl, row } of rows) {
      // aes-js runs at ~10 MB/s: a single sample at 64 MiB.
      const slow = impl.name === "aes-js";
      const samples = big ? (slow ? 1 : 5) : 9;
      const reps = big ? 1 : (slow ? 4 : 32);
      const encrypt = (): Uint8Array => impl.encrypt(plain, key, padded);
      const decrypt = (): Uint8Array => impl.decrypt(reference, key);
      // Untimed warm-up (JIT, table construction, allocator); aes-js was warmed up at 1 MiB.
      if (!(slow && big)) encrypt(), decrypt();
      jobs.push({
        row,
        group: impl.group,
        column: `enc ${label}`,
        reps,
        samples,
        expected: body,
        run: encrypt,
      });
      jobs.push({
        row,
        group: impl.group,
        column: `dec ${label}`,
        reps,
        samples,
        expected: plain,
        run: decrypt,
      });
    }
    // The node:crypto rows are timed against each other, apart from the pure-JS ones: a sample of
    // aes-js or noble leaves megabytes of heap garbage whose marking V8 bills to whatever runs
    // next, and that skewed the native/raw ratio by up to 0.2 from run to run.
    for (const group of ["node", "js"] as const) {
      runJobs(size, jobs.filter((j) => j.group === group));
    }
  }
  return rows.map((r) => r.row);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function printTable(rows: Row[]): void {
  const columns = Object.keys(rows[0]!.mbps);
  const nameWidth = 18;
  console.log("AES-128-ECB/PKCS#7 throughput, MB/s (10^6 B/s), best of several runs\n");
  console.log(pad("", nameWidth) + columns.map((c) => pad(c, 13)).join(""));
  for (const row of rows) {
    const cells = columns.map((c) => pad(row.mbps[c]!.toFixed(0), 13));
    console.log(row.name.padEnd(nameWidth) + cells.join(""));
  }
  const by = (name: string): Row => rows.find((r) => r.name === name)!;
  const ratio = (label: string, a: Row, b: Row, target?: number): void => {
    const cells = columns.map((c) => pad(`${(a.mbps[c]! / b.mbps[c]!).toFixed(2)}x`, 13));
    const note = target === undefined ? "" : `   (target >= ${target}x)`;
    console.log(label.padEnd(nameWidth) + cells.join("") + note);
  };
  console.log("");
  ratio("pure / noble", by("ours pure"), by("@noble/ciphers"), 1.5);
  ratio("pure / aes-js", by("ours pure"), by("aes-js"));
  ratio("native / raw node", by("ours native"), by("raw node:crypto"), 0.9);
  ratio("native / raw+join", by("ours native"), by("raw node + join"));
  ratio("native / pure", by("ours native"), by("ours pure"));
}

/** Peak RSS of this process in bytes: Linux `VmHWM`, else the current RSS. */
function peakRss(): number {
  try {
    const status = Deno.readTextFileSync("/proc/self/status");
    const match = /^VmHWM:\s+(\d+) kB/m.exec(status);
    if (match !== null) return Number(match[1]) * 1024;
  } catch {
    // Not Linux: fall through.
  }
  return Deno.memoryUsage().rss;
}

/**
 * Encrypts a fresh 64 MiB plaintext and lets it go, as a caller uploading a file would. Kept in
 * its own frame so no interpreter register of the caller still points at the plaintext.
 */
function encryptAndRelease(
  size: number,
  key: Uint8Array,
): { cipher: Uint8Array; head: Uint8Array } {
  const plain = new Uint8Array(size);
  fillPseudoRandom(plain, 7);
  return { cipher: encryptAesEcb(plain, key, { backend: "pure" }), head: plain.slice(0, 64) };
}

/** Child mode: 64 MiB encrypt then decrypt with the pure backend; prints RSS figures as JSON. */
async function rssChild(): Promise<void> {
  const size = 64 * MiB;
  const baseline = peakRss();
  const key = Uint8Array.from({ length: 16 }, (_, i) => i);
  const { cipher, head } = encryptAndRelease(size, key);
  // Collect the released plaintext now rather than at V8's next major GC, so the figure does not
  // depend on GC timing; V8 frees array-buffer memory on a background thread, hence the pause.
  collectGarbage();
  await new Promise((resolve) => setTimeout(resolve, 100));
  const back = decryptAesEcb(cipher, key, { backend: "pure" });
  if (back.length !== size || !sameBytes(back.subarray(0, 64), head)) {
    throw new Error("Round trip failed");
  }
  console.log(JSON.stringify({ size, baseline, peak: peakRss() }));
}

async function rssReport(): Promise<void> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      "--v8-flags=--expose-gc",
      new URL(import.meta.url).pathname,
      "--rss-child",
    ],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error("RSS child failed");
  const { size, baseline, peak } = JSON.parse(new TextDecoder().decode(output.stdout)) as {
    size: number;
    baseline: number;
    peak: number;
  };
  const mib = (n: number): string => `${(n / MiB).toFixed(0)} MiB`;
  console.log(
    `\nPeak RSS, 64 MiB encrypt + decrypt (pure backend, child process): ${mib(peak)} = ` +
      `${(peak / size).toFixed(2)}x input (target < 3x); ` +
      `above the ${mib(baseline)} runtime baseline: ${
        ((peak - baseline) / size).toFixed(2)
      }x input`,
  );
}

/** Runs the whole AES bench and prints its report. */
export async function main(): Promise<void> {
  printTable(throughputTable());
  await rssReport();
}

if (import.meta.main) {
  if (Deno.args.includes("--rss-child")) await rssChild();
  else await main();
}
