import assert from "node:assert/strict";
import { renderLoginQr } from "../../src/client/qr.ts";

Deno.test("login QR: the URL comes before the code, which is drawn in half blocks", async () => {
  const url = "http://127.0.0.1:9/phone?qrcode=abc";
  const text = await renderLoginQr(url, "work");
  const lines = text.split("\n");
  assert.equal(lines[0], "[Session: work] Scan this QR code with WeChat:");
  assert.equal(lines[1], url);
  const firstBlock = lines.findIndex((l) => /[▀▄█]/.test(l));
  assert.ok(firstBlock > 1, "the code follows the URL");
  assert.match(await renderLoginQr(url, "work", 2), /previous QR code expired/);
});
