/**
 * `weilink migrate openclaw` on three OpenClaw Weixin folders: a valid one, a partial one
 * (missing and empty credentials, a legacy raw id, a stale unindexed file) and a corrupt one
 * (truncated index, unparsable files). Each account is reported on its own, the sessions written
 * are ones the WeiLink client loads, newer sessions are kept unless --force, and no token is
 * printed.
 */
import assert from "node:assert/strict";
import { WeiLink } from "../../src/client/mod.ts";
import {
  migrateOpenClaw,
  type OpenClawAccountReport,
  OpenClawNotFoundError,
} from "../../src/integrations/mod.ts";
import type { Logger } from "../../src/client/logger.ts";
import { runCli, snapshot, tempDir, writeTree } from "./helpers.ts";

const FIXTURES = new URL("../fixtures/openclaw/", import.meta.url).pathname;
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {} };

/** The corrupt folder, built here: the formatter rejects invalid JSON in the tree. */
const CORRUPT: Record<string, string> = {
  "openclaw-weixin/accounts.json": '[\n  "ffffffffffff-im-bot",\n  "99999999',
  "openclaw-weixin/accounts/ffffffffffff-im-bot.json":
    '{"token": "fixture-token-ffff", "savedAt": "2026-01-05T10:00:00.000Z", "userId": "owner-f@im.wechat"}',
  "openclaw-weixin/accounts/ffffffffffff-im-bot.sync.json": '{"get_updates_buf": "CURS',
  "openclaw-weixin/accounts/ffffffffffff-im-bot.context-tokens.json": "\u0000\u0000",
  "openclaw-weixin/accounts/999999999999-im-bot.json":
    '{"token": "fixture-token-9999", "savedAt": ',
  "openclaw-weixin/accounts/123456789abc-im-bot.json": '["not", "an", "object"]\n',
};

function summary(accounts: OpenClawAccountReport[]): string[] {
  return accounts.map((a) => `${a.status} ${a.session ?? a.account_id}`);
}

