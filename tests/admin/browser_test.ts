/**
 * The admin page in a real headless Chromium, against the sandbox: log a session in through the
 * QR dialog while the sandbox confirms the code, chat with a user live, send a reply and
 * attachments, switch to Chinese, and check the layout at 390 px and in dark mode. Screenshots go
 * to `$WEILINK_ARTIFACTS_DIR` (or a temporary folder, printed). Runs where Chromium is installed.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { CHROMIUM, launchChromium } from "../web/chromium.ts";
import { artifactsDir, eventually, PNG_BYTES, startAdminEnv } from "./harness.ts";

/** Whether the page is wider than its viewport (something sticks out sideways). */
function overflowsSideways(page: Page): Promise<boolean> {
  return page.evaluate(
    "document.documentElement.scrollWidth > document.documentElement.clientWidth + 1",
  ) as Promise<boolean>;
}

/**
 * Wait until the page expression `expr` is true. Evaluated through the debugging protocol: the
 * panel's Content-Security-Policy forbids `eval`, which Playwright's own polling needs.
 */
async function pageHolds(page: Page, expr: string, ms = 15_000): Promise<void> {
  await eventually(async () => await page.evaluate(expr) === true, ms);
}

/** A page expression: some image matching `selector` has loaded (a 1×1 PNG). */
function loadedImage(selector: string): string {
  return `[...document.querySelectorAll(${JSON.stringify(selector)})]
    .some((img) => img.complete && img.naturalWidth === 1)`;
}

/** A page expression on the number of chat bubbles shown. */
function bubbleCount(test: string): string {
  return `document.querySelectorAll("#bubbles .msg").length ${test}`;
}

const BODY_BACKGROUND = "getComputedStyle(document.body).backgroundColor";

