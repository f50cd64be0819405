/**
 * MCP server bench: tool-call round trips per second and p50/p99 latency for `history` and
 * `sessions` over streamable HTTP and over stdio, and the cold start of a stdio server
 * (spawn → initialize → tools/list → sessions) against a bare `deno run` of an empty file.
 *
 * The cold-start rows: a bare `deno run` of an empty file, the smallest stdio server the official
 * SDK allows (`tests/server/fixtures/sdk_floor.ts`), `cli.ts mcp`, and the same server started
 * without the command line (`tests/server/fixtures/mcp_stdio_entry.ts`), each with its ratio to
 * the bare start (target: `cli.ts mcp` within 2x). Runs are interleaved so that load from other
 * processes spreads evenly; medians and minimums are printed. For a per-phase split of one start,
 * run `WEILINK_TRACE_STARTUP=1 deno run -A cli.ts mcp` and read the `[startup]` marks on stderr.
 *
 * Run: `deno run -A bench/mcp_bench.ts [--calls 500] [--runs 7] [--cold-only 1]`
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startSandbox } from "../src/sandbox/mod.ts";
import { serveMcp } from "../src/server/mod.ts";

const args = new Map<string, string>();
for (let i = 0; i < Deno.args.length; i += 2) args.set(Deno.args[i]!, Deno.args[i + 1] ?? "");
const CALLS = Number(args.get("--calls") ?? 500);
const RUNS = Number(args.get("--runs") ?? 7);
const COLD_ONLY = args.has("--cold-only");

const CLI = new URL("../cli.ts", import.meta.url).pathname;
const EMPTY = new URL("../tests/server/fixtures/empty.ts", import.meta.url).pathname;
const SDK_FLOOR = new URL("../tests/server/fixtures/sdk_floor.ts", import.meta.url).pathname;
const SERVER_ENTRY = new URL("../tests/server/fixtures/mcp_stdio_entry.ts", import.meta.url)
  .pathname;

function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
}

function median(values: number[]): number {
  return percentile([...values].sort((a, b) => a - b), 0.5);
}

async function measureCalls(client: Client, name: string) {
  const args = name === "history" ? { limit: 50 } : {};
  for (let i = 0; i < 20; i++) await client.callTool({ name, arguments: args }); // warm-up
  const latencies: number[] = [];
  const start = performance.now();
  for (let i = 0; i < CALLS; i++) {
    const t0 = performance.now();
    const result = await client.callTool({ name, arguments: args });
    latencies.push(performance.now() - t0);
    if (result.isError) throw new Error(`${name} failed: ${JSON.stringify(result.content)}`);
  }
  const total = performance.now() - start;
  latencies.sort((a, b) => a - b);
  return {
    rps: CALLS / (total / 1000),
    p50: percentile(latencies, 0.5),
    p99: percentile(latencies, 0.99),
  };
}

function row(label: string, r: { rps: number; p50: number; p99: number }): string {
  return `${label.padEnd(28)} ${r.rps.toFixed(0).padStart(7)} calls/s   p50 ${
    r.p50.toFixed(2).padStart(6)
  } ms   p99 ${r.p99.toFixed(2).padStart(6)} ms`;
}

const OUR_SERVER = [CLI, "mcp", "--no-banner", "--log-level", "ERROR"];

/** Spawn a stdio server and time initialize → tools/list → sessions over raw pipes. */
async function coldStart(env: Record<string, string>, entry = OUR_SERVER): Promise<number> {
  const t0 = performance.now();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...entry],
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const nextMessage = async () => {
    while (!buffer.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("Server exited early");
      buffer += value;
    }
    const at = buffer.indexOf("\n");
    const line = buffer.slice(0, at);
    buffer = buffer.slice(at + 1);
    return JSON.parse(line);
  };
  const send = (m: unknown) => writer.write(new TextEncoder().encode(JSON.stringify(m) + "\n"));
  await send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "bench", version: "0" },
    },
  });
  await nextMessage();
  await send({ jsonrpc: "2.0", method: "notifications/initialized" });
  await send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  await nextMessage();
  await send({
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: { name: "sessions", arguments: {} },
  });
  const answer = await nextMessage();
  const elapsed = performance.now() - t0;
  if (answer.result?.isError) throw new Error("sessions failed in the cold-start run");
  await writer.close();
  await reader.cancel();
  await child.status;
  return elapsed;
}

async function bareStart(): Promise<number> {
  const t0 = performance.now();
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EMPTY],
    stdout: "null",
    stderr: "null",
  }).output();
  return performance.now() - t0;
}

