/**
 * The command line on PostgreSQL: `migrate to-postgres` copies a data directory written by the
 * Python original into the database, client commands with `--store` see its sessions, and
 * `migrate from-postgres` writes an equal data directory back; both refuse a target in use.
 */
import assert from "node:assert/strict";
import { copyDir, pythonFixture } from "../client/harness.ts";
import { runCli } from "../cli/cli_process.ts";
import { pgTest } from "./pg_cluster.ts";

pgTest("cli: migrate to-postgres, status --store, migrate from-postgres", async (url) => {
  const from = await Deno.makeTempDir({ prefix: "weilink-cli-pg-" });
  const back = await Deno.makeTempDir({ prefix: "weilink-cli-pg-back-" });
  try {
    await copyDir(pythonFixture("multi"), from);
    const there = await runCli(["migrate", "to-postgres", "--store", url, "-d", from, "--json"]);
    assert.equal(there.code, 0, there.stderr);
    const report = JSON.parse(there.stdout);
    assert.equal(report.sessions, 2);
    assert.equal(report.to.includes(url.split("@")[1]!), true);

    const sessions = await runCli(["sessions", "--store", url, "--json"]);
    assert.equal(sessions.code, 0, sessions.stderr);
    assert.match(sessions.stdout, /"work"/);

    const again = await runCli(["migrate", "to-postgres", "--store", url, "-d", from]);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already holds sessions or messages/);

    const home = await runCli(["migrate", "from-postgres", "--store", url, "-d", back, "--json"]);
    assert.equal(home.code, 0, home.stderr);
    for (const name of ["default", "work"]) {
      for (const file of ["token.json", "contexts.json"]) {
        const read = (dir: string) => {
          try {
            return JSON.parse(Deno.readTextFileSync(`${dir}/${name}/${file}`));
          } catch {
            return undefined;
          }
        };
        // Malformed entries (the fixture has one) are skipped as the client skips them.
        const wellFormed = (v: Record<string, unknown> | undefined) =>
          v && Object.fromEntries(Object.entries(v).filter(([, e]) => typeof e === "object"));
        assert.deepEqual(wellFormed(read(back)), wellFormed(read(from)), `${name}/${file}`);
      }
    }
    const missing = await runCli(["migrate", "to-postgres", "-d", from]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /needs the database/);
  } finally {
    await Deno.remove(from, { recursive: true }).catch(() => {});
    await Deno.remove(back, { recursive: true }).catch(() => {});
  }
});