Deno.test({
  name: "admin page: QR login, live chat, reply and attachments, Chinese, 390 px, dark mode",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using env = await startAdminEnv();
    const shots = await artifactsDir();
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        // Content-Security-Policy refusals show up here; the page must not need anything it forbids.
        if (m.type() === "error" && /Content Security Policy|Refused to/i.test(m.text())) {
          problems.push(`console: ${m.text()}`);
        }
      });
      await page.goto(env.url);
      await page.getByRole("heading", { name: "WeiLink Admin" }).waitFor();

      let userId = "";
      await t.step("log a session in through the QR dialog", async () => {
        await page.getByRole("button", { name: "Log in a session" }).click();
        await page.locator("#login-name").fill("work");
        await page.getByRole("button", { name: "Show QR code" }).click();
        // The code is a real image: it decodes to a square.
        await pageHolds(
          page,
          `(() => {
          const img = document.getElementById("qr-image");
          return img.src.startsWith("data:image/svg+xml;base64,") && img.complete &&
            img.naturalWidth > 100 && img.naturalWidth === img.naturalHeight;
        })()`,
        );
        await page.screenshot({ path: join(shots, "admin-01-qr-login.png") });
        const link = await page.locator("#qr-link").getAttribute("href");
        const qrcode = new URL(link!).searchParams.get("qrcode")!;
        const confirmed = await env.sandbox.confirmLogin({ qrcode });
        userId = confirmed.userId;
        await page.getByText("Logged in.").waitFor();
        await page.locator("#login-modal").waitFor({ state: "hidden" });
        await page.locator('[data-session="work"]').getByText("connected").waitFor();
        assert.equal(await page.locator("#card-connected").textContent(), "1");
      });

      await t.step("a user writes; their chat shows it, then new messages live", async () => {
        await env.sandbox.injectMessage({ text: "hello admin" });
        const row = page.locator(`tr[data-user="${userId}"]`);
        await row.waitFor({ timeout: 15_000 });
        await row.getByRole("button", { name: "Open chat" }).click();
        await page.locator("#chat").waitFor();
        await page.locator(".msg.received .bubble > .text", { hasText: /^hello admin$/ }).waitFor();

        await env.sandbox.injectMessage({ text: "are you there?" });
        await page.locator(".msg.received .bubble", { hasText: "are you there?" }).waitFor({
          timeout: 15_000,
        });
        await env.sandbox.injectMessage({
          voice: new Uint8Array([1, 2, 3, 4]),
          voiceText: "this was spoken",
        });
        await page.locator(".transcript", { hasText: "this was spoken" }).waitFor();
        await env.sandbox.injectMessage({
          text: "replying to you",
          quote: { title: "hello admin", text: "hello admin" },
        });
        await page.locator(".quote", { hasText: "hello admin" }).waitFor();
        await env.sandbox.injectMessage({ image: PNG_BYTES });
        await pageHolds(page, loadedImage(".msg.received img"));
        // Hostile text is shown as text, never run or parsed.
        await env.sandbox.injectMessage({
          text: '<img src=x onerror="window.__pwned=1"><b>bold?</b>',
          file: new TextEncoder().encode("x"),
          fileName: "<script>alert(1)</script>.txt",
        });
        await page.locator(".bubble", { hasText: "<b>bold?</b>" }).waitFor();
        assert.equal(await page.evaluate('"__pwned" in window'), false);
        assert.equal(await page.locator(".bubble b").count(), 0);
      });

      await t.step("send a reply with Enter, then attachments by MIME type", async () => {
        const box = page.locator("#chat-text");
        await box.fill("yes, I am here");
        await box.press("Enter");
        const reply = await eventually(async () =>
          (await env.sandbox.sent()).find((s) => s.text === "yes, I am here")
        );
        assert.equal(reply.to, userId);
        await page.locator(".msg.sent .bubble", { hasText: "yes, I am here" }).waitFor({
          timeout: 15_000,
        });

        await page.locator("#file-input").setInputFiles({
          name: "notes.txt",
          mimeType: "text/plain",
          buffer: Buffer.from("attached notes"),
        });
        await page.locator("#attachment-name", { hasText: "notes.txt" }).waitFor();
        await page.getByRole("button", { name: "Send", exact: true }).click();
        const file = await eventually(async () =>
          (await env.sandbox.sent()).find((s) => s.fileName === "notes.txt")
        );
        assert.equal(new TextDecoder().decode(file.media!.bytes), "attached notes");
        await page.locator(".msg.sent .media-line", { hasText: "notes.txt" }).waitFor({
          timeout: 15_000,
        });

        await page.locator("#file-input").setInputFiles({
          name: "dot.png",
          mimeType: "image/png",
          buffer: Buffer.from(PNG_BYTES),
        });
        await box.fill("a picture");
        await box.press("Enter");
        const image = await eventually(async () =>
          (await env.sandbox.sent()).find((s) => s.type === 2)
        );
        assert.deepEqual(image.media!.bytes, PNG_BYTES);
        assert.ok((await env.sandbox.sent()).some((s) => s.text === "a picture"));
        await pageHolds(page, loadedImage(".msg.sent img"));
        await page.screenshot({ path: join(shots, "admin-02-chat.png") });
        assert.deepEqual(await env.sandbox.violations(), []);
      });

      await t.step("filter and search the conversation", async () => {
        await page.locator("#chat-type").selectOption("3");
        await pageHolds(page, bubbleCount("=== 1"));
        await page.locator("#chat-type").selectOption("");
        await page.locator("#chat-search").fill("there?");
        await pageHolds(page, bubbleCount("=== 1"));
        assert.match((await page.locator("#bubbles").textContent())!, /are you there\?/);
        await page.locator("#chat-search").fill("");
        await pageHolds(page, bubbleCount("> 5"));
      });

      await t.step("switch to Chinese; the choice is remembered", async () => {
        await page.locator("#lang").selectOption("zh");
        await page.getByRole("heading", { name: "WeiLink 管理面板" }).waitFor();
        assert.match((await page.locator("#chat-title").textContent())!, /^与 .* 的对话$/);
        await page.getByRole("button", { name: "发送", exact: true }).waitFor();
        await page.screenshot({ path: join(shots, "admin-03-chinese.png") });
        await page.reload();
        await page.getByRole("heading", { name: "WeiLink 管理面板" }).waitFor();
        assert.equal(await page.evaluate("document.documentElement.lang"), "zh-CN");
        await page.locator("#lang").selectOption("en");
        await page.getByRole("heading", { name: "WeiLink Admin" }).waitFor();
      });

      await t.step("390 px wide: no sideways overflow, the chat fills the screen", async () => {
        await page.setViewportSize({ width: 390, height: 844 });
        await page.locator(`tr[data-user="${userId}"]`).waitFor();
        assert.equal(await overflowsSideways(page), false);
        await page.screenshot({
          path: join(shots, "admin-04-mobile-sessions.png"),
          fullPage: true,
        });
        await page.locator(`tr[data-user="${userId}"]`).getByRole("button", { name: "Open chat" })
          .click();
        await page.locator(".msg.received .bubble > .text", { hasText: /^hello admin$/ }).waitFor();
        const drawer = (await page.locator("#chat").boundingBox())!;
        assert.ok(drawer.x >= 0 && drawer.x + drawer.width <= 390.5, JSON.stringify(drawer));
        const send = (await page.getByRole("button", { name: "Send", exact: true }).boundingBox())!;
        assert.ok(send.x + send.width <= 390.5 && send.y + send.height <= 844.5);
        assert.equal(await overflowsSideways(page), false);
        await page.screenshot({ path: join(shots, "admin-05-mobile-chat.png") });
        await page.keyboard.press("Escape");
        await page.locator("#chat").waitFor({ state: "hidden" });
      });

      await t.step("dark mode follows the system", async () => {
        await page.setViewportSize({ width: 1280, height: 800 });
        const light = await page.evaluate(BODY_BACKGROUND);
        await page.emulateMedia({ colorScheme: "dark" });
        const dark = await page.evaluate(BODY_BACKGROUND);
        assert.notEqual(dark, light);
        await page.screenshot({ path: join(shots, "admin-06-dark.png") });
      });
      assert.deepEqual(problems, []);
      console.log(`Admin panel screenshots in ${shots}`);
    } finally {
      await browser.close();
    }
  },
});

