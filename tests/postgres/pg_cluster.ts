/**
 * A throwaway PostgreSQL for the tests: `WEILINK_TEST_PG_URL` when set (one cluster for the whole
 * run, as `.ci/run` starts it), else a cluster of its own in a temp folder, started with the
 * Debian binaries as the unprivileged `postgres` user (PostgreSQL refuses to run as root), on a
 * Unix socket in that folder and a free port on 127.0.0.1, and stopped when the test process
 * ends. Each caller gets a fresh database, so tests never see each other's tables.
 *
 * When no PostgreSQL can be had, {@linkcode pgUnavailable} says why, and the tests are registered
 * with `ignore: true` (reported as ignored, never as passed).
 *
 * @module
 */

const BIN_DIRS = [
  "/usr/lib/postgresql/17/bin",
  "/usr/lib/postgresql/16/bin",
  "/usr/lib/postgresql/15/bin",
];

/** A database of the test cluster. */
export interface TestDatabase {
  /** `postgres://…` URL of the database. */
  url: string;
  /** Drop the database. */
  drop(): Promise<void>;
}

function binDir(): string | undefined {
  for (const dir of BIN_DIRS) {
    try {
      Deno.statSync(`${dir}/pg_ctl`);
      return dir;
    } catch {
      // Not this version.
    }
  }
  return undefined;
}

async function run(cmd: string, args: string[], asUser?: string): Promise<string> {
  const full = asUser && Deno.uid() === 0
    ? ["runuser", ["-u", asUser, "--", cmd, ...args]] as const
    : [cmd, args] as const;
  const out = await new Deno.Command(full[0], {
    args: [...full[1]],
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  if (!out.success) throw new Error(`${cmd} ${args.join(" ")} failed: ${text.trim()}`);
  return text;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** Why no PostgreSQL can be used here, or `undefined` when one can. */
export const pgUnavailable: string | undefined = await (async () => {
  if (Deno.env.get("WEILINK_TEST_PG_URL")) return undefined;
  if (Deno.build.os !== "linux") return "PostgreSQL tests run on Linux only";
  if (!binDir()) {
    return "no PostgreSQL binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)";
  }
  if (Deno.uid() === 0) {
    try {
      await run("id", ["postgres"]);
    } catch {
      return "running as root and there is no unprivileged 'postgres' user to run the cluster";
    }
  }
  return undefined;
})();

let cluster: Promise<{ admin: string; stop: () => Promise<void> }> | undefined;

/** Start (once per process) a cluster of our own; resolves with an admin URL. */
function ownCluster(): Promise<{ admin: string; stop: () => Promise<void> }> {
  cluster ??= (async () => {
    const bin = binDir()!;
    const dir = await Deno.makeTempDir({ prefix: "weilink-pg-" });
    const user = Deno.uid() === 0 ? "postgres" : undefined;
    if (user) await run("chown", [user, dir]);
    const data = `${dir}/data`;
    const port = freePort();
    await run(`${bin}/initdb`, [
      "-D",
      data,
      "-U",
      "weilink",
      "-A",
      "trust",
      "--no-sync",
      "-E",
      "UTF8",
    ], user);
    const opts = `-c listen_addresses=127.0.0.1 -p ${port} -k ${dir} -c fsync=off ` +
      "-c synchronous_commit=off -c full_page_writes=off -c max_connections=200";
    await run(`${bin}/pg_ctl`, [
      "-D",
      data,
      "-o",
      opts,
      "-l",
      `${dir}/log`,
      "-w",
      "-t",
      "60",
      "start",
    ], user);
    const stop = async () => {
      await run(`${bin}/pg_ctl`, ["-D", data, "-m", "immediate", "-w", "stop"], user).catch(
        () => {},
      );
      await Deno.remove(dir, { recursive: true }).catch(() => {});
    };
    globalThis.addEventListener("unload", () => {
      // Last resort when a test forgot to drop: the cluster must not outlive the run.
      new Deno.Command(user ? "runuser" : `${bin}/pg_ctl`, {
        args: user
          ? ["-u", user, "--", `${bin}/pg_ctl`, "-D", data, "-m", "immediate", "stop"]
          : ["-D", data, "-m", "immediate", "stop"],
      }).outputSync();
      try {
        Deno.removeSync(dir, { recursive: true });
      } catch {
        // Left for the system's temp cleaner.
      }
    });
    return { admin: `postgres://weilink@127.0.0.1:${port}/postgres`, stop };
  })();
  return cluster;
}

/** A fresh, empty database on the test cluster. */
export async function testDatabase(): Promise<TestDatabase> {
  if (pgUnavailable) throw new Error(`No PostgreSQL: ${pgUnavailable}`);
  const external = Deno.env.get("WEILINK_TEST_PG_URL");
  const admin = external ?? (await ownCluster()).admin;
  const name = `weilink_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 16)}`;
  const { default: postgres } = await import("postgres");
  const sql = postgres(admin, { max: 1, onnotice: () => {} });
  try {
    await sql.unsafe(`CREATE DATABASE ${name}`);
  } finally {
    await sql.end();
  }
  const url = new URL(admin);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      const sql = postgres(admin, { max: 1, onnotice: () => {} });
      try {
        await sql.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      } finally {
        await sql.end();
      }
    },
  };
}

/**
 * Register a test that needs PostgreSQL: it gets a fresh database, dropped afterwards. Without
 * PostgreSQL the test is registered as ignored, and the reason is printed once.
 */
export function pgTest(name: string, fn: (url: string) => Promise<void>): void {
  if (pgUnavailable && !warned) {
    warned = true;
    console.error(`PostgreSQL tests ignored: ${pgUnavailable}`);
  }
  Deno.test({
    name,
    ignore: pgUnavailable !== undefined,
    // postgres.js keeps timers for its idle connections until they close.
    sanitizeOps: false,
    sanitizeResources: false,
    fn: async () => {
      const db = await testDatabase();
      try {
        await fn(db.url);
      } finally {
        await db.drop();
      }
    },
  });
}

let warned = false;
