/**
 * The `login` tool keeps one login per session name: two clients logging in two sessions at
 * once both end up logged in, and `force` restarts only the named session's login.
 */
import assert from "node:assert/strict";
import { serveMcp } from "../../src/server/mod.ts";
import { callTool, connectHttp, serverOptions, startEnv, type ToolCall } from "./harness.ts";

/** The sandbox QR session named in a `qr_url`. */
function qrcodeOf(login: ToolCall): string {
  assert.equal(login.structured.status, "pending", login.text);
  const url = new URL(String(login.structured.qr_url));
  const qrcode = url.searchParams.get("qrcode");
  assert.ok(qrcode, `no qrcode in ${url}`);
  return qrcode;
}

Deno.test("two clients log in two sessions at once: both bots are kept", async () => {
  await using env = await startEnv();
  const server = await serveMcp({ ...serverOptions(env), transport: "http", port: 0 });
  const [a, b] = await Promise.all([connectHttp(server.url!), connectHttp(server.url!)]);
  try {
    const [startY, startZ] = await Promise.all([
      callTool(a, "login", { session_name: "y" }),
      callTool(b, "login", { session_name: "z" }),
    ]);
    assert.equal(startY.structured.session, "y");
    assert.equal(startZ.structured.session, "z");
    const [qrY, qrZ] = [qrcodeOf(startY), qrcodeOf(startZ)];
    assert.notEqual(qrY, qrZ);
    const botY = await env.sandbox.confirmLogin({ qrcode: qrY });
    const botZ = await env.sandbox.confirmLogin({ qrcode: qrZ });
    const [doneY, doneZ] = await Promise.all([
      callTool(a, "login", { session_name: "y", timeout: 10 }),
      callTool(b, "login", { session_name: "z", timeout: 10 }),
    ]);
    assert.deepEqual(
      [doneY.structured.status, doneY.structured.bot_id],
      ["confirmed", botY.botId],
      doneY.text,
    );
    assert.deepEqual(
      [doneZ.structured.status, doneZ.structured.bot_id],
      ["confirmed", botZ.botId],
      doneZ.text,
    );
    const sessions = (await callTool(a, "sessions")).structured.sessions as {
      name: string;
      bot_id: string | null;
      connected: boolean;
    }[];
    const byName = Object.fromEntries(sessions.map((s) => [s.name, s]));
    assert.equal(byName.y?.bot_id, botY.botId);
    assert.equal(byName.y?.connected, true);
    assert.equal(byName.z?.bot_id, botZ.botId);
    assert.equal(byName.z?.connected, true);
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
});

Deno.test("force restarts only the named session's login; a call without a name continues the only one", async () => {
  await using env = await startEnv();
  const server = await serveMcp({ ...serverOptions(env), transport: "http", port: 0 });
  const [a, b] = await Promise.all([connectHttp(server.url!), connectHttp(server.url!)]);
  try {
    const startY = await callTool(a, "login", { session_name: "y" });
    const startZ = await callTool(b, "login", { session_name: "z" });
    const restartedY = await callTool(a, "login", { session_name: "y", force: true });
    const [oldY, qrZ, newY] = [qrcodeOf(startY), qrcodeOf(startZ), qrcodeOf(restartedY)];
    assert.notEqual(newY, oldY, "force gives y a new QR code");
    // z's login is untouched: its QR code still confirms it.
    const botZ = await env.sandbox.confirmLogin({ qrcode: qrZ });
    const doneZ = await callTool(b, "login", { session_name: "z", timeout: 10 });
    assert.equal(doneZ.structured.status, "confirmed", doneZ.text);
    assert.equal(doneZ.structured.bot_id, botZ.botId);
    // Only y is pending now, so a call without a session name waits for it.
    const botY = await env.sandbox.confirmLogin({ qrcode: newY });
    const doneY = await callTool(a, "login", { timeout: 10 });
    assert.equal(doneY.structured.session, "y", doneY.text);
    assert.equal(doneY.structured.status, "confirmed", doneY.text);
    assert.equal(doneY.structured.bot_id, botY.botId);
  } finally {
    await a.close();
    await b.close();
    await server.close();
  }
});
