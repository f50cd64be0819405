/**
 * Memory of large media, streamed next to buffered, through the real client against the
 * embedded sandbox:
 *
 * - upload of a 50 MiB file from its path (`upload(to, { path })`, read in pieces), beside the
 *   buffered way (`Deno.readFile`, then `upload(to, bytes)`): peak RSS above the child's
 *   baseline divided by the payload (target ≤ 1.5x);
 * - download of a 50 MiB and a 200 MiB file with `download(msg, { to })`, beside the buffered
 *   `download(msg)` + `Deno.writeFile`: extra peak RSS in MiB (target ≤ 32 MiB);
 * - throughput of each streamed case as a ratio of its buffered twin.
 *
 * Each case runs in its own child process, so its RSS starts clean; the sandbox stays in this
 * process. The child loads the code paths with a small transfer first, then resets the kernel's
 * peak counter (`/proc/self/clear_refs`) and measures `VmHWM` above the RSS at that point.
 * Cases alternate streamed/buffered over two rounds; the best time and the lower peak of each
 * are kept (a noisy machine can only make either worse).
 *
 * Run: `deno task bench media`, or `deno run -A bench/media_bench.ts`. Linux only (`/proc`).
 *
 * @module
 */

import { WeiLink } from "../src/client/mod.ts";
import { Message } from "../src/models/mod.ts";
import type { WireMessage } from "../src/protocol/mod.ts";
import { startSandbox } from "../src/sandbox/mod.ts";
import { fillPseudoRandom } from "./random_bytes.ts";

const MiB = 1024 * 1024;
const ROUNDS = 2;

/** What a child is told to do. */
interface ChildTask {
  kind: "upload-stream" | "upload-buffered" | "download-stream" | "download-buffered";
  basePath: string;
  baseUrl: string;
  cdnBaseUrl: string;
  to: string;
  /** Upload: the file to send. Download: where to write. */
  path: string;
  /** Download: the message, as on the wire. */
  wire?: WireMessage;
  /** Download: a small message of the same kind, for the warm-up. */
  warmWire?: WireMessage;
}

/** What a child reports. */
interface ChildResult {
  baseline: number;
  peak: number;
  ms: number;
  bytes: number;
}

function status(field: string): number {
  const text = Deno.readTextFileSync("/proc/self/status");
  const match = new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(text);
  if (!match) throw new Error(`No ${field} in /proc/self/status`);
  return Number(match[1]) * 1024;
}

/** Resets `VmHWM` to the current RSS (Linux ≥ 4.0); `false` where that is refused. */
function resetPeak(): boolean {
  try {
    Deno.writeTextFileSync("/proc/self/clear_refs", "5");
    return true;
  } catch {
    return false;
  }
}

async function child(task: ChildTask): Promise<void> {
  const wl = new WeiLink({
    basePath: task.basePath,
    baseUrl: task.baseUrl,
    cdnBaseUrl: task.cdnBaseUrl,
    logger: "silent",
  });
  const maxBytes = 256 * MiB;
  const warm = `${task.path}.warm`;
  let run: () => Promise<number>;
  if (task.kind.startsWith("upload")) {
    await Deno.writeFile(warm, new Uint8Array(100_000));
    const stream = task.kind === "upload-stream";
    const once = async (path: string) => {
      const input = stream ? { path } : await Deno.readFile(path);
      return (await wl.upload(task.to, input, "file", "bench.bin")).fileSize;
    };
    await once(warm);
    run = () => once(task.path);
  } else {
    const stream = task.kind === "download-stream";
    const once = async (wire: WireMessage, to: string) => {
      const msg = Message.fromWire(wire);
      if (stream) return (await wl.download(msg, { to, maxBytes })).bytes;
      const data = await wl.download(msg, { maxBytes });
      await Deno.writeFile(to, data, { mode: 0o600 });
      return data.length;
    };
    await once(task.warmWire!, warm);
    run = () => once(task.wire!, task.path);
  }
  await Deno.remove(warm);
  await new Promise((resolve) => setTimeout(resolve, 50));
  const reset = resetPeak();
  const baseline = reset ? status("VmRSS") : status("VmHWM");
  const t0 = performance.now();
  const bytes = await run();
  const ms = performance.now() - t0;
  const result: ChildResult = { baseline, peak: status("VmHWM"), ms, bytes };
  await wl.close();
  console.log(JSON.stringify(result));
}

async function runChild(task: ChildTask): Promise<ChildResult> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL(import.meta.url).pathname, "--child", JSON.stringify(task)],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!output.success) throw new Error(`Bench child "${task.kind}" failed`);
  const lines = new TextDecoder().decode(output.stdout).trim().split("\n");
  return JSON.parse(lines.at(-1)!) as ChildResult;
}

/** The wire form of a received file message, for a child to rebuild with `Message.fromWire`. */
function fileWire(msg: Message): WireMessage {
  const file = msg.file!;
  return {
    message_id: msg.messageId,
    from_user_id: msg.fromUser,
    message_type: 1,
    item_list: [{
      type: 4,
      file_item: {
        media: {
          encrypt_query_param: file.media.encryptQueryParam,
          aes_key: file.media.aesKey,
          encrypt_type: 1,
          full_url: file.media.fullUrl,
        },
        file_name: file.fileName,
        md5: file.md5,
        len: file.fileSize,
      },
    }],
  } as WireMessage;
}

