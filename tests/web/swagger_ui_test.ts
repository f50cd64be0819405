/**
 * Swagger UI of the REST server in a real headless Chromium with every request to another host
 * refused: the page, its script and its style sheet come from the server itself, the tools'
 * operations render, and the Content-Security-Policy refuses nothing the page needs.
 */
import assert from "node:assert/strict";
import { join } from "node:path";
import { CHROMIUM, launchChromium, screenshotDir } from "./chromium.ts";
import { serveOpenApi } from "../../src/server/mod.ts";
import { DOCS_POLICY } from "../../src/server/swagger_ui.ts";
import { TITLES, TOOL_NAMES } from "../../src/server/tool_catalog.ts";
import { rawStatus, serverOptions, startEnv } from "../server/harness.ts";

Deno.test({
  name: "swagger ui: /docs renders every tool operation with outside network blocked",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using env = await startEnv();
    const server = await serveOpenApi({ ...serverOptions(env), port: 0 });
    const browser = await launchChromium();
    try {
      const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      const outside: string[] = [];
      await context.route("**/*", async (route) => {
        const url = new URL(route.request().url());
        if (url.hostname === "127.0.0.1") return await route.continue();
        outside.push(url.href);
        await route.abort("internetdisconnected");
      });
      const page = await context.newPage();
      const problems: string[] = [];
      page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
      page.on("console", (m) => {
        if (m.type() === "error") problems.push(`console: ${m.text()}`);
      });
      page.on("requestfailed", (r) => problems.push(`request failed: ${r.url()}`));

      // The server's root points at the docs.
      await page.goto(server.url!);
      assert.equal(new URL(page.url()).pathname, "/docs");

      // Every tool is an operation, shown with its path and its summary.
      const operations = page.locator(".opblock-tag-section .opblock");
      await operations.first().waitFor({ timeout: 20_000 });
      const paths = await page.locator(".opblock-summary-path").allTextContents();
      for (const name of TOOL_NAMES) {
        assert.ok(
          paths.some((p) => p.replace(/\u200b/g, "") === `/tools/${name}`),
          `operation /tools/${name} in ${paths.join(", ")}`,
        );
      }
      const summaries = await page.locator(".opblock-summary-description").allTextContents();
      for (const name of TOOL_NAMES) {
        assert.ok(summaries.includes(TITLES[name]), `"${TITLES[name]}" in ${summaries.join(", ")}`);
      }

      // An operation opens and shows its request body schema.
      await page.locator("#operations-tools-history .opblock-summary").click();
      await page.locator("#operations-tools-history .opblock-body").waitFor();
      await page.screenshot({ path: join(await screenshotDir("swagger"), "swagger-docs.png") });

      assert.deepEqual(outside, [], "requests to other hosts");
      assert.deepEqual(problems, []);
    } finally {
      await browser.close();
      await server.close();
    }
  },
});

Deno.test("swagger ui: assets come from this server with a strict policy", async () => {
  await using env = await startEnv();
  const server = await serveOpenApi({ ...serverOptions(env), port: 0 });
  try {
    const base = server.url!;
    const root = await fetch(base, { redirect: "manual" });
    await root.body?.cancel();
    assert.equal(root.status, 302);
    assert.equal(root.headers.get("location"), "/docs");

    const page = await fetch(`${base}/docs`);
    const html = await page.text();
    assert.equal(page.headers.get("content-security-policy"), DOCS_POLICY);
    assert.doesNotMatch(DOCS_POLICY, /unsafe|https?:/);
    assert.doesNotMatch(html, /<script>|<style|https?:\/\//, "no inline code, no outside URL");
    const assets = [...html.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]!);
    assert.deepEqual(assets, [
      "/docs/swagger-ui.css",
      "/docs/swagger-ui-bundle.js",
      "/docs/init.js",
    ]);
    for (const path of assets) {
      const res = await fetch(`${base}${path}`);
      const body = await res.text();
      assert.equal(res.status, 200, path);
      assert.match(
        res.headers.get("content-type")!,
        path.endsWith(".css") ? /text\/css/ : /javascript/,
      );
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.ok(body.length > 0, path);
      // Revalidation answers 304 without the body.
      const etag = res.headers.get("etag")!;
      const again = await fetch(`${base}${path}`, { headers: { "if-none-match": etag } });
      await again.body?.cancel();
      assert.equal(again.status, 304, path);
    }
    const missing = await fetch(`${base}/docs/index.html`);
    assert.equal(missing.status, 404);
    await missing.body?.cancel();

    // The Host check covers the docs too (DNS rebinding).
    assert.equal(await rawStatus(`${base}/docs/init.js`, { host: "evil.example" }), 403);
    assert.equal(await rawStatus(`${base}/docs`, { host: new URL(base).host }), 200);
  } finally {
    await server.close();
  }
});
