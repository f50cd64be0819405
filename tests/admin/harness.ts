/**
 * Shared set-up of the admin panel tests: a sandbox, a client with the message store on a
 * temporary data directory, and the panel serving it on a free port.
 *
 * @module
 */

import { type Sandbox, type SandboxOptions, startSandbox } from "../../src/sandbox/mod.ts";
import { WeiLink } from "../../src/client/mod.ts";
import { type AdminHandle, type AdminOptions, serveAdmin } from "../../src/admin/mod.ts";

/** A running panel over a client of a sandbox; disposing it stops everything. */
export interface AdminEnv extends AsyncDisposable {
  sandbox: Sandbox;
  home: string;
  client: WeiLink;
  admin: AdminHandle;
  /** The panel's URL, without a trailing slash. */
  url: string;
  /** Log the client in (session `name`, default the default one) through the sandbox. */
  login(name?: string): Promise<{ botId: string; userId: string }>;
  /** `fetch` on the panel; `init.json` becomes a JSON body. */
  call(path: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  /** `call`, then the JSON answer with its status. */
  json(
    path: string,
    init?: RequestInit & { json?: unknown },
  ): Promise<{ status: number; body: Record<string, unknown> }>;
}

/** Options of {@linkcode startAdminEnv}. */
export interface AdminEnvOptions {
  /** Panel options (port 0, no banner and silent logs are set). */
  admin?: AdminOptions;
  /** Sandbox options (quiet, 300 ms long polls are set). */
  sandbox?: SandboxOptions;
  /** Start the client's dispatcher, so received messages land in the store (default true). */
  run?: boolean;
}

/** Start a sandbox, a client and the panel. */
export async function startAdminEnv(options: AdminEnvOptions = {}): Promise<AdminEnv> {
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true, ...options.sandbox });
  const home = await Deno.makeTempDir({ prefix: "weilink_admin_test_" });
  const client = new WeiLink({
    basePath: home,
    baseUrl: sandbox.baseUrl,
    cdnBaseUrl: sandbox.cdnBaseUrl,
    messageStore: true,
    logger: "silent",
    loginPollIntervalMs: 100,
    watchIntervalMs: 200,
  });
  const admin = await serveAdmin(client, {
    port: 0,
    banner: false,
    logLevel: "silent",
    ...options.admin,
  });
  if (options.run !== false) await client.runBackground({ pollTimeout: 1 });
  const call = (path: string, init: RequestInit & { json?: unknown } = {}) => {
    const { json, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (json !== undefined) {
      if (!headers.has("content-type")) headers.set("content-type", "application/json");
      rest.body = typeof json === "string" ? json : JSON.stringify(json);
      rest.method ??= "POST";
    }
    return fetch(`${admin.url}${path}`, { ...rest, headers });
  };
  return {
    sandbox,
    home,
    client,
    admin,
    url: admin.url,
    async login(name?: string) {
      const login = client.login({ ...(name ? { name } : {}), force: true, onQr: () => {} });
      const { botId, userId } = await sandbox.confirmLogin();
      await login;
      return { botId, userId };
    },
    call,
    async json(path, init) {
      const res = await call(path, init);
      const text = await res.text();
      return { status: res.status, body: text ? JSON.parse(text) : {} };
    },
    async [Symbol.asyncDispose]() {
      await admin.close();
      await client.close();
      await sandbox.close();
      await Deno.remove(home, { recursive: true }).catch(() => {});
    },
  };
}

/** Resolves with `check()`'s first truthy value; fails after `ms`. */
export async function eventually<T>(
  check: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 10_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > end) throw new Error(`Condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A 1×1 PNG. */
export const PNG_BYTES: Uint8Array = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

/** Where screenshots go: `$WEILINK_ARTIFACTS_DIR`, else a temporary folder (printed). */
export async function artifactsDir(): Promise<string> {
  let dir: string | undefined;
  try {
    dir = Deno.env.get("WEILINK_ARTIFACTS_DIR") || undefined;
  } catch {
    dir = undefined;
  }
  if (dir) {
    await Deno.mkdir(dir, { recursive: true });
    return dir;
  }
  dir = await Deno.makeTempDir({ prefix: "weilink_admin_screens_" });
  console.log(`Admin panel screenshots: ${dir}`);
  return dir;
}
