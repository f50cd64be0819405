/**
 * The PostgreSQL soak, shortened (see `postgres_soak.ts`; `deno task soak:postgres` runs it in
 * full): 3 workers and 6 accounts on one sandbox, messages injected throughout, replies from 2
 * sender processes, a worker killed with SIGKILL twice. Every message stored once, none lost,
 * each killed worker's accounts taken over within 10 s, no reply refused by the sandbox.
 */
import assert from "node:assert/strict";
import { pgTest } from "../postgres/pg_cluster.ts";
import { formatSoak, runPgSoak, type SoakOptions } from "./postgres_soak.ts";

pgTest(
  "soak: 3 workers share 6 accounts on PostgreSQL, 2 killed with SIGKILL, each message once",
  async (url) => {
    const o: SoakOptions = {
      url,
      workers: 3,
      accounts: 6,
      messages: Number(Deno.env.get("WEILINK_SOAK_MESSAGES") ?? "600"),
      senders: 2,
      kills: 2,
      users: 12,
    };
    const r = await runPgSoak(o);
    console.log(formatSoak(o, r));
    assert.equal(r.lost, 0);
    assert.equal(r.duplicated, 0);
    assert.equal(r.stored, r.injected);
    assert.equal(r.violations, 0);
    assert.ok(r.takeoverMs.length > 0);
    for (const ms of r.takeoverMs) assert.ok(ms <= 10_000, `takeover took ${ms} ms`);
    assert.ok(r.sentReplies > 0);
  },
);
