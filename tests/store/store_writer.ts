/**
 * Child process of `concurrency_test.ts`: writes `count` messages into a shared store in small
 * batches, with ids starting at `first`.
 *
 * Usage: `deno run -A store_writer.ts <db path> <first id> <count>`
 *
 * @module
 */

import { MessageStore } from "../../src/store/mod.ts";
import { Message } from "../../src/models/mod.ts";

const [path, first, count] = Deno.args;
const store = new MessageStore(path!, { maxAgeDays: null, maxCount: null });
const start = Number(first);
for (let i = 0; i < Number(count); i += 20) {
  store.store(Array.from({ length: 20 }, (_, j) =>
    Message.fromWire({
      message_id: String(start + i + j),
      from_user_id: "child@im.wechat",
      create_time_ms: Date.now(),
      item_list: [{ type: 1, text_item: { text: `child ${i + j}` } }],
    }, "bot@im.bot")));
  // A short pause between batches keeps the writes spread out, so the parent reliably sees the
  // child half-way through even on a loaded machine.
  await new Promise((resolve) => setTimeout(resolve, 2));
}
store.close();
