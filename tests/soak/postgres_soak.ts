/**
 * Several hosts on one machine: worker processes (`cli.ts worker --store …`) share bot accounts
 * through PostgreSQL while messages are injected into the sandbox, sender processes reply to the
 * users from elsewhere, and workers are killed with SIGKILL on the way. Afterwards every injected
 * message must be stored exactly once, the sandbox must have refused no reply (the quota of 10
 * held across the senders), and each killed worker's accounts must have been taken over.
 *
 * Run in full with `deno task soak:postgres` (3 workers, 6 accounts, 3,000 messages, 2 kills);
 * the test suite runs a shorter variant (`postgres_soak_test.ts`).
 *
 * @module
 */

import { startSandbox } from "../../src/sandbox/mod.ts";
import { WeiLink } from "../../mod.ts";

/** Sizes of a run. */
export interface SoakOptions {
  url: string;
  workers: number;
  accounts: number;
  messages: number;
  senders: number;
  kills: number;
  users: number;
}

/** What a run measured. */
export interface SoakReport {
  injected: number;
  stored: number;
  duplicated: number;
  lost: number;
  takeoverMs: number[];
  violations: number;
  sentReplies: number;
  refusedByClient: number;
  seconds: number;
}

const CLI = new URL("../../cli.ts", import.meta.url).pathname;
const SENDER = new URL("./fixtures/pg_sender.ts", import.meta.url).pathname;

interface Worker {
  child: Deno.ChildProcess;
  claimed: Set<string>;
  done: Promise<void>;
}

