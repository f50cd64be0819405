/**
 * Bearer tokens: weak ones are refused at start; a token can come from a private file.
 */
import assert from "node:assert/strict";
import { serveMcp, serveOpenApi } from "../../src/server/mod.ts";
import { assertStrongToken } from "../../src/server/http_guard.ts";
import { serverOptions, startEnv } from "./harness.ts";

const GOOD = "0123456789abcdef-token";

Deno.test("weak tokens are refused at start, without echoing them", async () => {
  await using env = await startEnv();
  const weak = [
    "a",
    " ",
    "short-token",
    "has a space 0123456789",
    "tab\tinside0123456789",
    "é".repeat(20),
  ];
  for (const token of weak) {
    for (const start of [serveOpenApi, (o: object) => serveMcp({ ...o, transport: "http" })]) {
      await assert.rejects(
        start({ ...serverOptions(env), port: 0, token }),
        (e: Error) => {
          assert.match(e.message, /^Refusing the bearer token from the token option \(--token\): /);
          assert.match(e.message, /at least 16 printable characters without spaces/);
          if (token.trim().length > 1) assert.ok(!e.message.includes(token), "token echoed");
          return true;
        },
        JSON.stringify(token),
      );
    }
  }
  assert.throws(() => assertStrongToken("x".repeat(15), "WEILINK_MCP_TOKEN"), /fewer than 16/);
  assert.doesNotThrow(() => assertStrongToken("x".repeat(16), "WEILINK_MCP_TOKEN"));
});

Deno.test("a token file: private files work, world-readable ones are refused", async () => {
  await using env = await startEnv();
  const path = `${env.files}/token`;
  await Deno.writeTextFile(path, `${GOOD}\n`, { mode: 0o600 });
  await Deno.chmod(path, 0o600);
  const server = await serveOpenApi({ ...serverOptions(env), port: 0, tokenFile: path });
  try {
    const call = (token: string) =>
      fetch(`${server.url}/tools/sessions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: "{}",
      });
    const ok = await call(GOOD);
    assert.equal(ok.status, 200, "the trailing newline is not part of the token");
    await ok.body?.cancel();
    const wrong = await call(`${GOOD}\n`.trim() + "x");
    assert.equal(wrong.status, 401);
    await wrong.body?.cancel();
  } finally {
    await server.close();
  }
  if (Deno.build.os !== "windows") {
    await Deno.chmod(path, 0o644);
    await assert.rejects(
      serveMcp({ ...serverOptions(env), transport: "http", port: 0, tokenFile: path }),
      /Refusing the token file ".*": every user of this machine can read it \(mode 644\); run chmod 600/,
    );
  }
  await Deno.writeTextFile(path, "weak\n");
  await Deno.chmod(path, 0o600);
  await assert.rejects(
    serveOpenApi({ ...serverOptions(env), port: 0, tokenFile: path }),
    /Refusing the bearer token from ".*token": it has 4 character\(s\)/,
  );
  await assert.rejects(
    serveOpenApi({ ...serverOptions(env), port: 0, tokenFile: `${env.files}/missing` }),
    /Cannot read the token file ".*missing"/,
  );
  await assert.rejects(
    serveOpenApi({ ...serverOptions(env), port: 0, token: GOOD, tokenFile: path }),
    /either a token or a token file/,
  );
});
