/**
 * The phone page of a sandbox guarded by a control token, in a real headless Chromium: the token
 * comes from the address (or a prompt), leaves the address bar, and media still show.
 */
import assert from "node:assert/strict";
import { CHROMIUM, launchChromium } from "../web/chromium.ts";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { createQr, login, poll } from "./raw_client.ts";

const TOKEN = "phone-page-control-token-42";
const PNG_1X1 = Uint8Array.from(
  atob(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==",
  ),
  (c) => c.charCodeAt(0),
);

Deno.test({
  name: "phone page with a control token: login, chat and media through the guarded API",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const sandbox = await startSandbox({ controlToken: TOKEN, longPollMs: 200 });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${sandbox.phoneUrl}#token=${TOKEN}`);
      assert.equal(new URL(page.url()).hash, "", "the token leaves the address bar");

      const { qrcode } = await createQr(sandbox);
      await page.getByRole("button", { name: /confirm/i }).first().click();
      let bot = (await sandbox.state()).bots[0];
      for (let i = 0; i < 400 && !bot; i++) {
        await new Promise((r) => setTimeout(r, 25));
        bot = (await sandbox.state()).bots[0];
      }
      assert.ok(bot, "the page confirmed the login through the guarded control API");
      assert.equal((await sandbox.state()).pendingLogins.length, 0);
      assert.ok(qrcode);

      await page.getByText(bot.botId).first().waitFor();
      const box = page.locator("textarea");
      await box.fill("typed on the phone");
      await box.press("Enter");
      const token =
        (await (await fetch(`${sandbox.baseUrl}/ilink/bot/get_qrcode_status?qrcode=${qrcode}`))
          .json()).bot_token;
      const { msgs } = await poll(sandbox, token);
      assert.equal(msgs[0]?.item_list[0].text_item.text, "typed on the phone");

      await sandbox.injectMessage({ botId: bot.botId, image: PNG_1X1 });
      const img = page.locator("#messages img");
      await img.waitFor();
      await page.waitForFunction(
        "(() => { const i = document.querySelector('#messages img');" +
          " return i !== null && i.complete && i.naturalWidth === 1; })()",
      );
      assert.match(await img.getAttribute("src") ?? "", /^blob:/);
      assert.deepEqual(errors, []);
    } finally {
      await browser.close();
      await sandbox.close();
    }
  },
});

Deno.test({
  name: "phone page with a control token asks for it when the address has none",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const sandbox = await startSandbox({ controlToken: TOKEN, longPollMs: 200 });
    const browser = await launchChromium();
    try {
      const bot = await login(sandbox);
      const page = await browser.newPage();
      const prompts: string[] = [];
      page.on("dialog", (d) => {
        prompts.push(d.message());
        d.accept(TOKEN);
      });
      await page.goto(sandbox.phoneUrl);
      await page.getByText(bot.botId).first().waitFor({ timeout: 10_000 });
      assert.equal(prompts.length, 1);
      assert.match(prompts[0]!, /control token/);
    } finally {
      await browser.close();
      await sandbox.close();
    }
  },
});
