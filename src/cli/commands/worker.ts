/**
 * `weilink worker --store postgres://… [--accounts all|A,B]`: polls bot accounts into PostgreSQL.
 *
 * Any number of workers, on any number of hosts, share one database. Each account is polled by
 * the one worker holding its advisory lock; the others try to claim it every 1.5 s, so when a
 * worker dies (its connection closes, and PostgreSQL frees its locks) another takes over from the
 * last committed cursor. A worker only polls and stores: it does not hand messages to handlers,
 * so it never reads what the other workers store. Claims and releases are logged on stderr and,
 * with `--json`, printed on stdout as one JSON object per line.
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { UsageError } from "../flags.ts";
import { clientOptions } from "../open_client.ts";
import { WeiLink, type WeiLinkEvent } from "../../client/mod.ts";

/** Runs until SIGINT/SIGTERM (or the command's signal); exits 0. */
export async function runWorker(ctx: CommandContext): Promise<number> {
  const store = ctx.common.store;
  if (store === undefined || store === "files") {
    throw new UsageError(
      "worker needs a shared database: --store postgres://… (or WEILINK_STORE)",
      ctx.commandPath,
    );
  }
  const raw = typeof ctx.values.accounts === "string" ? ctx.values.accounts.trim() : "all";
  const accounts = raw === "" || raw === "all"
    ? undefined
    : raw.split(",").map((a) => a.trim()).filter(Boolean);
  const json = ctx.common.json;
  const onEvent = (event: WeiLinkEvent) => {
    if (event.type !== "account_claimed" && event.type !== "account_released") return;
    if (json) {
      const line = {
        event: event.type === "account_claimed" ? "claimed" : "released",
        session: event.session,
        bot_id: event.botId,
        at: Date.now(),
        pid: Deno.pid,
      };
      // A stream of events, one JSON line each (`console.log` goes to stderr in the CLI).
      const bytes = new TextEncoder().encode(JSON.stringify(line) + "\n");
      for (let n = 0; n < bytes.length;) n += Deno.stdout.writeSync(bytes.subarray(n));
    }
  };
  const client = new WeiLink({ ...clientOptions(ctx.common), storage: store, onEvent });
  try {
    await client.ready();
    ctx.out.notice(`WeiLink worker ${Deno.pid} on ${client.storageLocation}`);
    await client.runBackground({
      followOthers: false,
      ...(accounts ? { accounts } : {}),
    });
    await new Promise<void>((resolve) => {
      const stop = () => resolve();
      ctx.signal?.addEventListener("abort", stop, { once: true });
      for (const sig of ["SIGINT", "SIGTERM"] as const) {
        try {
          Deno.addSignalListener(sig, stop);
        } catch {
          // Not supported here.
        }
      }
    });
  } finally {
    await client.close();
  }
  return 0;
}