const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
const home = await Deno.makeTempDir({ prefix: "weilink_mcp_bench_" });
const childEnv = {
  PATH: Deno.env.get("PATH") ?? "",
  HOME: Deno.env.get("HOME") ?? home,
  WEILINK_HOME: home,
  WEILINK_BASE_URL: sandbox.baseUrl,
  WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl,
  ...(Deno.env.get("DENO_DIR") ? { DENO_DIR: Deno.env.get("DENO_DIR")! } : {}),
};
const server = await serveMcp({
  transport: "http",
  port: 0,
  basePath: home,
  baseUrl: sandbox.baseUrl,
  cdnBaseUrl: sandbox.cdnBaseUrl,
  banner: false,
  logLevel: "silent",
});
const http = new Client({ name: "bench-http", version: "0" });
try {
  if (!COLD_ONLY) await measureThroughput();
  await measureColdStart();
} finally {
  await http.close();
  await server.close();
  await sandbox.close();
  await Deno.remove(home, { recursive: true });
}

async function measureThroughput(): Promise<void> {
  await http.connect(new StreamableHTTPClientTransport(new URL(server.url!)));
  // Log in and store some messages so `history` has rows to return.
  await http.callTool({ name: "login", arguments: {} });
  await sandbox.confirmLogin();
  await http.callTool({ name: "login", arguments: { timeout: 10 } });
  for (let i = 0; i < 200; i++) await sandbox.injectMessage({ text: `bench message ${i}` });
  let stored = 0;
  for (let i = 0; i < 50 && stored < 200; i++) {
    const r = await http.callTool({ name: "recv", arguments: { timeout: 1 } });
    stored += ((r.structuredContent as { count: number } | undefined)?.count) ?? 0;
  }

  console.log(`MCP tool calls (${CALLS} sequential calls each, one client)`);
  console.log(row("streamable-http history", await measureCalls(http, "history")));
  console.log(row("streamable-http sessions", await measureCalls(http, "sessions")));

  const stdio = new Client({ name: "bench-stdio", version: "0" });
  await stdio.connect(
    new StdioClientTransport({
      command: Deno.execPath(),
      args: ["run", "-A", CLI, "mcp", "--no-banner", "--log-level", "ERROR"],
      env: childEnv,
      stderr: "ignore",
    }),
  );
  try {
    console.log(row("stdio history", await measureCalls(stdio, "history")));
    console.log(row("stdio sessions", await measureCalls(stdio, "sessions")));
  } finally {
    await stdio.close();
  }
  console.log();
}

async function measureColdStart(): Promise<void> {
  const entryEnv = { ...childEnv, FIXTURE_LOG_LEVEL: "error" };
  const kinds = [
    { label: "bare deno run of an empty file", run: bareStart },
    { label: "minimal SDK stdio server (floor)", run: () => coldStart(childEnv, [SDK_FLOOR]) },
    { label: "cli.ts mcp", run: () => coldStart(childEnv) },
    { label: "  same server without the CLI", run: () => coldStart(entryEnv, [SERVER_ENTRY]) },
  ];
  const times: number[][] = kinds.map(() => []);
  // Fill the V8 code cache once, as any second start would find it.
  for (const kind of kinds) await kind.run();
  for (let i = 0; i < RUNS; i++) {
    for (const [k, kind] of kinds.entries()) times[k]!.push(await kind.run());
  }
  const medians = times.map(median);
  const mins = times.map((t) => Math.min(...t));
  const [bareMs, floorMs] = [medians[0]!, medians[1]!];
  const ms = (v: number) => `${v.toFixed(1).padStart(6)} ms`;
  console.log(
    `Cold start: spawn -> initialize -> tools/list -> sessions (${RUNS} interleaved runs)`,
  );
  console.log(
    `${"".padEnd(34)} ${"median".padStart(9)} ${"min".padStart(9)}  ${"x bare".padStart(6)}  ${
      "x floor".padStart(7)
    }`,
  );
  for (const [k, kind] of kinds.entries()) {
    const m = medians[k]!;
    console.log(
      `${kind.label.padEnd(34)} ${ms(m)} ${ms(mins[k]!)}  ${
        (m / bareMs).toFixed(2).padStart(5)
      }x  ${(m / floorMs).toFixed(2).padStart(6)}x`,
    );
  }
  const ours = medians[2]!;
  console.log(
    `target: cli.ts mcp <= 2x bare (${ms(2 * bareMs).trim()}): ${
      ours <= 2 * bareMs ? "met" : `not met (${(ours / bareMs).toFixed(2)}x)`
    }`,
  );
}
