/**
 * The worker that hosts the servers of the HTTP targets, so that a server stuck on a case can
 * neither stall the fuzzer's own timeouts nor outlive the run: the main thread terminates it.
 *
 * It starts two embedded sandboxes (one behind the OpenAPI server, one whose control API is
 * fuzzed), logs the OpenAPI server's client into the first (QR login through the `login` tool),
 * lets the user write a text, an image and a file so that `download` has real media, and logs a
 * bot into the second. Then it answers `{type: "ready", env}` with the URLs and the placeholder
 * values (`$USER`, `$MSG_IMAGE`, `$CTL_BOT`, …).
 *
 * @module
 */

/// <reference lib="deno.worker" />

import { type Sandbox, startSandbox } from "../../src/sandbox/mod.ts";
import { serveOpenApi, type ServerHandle } from "../../src/server/mod.ts";
import type { HttpEnv } from "./harness.ts";
import { makeFileFixture, PNG_BYTES } from "./fixtures.ts";

let running: { close(): Promise<void> } | undefined;

async function tool(url: string, name: string, args: Record<string, unknown>): Promise<unknown> {
  const res = await fetch(`${url}/tools/${name}`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(args),
  });
  const body = await res.json();
  if (!res.ok) throw new Error(`Set-up call ${name} failed: ${res.status} ${JSON.stringify(body)}`);
  return body;
}

/** Logs a bot into a sandbox over its own HTTP API, as a client would. */
async function loginBot(sandbox: Sandbox, userId: string) {
  const qr = await fetch(`${sandbox.baseUrl}/ilink/bot/get_bot_qrcode?bot_type=3`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ local_token_list: [] }),
  });
  const { qrcode } = await qr.json();
  return await sandbox.confirmLogin({ qrcode, userId });
}

async function start(root: string): Promise<HttpEnv> {
  const fixture = await makeFileFixture(root);
  const home = `${root}/home`;
  await Deno.mkdir(`${home}/downloads`, { recursive: true });
  await Deno.writeFile(`${home}/downloads/saved.png`, PNG_BYTES);
  const opened: { close(): Promise<void> }[] = [];
  const close = async () => {
    for (const o of opened.reverse()) await o.close().catch(() => {});
  };
  try {
    // A short QR lifetime: fuzzed `login force` calls for other sessions expire in seconds
    // instead of polling for five minutes each.
    const serverSandbox = await startSandbox({ longPollMs: 1000, qrTtlMs: 5_000, quiet: true });
    opened.push(serverSandbox);
    const controlSandbox = await startSandbox({ longPollMs: 100, quiet: true });
    opened.push(controlSandbox);
    const server: ServerHandle = await serveOpenApi({
      port: 0,
      basePath: home,
      baseUrl: serverSandbox.baseUrl,
      cdnBaseUrl: serverSandbox.cdnBaseUrl,
      allowRead: [fixture.files],
      allowWrite: [fixture.files],
      banner: false,
      logLevel: "silent",
    });
    opened.push(server);
    const url = server.url!;

    await tool(url, "login", {});
    const bot = await serverSandbox.confirmLogin({ userId: "u_fuzz_user@im.wechat" });
    for (let i = 0; i < 20; i++) {
      const step = await tool(url, "login", { timeout: 5 }) as { status: string };
      if (step.status === "confirmed") break;
    }
    const injected = [
      await serverSandbox.injectMessage({ text: "hello from the user" }),
      await serverSandbox.injectMessage({ image: PNG_BYTES }),
      await serverSandbox.injectMessage({ file: PNG_BYTES, fileName: "photo.png" }),
    ];
    // The server's client must have them before download can find them.
    const seen = new Set<string>();
    for (let i = 0; i < 20 && seen.size < injected.length; i++) {
      const got = await tool(url, "recv", { timeout: 2 }) as { messages: { message_id: string }[] };
      for (const m of got.messages) seen.add(m.message_id);
    }
    const ctl = await loginBot(controlSandbox, "u_ctl_user@im.wechat");
    const ctlMessage = await controlSandbox.injectMessage({ botId: ctl.botId, image: PNG_BYTES });

    running = { close };
    return {
      openapiUrl: url,
      serverSandboxUrl: serverSandbox.baseUrl,
      controlUrl: controlSandbox.baseUrl,
      vars: {
        FILES: fixture.files,
        DATA: home,
        USER: bot.userId,
        BOT: bot.botId,
        MSG_TEXT: injected[0]!.messageId,
        MSG_IMAGE: injected[1]!.messageId,
        MSG_FILE: injected[2]!.messageId,
        CTL_BOT: ctl.botId,
        CTL_USER: ctl.userId,
        CTL_TOKEN: ctl.token,
        CTL_MSG: ctlMessage.messageId,
      },
    };
  } catch (error) {
    await close();
    throw error;
  }
}

self.onmessage = async (event: MessageEvent) => {
  const message = event.data as Record<string, unknown>;
  if (message.type === "start") {
    try {
      const env = await start(message.dir as string);
      self.postMessage({ type: "ready", env });
    } catch (error) {
      self.postMessage({ type: "error", error: String((error as Error)?.stack ?? error) });
    }
  } else if (message.type === "stop") {
    await running?.close();
    running = undefined;
    self.postMessage({ type: "stopped" });
    self.close();
  }
};