/** Run the soak; resolves with its numbers (assertions are the caller's). */
export async function runPgSoak(o: SoakOptions): Promise<SoakReport> {
  const started = Date.now();
  const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
  const basePath = await Deno.makeTempDir({ prefix: "weilink-pgsoak-" });
  const events: { event: string; bot_id: string; at: number; pid: number }[] = [];
  const workers: Worker[] = [];
  const spawnWorker = () => {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", CLI, "worker", "--store", o.url, "--json", "--log-level", "ERROR"],
      env: {
        WEILINK_HOME: basePath,
        WEILINK_BASE_URL: sandbox.baseUrl,
        WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl,
      },
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    const w: Worker = { child, claimed: new Set(), done: Promise.resolve() };
    w.done = (async () => {
      let buf = "";
      for await (const chunk of child.stdout.pipeThrough(new TextDecoderStream())) {
        buf += chunk;
        let i;
        while ((i = buf.indexOf("\n")) >= 0) {
          const line = buf.slice(0, i).trim();
          buf = buf.slice(i + 1);
          if (!line.startsWith("{")) continue;
          const e = JSON.parse(line);
          events.push(e);
          if (e.event === "claimed") w.claimed.add(e.bot_id);
          else w.claimed.delete(e.bot_id);
        }
      }
    })();
    workers.push(w);
    return w;
  };
  const admin = new WeiLink({
    storage: o.url,
    basePath,
    baseUrl: sandbox.baseUrl,
    cdnBaseUrl: sandbox.cdnBaseUrl,
    logger: "error",
    loginPollIntervalMs: 20,
  });
  const senders: Deno.ChildProcess[] = [];
  try {
    await admin.ready();
    const bots: string[] = [];
    for (let a = 0; a < o.accounts; a++) {
      const pending = admin.login({ name: `acct${a}`, onQr: () => {} });
      await sandbox.confirmLogin({ userId: `owner${a}@im.wechat` });
      bots.push((await pending).botId);
    }
    for (let i = 0; i < o.workers; i++) spawnWorker();
    // Every account claimed by some worker before traffic starts.
    const claimedAll = () => new Set(workers.flatMap((w) => [...w.claimed])).size === bots.length;
    for (let t = 0; !claimedAll(); t++) {
      if (t > 600) throw new Error("The workers did not claim every account within 60 s");
      await new Promise((r) => setTimeout(r, 100));
    }
    const users = Array.from({ length: o.users }, (_, i) => `user${i}@im.wechat`);
    const pairs = users.map((u, i) => ({ user: u, bot: bots[i % bots.length]! }));
    const sendSeconds = Math.max(5, Math.ceil(o.messages / 150));
    for (let i = 0; i < o.senders; i++) {
      senders.push(
        new Deno.Command(Deno.execPath(), {
          args: [
            "run",
            "-A",
            SENDER,
            o.url,
            sandbox.baseUrl,
            sandbox.cdnBaseUrl,
            users.join(","),
            String(sendSeconds),
          ],
          stdout: "piped",
          stderr: "inherit",
        }).spawn(),
      );
    }
    const injected = new Set<string>();
    const killAt = new Set(
      Array.from({ length: o.kills }, (_, k) => Math.floor((o.messages * (k + 1)) / (o.kills + 1))),
    );
    const takeoverMs: number[] = [];
    const pendingTakeovers: Promise<void>[] = [];
    for (let n = 0; n < o.messages; n++) {
      if (killAt.has(n)) {
        // The previous takeover first: each kill hits a worker that holds accounts.
        await Promise.all(pendingTakeovers);
        const victim = workers.find((w) => w.claimed.size > 0)!;
        const lost = [...victim.claimed];
        const killedAt = Date.now();
        victim.child.kill("SIGKILL");
        workers.splice(workers.indexOf(victim), 1);
        spawnWorker();
        pendingTakeovers.push((async () => {
          for (const bot of lost) {
            for (;;) {
              const e = events.find((x) =>
                x.event === "claimed" && x.bot_id === bot && x.at >= killedAt &&
                x.pid !== victim.child.pid
              );
              if (e) {
                takeoverMs.push(e.at - killedAt);
                break;
              }
              if (Date.now() - killedAt > 60_000) {
                takeoverMs.push(Infinity);
                break;
              }
              await new Promise((r) => setTimeout(r, 20));
            }
          }
        })());
      }
      const { user, bot } = pairs[n % pairs.length]!;
      const { messageId } = await sandbox.injectMessage({ botId: bot, from: user, text: `m${n}` });
      injected.add(messageId);
      if (n % 50 === 49) await new Promise((r) => setTimeout(r, 10));
    }
    await Promise.all(pendingTakeovers);
    const results = await Promise.all(senders.map(async (s) => {
      const out = await s.output();
      const text = new TextDecoder().decode(out.stdout).trim().split("\n").pop() ?? "{}";
      return JSON.parse(text) as { sent: number; quota: number; noContext: number };
    }));
    senders.length = 0;
    // Wait until everything injected is stored (or a minute passes).
    const { default: postgres } = await import("postgres");
    const sql = postgres(o.url, { max: 1, onnotice: () => {} });
    let stored = 0;
    let duplicated = 0;
    let lost = injected.size;
    try {
      for (let t = 0; t < 600; t++) {
        const rows = await sql<{ message_id: string; n: string }[]>`
          SELECT message_id::text AS message_id, COUNT(*)::text AS n FROM weilink_messages
          WHERE direction = 1 GROUP BY message_id`;
        const byId = new Map(rows.map((r) => [r.message_id, Number(r.n)]));
        stored = [...injected].filter((id) => byId.has(id)).length;
        duplicated = [...byId.values()].reduce((sum, n) => sum + n - 1, 0);
        lost = injected.size - stored;
        if (lost === 0) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    } finally {
      await sql.end();
    }
    const violations = (await sandbox.violations()).length;
    return {
      injected: injected.size,
      stored,
      duplicated,
      lost,
      takeoverMs,
      violations,
      sentReplies: results.reduce((s, r) => s + r.sent, 0),
      refusedByClient: results.reduce((s, r) => s + r.quota + r.noContext, 0),
      seconds: Math.round((Date.now() - started) / 100) / 10,
    };
  } finally {
    for (const s of senders) {
      try {
        s.kill("SIGKILL");
      } catch {
        // Already gone.
      }
      await s.status;
    }
    for (const w of workers) {
      try {
        w.child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
      await w.child.status;
      await w.done.catch(() => {});
    }
    await admin.close();
    await sandbox.close();
    await Deno.remove(basePath, { recursive: true }).catch(() => {});
  }
}

/** The report as the lines the issue asks for. */
export function formatSoak(o: SoakOptions, r: SoakReport): string {
  return [
    `PostgreSQL soak: ${o.workers} workers, ${o.accounts} accounts, ${o.senders} senders, ` +
    `${o.kills} kill -9, ${r.seconds} s`,
    `  injected   ${r.injected}`,
    `  stored     ${r.stored}`,
    `  duplicated ${r.duplicated}`,
    `  lost       ${r.lost}`,
    `  takeover   ${
      r.takeoverMs.map((ms) => `${ms} ms`).join(", ")
    } (per account of a killed worker)`,
    `  replies    ${r.sentReplies} sent, ${r.refusedByClient} refused by the client (quota / no context)`,
    `  sandbox quota violations ${r.violations}`,
  ].join("\n");
}

if (import.meta.main) {
  const { testDatabase } = await import("../postgres/pg_cluster.ts");
  const db = await testDatabase();
  const o: SoakOptions = {
    url: db.url,
    workers: 3,
    accounts: 6,
    messages: Number(Deno.env.get("WEILINK_SOAK_MESSAGES") ?? "3000"),
    senders: 2,
    kills: 2,
    users: 30,
  };
  try {
    const report = await runPgSoak(o);
    console.log(formatSoak(o, report));
  } finally {
    await db.drop();
  }
}
