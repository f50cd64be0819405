/**
 * The session mirror of PostgreSQL storage: a reload whose queries overlap this client's own write
 * (a notification from an earlier write arriving mid-login) must not undo it. Run against a real
 * PostgreSQL.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { PgRecords } from "../../src/postgres/records.ts";
import { migrate } from "../../src/postgres/schema.ts";
import { pgTest } from "./pg_cluster.ts";

const token = (botId: string) => ({
  bot_id: botId,
  base_url: "http://127.0.0.1:1",
  token: `${botId}-token`,
  user_id: "owner@im.wechat",
  cursor: "",
  created_at: 1_700_000_000,
});

pgTest(
  "postgres records: a reload overlapping a write of this client keeps the write",
  async (url) => {
    const sql = postgres(url, { max: 4, onnotice: () => {} });
    try {
      await migrate(sql);
      const records = new PgRecords(() => Promise.resolve(sql));
      await records.write("work", token("b1@im.bot"));
      for (let i = 0; i < 20; i++) {
        const name = `home${i}`;
        // The reload starts first (its SELECT may run before the INSERT commits) and ends last.
        const reload = records.load();
        await records.write(name, token(`b${i + 2}@im.bot`));
        await reload;
        assert.ok(records.has(name), `"${name}" written during a reload is still known`);
        assert.ok(records.names().includes(name));
      }
    } finally {
      await sql.end();
    }
  },
);
