import assert from "node:assert/strict";
import { recordInbound, recordInboundBatch } from "../../src/client/context_state.ts";
import type { ContextsFile } from "../../src/client/data_dir.ts";

/** A small deterministic PRNG (mulberry32), so a failure reproduces. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), seed | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test("context state: a batch records exactly what one-by-one recording does", () => {
  const random = prng(7);
  const pick = <T>(xs: T[]) => xs[Math.floor(random() * xs.length)]!;
  for (let trial = 0; trial < 500; trial++) {
    const start: ContextsFile = {};
    for (const user of ["u1", "u2", "u3"]) {
      if (random() < 0.7) {
        start[user] = {
          t: pick(["A", "B"]),
          ts: 100,
          sc: 1 + Math.floor(random() * 9),
          first_seen: 50,
        };
      }
    }
    const pairs = Array.from(
      { length: Math.floor(random() * 6) },
      () => [pick(["u1", "u2", "u3", "u4"]), pick(["A", "B", "C"])] as const,
    );
    const oneByOne = structuredClone(start);
    for (const [user, token] of pairs) recordInbound(oneByOne, user, token, 200);
    const batched = structuredClone(start);
    recordInboundBatch(batched, pairs, 200);
    assert.deepEqual(
      batched,
      oneByOne,
      `start ${JSON.stringify(start)}, pairs ${JSON.stringify(pairs)}`,
    );
  }
});

Deno.test("context state: the same token again keeps the quota, a change in between resets it", () => {
  const contexts: ContextsFile = { u: { t: "A", ts: 1, sc: 4, first_seen: 1 } };
  recordInboundBatch(contexts, [["u", "A"], ["u", "A"]], 5);
  assert.deepEqual(contexts.u, { t: "A", ts: 5, sc: 4, first_seen: 1 });
  recordInboundBatch(contexts, [["u", "B"], ["u", "A"]], 6);
  assert.deepEqual(contexts.u, { t: "A", ts: 6, first_seen: 1 });
});