const TOKEN = "browser-test-token-0123456789";

/** The attacker's page: runs every attack it is given and reports what the browser saw. */
const ATTACKER_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>not your panel</title>
<script>
async function attack(targets) {
  const seen = [];
  const tryFetch = async (label, url, init) => {
    try {
      const r = await fetch(url, init);
      seen.push(label + ": " + r.type + " " + r.status);
    } catch (e) {
      seen.push(label + ": rejected");
    }
  };
  const formPost = async (url, enctype, fields) => {
    const frame = document.createElement("iframe");
    frame.name = "f" + Math.random().toString(36).slice(2);
    frame.src = "about:blank";
    await new Promise((resolve) => { frame.onload = resolve; document.body.append(frame); });
    const form = document.createElement("form");
    form.method = "POST";
    form.action = url;
    form.enctype = enctype;
    form.target = frame.name;
    for (const [name, value] of fields) {
      const input = document.createElement("input");
      input.type = "hidden";
      input.name = name;
      input.value = value;
      form.append(input);
    }
    document.body.append(form);
    await new Promise((resolve) => {
      frame.onload = resolve;
      setTimeout(resolve, 5000);
      form.submit();
    });
  };
  for (const t of targets) {
    const json = JSON.stringify(t.body);
    await tryFetch(t.name + " read", t.read, { credentials: "include" });
    await tryFetch(t.name + " cors json", t.url, {
      method: "POST", headers: { "content-type": "application/json" }, body: json,
      credentials: "include",
    });
    await tryFetch(t.name + " no-cors text", t.url, {
      method: "POST", mode: "no-cors", credentials: "include",
      headers: { "content-type": "text/plain" }, body: json,
    });
    await tryFetch(t.name + " no-cors default type", t.url, {
      method: "POST", mode: "no-cors", credentials: "include", body: json,
    });
    const form = new FormData();
    for (const [k, v] of Object.entries(t.body)) form.append(k, v);
    await tryFetch(t.name + " no-cors multipart", t.url, {
      method: "POST", mode: "no-cors", credentials: "include", body: form,
    });
    const cut = json.length - 2;
    await formPost(t.url, "text/plain", [[json.slice(0, cut) + ',"x":"', '"}']]);
    await formPost(t.url, "application/x-www-form-urlencoded", Object.entries(t.body));
    await formPost(t.url, "multipart/form-data", Object.entries(t.body));
    seen.push(t.name + " forms posted");
  }
  return seen;
}
</script>
<body></body>`;

Deno.test({
  name: "admin page: sign in with the token; a page on another local port cannot act",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using guarded = await startAdminEnv({ admin: { token: TOKEN } });
    await using open = await startAdminEnv();
    const attacker = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response(ATTACKER_PAGE, { headers: { "content-type": "text/html" } }),
    );
    const browser = await launchChromium();
    try {
      // Logged-in bots and users who wrote: a send that got through would succeed.
      const users: Record<string, string> = {};
      for (const [name, env] of [["guarded", guarded], ["open", open]] as const) {
        const { userId } = await env.login();
        await env.sandbox.injectMessage({ text: "hello" });
        await eventually(() => env.client.sessions.default?.contacts().length === 1);
        users[name] = userId;
      }
      const context = await browser.newContext();
      const page = await context.newPage();

      await t.step("the panel sends a browser to /login; the token signs it in", async () => {
        await page.goto(guarded.url);
        await page.waitForURL(`${guarded.url}/login`);
        await page.locator("#token").fill(`${TOKEN}-wrong`);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.getByText("That token is not right.").waitFor();
        await page.locator("#token").fill(TOKEN);
        await page.getByRole("button", { name: "Sign in" }).click();
        await page.waitForURL(`${guarded.url}/`);
        await page.getByRole("button", { name: "Sign out" }).waitFor();
        await page.locator(`tr[data-user="${users.guarded}"]`).waitFor({ timeout: 15_000 });
        const cookies = await context.cookies(guarded.url);
        assert.equal(cookies.length, 1);
        assert.equal(cookies[0]!.httpOnly, true);
        assert.equal(cookies[0]!.sameSite, "Strict");
        assert.notEqual(cookies[0]!.value, TOKEN);
        assert.equal(await page.evaluate("document.cookie"), "", "page scripts cannot read it");
      });

      await t.step("cross-site fetches and form posts are refused; nothing is sent", async () => {
        const targets = [guarded, open].flatMap((env, i) => {
          const to = i === 0 ? users.guarded : users.open;
          return [
            {
              name: `${i === 0 ? "guarded" : "open"} send`,
              url: `${env.url}/api/send`,
              read: `${env.url}/api/messages`,
              body: { to, text: "pwned" },
            },
            {
              name: `${i === 0 ? "guarded" : "open"} logout`,
              url: `${env.url}/api/sessions/default/logout`,
              read: `${env.url}/api/sessions`,
              body: { name: "default" },
            },
          ];
        });
        const evil = await context.newPage();
        await evil.goto(`http://127.0.0.1:${attacker.addr.port}/`);
        const seen = await evil.evaluate(`attack(${JSON.stringify(targets)})`) as string[];
        for (const line of seen) {
          assert.match(line, /: (rejected|opaque 0)$|forms posted$/, line);
        }
        assert.equal(seen.filter((l) => l.endsWith("forms posted")).length, 4);
        for (const env of [guarded, open]) {
          assert.deepEqual((await env.sandbox.sent()).filter((s) => s.text === "pwned"), []);
          assert.equal(env.client.sessions.default?.isConnected, true);
          assert.deepEqual(await env.sandbox.violations(), []);
        }
      });

      await t.step("the signed-in panel still works, and signing out ends it", async () => {
        await page.locator(`tr[data-user="${users.guarded}"]`).getByRole("button", {
          name: "Open chat",
        }).click();
        await page.locator("#chat-text").fill("still here");
        await page.locator("#chat-text").press("Enter");
        await eventually(async () =>
          (await guarded.sandbox.sent()).some((s) => s.text === "still here")
        );
        await page.keyboard.press("Escape");
        await page.getByRole("button", { name: "Sign out" }).click();
        await page.waitForURL(`${guarded.url}/login`);
        const res = await page.request.get(`${guarded.url}/api/status`);
        assert.equal(res.status(), 401);
      });
    } finally {
      await browser.close();
      await attacker.shutdown();
    }
  },
});

