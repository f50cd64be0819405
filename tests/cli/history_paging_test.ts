/**
 * `weilink history --cursor` and `--before-id`: keyset pages of the message store, which do not
 * shift when messages are stored between two calls (as `--offset` pages do).
 */
import assert from "node:assert/strict";
import { MessageStore } from "../../src/store/mod.ts";
import { Message } from "../../src/models/mod.ts";
import { jsonOf, runCli } from "./cli_process.ts";

interface Page {
  messages: { message_id: string }[];
  total: number;
  next_cursor: string | null;
}

Deno.test("history --cursor and --before-id page without repeats while messages arrive", async () => {
  const home = await Deno.makeTempDir({ prefix: "weilink-history-paging-" });
  const T0 = Date.now() - 3_600_000;
  let nextId = 500;
  const arrive = (count: number, at: number) => {
    using store = new MessageStore(`${home}/messages.db`);
    const batch: Message[] = [];
    for (let i = 0; i < count; i++, nextId++) {
      batch.push(Message.fromWire({
        message_id: String(nextId),
        from_user_id: "dave@im.wechat",
        create_time_ms: at + i,
        item_list: [{ type: 1, text_item: { text: `m${nextId}` } }],
      }, "bot@im.bot"));
    }
    store.store(batch);
  };
  const history = async (...args: string[]) => {
    const result = await runCli(["history", "--json", "-d", home, ...args]);
    assert.equal(result.code, 0, result.stderr);
    return jsonOf(result) as Page;
  };
  const ids = (page: Page) => page.messages.map((m) => m.message_id);
  try {
    arrive(5, T0); // 500..504
    const first = await history("--limit", "2");
    assert.deepEqual(ids(first), ["504", "503"]);
    assert.equal(typeof first.next_cursor, "string");

    arrive(3, T0 + 60_000);
    const byOffset = await history("--limit", "2", "--offset", "2");
    assert.deepEqual(ids(byOffset), ["505", "504"], "offsets count the new rows: 504 again");

    const walked = ids(first);
    let cursor = first.next_cursor;
    while (cursor !== null) {
      const page = await history("--limit", "2", "--cursor", cursor);
      walked.push(...ids(page));
      cursor = page.next_cursor;
    }
    assert.deepEqual(walked, ["504", "503", "502", "501", "500"]);

    assert.deepEqual(ids(await history("--before-id", "502")), ["501", "500"]);
    assert.deepEqual(ids(await history("--before-id", "502", "--limit", "1")), ["501"]);

    // Human output ends with the cursor of the next page.
    const human = await runCli(["history", "-d", home, "--limit", "1"]);
    assert.match(
      human.stdout,
      /Showing 1 of 8 message\(s\)\.\n {2}Next page: --cursor \d+\.\d+\n$/,
    );
    const last = await runCli(["history", "-d", home, "--before-id", "501"]);
    assert.doesNotMatch(last.stdout, /Next page/);

    const usage = await Promise.all([
      runCli(["history", "-d", home, "--cursor", "yesterday"]),
      runCli(["history", "-d", home, "--before-id", "abc"]),
      runCli(["history", "-d", home, "--cursor", "1.1", "--before-id", "500"]),
    ]);
    const patterns = [
      /Invalid --cursor 'yesterday': use the cursor that the previous page printed/,
      /Invalid --before-id 'abc': expected a message id/,
      /Give --cursor or --before-id, not both/,
    ];
    usage.forEach((result, i) => {
      assert.equal(result.code, 2, result.stderr);
      assert.match(result.stderr, patterns[i]!);
    });
    const unknown = await runCli(["history", "-d", home, "--before-id", "42"]);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no stored message has the id "42"/);
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
