/**
 * The order of a server's background start: the work waits for the first answer (or a quiet
 * spell), runs once, and never after close; the admin panel reports its URL once it serves.
 */
import assert from "node:assert/strict";
import type { AdminHandle } from "../../src/admin/mod.ts";
import {
  afterFirstAnswer,
  backgroundAdmin,
  QUIET_START_MS,
} from "../../src/server/background_start.ts";

const tick = (ms = 0) => new Promise((resolve) => setTimeout(resolve, ms));
const request = () => new Request("http://127.0.0.1/tools");

Deno.test("afterFirstAnswer: the work runs once, after the first answer is given", async () => {
  let runs = 0;
  const runsAtAnswer: number[] = [];
  const trigger = afterFirstAnswer(() => {
    runsAtAnswer.push(runs);
    return new Response("ok");
  }, () => runs++);
  trigger.arm();
  await (await trigger.fetch(request())).text();
  assert.deepEqual(runsAtAnswer, [0], "nothing runs before the first answer");
  await tick();
  assert.equal(runs, 1);
  await (await trigger.fetch(request())).text();
  await tick(QUIET_START_MS + 20);
  assert.equal(runs, 1, "once only, the quiet-spell timer included");
});

Deno.test("afterFirstAnswer: without a request the work runs after the quiet spell", async () => {
  let runs = 0;
  const trigger = afterFirstAnswer(() => new Response("ok"), () => runs++);
  trigger.arm();
  await tick(QUIET_START_MS / 2);
  assert.equal(runs, 0);
  await tick(QUIET_START_MS);
  assert.equal(runs, 1);
});

Deno.test("afterFirstAnswer: cancelled, the work never runs", async () => {
  let runs = 0;
  const trigger = afterFirstAnswer(() => new Response("ok"), () => runs++);
  trigger.arm();
  await (await trigger.fetch(request())).text();
  trigger.cancel();
  await tick(QUIET_START_MS + 20);
  assert.equal(runs, 0);
});

function fakePanel(url: string) {
  const panel = { url, closed: false, close: () => Promise.resolve(void (panel.closed = true)) };
  return panel;
}

Deno.test("backgroundAdmin: off, ready resolves to undefined and start opens nothing", async () => {
  let opened = 0;
  const admin = backgroundAdmin(false, () => Promise.resolve(opened++ as never));
  admin.start();
  assert.equal(await admin.ready, undefined);
  assert.equal(opened, 0);
  await admin.close();
});

Deno.test("backgroundAdmin: the URL is known once the panel serves; close stops it", async () => {
  const panel = fakePanel("http://127.0.0.1:8080/");
  const opening = Promise.withResolvers<AdminHandle | undefined>();
  const admin = backgroundAdmin(true, () => opening.promise);
  admin.start();
  admin.start();
  assert.equal(admin.url, undefined);
  // Closed while still starting: the close waits for the start, then stops the panel.
  const closed = admin.close();
  opening.resolve(panel as unknown as AdminHandle);
  assert.equal(await admin.ready, panel.url);
  await closed;
  assert.ok(panel.closed);
  assert.equal(admin.url, panel.url);
});

Deno.test("backgroundAdmin: closed before it started, the panel never starts", async () => {
  let opened = 0;
  const admin = backgroundAdmin(true, () => Promise.resolve(opened++ as never));
  await admin.close();
  admin.start();
  assert.equal(await admin.ready, undefined);
  assert.equal(opened, 0);
});
