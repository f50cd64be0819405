// The sandbox example of README.md ("Testing your own bot"), kept here word for word (imports
// aside) so the README stays true.
import assert from "node:assert/strict";
import { WeiLink } from "../../mod.ts";
import { startSandbox } from "../../src/sandbox/mod.ts";

Deno.test("my bot answers hi", async () => {
  const sandbox = await startSandbox();
  const home = await Deno.makeTempDir();
  const wl = new WeiLink({
    basePath: home,
    baseUrl: sandbox.baseUrl,
    cdnBaseUrl: sandbox.cdnBaseUrl,
  });
  try {
    const login = wl.login({ onQr: () => {} }); // no terminal QR in tests
    await sandbox.confirmLogin(); // what the phone does
    await login;

    await sandbox.injectMessage({ text: "hi" }); // the user writes
    const [msg] = await wl.recv({ timeout: 5 });
    await wl.send(msg!.fromUser, { text: `echo: ${msg!.text}` });

    const [reply] = await sandbox.sent();
    assert.equal(reply?.text, "echo: hi");
    assert.deepEqual(await sandbox.violations(), []); // nothing the real server would reject
  } finally {
    await wl.close();
    await sandbox.close();
    await Deno.remove(home, { recursive: true });
  }
});
