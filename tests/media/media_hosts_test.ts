import assert from "node:assert/strict";
import { CdnError, downloadMedia } from "../../src/media/mod.ts";
import { mediaUrlAllowed } from "../../src/media/cdn_hosts.ts";
import { startRig } from "../client/harness.ts";

/** A server that counts the requests it gets: what a hostile URL would reach. */
function trap(handler?: (req: Request) => Response) {
  let hits = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    hits++;
    return handler ? handler(req) : new Response("secret metadata");
  });
  return {
    origin: `http://127.0.0.1:${server.addr.port}`,
    get hits() {
      return hits;
    },
    close: () => server.shutdown(),
  };
}

Deno.test("media hosts: only https on the service's domains, the CDN base's origin, or allowed ones", () => {
  const base = "http://127.0.0.1:4000/c2c";
  const yes = [
    "https://novac2c.cdn.weixin.qq.com/c2c/download?x=1",
    "https://weixin.qq.com/x",
    "http://127.0.0.1:4000/c2c/download?x=1",
    "http://127.0.0.1:4000/elsewhere",
  ];
  const no = [
    "http://novac2c.cdn.weixin.qq.com/c2c/download",
    "https://weixin.qq.com.evil.example/x",
    "https://evilweixin.qq.com/x",
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1:4001/c2c/download",
    "https://127.0.0.1:4000/c2c/download",
    "https://user:pw@novac2c.cdn.weixin.qq.com/x",
    "file:///etc/passwd",
    "not a url",
  ];
  for (const url of yes) assert.ok(mediaUrlAllowed(url, base), url);
  for (const url of no) assert.ok(!mediaUrlAllowed(url, base), url);
  assert.ok(mediaUrlAllowed("https://cdn.example.com/x", base, ["cdn.example.com"]));
  assert.ok(mediaUrlAllowed("http://10.0.0.5:8080/x", base, ["http://10.0.0.5:8080"]));
  assert.ok(!mediaUrlAllowed("http://10.0.0.5:8081/x", base, ["http://10.0.0.5:8080"]));
});

Deno.test("download: a full_url on another host is never fetched", async () => {
  const rig = await startRig();
  const evil = trap();
  try {
    await rig.login();
    const image = crypto.getRandomValues(new Uint8Array(300));
    await rig.sandbox.injectMessage({ image });
    const [m] = await rig.wl.recv({ timeout: 2 });
    // The message says: fetch the image from a local service.
    m!.image!.media.fullUrl = `${evil.origin}/latest/meta-data/iam`;
    assert.deepEqual(await rig.wl.download(m!), image, "falls back to the CDN base");
    // With nothing else to go by, the download is refused.
    m!.image!.media.encryptQueryParam = "";
    await assert.rejects(rig.wl.download(m!), (e: Error) => {
      return e instanceof CdnError && /not an allowed media host/.test(e.message);
    });
    assert.equal(evil.hits, 0);
    // A host the user allowed is used.
    const allowed = rig.client({ mediaHosts: [evil.origin] });
    // The trap serves no AES payload, so decryption fails; what matters is that it was asked.
    await assert.rejects(allowed.download(m!));
    assert.equal(evil.hits, 1);
  } finally {
    await evil.close();
    await rig.close();
  }
});

Deno.test("download: redirects are followed only to allowed hosts", async () => {
  const rig = await startRig();
  const evil = trap();
  let target = "";
  const redirector = trap((req) => {
    const url = new URL(req.url);
    return new Response(null, { status: 302, headers: { location: target + url.search } });
  });
  try {
    await rig.login();
    const file = crypto.getRandomValues(new Uint8Array(100));
    await rig.sandbox.injectMessage({ file, fileName: "f.bin" });
    const [m] = await rig.wl.recv({ timeout: 2 });
    const media = { ...m!.file!.media, fullUrl: "" };
    // A CDN that redirects to a host nobody allowed: refused, the host never reached.
    target = `${evil.origin}/steal`;
    await assert.rejects(
      downloadMedia(media, { cdnBaseUrl: `${redirector.origin}/c2c` }),
      /redirect to http:\/\/127\.0\.0\.1:\d+, which is not an allowed media host/,
    );
    assert.equal(evil.hits, 0);
    // A redirect to an allowed origin (the sandbox's CDN) is followed.
    target = `${rig.sandbox.cdnBaseUrl}/download`;
    const bytes = await downloadMedia(media, {
      cdnBaseUrl: `${redirector.origin}/c2c`,
      allowedHosts: [new URL(rig.sandbox.baseUrl).origin],
    });
    assert.deepEqual(bytes, file);
  } finally {
    await redirector.close();
    await evil.close();
    await rig.close();
  }
});
