/**
 * `GET /api/messages?cursor=…`: keyset pages of the panel's history, which messages stored
 * between two pages do not shift (offset pages do), and a cursor no page gave out is a 400.
 */
import assert from "node:assert/strict";
import { startAdminEnv } from "./harness.ts";
import { MessageStore } from "../../src/store/mod.ts";
import { Message } from "../../src/models/mod.ts";

Deno.test({
  name: "admin api: next_cursor pages neither repeat nor skip while messages arrive",
  sanitizeOps: false,
  sanitizeResources: false,
  async fn() {
    await using env = await startAdminEnv({ run: false });
    using writer = new MessageStore(`${env.home}/messages.db`);
    const T0 = Date.now() - 3_600_000;
    let nextId = 700;
    const arrive = (count: number, at: number) => {
      const batch: Message[] = [];
      for (let i = 0; i < count; i++, nextId++) {
        batch.push(Message.fromWire({
          message_id: String(nextId),
          from_user_id: "erin@im.wechat",
          create_time_ms: at + i,
          item_list: [{ type: 1, text_item: { text: `m${nextId}` } }],
        }, "bot@im.bot"));
      }
      writer.store(batch);
    };
    const page = async (query: string) => {
      const { status, body } = await env.json(`/api/messages?user_id=erin%40im.wechat&${query}`);
      assert.equal(status, 200, JSON.stringify(body));
      return body as { messages: { message_id: string }[]; total: number; next_cursor: string };
    };
    const ids = (body: { messages: { message_id: string }[] }) =>
      body.messages.map((m) => m.message_id);

    arrive(5, T0); // 700..704
    const first = await page("limit=2");
    assert.deepEqual(ids(first), ["704", "703"]);
    arrive(2, T0 + 60_000);
    assert.deepEqual(ids(await page("limit=2&offset=2")), ["704", "703"], "offset repeats");

    const walked = ids(first);
    let cursor: string | null = first.next_cursor;
    while (cursor !== null) {
      const next = await page(`limit=2&cursor=${encodeURIComponent(cursor)}`);
      walked.push(...ids(next));
      cursor = next.next_cursor;
    }
    assert.deepEqual(walked, ["704", "703", "702", "701", "700"]);

    const bad = await env.json("/api/messages?cursor=nope");
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.error), /Invalid 'cursor' 'nope'/);
  },
});
