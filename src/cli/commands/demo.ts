/**
 * `weilink demo`: a newcomer's first run, no WeChat account needed.
 *
 * Starts the embedded sandbox, logs a bot into it (the sandbox confirms the
 * QR login itself), runs the echo bot and prints the phone page URL where a
 * person plays the WeChat user, and the admin panel's URL where the bot's side of the
 * conversation shows. Runs until Ctrl-C or `--exit-after`.
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { parsePort, parseSeconds } from "../flag_values.ts";
import { clientOptions } from "../open_client.ts";
import { program } from "../invocation.ts";
import { sandboxUrls, untilAborted } from "./sandbox.ts";

/** The WeChat user the demo logs in as; the phone page plays this user. */
const DEMO_USER = "demo-user@im.wechat";
/** Session name used when the demo writes into a real data directory (`-d`). */
const DEMO_SESSION = "demo";

/** Runs the demo until interrupted or until `--exit-after` seconds have passed. */
export async function runDemo(ctx: CommandContext): Promise<number> {
  const { out, values } = ctx;
  const str = (name: string) => (typeof values[name] === "string" ? values[name] : undefined);
  const exitAfter = str("exit-after");
  const exitAfterSeconds = exitAfter === undefined
    ? undefined
    : parseSeconds(exitAfter, "--exit-after", 7 * 86_400);
  const port = str("port");
  const host = str("host");

  const [{ startSandbox }, { WeiLink }, { attachEchoBot }] = await Promise.all([
    import("../../sandbox/mod.ts"),
    import("../../client/mod.ts"),
    import("./demo_echo.ts"),
  ]);

  const stop = new AbortController();
  const onInterrupt = () => stop.abort();
  ctx.signal.addEventListener("abort", onInterrupt, { once: true });
  const timer = exitAfterSeconds === undefined
    ? undefined
    : setTimeout(() => stop.abort(), exitAfterSeconds * 1000);

  const sandbox = await startSandbox({
    ...(port !== undefined ? { port: parsePort(port, "--port") } : {}),
    ...(host !== undefined ? { hostname: host } : {}),
    quiet: ctx.common.logLevel !== "debug",
  });
  const tempDir = ctx.common.basePath === undefined
    ? await Deno.makeTempDir({ prefix: "weilink-demo-" })
    : undefined;
  const basePath = ctx.common.basePath ?? tempDir as string;
  const client = new WeiLink({
    // The store lets `weilink history`/`recv` in another terminal see the conversation.
    ...clientOptions({ ...ctx.common, basePath }, true),
    baseUrl: sandbox.baseUrl,
    cdnBaseUrl: sandbox.cdnBaseUrl,
  });
  try {
    // The login waits for a scan; the sandbox confirms the QR as the demo user meanwhile.
    const login = client.login({
      ...(tempDir === undefined ? { name: DEMO_SESSION } : {}),
      force: true,
      signal: stop.signal,
      onQr: () => {},
    });
    const [bot] = await Promise.all([login, sandbox.confirmLogin({ userId: DEMO_USER })]);
    attachEchoBot(client);
    const running = client.runBackground();
    // The admin panel shows the same conversation from the bot's side.
    const admin = await client.startAdmin({ banner: false, logLevel: "silent" }).catch(() =>
      undefined
    );
    // The command the user has: an installed `weilink`, or `deno run -A cli.ts` in a clone.
    const prog = program();

    out.result(
      {
        ...sandboxUrls(sandbox),
        ...(admin ? { admin_url: admin.url } : {}),
        bot_id: bot.botId,
        user_id: bot.userId,
        data_dir: basePath,
      },
      () => [
        "WeiLink demo: an echo bot is running on the embedded iLink sandbox.",
        "",
        `  Chat with it:  ${sandbox.phoneUrl}`,
        ...(admin ? [`  Admin panel:   ${admin.url}`] : []),
        "",
        `  Bot:           ${bot.botId}`,
        `  You (phone):   ${bot.userId}`,
        `  Data folder:   ${basePath}${tempDir ? " (temporary)" : ""}`,
        "",
        "Try the CLI against it from another terminal. A bot can only answer: write",
        "something on the phone page first, then send.",
        `  export WEILINK_HOME=${basePath}`,
        `  export WEILINK_BASE_URL=${sandbox.baseUrl}`,
        `  export WEILINK_CDN_BASE_URL=${sandbox.cdnBaseUrl}`,
        `  ${prog} history`,
        `  ${prog} send ${bot.userId} --text "hello from the CLI"`,
        "",
        exitAfterSeconds === undefined
          ? "Press Ctrl-C to stop."
          : `Stopping by itself in ${exitAfterSeconds} s (Ctrl-C stops now).`,
      ],
    );
    await untilAborted(stop.signal);
    out.notice("Stopping the demo…");
    await client.stop();
    await running;
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onInterrupt);
    await client.close();
    await sandbox.close();
    if (tempDir) await Deno.remove(tempDir, { recursive: true }).catch(() => {});
  }
  return 0;
}
