/**
 * Server bench: MCP tool-call round trips per second and p50/p99 latency for `history` and
 * `sessions` over streamable HTTP and over stdio, then the cold start of `weilink mcp` and
 * `weilink openapi` against the smallest servers their frameworks allow.
 *
 * Cold start is measured from spawning `deno run -A …` to the first answer a client needs:
 *
 * - MCP over stdio: `initialize`, then `tools/list` answered. The floor is the smallest stdio
 *   server the official SDK allows (`tests/server/fixtures/sdk_floor.ts`, one tool). Rows:
 *   `cli.ts mcp` as installed (admin panel on, it starts after the handshake), with
 *   `--no-admin`, and the same server started without the command line
 *   (`tests/server/fixtures/mcp_stdio_entry.ts`).
 * - REST: the server's ready line on stderr, then `GET /tools` answered. The floor is a minimal
 *   Hono app (`tests/server/fixtures/hono_floor.ts`) served by the same HTTP front as
 *   `weilink openapi`: `src/server/http_listener.ts` on `node:http`. That front is WeiLink's on
 *   purpose (`Deno.serve` has no header, request or keep-alive timeouts, so half-open clients
 *   could hold connections forever), and loading `node:http` is a large share of a start, so a
 *   floor on `Deno.serve` would measure that choice rather than the server; it is printed as
 *   a reference row. Rows: `cli.ts openapi` as installed (admin panel on), with `--no-admin`,
 *   and the same server started without the command line, panel off
 *   (`tests/server/fixtures/openapi_entry.ts`).
 *
 * The last column is the first tool call (`sessions`), which also opens the client and its
 * store; the floors answer it with a constant. Every row is a plain `deno run -A` from the
 * repository root with the same environment, so the same `deno.json`, lock file and caches
 * apply, and none is type-checked (`deno run` does not check); one unmeasured round first fills
 * the module and V8 code caches, as any second start would find them. Before running an entry,
 * `deno run` reads and resolves every module it can reach, statically analysable dynamic imports
 * included (that is what lets them load without read permission and what `deno compile`
 * bundles): for `cli.ts` that is every command, about 190 modules and 7 npm packages, 15-20 ms
 * that the floors, with one package each, do not pay.
 *
 * Runs are interleaved so that load from other processes spreads evenly over the rows; each row
 * prints its median and minimum and the median of its ratios to the bare start and to the floor
 * within each round. Targets: `cli.ts mcp` and `cli.ts openapi`, with their default flags,
 * within 1.2x of their floors. For a per-phase split of one start, run
 * `WEILINK_TRACE_STARTUP=1 deno run -A cli.ts mcp` (or `openapi`) and read the `[startup]`
 * marks on stderr.
 *
 * Run: `deno run -A bench/mcp_bench.ts [--calls 500] [--runs 11] [--cold-only 1]`
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { startSandbox } from "../src/sandbox/mod.ts";
import { serveMcp } from "../src/server/mod.ts";

const args = new Map<string, string>();
for (let i = 0; i < Deno.args.length; i += 2) args.set(Deno.args[i]!, Deno.args[i + 1] ?? "");
const CALLS = Number(args.get("--calls") ?? 500);
const RUNS = Number(args.get("--runs") ?? 11);
const COLD_ONLY = args.has("--cold-only");

const ROOT = new URL("..", import.meta.url).pathname;
const CLI = `${ROOT}cli.ts`;
const FIXTURES = `${ROOT}tests/server/fixtures/`;
const EMPTY = `${FIXTURES}empty.ts`;
const SDK_FLOOR = `${FIXTURES}sdk_floor.ts`;
const HONO_FLOOR = `${FIXTURES}hono_floor.ts`;
const SERVER_ENTRY = `${FIXTURES}mcp_stdio_entry.ts`;
const REST_ENTRY = `${FIXTURES}openapi_entry.ts`;

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

/** Milliseconds from spawn to the first answers a client needs; `call` is NaN when not asked. */
interface ColdStart {
  ready: number;
  call: number;
}

function spawn(args: string[], env: Record<string, string>, stdin: "piped" | "null") {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...args],
    cwd: ROOT,
    env,
    stdin,
    stdout: stdin === "piped" ? "piped" : "null",
    stderr: stdin === "piped" ? "null" : "piped",
  }).spawn();
}

/** Lines of a byte stream, one at a time. */
function lineReader(stream: ReadableStream<Uint8Array>) {
  const reader = stream.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  return {
    async next(): Promise<string> {
      while (!buffer.includes("\n")) {
        const { value, done } = await reader.read();
        if (done) throw new Error("Server exited early");
        buffer += value;
      }
      const at = buffer.indexOf("\n");
      const line = buffer.slice(0, at);
      buffer = buffer.slice(at + 1);
      return line;
    },
    cancel: () => reader.cancel(),
  };
}

/** Spawn a stdio MCP server: initialize → tools/list (ready), then call `sessions`. */
async function mcpColdStart(entry: string[], env: Record<string, string>): Promise<ColdStart> {
  const t0 = performance.now();
  const child = spawn(entry, env, "piped");
  const writer = child.stdin.getWriter();
  const lines = lineReader(child.stdout);
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
  await lines.next();
  await send({ jsonrpc: "2.0", method: "notifications/initialized" });
  await send({ jsonrpc: "2.0", id: 2, method: "tools/list" });
  const listed = JSON.parse(await lines.next());
  const ready = performance.now() - t0;
  if (!(listed.result?.tools?.length > 0)) throw new Error("tools/list failed in a cold start");
  await send({
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: { name: "sessions", arguments: {} },
  });
  const answer = JSON.parse(await lines.next());
  const call = performance.now() - t0;
  if (answer.result?.isError) throw new Error("sessions failed in a cold start");
  await writer.close();
  await lines.cancel();
  await child.status;
  return { ready, call };
}

