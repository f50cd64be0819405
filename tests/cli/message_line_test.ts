import assert from "node:assert/strict";
import { describeMessage, formatTimestamp, terminalSafe } from "../../src/cli/message_line.ts";
import { Message, MessageType } from "../../src/models/mod.ts";
import { MessageStore } from "../../src/store/mod.ts";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { jsonOf, runCli } from "./cli_process.ts";

/** Characters a terminal acts on (newline aside), which must never reach it raw. */
// deno-lint-ignore no-control-regex
const RAW_CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;

/** Sets the window title, clears the screen, forges a line, and reverses the rest. */
const HOSTILE = "hi\x1b]0;pwned\x07\x1b[2J\rFAKE: all good\u202eevil\u2066x\u200b\x9b";

Deno.test("message line: control, bidi and invisible characters are shown escaped", () => {
  const safe = terminalSafe(HOSTILE);
  assert.equal(
    safe,
    "hi\\x1b]0;pwned\\x07\\x1b[2J\\x0dFAKE: all good\\u{202e}evil\\u{2066}x\\u{200b}\\x9b",
  );
  // Nothing that a terminal acts on is left.
  assert.doesNotMatch(safe, RAW_CONTROL);
  assert.equal(terminalSafe("普通中文 and emoji 🎉"), "普通中文 and emoji 🎉");
});

Deno.test("message line: a timestamp no date can hold is shown raw, never thrown", () => {
  assert.equal(formatTimestamp(0), "1970-01-01 00:00:00");
  assert.equal(formatTimestamp(1e300), "time 1e+300?");
  assert.equal(formatTimestamp(Number.NaN), "time NaN?");
  assert.equal(formatTimestamp(-8.7e15), "time -8700000000000000?");
});

Deno.test("message line: attachments, voice and quotes are summed up compactly", () => {
  const m = Message.fromWire({
    message_id: "7300000000000000123",
    from_user_id: "u@im.wechat",
    create_time_ms: 1760000000000,
    item_list: [
      {
        type: 1,
        text_item: { text: "see this" },
        ref_msg: { title: "earlier", message_item: { type: 1, text_item: { text: "the plan" } } },
      },
      { type: 4, file_item: { file_name: "report.pdf", len: "2048" } },
      { type: 3, voice_item: { playtime: 3400, text: "call me" } },
      { type: 2, image_item: { mid_size: 1536 } },
    ],
  });
  assert.equal(
    describeMessage(m),
    "  [2025-10-09 08:53:20] u@im.wechat (TEXT) #7300000000000000123: see this [image 1.5 KB] " +
      '[voice 3 s: "call me"] [file "report.pdf" 2.0 KB] [quote "the plan"]',
  );
});

Deno.test("cli: hostile text is escaped in human output, exact in JSON, and a bad time never fails a page", async () => {
  const sandbox = await startSandbox({ longPollMs: 300 });
  const home = await Deno.makeTempDir({ prefix: "weilink-line-" });
  const env = {
    WEILINK_HOME: home,
    WEILINK_BASE_URL: sandbox.baseUrl,
    WEILINK_CDN_BASE_URL: sandbox.cdnBaseUrl,
  };
  try {
    const login = runCli(["login"], { env });
    await sandbox.confirmLogin();
    assert.equal((await login).code, 0);
    await sandbox.injectMessage({ text: HOSTILE });
    const human = await runCli(["recv", "-t", "2"], { env });
    assert.equal(human.code, 0, human.stderr);
    assert.match(human.stdout, /hi\\x1b\]0;pwned\\x07/);
    assert.doesNotMatch(human.stdout, RAW_CONTROL);
    await sandbox.injectMessage({ text: HOSTILE });
    const json = await runCli(["recv", "-t", "2", "--json"], { env });
    assert.equal((jsonOf(json) as { text: string }[])[0]?.text, HOSTILE);

    // A row whose time no date can hold (written by another program) is shown raw.
    {
      using store = new MessageStore(`${home}/messages.db`);
      store.store([
        new Message({
          fromUser: "u@im.wechat",
          msgType: MessageType.TEXT,
          text: "from the far future",
          timestamp: 1e300,
          messageId: "7300000000000000999",
          botId: "b@im.bot",
        }),
      ]);
    }
    const history = await runCli(["history"], { env });
    assert.equal(history.code, 0, history.stderr);
    assert.match(history.stdout, /\[time 1e\+300\?\] .*from the far future/);
    assert.match(history.stdout, /pwned/);
    assert.doesNotMatch(history.stdout, RAW_CONTROL);
    assert.equal((await runCli(["history", "--json"], { env })).code, 0);
  } finally {
    await sandbox.close();
    await Deno.remove(home, { recursive: true });
  }
});
