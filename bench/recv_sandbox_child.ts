/**
 * The sandbox side of `bench/recv_bench.ts`, run as its own `deno` process so the server's work
 * (JSON encoding, long-poll bookkeeping, injection) does not share an event loop with the client
 * being measured.
 *
 * Start-up prints one JSON line `{"baseUrl", "controlUrl"}` on stdout. Logins go through the
 * sandbox's own control API (`POST /_control/confirm`). Injection bursts are driven over stdin,
 * one JSON command per line, so the messages are created inside this process the way a real
 * server receives them from users:
 *
 * - `{"id", "cmd": "inject", "botId", "prefix", "count", "chunk"}`: inject `count` text messages
 *   `<prefix><i>:<stamp>` (stamp = absolute injection time in ms, `performance.timeOrigin`-based,
 *   comparable across processes); after every `chunk` messages the loop yields to the event loop
 *   so pending `getupdates` are answered while the burst goes on (`chunk` 0: no yield, a backlog).
 *   Answers `{"id", "t0", "t1"}` (absolute ms of the first and last injection).
 * - `{"cmd": "close"}` (or end of stdin): close the sandbox and exit.
 *
 * Run: `deno run -A bench/recv_sandbox_child.ts [longPollMs]`
 *
 * @module
 */

import { startSandbox } from "../src/sandbox/mod.ts";

/** Absolute time in ms with sub-millisecond resolution, comparable across processes. */
function stamp(): number {
  return performance.timeOrigin + performance.now();
}

const longPollMs = Number(Deno.args[0] ?? 1000);
const sandbox = await startSandbox({ longPollMs, quiet: true });
const encoder = new TextEncoder();
const reply = async (value: unknown) => {
  await Deno.stdout.write(encoder.encode(JSON.stringify(value) + "\n"));
};
await reply({ baseUrl: sandbox.baseUrl, controlUrl: sandbox.controlUrl });

const yieldToLoop = () => new Promise<void>((r) => setTimeout(r, 0));

interface InjectCommand {
  id: number;
  cmd: "inject";
  botId: string;
  prefix: string;
  count: number;
  chunk: number;
}

async function inject(c: InjectCommand): Promise<void> {
  const t0 = stamp();
  for (let i = 0; i < c.count; i++) {
    await sandbox.injectMessage({ botId: c.botId, text: `${c.prefix}${i}:${stamp().toFixed(3)}` });
    if (c.chunk > 0 && (i + 1) % c.chunk === 0) await yieldToLoop();
  }
  await reply({ id: c.id, t0, t1: stamp() });
}

const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
let buffered = "";
try {
  outer: for await (const text of lines) {
    buffered += text;
    let nl;
    while ((nl = buffered.indexOf("\n")) >= 0) {
      const line = buffered.slice(0, nl).trim();
      buffered = buffered.slice(nl + 1);
      if (!line) continue;
      const command = JSON.parse(line) as InjectCommand | { cmd: "close" };
      if (command.cmd === "close") break outer;
      await inject(command);
    }
  }
} finally {
  await sandbox.close();
}
