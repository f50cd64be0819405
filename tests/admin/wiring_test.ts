/**
 * Where the panel starts besides `weilink admin`: with `mcp` over stdio (its URL on stderr, never
 * on stdout), with `openapi` (on the server's host, with the server's token), and from the SDK
 * (`startAdmin`/`stopAdmin`).
 */
import assert from "node:assert/strict";
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { StdioClientTransport } from "@modelcontextprotocol/sdk/client/stdio.js";
import { WeiLink } from "../../src/client/mod.ts";
import { serveOpenApi } from "../../src/server/mod.ts";
import { serverOptions, startEnv } from "../server/harness.ts";
import { eventually } from "./harness.ts";

const CLI = new URL("../../cli.ts", import.meta.url).pathname;

function childEnv(home: string, urls: { baseUrl: string; cdnBaseUrl: string }) {
  const denoDir = Deno.env.get("DENO_DIR") ?? `${Deno.env.get("HOME")}/.cache/deno`;
  return {
    PATH: Deno.env.get("PATH") ?? "",
    HOME: home,
    DENO_DIR: denoDir,
    WEILINK_HOME: home,
    WEILINK_BASE_URL: urls.baseUrl,
    WEILINK_CDN_BASE_URL: urls.cdnBaseUrl,
    NO_COLOR: "1",
  };
}

async function mcpOverStdio(
  home: string,
  urls: { baseUrl: string; cdnBaseUrl: string },
  args: string[],
) {
  const transport = new StdioClientTransport({
    command: Deno.execPath(),
    args: ["run", "-A", CLI, "mcp", ...args],
    env: childEnv(home, urls),
    cwd: home,
    stderr: "pipe",
  });
  const lines = { stderr: "" };
  transport.stderr?.on("data", (c: Uint8Array) => lines.stderr += new TextDecoder().decode(c));
  const client = new Client({ name: "weilink-admin-wiring", version: "0.0.0" });
  await client.connect(transport);
  return { client, lines };
}

Deno.test("mcp over stdio starts the panel after the handshake; its URL goes to stderr", async () => {
  await using env = await startEnv();
  const { client, lines } = await mcpOverStdio(env.home, env.sandbox, ["--admin-port", "0"]);
  try {
    // The JSON-RPC stream works (a stray line on stdout would break the SDK client).
    assert.equal((await client.listTools()).tools.length, 10);
    const url = await eventually(
      () => /admin panel.*?(http:\/\/127\.0\.0\.1:\d+)/i.exec(lines.stderr)?.[1],
      20_000,
    );
    const status = await fetch(`${url}/api/status`);
    assert.equal(status.status, 200);
    const body = await status.json();
    assert.equal(typeof body.version, "string");
    assert.equal(body.is_connected, false);
  } finally {
    await client.close();
  }
});

Deno.test("mcp over stdio with --no-admin starts no panel", async () => {
  await using env = await startEnv();
  const { client, lines } = await mcpOverStdio(env.home, env.sandbox, ["--no-admin"]);
  try {
    assert.equal((await client.listTools()).tools.length, 10);
    await new Promise((r) => setTimeout(r, 1500));
    assert.doesNotMatch(lines.stderr, /admin/i);
  } finally {
    await client.close();
  }
});

Deno.test("openapi with admin: the panel takes the server's token and host", async () => {
  await using env = await startEnv();
  const token = "wiring-test-token-0123456789";
  const server = await serveOpenApi({
    ...serverOptions(env),
    port: 0,
    token,
    admin: true,
    adminPort: 0,
  });
  try {
    // The panel starts in the background, once the server has answered or been idle a moment.
    const adminUrl = await server.adminReady;
    assert.ok(adminUrl, "the handle names the panel's URL once it serves");
    assert.equal(server.adminUrl, adminUrl);
    const admin = adminUrl.replace(/\/$/, "");
    assert.equal((await fetch(`${admin}/api/status`)).status, 401);
    const ok = await fetch(`${admin}/api/status`, {
      headers: { authorization: `Bearer ${token}` },
    });
    assert.equal(ok.status, 200);
    await ok.body?.cancel();
  } finally {
    await server.close();
  }
  // Closing the server closes the panel.
  await assert.rejects(fetch(`${server.adminUrl}api/status`));
});

Deno.test("openapi: a server closed before its panel started never starts it", async () => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0, admin: true, adminPort: 0 });
  await server.close();
  assert.equal(await server.adminReady, undefined);
  assert.equal(server.adminUrl, undefined);
});

Deno.test("openapi without admin: adminReady resolves to undefined", async () => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0 });
  try {
    assert.equal(await server.adminReady, undefined);
    assert.equal(server.adminUrl, undefined);
  } finally {
    await server.close();
  }
});

Deno.test("startAdmin/stopAdmin: one panel per client, stopped by stopAdmin and by close", async () => {
  await using env = await startEnv();
  const wl = new WeiLink({ basePath: env.home, baseUrl: env.sandbox.baseUrl, logger: "silent" });
  const first = await wl.startAdmin({ port: 0, banner: false, logLevel: "silent" });
  const again = await wl.startAdmin({ port: 0, banner: false, logLevel: "silent" });
  assert.equal(again.url, first.url, "a second call returns the running panel");
  assert.equal((await fetch(`${first.url.replace(/\/$/, "")}/api/status`)).status, 200);
  await wl.stopAdmin();
  await assert.rejects(fetch(`${first.url.replace(/\/$/, "")}/api/status`));
  const second = await wl.startAdmin({ port: 0, banner: false, logLevel: "silent" });
  await (await fetch(`${second.url.replace(/\/$/, "")}/api/status`)).body?.cancel();
  await wl.close();
  await assert.rejects(fetch(`${second.url.replace(/\/$/, "")}/api/status`));
});
