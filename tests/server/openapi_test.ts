/**
 * The REST server: the OpenAPI document passes a real OpenAPI 3.1 validator, and every route
 * works against the sandbox.
 */
import assert from "node:assert/strict";
import { Validator } from "npm:@seriousme/openapi-schema-validator@^2.7.0";
import { serveOpenApi } from "../../src/server/mod.ts";
import { eventually, md5, PNG_BYTES, serverOptions, startEnv, type ToolCall } from "./harness.ts";

Deno.test("openapi: valid 3.1 document, every route exercised", async (t) => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0 });
  const base = server.url!;
  const post = async (name: string, body: unknown = {}) => {
    const res = await fetch(`${base}/tools/${name}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: typeof body === "string" ? body : JSON.stringify(body),
    });
    return { status: res.status, json: await res.json() as Record<string, unknown> };
  };
  // The login helper speaks in tool-call terms; adapt REST answers to that shape.
  const asCall = async (name: string, args: Record<string, unknown> = {}): Promise<ToolCall> => {
    const r = await post(name, args);
    return {
      isError: r.status !== 200,
      text: JSON.stringify(r.json),
      structured: r.json,
    };
  };
  try {
    await t.step("GET /openapi.json is a valid OpenAPI 3.1 document", async () => {
      const res = await fetch(`${base}/openapi.json`);
      assert.equal(res.status, 200);
      const doc = await res.json();
      assert.equal(doc.openapi, "3.1.0");
      const result = await new Validator().validate(doc);
      assert.deepEqual(result, { valid: true });
      assert.ok(doc.paths["/tools/send"].post.requestBody);
      assert.deepEqual(doc.components.schemas.SendInput.required, ["to"]);
      assert.equal(doc.components.schemas.SendOutput.properties.message_ids.type, "array");
      assert.equal(doc.security, undefined, "no token, no security requirement");
    });

    await t.step("GET /tools lists the tools with schemas", async () => {
      const res = await fetch(`${base}/tools`);
      const body = await res.json();
      assert.equal(body.tools.length, 10);
      for (const tool of body.tools) {
        assert.equal(tool.input_schema.type, "object");
        assert.equal(tool.output_schema.type, "object");
      }
    });

    await t.step("GET /docs serves Swagger UI", async () => {
      const res = await fetch(`${base}/docs`);
      assert.equal(res.status, 200);
      const html = await res.text();
      assert.match(html, /swagger/i);
      // The start-up script is its own asset (no inline script), and it loads this document.
      const init = await (await fetch(`${base}/docs/init.js`)).text();
      assert.match(init, /\/openapi\.json/);
    });

    await t.step("request errors: bad JSON, bad args, unknown tool, not logged in", async () => {
      const badJson = await post("send", "{nope");
      assert.equal(badJson.status, 400);
      assert.match(String(badJson.json.error), /not valid JSON/);
      const badArgs = await post("send", { text: "no recipient" });
      assert.equal(badArgs.status, 400);
      assert.match(String(badArgs.json.error), /Invalid arguments for tool "send": to:/);
      const notArray = await post("send", "[1]");
      assert.equal(notArray.status, 400);
      const unknown = await post("nope");
      assert.equal(unknown.status, 404);
      const notLoggedIn = await post("send", { to: "u@im.wechat", text: "hi" });
      assert.equal(notLoggedIn.status, 409);
      assert.match(String(notLoggedIn.json.error), /not logged in/i);
      const emptyBody = await post("sessions", "");
      assert.equal(emptyBody.status, 200);
    });

    let userId = "";
    await t.step("POST /tools/login, sessions", async () => {
      const first = await post("login");
      assert.equal(first.status, 200);
      assert.equal(first.json.status, "pending");
      assert.match(String(first.json.qr_url), /^http/);
      const confirmed = await env.sandbox.confirmLogin();
      userId = confirmed.userId;
      const second = await post("login", { timeout: 10 });
      assert.equal(second.json.status, "confirmed");
      assert.equal(second.json.bot_id, confirmed.botId);
      const sessions = await post("sessions");
      assert.deepEqual(sessions.json, {
        sessions: [{
          name: "default",
          bot_id: confirmed.botId,
          user_id: confirmed.userId,
          connected: true,
          is_default: true,
        }],
      });
    });

    await t.step("POST /tools/recv, send, send_typing, download, history", async () => {
      const injected = await env.sandbox.injectMessage({ image: PNG_BYTES });
      await eventually(
        async () => {
          const r = await asCall("recv", { timeout: 2 });
          const messages = r.structured.messages as Record<string, unknown>[];
          return messages.find((m) => m.message_id === injected.messageId);
        },
        10_000,
        "the injected image",
      );

      const sent = await post("send", { to: userId, text: "rest reply" });
      assert.equal(sent.status, 200, JSON.stringify(sent.json));
      assert.equal(sent.json.success, true);
      assert.equal(typeof (sent.json.message_ids as string[])[0], "string");
      const records = await env.sandbox.sent({ to: userId });
      assert.ok(records.some((r) => r.text === "rest reply"));

      const typing = await post("send_typing", { to: userId });
      assert.equal(typing.status, 200, JSON.stringify(typing.json));

      const saveDir = `${env.files}/rest_downloads`;
      const download = await post("download", {
        message_id: injected.messageId,
        save_dir: saveDir,
      });
      assert.equal(download.status, 200, JSON.stringify(download.json));
      assert.equal(download.json.msg_type, "IMAGE");
      assert.equal(md5(await Deno.readFile(String(download.json.path))), md5(PNG_BYTES));
      const missing = await post("download", { message_id: "42" });
      assert.equal(missing.status, 404);

      const history = await post("history", { user_id: userId });
      assert.equal(history.status, 200);
      assert.equal(history.json.total, 2);
      const badHistory = await post("history", { direction: "sideways" });
      assert.equal(badHistory.status, 400);
      assert.match(String(badHistory.json.error), /Unknown direction "sideways"/);
    });

    await t.step("POST /tools/rename_session, set_default, logout", async () => {
      const renamed = await post("rename_session", { old_name: "default", new_name: "work" });
      assert.equal(renamed.status, 200, JSON.stringify(renamed.json));
      assert.deepEqual(renamed.json, { success: true, old_name: "default", new_name: "work" });
      const setDefault = await post("set_default", { session_name: "work" });
      assert.equal(setDefault.status, 200, JSON.stringify(setDefault.json));
      const unknown = await post("rename_session", { old_name: "ghost", new_name: "x" });
      assert.equal(unknown.status, 404);
      const out = await post("logout", { session_name: "work" });
      assert.equal(out.status, 200, JSON.stringify(out.json));
      assert.deepEqual(out.json, { success: true, session: "work" });
    });
  } finally {
    await server.close();
  }
});
