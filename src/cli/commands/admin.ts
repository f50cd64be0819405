/**
 * `weilink admin`: the admin panel over a client of the data directory, until Ctrl-C.
 *
 * The client polls in the background; beside another process that holds the poll lock (a bot,
 * the MCP server) it follows the message store instead, so the panel shows every message either
 * way. The panel itself lives in `src/admin/` and is imported when the command runs.
 *
 * @module
 */

import type { CommandContext } from "../command.ts";
import { parsePort } from "../flag_values.ts";
import { clientOptions } from "../open_client.ts";
import { untilAborted } from "./sandbox.ts";

/** Serves the admin panel until interrupted. */
export async function runAdmin(ctx: CommandContext): Promise<number> {
  const { values, common, out } = ctx;
  const str = (name: string) => (typeof values[name] === "string" ? values[name] : undefined);
  const host = str("host") ?? "127.0.0.1";
  const port = parsePort(str("port") ?? "8080", "--port");
  const tokenFile = str("token-file");
  const token = str("admin-token");
  const [{ WeiLink }, { serveAdmin }] = await Promise.all([
    import("../../client/mod.ts"),
    import("../../admin/mod.ts"),
  ]);
  const client = new WeiLink(clientOptions(common, true));
  try {
    // The panel first: a refused bind (no token beyond loopback) must not start polling.
    const admin = await serveAdmin(client, {
      host,
      port,
      banner: false,
      logLevel: common.logLevel,
      ...(token !== undefined ? { token } : {}),
      ...(tokenFile !== undefined ? { tokenFile } : {}),
      // With PostgreSQL storage the panel reads the database's history.
      ...(client.storageKind === "postgres" ? { store: common.store! } : {}),
    });
    try {
      await client.runBackground();
      out.result(
        { url: admin.url, host: admin.host, port: admin.port },
        () => `Admin panel: ${admin.url}`,
      );
      if (values["no-banner"] !== true) {
        out.notice(
          client.isConnected
            ? "Press Ctrl-C to stop."
            : "No session is logged in yet: open the panel and log one in. Press Ctrl-C to stop.",
        );
      }
      await Promise.race([untilAborted(ctx.signal), admin.finished]);
    } finally {
      await admin.close();
    }
  } finally {
    await client.close();
  }
  return 0;
}
