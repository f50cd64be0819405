import assert from "node:assert/strict";
import {
  countingStream,
  formatBytes,
  formatDuration,
  PROGRESS_THRESHOLD_BYTES,
  ProgressBar,
} from "../../src/cli/progress_bar.ts";
import {
  downloadProgressFetch,
  progressEnabled,
  uploadProgressFetch,
} from "../../src/cli/transfer_progress.ts";

Deno.test("formatBytes and formatDuration", () => {
  assert.equal(formatBytes(0), "0 B");
  assert.equal(formatBytes(1023), "1023 B");
  assert.equal(formatBytes(1536), "1.5 KiB");
  assert.equal(formatBytes(10 * 1024 * 1024), "10.0 MiB");
  assert.equal(formatBytes(3 * 1024 ** 3), "3.0 GiB");
  assert.equal(formatDuration(0), "0:00");
  assert.equal(formatDuration(75), "1:15");
  assert.equal(formatDuration(3725), "1:02:05");
  assert.equal(formatDuration(Infinity), "--:--");
});

Deno.test("ProgressBar shows bytes, percentage, rate and ETA, throttled", () => {
  let clock = 0;
  const writes: string[] = [];
  const bar = new ProgressBar({
    label: "Uploading x.bin",
    total: 10 * 1024 * 1024,
    write: (t) => writes.push(t),
    now: () => clock,
    width: 10,
  });
  clock = 1000;
  bar.update(2 * 1024 * 1024);
  assert.equal(writes.length, 1);
  assert.equal(
    writes[0],
    "\rUploading x.bin [##--------]   20%  2.0 MiB/10.0 MiB  2.0 MiB/s  ETA 0:04\x1b[K",
  );
  clock = 1050; // within the redraw interval: skipped
  bar.update(3 * 1024 * 1024);
  assert.equal(writes.length, 1);
  clock = 5000;
  bar.update(10 * 1024 * 1024);
  bar.finish();
  assert.equal(writes.length, 3);
  const complete = writes[1] as string;
  assert.ok(complete.endsWith("\x1b[K"));
  assert.match(complete, /\[##########\] {2}100% {2}10\.0 MiB\/10\.0 MiB .* ETA 0:00/);
  assert.equal(writes[2], "\n", "finish only ends the line after a complete draw");
  bar.update(1);
  assert.equal(writes.length, 3, "no drawing after finish");
});

Deno.test("progressEnabled hides the bar for small transfers, non-terminals and --quiet", () => {
  const write = () => {};
  const big = PROGRESS_THRESHOLD_BYTES + 1;
  assert.equal(progressEnabled({ quiet: false, write, isTerminal: false }, big), false);
  assert.equal(progressEnabled({ quiet: true, write, isTerminal: true }, big), false);
  assert.equal(
    progressEnabled({ quiet: false, write, isTerminal: true }, PROGRESS_THRESHOLD_BYTES),
    false,
  );
  assert.equal(progressEnabled({ quiet: false, write, isTerminal: true }, big), true);
});

Deno.test("ProgressBar shows elapsed time while nothing is measured yet", () => {
  let clock = 0;
  const bar = new ProgressBar({
    label: "Up",
    total: 2048,
    write: () => {},
    now: () => clock,
    width: 4,
  });
  clock = 3000;
  assert.equal(bar.render(clock), "Up [----]    0%  0 B/2.0 KiB  elapsed 0:03");
});

Deno.test("downloadProgressFetch counts the body and uploadProgressFetch labels by size", async () => {
  const writes: string[] = [];
  const target = { quiet: false, write: (t: string) => writes.push(t), isTerminal: true };
  const payload = new Uint8Array(PROGRESS_THRESHOLD_BYTES + 10);
  const fakeFetch: typeof fetch = (_input, init) =>
    Promise.resolve(
      init?.method === "POST"
        ? new Response("ok")
        : new Response(payload, { headers: { "content-length": String(payload.length) } }),
    );
  const down = downloadProgressFetch(target, "Downloading big.bin", fakeFetch);
  const bytes = new Uint8Array(await (await down("http://127.0.0.1/x")).arrayBuffer());
  assert.equal(bytes.length, payload.length);
  assert.match(
    writes.at(-2) as string,
    /^\rDownloading big\.bin \[#+\] {2}100% {2}1\.0 MiB\/1\.0 MiB/,
  );
  assert.equal(writes.at(-1), "\n");

  // Small bodies and JSON requests get no bar.
  writes.length = 0;
  const up = uploadProgressFetch(target, [], fakeFetch);
  await (await up("http://127.0.0.1/api", { method: "POST", body: "{}" })).text();
  assert.equal(writes.length, 0);
});

Deno.test("uploadProgressFetch sends a large body with its length and moves the bar", async () => {
  const received: { length: number; contentLength: string | null; encoding: string | null }[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const body = new Uint8Array(await req.arrayBuffer());
    received.push({
      length: body.length,
      contentLength: req.headers.get("content-length"),
      encoding: req.headers.get("transfer-encoding"),
    });
    return new Response(null, { headers: { "x-encrypted-param": "token+/=" } });
  });
  try {
    const writes: string[] = [];
    let clock = 0;
    const target = { quiet: false, write: (t: string) => writes.push(t), isTerminal: true };
    const plainSize = 3 * PROGRESS_THRESHOLD_BYTES + 100;
    const cipher = new Uint8Array((Math.floor(plainSize / 16) + 1) * 16);
    const up = uploadProgressFetch(target, [{ label: "Uploading a.pdf", size: plainSize }]);
    const url = `http://127.0.0.1:${server.addr.port}/c2c/upload?filekey=1`;
    // The bar redraws at most every 100 ms: advance a fake clock between pieces.
    const realNow = performance.now;
    performance.now = () => (clock += 50);
    let response: Response;
    try {
      response = await up(url, {
        method: "POST",
        body: cipher,
        headers: { "content-type": "application/octet-stream" },
      });
    } finally {
      performance.now = realNow;
    }
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("x-encrypted-param"), "token+/=");
    assert.deepEqual(received, [{
      length: cipher.length,
      contentLength: String(cipher.length),
      encoding: null,
    }]);
    assert.match(writes[0] as string, /^\rUploading a\.pdf \[-+\] {4}0%/);
    const middle = writes.filter((w) => /\s([1-9]|[1-9]\d)%/.test(w));
    assert.ok(middle.length > 0, "the bar shows progress between 0% and 100%");
    assert.match(writes.at(-2) as string, /100%/);
    assert.equal(writes.at(-1), "\n");
  } finally {
    await server.shutdown();
  }
});

Deno.test("countingStream reports bytes and passes data through", async () => {
  const seen: number[] = [];
  const source = ReadableStream.from([new Uint8Array(3), new Uint8Array(5)]);
  const out = await new Response(source.pipeThrough(countingStream((n) => seen.push(n))))
    .arrayBuffer();
  assert.equal(out.byteLength, 8);
  assert.deepEqual(seen, [3, 8]);
});
