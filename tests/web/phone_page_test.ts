/**
 * The sandbox phone page in a real headless Chromium: a person confirms a QR login, types a
 * message, and sees the bot's reply; and on a 390 px phone screen the chat has the screen and
 * shows the bot of the conversation. Screenshots go to `$WEILINK_ARTIFACTS_DIR` (or a temporary
 * folder, printed). Runs where Chromium is installed (`.ci/run` installs it).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { CHROMIUM, launchChromium, screenshotDir } from "./chromium.ts";
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

/** Layout facts of the phone page as a phone shows it. */
interface PhoneLayout {
  /** The page is wider than the screen. */
  overflowsSideways: boolean;
  /** Height of the chat column over the screen's height. */
  chatShare: number;
  /** The title is on one line and not cut. */
  titleOnOneLine: boolean;
  /** The composer's text box is on the screen. */
  composerVisible: boolean;
}

/** Measured in the page (a string: the tests type-check without the DOM library). */
function phoneLayout(page: Page): Promise<PhoneLayout> {
  return page.evaluate(`(() => {
    const doc = document.documentElement;
    const h1 = document.querySelector("header h1");
    const lineHeight = parseFloat(getComputedStyle(h1).lineHeight);
    const chat = document.getElementById("chat").getBoundingClientRect();
    const text = document.getElementById("text").getBoundingClientRect();
    return {
      overflowsSideways: doc.scrollWidth > doc.clientWidth + 1,
      chatShare: chat.height / innerHeight,
      titleOnOneLine: h1.getBoundingClientRect().height < lineHeight * 1.5 &&
        h1.scrollWidth <= h1.clientWidth,
      composerVisible: text.top >= 0 && text.bottom <= innerHeight,
    };
  })()`) as Promise<PhoneLayout>;
}

/** What an empty chat says (the content of `#messages::before`). */
function emptyChatHint(page: Page): Promise<string> {
  return page.evaluate(
    `getComputedStyle(document.getElementById("messages"), "::before").content`,
  ) as Promise<string>;
}

/** The bot id of the highlighted bot, if any. */
function activeBot(page: Page): Promise<string | null> {
  return page.locator(".bot.active .id").textContent({ timeout: 2_000 }).catch(() => null);
}

async function until(what: string, check: () => Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!await check()) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

Deno.test({
  name: "phone page at 390 px: the chat fills the screen and follows the bot of the conversation",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    const sandbox = await startSandbox({ longPollMs: 300, quiet: true });
    const shots = await screenshotDir("phone");
    const browser = await launchChromium();
    const clients: WeiLink[] = [];
    const homes: string[] = [];
    /** A bot program: its own client and data directory, logged in through the page. */
    const startBot = async (page: Page) => {
      const home = await Deno.makeTempDir({ prefix: "weilink-phone-390-" });
      homes.push(home);
      const wl = new WeiLink({
        basePath: home,
        baseUrl: sandbox.baseUrl,
        cdnBaseUrl: sandbox.cdnBaseUrl,
        logger: "silent",
      });
      clients.push(wl);
      const login = wl.login({ onQr: () => {} });
      const confirm = page.getByRole("button", { name: "Confirm" }).first();
      await confirm.waitFor();
      // A pending login pushes the chat down, but the page still fits the screen's width.
      await page.screenshot({ path: join(shots, `phone-390-login-${clients.length}.png`) });
      const layout = await phoneLayout(page);
      assert.equal(layout.overflowsSideways, false);
      assert.ok(layout.composerVisible, "composer on the screen while a login is pending");
      await confirm.click();
      return { wl, bot: await login };
    };
    try {
      const context = await browser.newContext({
        viewport: { width: 390, height: 844 },
        isMobile: true,
        hasTouch: true,
      });
      const page = await context.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(sandbox.phoneUrl);

      await t.step(
        "before any bot: one-line title, an empty chat that still fills the screen",
        async () => {
          await page.locator("#bots .empty").waitFor();
          const layout = await phoneLayout(page);
          await page.screenshot({ path: join(shots, "phone-390-01-empty.png") });
          assert.equal(layout.overflowsSideways, false);
          assert.ok(layout.titleOnOneLine, "title on one line");
          assert.ok(
            layout.chatShare >= 0.6,
            `chat height ${layout.chatShare.toFixed(2)} of the screen`,
          );
          assert.ok(layout.composerVisible);
          assert.match(await emptyChatHint(page), /No bot yet/);
        },
      );

      let first = "";
      let second = "";
      let firstClient: WeiLink | undefined;
      await t.step("two bots log in: the newest one is selected", async () => {
        const a = await startBot(page);
        first = a.bot.botId;
        firstClient = a.wl;
        await until("the first bot selected", async () => await activeBot(page) === first);
        const b = await startBot(page);
        second = b.bot.botId;
        await until("the second bot selected", async () => await activeBot(page) === second);
        assert.match(await emptyChatHint(page), /No messages yet/);
        await page.screenshot({ path: join(shots, "phone-390-02-two-bots.png") });
      });

      await t.step("a message for the other bot brings its conversation up", async () => {
        const { userId } = (await sandbox.state()).bots.find((b) => b.botId === first)!;
        await sandbox.injectMessage({ botId: first, from: userId, text: "are you there?" });
        await until("the first bot selected again", async () => await activeBot(page) === first);
        await page.getByText("are you there?").waitFor();
        const [question] = await firstClient!.recv({ timeout: 5 });
        assert.equal(question?.text, "are you there?");
        const sent = await firstClient!.send(userId, { text: "yes, on the first bot" });
        assert.equal(sent.success, true);
        await page.getByText("yes, on the first bot").waitFor();
        assert.equal(await page.locator("#chat-title").textContent(), `Chat with ${first}`);

        const layout = await phoneLayout(page);
        await page.screenshot({ path: join(shots, "phone-390-03-conversation.png") });
        assert.equal(layout.overflowsSideways, false);
        assert.ok(layout.titleOnOneLine, "title on one line");
        assert.ok(
          layout.chatShare >= 0.6,
          `chat height ${layout.chatShare.toFixed(2)} of the screen`,
        );
        assert.ok(layout.composerVisible);
      });

      await t.step("a bot picked by hand stays picked", async () => {
        await page.locator(".bot", { hasText: second }).click();
        await until("the second bot picked", async () => await activeBot(page) === second);
        const { userId } = (await sandbox.state()).bots.find((b) => b.botId === first)!;
        await sandbox.injectMessage({ botId: first, from: userId, text: "still there?" });
        await until(
          "the first bot's count to move",
          async () => (await sandbox.state()).bots.find((b) => b.botId === first)!.inbound === 2,
        );
        // Two refreshes of the page (1.5 s apart) later, the picked bot is still shown.
        await new Promise((r) => setTimeout(r, 3_200));
        assert.equal(await activeBot(page), second);
      });
      assert.deepEqual(errors, []);
      assert.deepEqual(await sandbox.violations(), []);
    } finally {
      for (const wl of clients) await wl.close();
      await browser.close();
      await sandbox.close();
      for (const home of homes) await Deno.remove(home, { recursive: true });
    }
  },
});
