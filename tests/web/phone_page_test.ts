/**
 * The sandbox phone page in a real headless Chromium: a person confirms a QR login, types a
 * message, and sees the bot's reply. Runs where Chromium is installed (`.ci/run` installs it).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { CHROMIUM, launchChromium } from "./chromium.ts";
import { startSandbox } from "../../src/sandbox/mod.ts";
import { WeiLink } from "../../mod.ts";

Deno.test({
  name: "phone page: confirm a login, chat with an echo bot, see the reply",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
    const home = await Deno.makeTempDir({ prefix: "weilink-phone-" });
    const browser = await launchChromium();
    const wl = new WeiLink({
      basePath: home,
      baseUrl: sandbox.baseUrl,
      cdnBaseUrl: sandbox.cdnBaseUrl,
      logger: { debug() {}, info() {}, warn() {}, error() {} },
    });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(sandbox.phoneUrl);

      // The bot starts a QR login; the person confirms it on the page.
      const login = wl.login({ onQr: () => {} });
      await page.getByRole("button", { name: /confirm/i }).first().click();
      const bot = await login;
      wl.onMessage(async (msg) => {
        if (msg.text) await wl.send(msg.fromUser, { text: `echo: ${msg.text}` });
        if (msg.file) {
          const bytes = await wl.download(msg);
          await wl.send(msg.fromUser, {
            text: `got ${msg.file.fileName}: ${new TextDecoder().decode(bytes)}`,
          });
        }
      });
      const running = wl.runBackground();

      await page.getByText(bot.botId).first().waitFor();
      const box = page.locator("textarea");
      await box.fill("hello from the phone");
      await box.press("Enter");
      await page.getByText("echo: hello from the phone").waitFor({ timeout: 15_000 });

      // An attachment goes through the CDN: the bot downloads and decrypts what the page sent.
      await page.locator("#file").setInputFiles({
        name: "notes.txt",
        mimeType: "text/plain",
        buffer: Buffer.from("attached text"),
      });
      await page.getByText("got notes.txt: attached text").waitFor({ timeout: 15_000 });
      assert.deepEqual(errors, []);
      assert.deepEqual(await sandbox.violations(), []);
      await wl.stop();
      await running;
    } finally {
      await wl.close();
      await browser.close();
      await sandbox.close();
      await Deno.remove(home, { recursive: true });
    }
  },
});
