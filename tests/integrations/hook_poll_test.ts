/**
 * `weilink hook-poll`: every received message is delivered exactly once, in order, across a
 * thousand calls and several processes while another process writes to the store; each real
 * call answers well within the 5 s an agent gives its hook; the installed hook script turns it
 * into the agent's hook protocol; the first call shows the last five minutes; a missing or
 * empty store is "no messages" and creates nothing.
 */
import assert from "node:assert/strict";
import { MessageStore } from "../../src/store/mod.ts";
import { Message, MessageType } from "../../src/models/mod.ts";
import {
  applyPlan,
  DEFAULT_HOOK_LIMIT,
  hookPoll,
  type HookPollResult,
  planSetup,
} from "../../src/integrations/mod.ts";
import { hookLine } from "../../src/integrations/hook_poll.ts";
import type { Logger } from "../../src/client/logger.ts";
import { childEnv, CLI, runCli, tempDir } from "./helpers.ts";

const WRITER = new URL("./fixtures/store_writer.ts", import.meta.url).pathname;
const warnings: string[] = [];
const logger: Logger = {
  debug: () => {},
  info: () => {},
  warn: (m) => warnings.push(m),
  error: (m) => warnings.push(m),
};

/** The `m-N` numbers in a context, in the order shown. */
function delivered(result: { context: string }): number[] {
  return [...result.context.matchAll(/\(TEXT\): m-(\d+)$/gm)].map((m) => Number(m[1]));
}

function message(id: number, text: string, extra: Record<string, unknown> = {}): Message {
  return Message.fromWire({
    message_id: String(7_300_000_000_000_000_000n + BigInt(id)),
    from_user_id: "alice@im.wechat",
    create_time_ms: Date.UTC(2026, 2, 30, 12, 34, 56),
    item_list: [{ type: 1, text_item: { text } }],
    ...extra,
  }, "bot@im.bot");
}

Deno.test("hook-poll: each message exactly once over 1,000 calls and 3 processes while another process writes", async () => {
  await using dir = await tempDir("weilink_hook_race_");
  const db = `${dir.path}/messages.db`;
  new MessageStore(db).close();
  const total = 2000;
  const writer = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", WRITER, db, String(total), "2"],
    stdout: "piped",
    stderr: "inherit",
  }).spawn();
  let writerDone = false;
  const writerOutput = writer.output().then((out) => {
    writerDone = true;
    return new TextDecoder().decode(out.stdout);
  });

  const seen: number[] = [];
  let callsWhileWriting = 0;
  let deliveriesWhileWriting = 0;
  // Three real processes poll the same consumer at the same time as the loop below.
  const processes = (async () => {
    const times: number[] = [];
    while (!writerDone) {
      const runs = await Promise.all(
        [0, 1, 2].map(() => runCli(dir.path, ["hook-poll", "-d", dir.path])),
      );
      for (const run of runs) {
        assert.equal(run.code, 0, run.stderr);
        const result = JSON.parse(run.stdout) as HookPollResult;
        seen.push(...delivered(result));
        times.push(run.ms);
      }
    }
    return times;
  })();
  for (let call = 0; call < 1000; call++) {
    const result = await hookPoll({ basePath: dir.path, logger });
    const numbers = delivered(result);
    assert.equal(numbers.length, result.count);
    assert.ok(result.count <= DEFAULT_HOOK_LIMIT);
    // Within one answer, oldest first.
    assert.deepEqual(numbers, [...numbers].sort((a, b) => a - b));
    seen.push(...numbers);
    if (!writerDone) {
      callsWhileWriting++;
      if (numbers.length > 0) deliveriesWhileWriting++;
    }
  }
  assert.match(await writerOutput, /^done \d+/);
  const times = await processes;
  // Whatever the 1,000 calls left behind is read now.
  for (let result = await hookPoll({ basePath: dir.path, logger }); result.has_messages;) {
    seen.push(...delivered(result));
    result = await hookPoll({ basePath: dir.path, logger });
  }
  assert.ok(callsWhileWriting > 100, `${callsWhileWriting} calls overlapped the writer`);
  assert.ok(deliveriesWhileWriting > 20, `${deliveriesWhileWriting} deliveries while writing`);
  assert.ok(times.length >= 3, `${times.length} process calls`);
  assert.ok(Math.max(...times) < 5000, `slowest process call: ${Math.max(...times)} ms`);
  const sorted = [...seen].sort((a, b) => a - b);
  assert.deepEqual(sorted, Array.from({ length: total }, (_, i) => i), "each message once");
  assert.deepEqual(warnings, []);
});

