/**
 * What stands between a server's start and its first answers: `tools/list` over stdio and
 * `GET /tools` or `/openapi.json` over REST need neither the tool registry (zod schemas), the
 * client, the store, the admin panel nor `node:fs`. Those load in the background or on the
 * first tool call; `bench/mcp_bench.ts` measures what this saves.
 */
import assert from "node:assert/strict";
import { createOpenApiApp } from "../../src/server/openapi.ts";
import { startEnv } from "./harness.ts";

const ROOT = new URL("../../", import.meta.url);

/** Specifiers of the modules `root` loads through static imports. */
async function staticGraph(root: string): Promise<string[]> {
  const { stdout, code } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", root],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  assert.equal(code, 0);
  const info = JSON.parse(new TextDecoder().decode(stdout)) as {
    roots: string[];
    modules: {
      specifier: string;
      dependencies?: { code?: { specifier: string }; isDynamic?: boolean }[];
    }[];
  };
  const bySpecifier = new Map(info.modules.map((m) => [m.specifier, m]));
  const seen = new Set<string>();
  const queue = [...info.roots];
  while (queue.length) {
    const specifier = queue.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dep of bySpecifier.get(specifier)?.dependencies ?? []) {
      if (!dep.isDynamic && dep.code?.specifier) queue.push(dep.code.specifier);
    }
  }
  return [...seen];
}

Deno.test("startup: first-answer modules load no registry, client or store", async () => {
  // The MCP SDK brings zod in itself, so for the stdio path only our own zod schemas count;
  // small leaves of client/ (paths, logger) are fine, the client itself is not.
  const heavy = new RegExp(
    [
      String.raw`/src/server/(schemas|tools|backend)\.ts$`,
      String.raw`/src/client/(mod|client)\.ts$`,
      String.raw`/src/(store|admin)/`,
      String.raw`^node:(fs|sqlite)$`,
    ].join("|"),
  );
  const cases: Record<string, { mustLoad: string; forbidden: RegExp }> = {
    "src/cli/commands/servers.ts": { mustLoad: "/src/cli/flag_values.ts", forbidden: heavy },
    "src/server/mod.ts": { mustLoad: "/src/server/startup_trace.ts", forbidden: heavy },
    "src/server/mcp.ts": { mustLoad: "/src/server/tool_catalog.ts", forbidden: heavy },
    "src/server/openapi.ts": {
      mustLoad: "/src/server/tool_catalog.ts",
      forbidden: new RegExp(`${heavy.source}|zod`),
    },
    "src/server/http_listener.ts": { mustLoad: "/src/http/mod.ts", forbidden: heavy },
    "src/server/background_start.ts": {
      mustLoad: "/src/server/background_start.ts",
      forbidden: heavy,
    },
  };
  for (const [root, { mustLoad, forbidden }] of Object.entries(cases)) {
    const graph = await staticGraph(root);
    assert.ok(graph.some((s) => s.endsWith(mustLoad)), `graph of ${root} looks incomplete`);
    const loaded = graph.filter((s) => forbidden.test(s));
    assert.deepEqual(loaded, [], `${root} statically loads ${loaded.join(", ")}`);
  }
});

Deno.test("startup: REST lists tools and its document without the registry", async () => {
  let asked = 0;
  const app = createOpenApiApp(() => {
    asked++;
    return Promise.reject(new Error("Cannot use the server: it is closed"));
  }, { name: "weilink", version: "0" });
  const get = async (path: string) => {
    const res = await app.fetch(new Request(`http://127.0.0.1${path}`));
    return { status: res.status, body: await res.json() };
  };
  const tools = await get("/tools");
  assert.equal(tools.status, 200);
  assert.equal(tools.body.tools.length, 10);
  assert.equal((await get("/openapi.json")).status, 200);
  const unknown = await app.fetch(
    new Request("http://127.0.0.1/tools/nope", { method: "POST", body: "{}" }),
  );
  assert.equal(unknown.status, 404);
  await unknown.body?.cancel();
  assert.equal(asked, 0, "nothing so far needed the registry");
  const call = await app.fetch(
    new Request("http://127.0.0.1/tools/sessions", { method: "POST", body: "{}" }),
  );
  assert.equal(call.status, 500);
  assert.match((await call.json()).error, /closed/);
  assert.equal(asked, 1, "a tool call loads the registry");
});

Deno.test("startup: stdio answers tools/list before the client and registry load", async () => {
  await using env = await startEnv();
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "cli.ts", "mcp", "--admin-port", "0", "-d", env.home],
    cwd: ROOT,
    env: {
      WEILINK_TRACE_STARTUP: "1",
      WEILINK_BASE_URL: env.sandbox.baseUrl,
      WEILINK_CDN_BASE_URL: env.sandbox.cdnBaseUrl,
      NO_COLOR: "1",
    },
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const stderr = new Response(child.stderr).text();
  const writer = child.stdin.getWriter();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  const next = async () => {
    while (!buffer.includes("\n")) {
      const { value, done } = await reader.read();
      if (done) throw new Error("The server exited early");
      buffer += value;
    }
    const line = buffer.slice(0, buffer.indexOf("\n"));
    buffer = buffer.slice(line.length + 1);
    return JSON.parse(line);
  };
  const send = (...messages: unknown[]) =>
    writer.write(new TextEncoder().encode(messages.map((m) => JSON.stringify(m) + "\n").join("")));
  await send({
    jsonrpc: "2.0",
    id: 1,
    method: "initialize",
    params: {
      protocolVersion: "2025-06-18",
      capabilities: {},
      clientInfo: { name: "startup-test", version: "0" },
    },
  });
  await next();
  // As clients do: the end of the handshake and the listing at once.
  await send(
    { jsonrpc: "2.0", method: "notifications/initialized" },
    { jsonrpc: "2.0", id: 2, method: "tools/list" },
  );
  assert.equal((await next()).result.tools.length, 10);
  await send({
    jsonrpc: "2.0",
    id: 3,
    method: "tools/call",
    params: { name: "sessions", arguments: {} },
  });
  assert.equal((await next()).result.isError, undefined);
  await writer.close();
  await reader.cancel();
  await child.status;
  const marks = (await stderr).split("\n").filter((l) => l.startsWith("[startup]"));
  const at = (label: string) => marks.findIndex((l) => l.endsWith(label));
  const listed = at("answered request 2");
  assert.ok(listed >= 0, marks.join("\n"));
  for (const label of ["client and store modules loaded", "tool registry built"]) {
    assert.ok(at(label) > listed, `${label} after tools/list:\n${marks.join("\n")}`);
  }
});