Deno.test({
  name: "admin page: expired QR codes are replaced, older messages page in, rename and log out",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn(t) {
    await using env = await startAdminEnv({ sandbox: { qrTtlMs: 1500 } });
    const browser = await launchChromium();
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(env.url);

      let userId = "";
      await t.step(
        "the dialog shows each new code; three expired codes offer a new login",
        async () => {
          await page.getByRole("button", { name: "Log in a session" }).click();
          await page.getByRole("button", { name: "Show QR code" }).click();
          const first = await page.locator("#qr-link").getAttribute("href");
          await page.getByText("A new QR code replaced the expired one.").waitFor({
            timeout: 10_000,
          });
          const second = await page.locator("#qr-link").getAttribute("href");
          assert.notEqual(second, first);
          await page.getByRole("button", { name: "New QR code" }).waitFor({ timeout: 15_000 });
          await page.getByText("The QR code expired.").waitFor();
          await page.getByRole("button", { name: "New QR code" }).click();
          await page.getByText("Waiting for the scan…").waitFor();
          const fresh = await page.locator("#qr-link").getAttribute("href");
          assert.ok(fresh !== first && fresh !== second);
          const confirmed = await env.sandbox.confirmLogin({
            qrcode: new URL(fresh!).searchParams.get("qrcode")!,
          });
          userId = confirmed.userId;
          await page.locator("#login-modal").waitFor({ state: "hidden" });
        },
      );

      await t.step("a long conversation loads 30 messages, then older ones on demand", async () => {
        for (let i = 1; i <= 35; i++) await env.sandbox.injectMessage({ text: `message ${i}` });
        await eventually(async () =>
          (await env.json(`/api/messages?user_id=${userId}`)).body.total === 35
        );
        const row = page.locator(`tr[data-user="${userId}"]`);
        await row.waitFor({ timeout: 15_000 });
        await row.getByRole("button", { name: "Open chat" }).click();
        await page.getByText("30 of 35 messages").waitFor();
        assert.equal(await page.locator("#bubbles .msg").count(), 30);
        await page.getByRole("button", { name: "Load older messages" }).click();
        await page.getByText("35 of 35 messages").waitFor();
        assert.equal(await page.locator("#bubbles .msg").count(), 35);
        assert.equal(
          await page.getByRole("button", { name: "Load older messages" }).isVisible(),
          false,
        );
        // Oldest first, as in WeChat.
        const texts = await page.locator("#bubbles .msg .text").allTextContents();
        assert.equal(texts[0], "message 1");
        assert.equal(texts.at(-1), "message 35");
        await page.locator("#chat-close").click();
      });

      await t.step("rename through the prompt, log out after confirming", async () => {
        page.once("dialog", (d) => void d.accept("main"));
        await page.locator('[data-session="default"] [data-action="rename"]').click();
        await page.locator('[data-session="main"]').waitFor();
        assert.ok(env.client.sessions.main?.isConnected);
        page.once("dialog", (d) => void d.dismiss());
        await page.locator('[data-session="main"] [data-action="logout"]').click();
        assert.ok(env.client.sessions.main?.isConnected, "dismissed: still logged in");
        page.once("dialog", (d) => void d.accept());
        await page.locator('[data-session="main"] [data-action="logout"]').click();
        await page.locator('[data-session="main"]').waitFor({ state: "detached" });
        assert.equal(env.client.sessions.main, undefined);
        assert.equal(await page.locator("#card-connected").textContent(), "0");
      });
      assert.deepEqual(errors, []);
      assert.deepEqual(await env.sandbox.violations(), []);
    } finally {
      await browser.close();
    }
  },
});
