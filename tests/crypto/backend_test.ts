import assert from "node:assert/strict";
import { activeAesBackend } from "../../src/crypto/mod.ts";

const MOD_URL = new URL("../../src/crypto/mod.ts", import.meta.url).href;

// The probe prints the backend chosen by default and checks that the default path still produces
// the §7 V4 vector, whatever backend that is.
const PROBE = `
import { activeAesBackend, encryptAesEcb, fromHex, toHex } from ${JSON.stringify(MOD_URL)};
const key = fromHex("000102030405060708090a0b0c0d0e0f");
const ok = toHex(encryptAesEcb(new TextEncoder().encode("hello"), key)) ===
  "5d8749e2af7531b2bf6661e9e5daf012";
console.log(JSON.stringify({ backend: activeAesBackend(), ok }));
`;

/**
 * Runs the probe in a child process, so changing the environment never affects tests running in
 * parallel in this process.
 */
async function probe(
  script: string,
  env: Record<string, string>,
  allowEnv: boolean,
): Promise<unknown> {
  const command = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--no-config",
      "--no-prompt",
      `--allow-read=${new URL("../../src/crypto/", import.meta.url).pathname}`,
      ...(allowEnv ? ["--allow-env=WEILINK_AES"] : []),
      script,
    ],
    env: { NO_COLOR: "1", ...env },
    clearEnv: false,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
  const { code, stdout, stderr } = await command.output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  return JSON.parse(new TextDecoder().decode(stdout).trim());
}

Deno.test("default backend is native in Deno", () => {
  assert.equal(activeAesBackend(), "native");
});

Deno.test("WEILINK_AES forces the backend, ignores unknown values, and needs no permission", async () => {
  const dir = await Deno.makeTempDir({ prefix: "weilink_aes_env_" });
  try {
    const script = `${dir}/probe.ts`;
    await Deno.writeTextFile(script, PROBE);
    const [pure, native, upper, bogus, denied, unset] = await Promise.all([
      probe(script, { WEILINK_AES: "pure" }, true),
      probe(script, { WEILINK_AES: "native" }, true),
      probe(script, { WEILINK_AES: " PURE " }, true),
      probe(script, { WEILINK_AES: "wasm" }, true),
      // Without --allow-env the variable is unreadable: no prompt, no crash, default backend.
      probe(script, { WEILINK_AES: "pure" }, false),
      probe(script, {}, true),
    ]);
    assert.deepEqual(pure, { backend: "pure", ok: true });
    assert.deepEqual(native, { backend: "native", ok: true });
    assert.deepEqual(upper, { backend: "pure", ok: true });
    assert.deepEqual(bogus, { backend: "native", ok: true });
    assert.deepEqual(denied, { backend: "native", ok: true });
    assert.deepEqual(unset, { backend: "native", ok: true });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