Deno.test("hook-poll: the first call shows the last five minutes, then only what is new", async () => {
  await using dir = await tempDir("weilink_hook_first_");
  const now = Date.UTC(2026, 5, 1, 12, 0, 0);
  let clock = now - 10 * 60_000;
  {
    using store = new MessageStore(`${dir.path}/messages.db`, { now: () => clock });
    store.store([message(1, "ten minutes ago")]);
    clock = now - 60_000;
    store.store([message(2, "a minute ago")]);
    store.storeSent({ userId: "alice@im.wechat", botId: "bot@im.bot", text: "my reply" });
  }
  const first = await hookPoll({ basePath: dir.path, logger, now: () => now });
  assert.equal(first.count, 1);
  assert.equal(
    first.context,
    "== New WeChat Messages ==\n[12:34:56] alice@im.wechat (TEXT): a minute ago\n\n" +
      "1 new message(s). Use WeiLink MCP tools to respond if needed.",
  );
  assert.deepEqual(await hookPoll({ basePath: dir.path, logger, now: () => now }), {
    has_messages: false,
    count: 0,
    context: "",
  });
  // The position is a consumer position file: the row id, mode 0600.
  const position = `${dir.path}/.consumers/hook.json`;
  assert.equal(JSON.parse(await Deno.readTextFile(position)).rowid, 2);
  assert.equal((await Deno.stat(position)).mode! & 0o777, 0o600);
  // --reset forgets it: the next call looks back five minutes again.
  await hookPoll({ basePath: dir.path, logger, reset: true });
  await assert.rejects(Deno.stat(position), Deno.errors.NotFound);
  assert.equal((await hookPoll({ basePath: dir.path, logger, now: () => now })).count, 1);
});

Deno.test("hook-poll: at most --limit messages, the rest with the next call, in order", async () => {
  await using dir = await tempDir("weilink_hook_limit_");
  {
    using store = new MessageStore(`${dir.path}/messages.db`);
    store.store(Array.from({ length: 7 }, (_, i) => message(i, `m-${i}`)));
  }
  const a = await hookPoll({ basePath: dir.path, logger, limit: 3 });
  assert.deepEqual(delivered(a), [0, 1, 2]);
  assert.match(a.context, /More new messages are waiting/);
  const b = await hookPoll({ basePath: dir.path, logger, limit: 3 });
  assert.deepEqual(delivered(b), [3, 4, 5]);
  const c = await hookPoll({ basePath: dir.path, logger, limit: 3 });
  assert.deepEqual(delivered(c), [6]);
  assert.doesNotMatch(c.context, /More new messages/);
  // Another consumer has its own position.
  const other = await hookPoll({ basePath: dir.path, logger, limit: 100, consumer: "agent-2" });
  assert.deepEqual(delivered(other), [0, 1, 2, 3, 4, 5, 6]);
});

Deno.test("hook-poll: a failed delivery does not move the position; a corrupt one is reported", async () => {
  await using dir = await tempDir("weilink_hook_deliver_");
  {
    using store = new MessageStore(`${dir.path}/messages.db`);
    store.store([message(1, "m-1"), message(2, "m-2")]);
  }
  await assert.rejects(
    hookPoll({ basePath: dir.path, logger }, () => {
      throw new Error("stdout closed");
    }),
    /stdout closed/,
  );
  assert.deepEqual(delivered(await hookPoll({ basePath: dir.path, logger })), [1, 2]);
  await Deno.writeTextFile(`${dir.path}/.consumers/hook.json`, "{not json");
  const seen: string[] = [];
  const quiet: Logger = { ...logger, warn: (m) => seen.push(m) };
  assert.deepEqual(delivered(await hookPoll({ basePath: dir.path, logger: quiet })), [1, 2]);
  assert.match(seen.join("\n"), /corrupt position/);
});