async function json(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** The sessions the WeiLink client sees in `basePath`: name → bot id. */
async function clientSessions(basePath: string): Promise<Record<string, string | undefined>> {
  await using client = new WeiLink({ basePath, messageStore: false, logger: "silent" });
  return Object.fromEntries(Object.values(client.sessions).map((s) => [s.name, s.botId]));
}

Deno.test("migrate openclaw: a valid folder becomes sessions the client loads", async () => {
  await using target = await tempDir("weilink_openclaw_valid_");
  const migration = await migrateOpenClaw({
    source: `${FIXTURES}valid`,
    basePath: target.path,
    logger: silent,
  });
  assert.deepEqual(summary(migration.accounts), ["imported b0f5860fdecb", "imported 7e57a11ce0de"]);
  assert.deepEqual(migration.warnings, []);
  const token = await json(`${target.path}/b0f5860fdecb/token.json`);
  assert.deepEqual(token, {
    bot_id: "b0f5860fdecb@im.bot",
    base_url: "https://ilinkai.weixin.qq.com",
    token: "fixture-token-b0f5",
    user_id: "o9cq80owner@im.wechat",
    cursor: "CURSOR-b0f5",
    created_at: Date.parse("2026-03-01T08:00:00.000Z") / 1000,
  });
  assert.equal((await Deno.stat(`${target.path}/b0f5860fdecb/token.json`)).mode! & 0o777, 0o600);
  const contexts = await json(`${target.path}/b0f5860fdecb/contexts.json`) as Record<
    string,
    { t: string; ts: number }
  >;
  assert.deepEqual(Object.keys(contexts).sort(), ["alice@im.wechat", "bob@im.wechat"]);
  assert.equal(contexts["alice@im.wechat"]!.t, "ctx-alice");
  // Stamped with the time the tokens file was last written, the latest it can be.
  const mtime = (await Deno.stat(
    `${FIXTURES}valid/openclaw-weixin/accounts/b0f5860fdecb-im-bot.context-tokens.json`,
  )).mtime!.getTime() / 1000;
  assert.equal(contexts["alice@im.wechat"]!.ts, mtime);
  const second = await json(`${target.path}/7e57a11ce0de/token.json`);
  assert.equal(second.base_url, "https://ilinkai.weixin.qq.com");
  assert.equal(second.cursor, "");
  await assert.rejects(
    Deno.stat(`${target.path}/7e57a11ce0de/contexts.json`),
    Deno.errors.NotFound,
  );
  assert.deepEqual(await clientSessions(target.path), {
    "7e57a11ce0de": "7e57a11ce0de@im.bot",
    b0f5860fdecb: "b0f5860fdecb@im.bot",
  });
  // Running it again changes nothing.
  const before = await snapshot(target.path);
  const again = await migrateOpenClaw({
    source: `${FIXTURES}valid`,
    basePath: target.path,
    logger: silent,
  });
  assert.deepEqual(summary(again.accounts), ["skipped b0f5860fdecb", "skipped 7e57a11ce0de"]);
  assert.match(again.accounts[0]!.reason, /already imported/);
  const after = await snapshot(target.path);
  for (const [path, entry] of before) {
    if (!path.startsWith(".")) assert.equal(after.get(path), entry, path);
  }
});

Deno.test("migrate openclaw: a partial folder imports what it can and says why not the rest", async () => {
  await using target = await tempDir("weilink_openclaw_partial_");
  const migration = await migrateOpenClaw({
    source: `${FIXTURES}partial`,
    basePath: target.path,
    logger: silent,
  });
  assert.deepEqual(summary(migration.accounts), [
    "imported aaaaaaaaaaaa",
    "failed bbbbbbbbbbbb",
    "failed cccccccccccc",
    "imported dddddddddddd",
  ]);
  const [, missing, empty, legacy] = migration.accounts;
  assert.match(missing!.reason, /no credentials file/);
  assert.match(empty!.reason, /no token/);
  assert.equal(legacy!.bot_id, "dddddddddddd@im.bot");
  assert.equal(legacy!.cursor, true);
  assert.equal((await json(`${target.path}/dddddddddddd/token.json`)).cursor, "CURSOR-dddd");
  // The stale file that is not in the index is not an account.
  await assert.rejects(Deno.stat(`${target.path}/eeeeeeeeeeee`), Deno.errors.NotFound);
  assert.deepEqual(Object.keys(await clientSessions(target.path)).sort(), [
    "aaaaaaaaaaaa",
    "dddddddddddd",
  ]);
});

Deno.test("migrate openclaw: a corrupt folder fails only the damaged accounts", async () => {
  await using source = await tempDir("weilink_openclaw_corrupt_");
  await using target = await tempDir("weilink_openclaw_corrupt_target_");
  await writeTree(source.path, CORRUPT);
  const migration = await migrateOpenClaw({
    source: source.path,
    basePath: target.path,
    logger: silent,
  });
  assert.match(migration.warnings.join("\n"), /accounts\.json is unusable/);
  assert.deepEqual(summary(migration.accounts), [
    "failed 123456789abc",
    "failed 999999999999",
    "imported ffffffffffff",
  ]);
  assert.match(migration.accounts[0]!.reason, /no token/);
  assert.match(migration.accounts[1]!.reason, /not valid JSON/);
  assert.match(
    migration.accounts[2]!.reason,
    /unreadable cursor ignored; unreadable context tokens/,
  );
  const token = await json(`${target.path}/ffffffffffff/token.json`);
  assert.equal(token.token, "fixture-token-ffff");
  assert.equal(token.cursor, "");
  assert.deepEqual(Object.keys(await clientSessions(target.path)), ["ffffffffffff"]);
});

Deno.test("migrate openclaw: a newer session is kept unless --force; an older one is replaced", async () => {
  await using target = await tempDir("weilink_openclaw_newer_");
  const newer = {
    bot_id: "b0f5860fdecb@im.bot",
    base_url: "https://ilinkai.weixin.qq.com",
    token: "weilink-own-token",
    user_id: "o9cq80owner@im.wechat",
    cursor: "MINE",
    created_at: Date.parse("2026-04-01T00:00:00Z") / 1000,
  };
  const older = { ...newer, bot_id: "7e57a11ce0de@im.bot", created_at: 1_700_000_000 };
  await writeTree(target.path, {
    "b0f5860fdecb/token.json": JSON.stringify(newer),
    "b0f5860fdecb/contexts.json": JSON.stringify({ "carol@im.wechat": { t: "ctx-carol", ts: 1 } }),
    "7e57a11ce0de/token.json": JSON.stringify(older),
  });
  const run = (force: boolean, dryRun = false) =>
    migrateOpenClaw({
      source: `${FIXTURES}valid`,
      basePath: target.path,
      logger: silent,
      force,
      dryRun,
    });
  const dry = await run(false, true);
  assert.deepEqual(summary(dry.accounts), ["skipped b0f5860fdecb", "imported 7e57a11ce0de"]);
  assert.match(dry.accounts[1]!.reason, /would import.*replaced the older session/);
  assert.equal((await json(`${target.path}/7e57a11ce0de/token.json`)).token, "weilink-own-token");

  const kept = await run(false);
  assert.match(kept.accounts[0]!.reason, /newer than this login \(--force replaces it\)/);
  assert.equal((await json(`${target.path}/b0f5860fdecb/token.json`)).token, "weilink-own-token");
  assert.equal((await json(`${target.path}/7e57a11ce0de/token.json`)).token, "fixture-token-7e57");

  const forced = await run(true);
  assert.equal(forced.accounts[0]!.status, "imported");
  assert.equal((await json(`${target.path}/b0f5860fdecb/token.json`)).token, "fixture-token-b0f5");
  // Context tokens of both are kept, each user once.
  const contexts = await json(`${target.path}/b0f5860fdecb/contexts.json`);
  assert.deepEqual(Object.keys(contexts).sort(), [
    "alice@im.wechat",
    "bob@im.wechat",
    "carol@im.wechat",
  ]);
});

Deno.test("cli: migrate openclaw reports per account, exits 1 on failures, never prints tokens", async () => {
  await using home = await tempDir("weilink_openclaw_cli_");
  const target = `${home.path}/wl`;
  const partial = await runCli(home.path, [
    "migrate",
    "openclaw",
    "--source",
    `${FIXTURES}partial`,
    "-d",
    target,
  ]);
  assert.equal(partial.code, 1, partial.stderr);
  assert.match(partial.stdout, /^ {2}\+ aaaaaaaaaaaa: imported/m);
  assert.match(partial.stdout, /^ {2}! bbbbbbbbbbbb: failed \(no credentials file/m);
  assert.match(partial.stdout, /Done: 2 imported, 0 skipped, 2 failed\./);
  // OPENCLAW_STATE_DIR is where OpenClaw keeps its folder; --json is one document.
  const valid = await runCli(home.path, [
    "migrate",
    "openclaw",
    "-d",
    target,
    "--json",
    "--dry-run",
  ], {
    OPENCLAW_STATE_DIR: `${FIXTURES}valid`,
  });
  assert.equal(valid.code, 0, valid.stderr);
  const report = JSON.parse(valid.stdout);
  assert.equal(report.dry_run, true);
  assert.equal(report.imported, 2);
  await assert.rejects(Deno.stat(`${target}/b0f5860fdecb`), Deno.errors.NotFound);
  for (const out of [partial.stdout, partial.stderr, valid.stdout, valid.stderr]) {
    assert.doesNotMatch(out, /fixture-token|ctx-alice|CURSOR-/);
  }
  const none = await runCli(home.path, ["migrate", "openclaw", "--source", `${home.path}/absent`]);
  assert.equal(none.code, 1);
  assert.match(none.stderr, /openclaw-weixin" does not exist/);
  const other = await runCli(home.path, ["migrate", "hermes"]);
  assert.equal(other.code, 2);
  await assert.rejects(
    migrateOpenClaw({ source: `${home.path}/absent`, basePath: target, logger: silent }),
    OpenClawNotFoundError,
  );
});