interface Pair {
  stream: ChildResult;
  buffered: ChildResult;
}

/** Runs both kinds alternately; keeps the best time and the lower peak of each. */
async function pair(make: (stream: boolean) => ChildTask): Promise<Pair> {
  const best: Partial<Record<"stream" | "buffered", ChildResult>> = {};
  for (let round = 0; round < ROUNDS; round++) {
    for (
      const kind of round % 2 === 0
        ? ["stream", "buffered"] as const
        : ["buffered", "stream"] as const
    ) {
      const r = await runChild(make(kind === "stream"));
      const prev = best[kind];
      best[kind] = prev
        ? {
          ...r,
          ms: Math.min(prev.ms, r.ms),
          peak: prev.peak - prev.baseline < r.peak - r.baseline ? prev.peak : r.peak,
          baseline: prev.peak - prev.baseline < r.peak - r.baseline ? prev.baseline : r.baseline,
        }
        : r;
    }
  }
  return { stream: best.stream!, buffered: best.buffered! };
}

const mib = (n: number): string => (n / MiB).toFixed(1);
const extra = (r: ChildResult): number => r.peak - r.baseline;
const rate = (r: ChildResult): number => r.bytes / r.ms;

async function main(): Promise<void> {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  const basePath = await Deno.makeTempDir({ prefix: "weilink-media-bench-" });
  try {
    const wl = new WeiLink({
      basePath,
      baseUrl: sandbox.baseUrl,
      cdnBaseUrl: sandbox.cdnBaseUrl,
      logger: "silent",
    });
    const pending = wl.login({ onQr: () => {} });
    await sandbox.confirmLogin({});
    await pending;
    await sandbox.injectMessage({ text: "send me the files" });
    const [hi] = await wl.recv({ timeout: 2 });
    const to = hi!.fromUser;
    const common = {
      basePath,
      baseUrl: sandbox.baseUrl,
      cdnBaseUrl: sandbox.cdnBaseUrl,
      to,
    };

    console.log(
      "Peak RSS above each child's baseline (after a warm-up transfer), best of " +
        `${ROUNDS} runs; throughput as streamed / buffered.\n`,
    );

    // Upload: 50 MiB from a path.
    const upSize = 50 * MiB;
    const upPath = `${basePath}/upload.bin`;
    await Deno.writeFile(upPath, fillPseudoRandom(new Uint8Array(upSize), 3));
    const up = await pair((stream) => ({
      ...common,
      kind: stream ? "upload-stream" : "upload-buffered",
      path: upPath,
    }));
    console.log("upload 50 MiB file        streamed (path)   buffered (readFile + bytes)");
    console.log(
      `  peak above baseline      ${mib(extra(up.stream)).padStart(6)} MiB = ${
        (extra(up.stream) / upSize).toFixed(2)
      }x   ${mib(extra(up.buffered)).padStart(6)} MiB = ${
        (extra(up.buffered) / upSize).toFixed(2)
      }x   (target ≤ 1.50x)`,
    );
    console.log(
      `  baseline RSS             ${mib(up.stream.baseline).padStart(6)} MiB          ${
        mib(up.buffered.baseline).padStart(6)
      } MiB`,
    );
    console.log(
      `  throughput streamed/buffered: ${(rate(up.stream) / rate(up.buffered)).toFixed(2)}x`,
    );

    // Downloads: 50 MiB and 200 MiB files, streamed to disk.
    await sandbox.injectMessage({
      file: fillPseudoRandom(new Uint8Array(64 * 1024), 4),
      fileName: "warm.bin",
    });
    const [warmMsg] = await wl.recv({ timeout: 2 });
    const warmWire = fileWire(warmMsg!);
    for (const size of [50 * MiB, 200 * MiB]) {
      await sandbox.injectMessage({
        file: fillPseudoRandom(new Uint8Array(size), size),
        fileName: "big.bin",
      });
      const [msg] = await wl.recv({ timeout: 10 });
      const wire = fileWire(msg!);
      const out = `${basePath}/download.bin`;
      const down = await pair((stream) => ({
        ...common,
        kind: stream ? "download-stream" : "download-buffered",
        path: out,
        wire,
        warmWire,
      }));
      await Deno.remove(out).catch(() => {});
      console.log(
        `\ndownload ${size / MiB} MiB file      streamed (to:)     buffered (bytes + writeFile)`,
      );
      console.log(
        `  peak above baseline      ${mib(extra(down.stream)).padStart(6)} MiB           ${
          mib(extra(down.buffered)).padStart(6)
        } MiB   (target ≤ 32 MiB streamed)`,
      );
      console.log(
        `  baseline RSS             ${mib(down.stream.baseline).padStart(6)} MiB           ${
          mib(down.buffered.baseline).padStart(6)
        } MiB`,
      );
      console.log(
        `  throughput streamed/buffered: ${(rate(down.stream) / rate(down.buffered)).toFixed(2)}x`,
      );
    }
    await wl.close();
  } finally {
    await sandbox.close();
    await Deno.remove(basePath, { recursive: true }).catch(() => {});
  }
}

if (import.meta.main) {
  const at = Deno.args.indexOf("--child");
  if (at >= 0) await child(JSON.parse(Deno.args[at + 1]!) as ChildTask);
  else await main();
}