Deno.test("hook-poll: lines follow the original's format for media, voice and quotes", () => {
  const file = Message.fromWire({
    message_id: "1",
    from_user_id: "bob@im.wechat",
    create_time_ms: Date.UTC(2026, 0, 2, 3, 4, 5),
    item_list: [{
      type: 4,
      file_item: { file_name: "report.pdf", len: "10", media: { encrypt_query_param: "x" } },
    }],
  }, "bot@im.bot");
  assert.equal(file.msgType, MessageType.FILE);
  assert.equal(hookLine(file), "[03:04:05] bob@im.wechat (FILE) [file: report.pdf]");
  const voice = Message.fromWire({
    message_id: "2",
    from_user_id: "bob@im.wechat",
    create_time_ms: Date.UTC(2026, 0, 2, 3, 4, 6),
    item_list: [{ type: 3, voice_item: { playtime: 2300, text: "see you", media: {} } }],
  }, "bot@im.bot");
  assert.match(
    hookLine(voice),
    /^\[03:04:06\] bob@im.wechat \(VOICE\)(: see you)? \[voice 2300ms\] transcription: see you$/,
  );
  const quote = Message.fromWire({
    message_id: "3",
    from_user_id: "bob@im.wechat",
    create_time_ms: Date.UTC(2026, 0, 2, 3, 4, 7),
    item_list: [{
      type: 1,
      text_item: { text: "yes" },
      ref_msg: { title: "", message_item: { type: 1, text_item: { text: "x".repeat(60) } } },
    }],
  }, "bot@im.bot");
  assert.equal(
    hookLine(quote),
    `[03:04:07] bob@im.wechat (TEXT): yes (reply to: ${"x".repeat(40)})`,
  );
});

Deno.test("hook-poll: a missing or empty store is no messages, and nothing is created", async () => {
  await using dir = await tempDir("weilink_hook_missing_");
  const missing = `${dir.path}/nowhere`;
  const run = await runCli(dir.path, ["hook-poll", "-d", missing]);
  assert.equal(run.code, 0, run.stderr);
  assert.deepEqual(JSON.parse(run.stdout), { has_messages: false, count: 0, context: "" });
  await assert.rejects(Deno.stat(missing), Deno.errors.NotFound);
  new MessageStore(`${dir.path}/messages.db`).close();
  const empty = await runCli(dir.path, ["hook-poll", "-d", dir.path, "--format", "hook"]);
  assert.equal(empty.code, 0, empty.stderr);
  assert.equal(empty.stdout, "{}\n");
});

Deno.test("hook script: the installed Codex hook answers in the hook protocol and never fails", async () => {
  await using home = await tempDir("weilink_hook_script_");
  const data = `${home.path}/data`;
  {
    using store = new MessageStore(`${data}/messages.db`);
    store.store([message(1, "hello from WeChat")]);
  }
  const options = {
    home: home.path,
    env: () => undefined,
    command: [Deno.execPath(), "run", "-A", CLI],
    basePath: data,
    uninstall: false,
  };
  await applyPlan(planSetup("codex", options));
  const script = `${home.path}/.codex/hooks/weilink_poll_inject.sh`;
  const runHook = async () => {
    const child = new Deno.Command("sh", {
      args: [script],
      env: childEnv(home.path),
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
    }).spawn();
    const writer = child.stdin.getWriter();
    await writer.write(
      new TextEncoder().encode('{"hook_event_name":"UserPromptSubmit","prompt":"hi"}'),
    );
    await writer.close();
    const { code, stdout } = await child.output();
    return { code, answer: JSON.parse(new TextDecoder().decode(stdout)) };
  };
  const first = await runHook();
  assert.equal(first.code, 0);
  assert.equal(first.answer.hookSpecificOutput.hookEventName, "UserPromptSubmit");
  assert.match(
    first.answer.hookSpecificOutput.additionalContext,
    /alice@im\.wechat \(TEXT\): hello from WeChat/,
  );
  assert.deepEqual(await runHook(), { code: 0, answer: {} });
  // A WeiLink that cannot start still gives the agent valid output.
  await applyPlan(planSetup("codex", { ...options, command: [`${home.path}/no-such-weilink`] }));
  assert.deepEqual(await runHook(), { code: 0, answer: {} });
});
