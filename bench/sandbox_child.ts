/**
 * The sandbox side of the benches, run as its own `deno` process so the server's work (JSON
 * encoding, long-poll bookkeeping, injection) does not share an event loop or a CPU account with
 * the client being measured.
 *
 * Start-up prints one JSON line `{"baseUrl", "controlUrl"}` on stdout. Logins go through the
 * sandbox's own control API (`POST /_control/confirm`). Injection bursts are driven over stdin,
 * one JSON command per line, so the messages are created inside this process the way a real
 * server receives them from users:
 *
 * - `{"id", "cmd": "inject", "botId", "prefix", "count", "chunk", "users"?, "seed"?}`: inject
 *   `count` messages `<prefix><i>:<stamp> <chat text>` from `users` users (default 40), the chat
 *   text realistic (see `traffic.ts`); stamp = absolute injection time in ms, comparable across
 *   processes. After every `chunk` messages the loop yields to the event loop so pending
 *   `getupdates` are answered while the burst goes on (`chunk` 0: no yield, a backlog). Answers
 *   `{"id", "t0", "t1"}` (absolute ms of the first and last injection).
 * - `{"id", "cmd": "cpu"}`: answers `{"id", "user", "system"}`, this process's CPU time in µs.
 * - `{"cmd": "close"}` (or end of stdin): close the sandbox and exit.
 *
 * Run: `deno run -A bench/sandbox_child.ts [longPollMs] [updatesBatch]`
 *
 * @module
 */

import process from "node:process";
import { startSandbox } from "../src/sandbox/mod.ts";
import { chatText, prng, userOf } from "./traffic.ts";

/** Absolute time in ms with sub-millisecond resolution, comparable across processes. */
function stamp(): number {
  return performance.timeOrigin + performance.now();
}

const longPollMs = Number(Deno.args[0] ?? 1000);
const updatesBatch = Number(Deno.args[1] ?? 100);
const sandbox = await startSandbox({ longPollMs, updatesBatch, quiet: true });
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
  users?: number;
  seed?: number;
}

async function inject(c: InjectCommand): Promise<void> {
  const random = prng(c.seed ?? 1);
  const users = c.users ?? 40;
  const texts = Array.from({ length: c.count }, () => chatText(random));
  const t0 = stamp();
  for (let i = 0; i < c.count; i++) {
    await sandbox.injectMessage({
      botId: c.botId,
      from: userOf(i, users),
      text: `${c.prefix}${i}:${stamp().toFixed(3)} ${texts[i]}`,
    });
    if (c.chunk > 0 && (i + 1) % c.chunk === 0) await yieldToLoop();
  }
  await reply({ id: c.id, t0, t1: stamp() });
}

type Command = InjectCommand | { id: number; cmd: "cpu" } | { cmd: "close" };

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
      const command = JSON.parse(line) as Command;
      if (command.cmd === "close") break outer;
      if (command.cmd === "cpu") await reply({ id: command.id, ...process.cpuUsage() });
      else await inject(command);
    }
  }
} finally {
  await sandbox.close();
}
