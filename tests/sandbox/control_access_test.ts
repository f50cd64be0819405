import assert from "node:assert/strict";
import { describeSandbox, startSandbox } from "../../src/sandbox/mod.ts";
import { login } from "./raw_client.ts";

const TOKEN = "s3cret-control-token-0123";

Deno.test("a non-loopback bind is refused without a control token; bad tokens are refused", async () => {
  for (const hostname of ["0.0.0.0", "::"]) {
    await assert.rejects(
      startSandbox({ hostname }),
      (e: Error) => /without a control token/.test(e.message) && e.message.includes(hostname),
    );
  }
  await assert.rejects(startSandbox({ controlToken: "short" }), RangeError);
  await assert.rejects(startSandbox({ controlToken: "has a space in it here" }), TypeError);
  // Loopback needs no token.
  const local = await startSandbox({ hostname: "localhost" });
  await local.close();
});

Deno.test("with a token on 0.0.0.0: real URLs, bearer, JSON writes, own origin only", async () => {
  const sandbox = await startSandbox({ hostname: "0.0.0.0", controlToken: TOKEN, longPollMs: 50 });
  try {
    const url = new URL(sandbox.baseUrl);
    assert.notEqual(url.hostname, "0.0.0.0");
    const lan = Deno.networkInterfaces().find((i) =>
      i.family === "IPv4" && !i.address.startsWith("127.")
    );
    assert.equal(url.hostname, lan?.address ?? "127.0.0.1", "the address a phone can reach");
    assert.equal(sandbox.requiresControlToken, true);

    const ctl = sandbox.controlUrl;
    const auth = { Authorization: `Bearer ${TOKEN}` };
    const noToken = await fetch(`${ctl}/state`);
    assert.equal(noToken.status, 401);
    assert.match(noToken.headers.get("www-authenticate") ?? "", /^Bearer/);
    assert.match((await noToken.json()).error, /control token/);
    const wrong = await fetch(`${ctl}/state`, { headers: { Authorization: `Bearer ${TOKEN}x` } });
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
    const ok = await fetch(`${ctl}/state`, { headers: auth });
    assert.equal(ok.status, 200);
    assert.equal((await ok.json()).baseUrl, sandbox.baseUrl);

    const textPlain = await fetch(`${ctl}/reset`, { method: "POST", headers: auth, body: "{}" });
    assert.equal(textPlain.status, 415, "a write without Content-Type: application/json");
    await textPlain.body?.cancel();
    const json = { ...auth, "Content-Type": "application/json" };
    const reset = await fetch(`${ctl}/reset`, { method: "POST", headers: json, body: "{}" });
    assert.deepEqual(await reset.json(), { ok: true });

    const foreign = await fetch(`${ctl}/state`, {
      headers: { ...auth, Origin: "http://evil.example" },
    });
    assert.equal(foreign.status, 403, "a foreign Origin is refused even with the token");
    await foreign.body?.cancel();
    const own = await fetch(`${ctl}/state`, { headers: { ...auth, Origin: url.origin } });
    assert.equal(own.status, 200);
    await own.body?.cancel();
    const otherPort = await fetch(`${ctl}/state`, {
      headers: { ...auth, Origin: `http://${url.hostname}:${Number(url.port) + 1}` },
    });
    assert.equal(otherPort.status, 403, "same host, other port: another origin");
    await otherPort.body?.cancel();

    // The iLink API does not take the control token: bots use their own bearer tokens.
    const bot = await login(sandbox);
    assert.equal(bot.baseUrl, sandbox.baseUrl);
    const lines = describeSandbox(sandbox).join("\n");
    assert.ok(lines.includes("Bearer <control token>") && lines.includes("#token="));
    assert.ok(!lines.includes(TOKEN), "the token itself is never printed");
  } finally {
    await sandbox.close();
  }
});

Deno.test("on loopback without a token, a foreign Origin is still refused", async () => {
  const sandbox = await startSandbox();
  try {
    const origin = new URL(sandbox.baseUrl).origin;
    const post = (headers: Record<string, string>) =>
      fetch(`${sandbox.controlUrl}/reset`, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: "{}",
      });
    const foreign = await post({ Origin: "https://evil.example" });
    assert.equal(foreign.status, 403);
    await foreign.body?.cancel();
    const nullOrigin = await post({ Origin: "null" });
    assert.equal(nullOrigin.status, 403);
    await nullOrigin.body?.cancel();
    for (const own of [origin, origin.replace("127.0.0.1", "localhost")]) {
      const r = await post({ Origin: own });
      assert.equal(r.status, 200, own);
      await r.body?.cancel();
    }
    // Without Origin (scripts, curl) and without a token, everything works as before.
    const plain = await fetch(`${sandbox.controlUrl}/state`);
    assert.equal(plain.status, 200);
    await plain.body?.cancel();
    assert.equal(sandbox.requiresControlToken, false);
  } finally {
    await sandbox.close();
  }
});
