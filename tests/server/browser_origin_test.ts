/**
 * A web page served from another local port attacks the OpenAPI server and the MCP HTTP servers
 * from a real headless Chromium: fetch with JSON and with text/plain, with and without
 * credentials, and HTML form posts (the JSON-in-text/plain trick included). Every attempt must
 * be refused by the server, and nothing may be sent. Runs where Chromium is installed.
 */
import assert from "node:assert/strict";
import { CHROMIUM, launchChromium } from "../web/chromium.ts";
import { serveMcp, serveOpenApi, type ServerHandle } from "../../src/server/mod.ts";
import { eventually, initializeRequest, serverOptions, startEnv } from "./harness.ts";

/** The attacker's page: runs every attack it is given and reports what the browser saw. */
const ATTACKER_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>not your server</title>
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
    // The frame loads the server's answer (or an error page).
    await new Promise((resolve) => {
      frame.onload = resolve;
      setTimeout(resolve, 5000);
      form.submit();
    });
  };
  for (const t of targets) {
    const json = JSON.stringify(t.body);
    await tryFetch(t.name + " cors json", t.url, {
      method: "POST", headers: { "content-type": "application/json" }, body: json,
    });
    await tryFetch(t.name + " cors json credentials", t.url, {
      method: "POST", headers: { "content-type": "application/json" }, body: json,
      credentials: "include",
    });
    await tryFetch(t.name + " no-cors text", t.url, {
      method: "POST", mode: "no-cors", headers: { "content-type": "text/plain" }, body: json,
    });
    await tryFetch(t.name + " no-cors text credentials", t.url, {
      method: "POST", mode: "no-cors", credentials: "include",
      headers: { "content-type": "text/plain;charset=application/json" }, body: json,
    });
    await tryFetch(t.name + " no-cors default type", t.url, {
      method: "POST", mode: "no-cors", body: json,
    });
    // A text/plain form whose single field rebuilds the JSON body: name + "=" + value.
    const cut = json.length - 2;
    await formPost(t.url, "text/plain", [[json.slice(0, cut) + ',"x":"', '"}']]);
    await formPost(t.url, "application/x-www-form-urlencoded", [["payload", json]]);
    seen.push(t.name + " forms posted");
  }
  return seen;
}
</script>
<body></body>`;

Deno.test({
  name: "browser: a page on another local port is refused by the OpenAPI and MCP servers",
  ignore: CHROMIUM === undefined,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await using env = await startEnv();
    const servers: ServerHandle[] = [];
    const attacker = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen() {} },
      () => new Response(ATTACKER_PAGE, { headers: { "content-type": "text/html" } }),
    );
    // launch() starts from a fresh temporary profile: no cookies, no cache.
    const browser = await launchChromium();
    try {
      // A logged-in bot and a user who wrote: a send that reached a tool would succeed.
      const rest = await serveOpenApi({ ...serverOptions(env), port: 0 });
      servers.push(rest);
      const post = (name: string, body: unknown) =>
        fetch(`${rest.url}/tools/${name}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify(body),
        }).then((r) => r.json());
      await post("login", {});
      const { userId } = await env.sandbox.confirmLogin();
      assert.equal((await post("login", { timeout: 10 })).status, "confirmed");
      await env.sandbox.injectMessage({ text: "hello" });
      await eventually(async () => (await post("recv", { timeout: 1 })).count > 0 || undefined);
      const secret = `${env.files}/secret.txt`;
      await Deno.writeTextFile(secret, "secret");

      const mcp = await serveMcp({ ...serverOptions(env), transport: "http", port: 0 });
      const sse = await serveMcp({ ...serverOptions(env), transport: "sse", port: 0 });
      servers.push(mcp, sse);
      // The SSE transport names its session in the URL; assume the page learnt one.
      const abort = new AbortController();
      const stream = await fetch(sse.url!, { signal: abort.signal });
      const reader = stream.body!.pipeThrough(new TextDecoderStream()).getReader();
      let endpoint = "";
      while (!endpoint.includes("\n\n")) endpoint += (await reader.read()).value ?? "";
      const sseMessages = new URL(/data: (.*)/.exec(endpoint)![1]!, sse.url!);

      // Targets use the name "localhost", like the page: the Host check passes, only the
      // origin differs (another port).
      const local = (url: string) => url.replace("127.0.0.1", "localhost");
      const sendFile = { to: userId, text: "pwned", file_path: secret };
      const callSend = {
        jsonrpc: "2.0",
        id: 7,
        method: "tools/call",
        params: { name: "send", arguments: sendFile },
      };
      const targets = [
        { name: "rest send", url: local(`${rest.url}/tools/send`), body: sendFile },
        { name: "mcp initialize", url: local(mcp.url!), body: initializeRequest("page") },
        { name: "sse tools/call", url: local(sseMessages.href), body: callSend },
      ];

      const context = await browser.newContext();
      const page = await context.newPage();
      const statuses: string[] = [];
      page.on("response", (response) => {
        const url = response.url();
        if (targets.some((t) => url === t.url)) statuses.push(`${response.status()} ${url}`);
      });
      await page.goto(`http://localhost:${attacker.addr.port}/`);
      const seen = await page.evaluate(
        (t) => (globalThis as unknown as { attack(t: unknown): Promise<string[]> }).attack(t),
        targets,
      );

      // The browser itself blocks the CORS requests (their preflight gets 403) ...
      for (const target of targets) {
        assert.ok(seen.includes(`${target.name} cors json: rejected`), seen.join("\n"));
        assert.ok(seen.includes(`${target.name} cors json credentials: rejected`));
        assert.ok(seen.includes(`${target.name} forms posted`));
      }
      // ... and every request that left the browser was refused by the server.
      assert.ok(statuses.length >= targets.length * 5, statuses.join("\n"));
      for (const line of statuses) assert.match(line, /^(403|415) /, statuses.join("\n"));
      assert.deepEqual(await env.sandbox.sent(), [], "nothing was sent");

      // The same send from a program (no Origin, JSON) does go out: the setup could send.
      const control = await post("send", { to: userId, text: "from the test" });
      assert.equal(control.success, true, JSON.stringify(control));
      assert.equal((await env.sandbox.sent()).length, 1);
      abort.abort();
      await context.close();
    } finally {
      await browser.close();
      for (const server of servers) await server.close();
      await attacker.shutdown();
    }
  },
});