/** Spawn a REST server: its ready line → `GET /tools` (ready), then `POST /tools/sessions`. */
async function restColdStart(entry: string[], env: Record<string, string>): Promise<ColdStart> {
  const t0 = performance.now();
  const child = spawn(entry, env, "null");
  const lines = lineReader(child.stderr);
  try {
    let url: string | undefined;
    while (!url) {
      // The server's own line, not the admin panel's.
      url = /^(?!.*admin).* on (http:\/\/\S+)/i.exec(await lines.next())?.[1];
    }
    const listed = await fetch(`${url}/tools`);
    if (!listed.ok) throw new Error(`GET /tools answered ${listed.status} in a cold start`);
    await listed.arrayBuffer();
    const ready = performance.now() - t0;
    const answer = await fetch(`${url}/tools/sessions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{}",
    });
    await answer.arrayBuffer();
    const call = performance.now() - t0;
    if (!answer.ok) throw new Error(`POST /tools/sessions answered ${answer.status}`);
    return { ready, call };
  } finally {
    child.kill("SIGTERM");
    await lines.cancel();
    await child.status;
  }
}

async function bareStart(): Promise<ColdStart> {
  const t0 = performance.now();
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", EMPTY],
    cwd: ROOT,
    stdout: "null",
    stderr: "null",
  }).output();
  return { ready: performance.now() - t0, call: NaN };
}

interface Row {
  label: string;
  run: () => Promise<ColdStart>;
}

/** Runs every row once unmeasured, then `RUNS` interleaved rounds; one result list per row. */
async function interleave(rows: Row[]): Promise<ColdStart[][]> {
  const results: ColdStart[][] = rows.map(() => []);
  for (const row of rows) await row.run();
  for (let i = 0; i < RUNS; i++) {
    for (const [k, row] of rows.entries()) results[k]!.push(await row.run());
  }
  return results;
}

/**
 * Prints one table; `floor` and `target` are indexes into `rows`. The ratios are medians of the
 * ratios within each round (row against bare start and floor of the same round), so that a
 * machine whose speed drifts over the runs skews them less than it skews the times.
 */
function report(
  title: string,
  rows: Row[],
  results: ColdStart[][],
  floor: number,
  target: number,
): void {
  const ms = (v: number) => Number.isNaN(v) ? "-".padStart(7) : v.toFixed(1).padStart(7);
  const ready = results.map((r) => r.map((x) => x.ready));
  const ratio = (k: number, base: number) => median(ready[k]!.map((v, i) => v / ready[base]![i]!));
  console.log(`${title} (${RUNS} interleaved runs)`);
  console.log(
    `${"".padEnd(38)} ${"median".padStart(7)} ${"min".padStart(7)} ${"x bare".padStart(7)} ${
      "x floor".padStart(7)
    }  ${"1st call".padStart(8)}`,
  );
  for (const [k, row] of rows.entries()) {
    console.log(
      `${row.label.padEnd(38)} ${ms(median(ready[k]!))} ${ms(Math.min(...ready[k]!))} ${
        ratio(k, 0).toFixed(2).padStart(6)
      }x ${ratio(k, floor).toFixed(2).padStart(6)}x  ${ms(median(results[k]!.map((x) => x.call)))}`,
    );
  }
  const achieved = ratio(target, floor);
  console.log(
    `(ms; "1st call": spawn to the answer of the first tool call, sessions)\n` +
      `target: ${rows[target]!.label.trim()} <= 1.2x ${rows[floor]!.label.trim()}: ` +
      `${achieved <= 1.2 ? "met" : "not met"} (${achieved.toFixed(2)}x)`,
  );
}

async function measureColdStart(): Promise<void> {
  const entryEnv = { ...childEnv, FIXTURE_LOG_LEVEL: "error" };
  const mcp = [CLI, "mcp", "--no-banner", "--log-level", "ERROR"];
  const mcpRows: Row[] = [
    { label: "bare deno run of an empty file", run: bareStart },
    { label: "minimal SDK stdio server (floor)", run: () => mcpColdStart([SDK_FLOOR], childEnv) },
    { label: "cli.ts mcp", run: () => mcpColdStart(mcp, childEnv) },
    { label: "cli.ts mcp --no-admin", run: () => mcpColdStart([...mcp, "--no-admin"], childEnv) },
    {
      label: "  same server without the CLI",
      run: () => mcpColdStart([SERVER_ENTRY], entryEnv),
    },
  ];
  report(
    "Cold start, MCP over stdio: spawn -> initialize -> tools/list answered",
    mcpRows,
    await interleave(mcpRows),
    1,
    2,
  );
  console.log();
  const rest = [CLI, "openapi", "--port", "0", "--log-level", "ERROR"];
  const restRows: Row[] = [
    { label: "bare deno run of an empty file", run: bareStart },
    {
      label: "minimal Hono app on node:http (floor)",
      run: () => restColdStart([HONO_FLOOR, "node-http"], childEnv),
    },
    {
      label: "  the same on Deno.serve (reference)",
      run: () => restColdStart([HONO_FLOOR, "deno-serve"], childEnv),
    },
    { label: "cli.ts openapi", run: () => restColdStart(rest, childEnv) },
    {
      label: "cli.ts openapi --no-admin",
      run: () => restColdStart([...rest, "--no-admin"], childEnv),
    },
    { label: "  same server without the CLI", run: () => restColdStart([REST_ENTRY], childEnv) },
  ];
  report(
    "Cold start, REST: spawn -> ready line -> GET /tools answered",
    restRows,
    await interleave(restRows),
    1,
    3,
  );
}
