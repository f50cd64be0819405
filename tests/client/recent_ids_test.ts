import assert from "node:assert/strict";
import { RecentIds } from "../../src/client/recent_ids.ts";

/** Consecutive 64-bit ids above 2^53: neighbours round to the same float64. */
const BASE = 7_300_000_000_000_001_000n;
const id = (i: number) => String(BASE + BigInt(i));

Deno.test("recent ids: increasing ids are new, and a repeat is caught after the switch to sets", () => {
  const seen = new RecentIds(100);
  for (let i = 0; i < 250; i++) assert.equal(seen.add(id(i)), true);
  // Repeats of the last 100 are caught exactly, although neighbours share a float64.
  assert.equal(Number(id(249)), Number(id(248)));
  assert.equal(seen.add(id(249)), false);
  assert.equal(seen.add(id(150)), false);
  // A late id never seen (inside the old range) is new, once.
  const late = String(BASE - 5n);
  assert.equal(seen.add(late), true);
  assert.equal(seen.add(late), false);
  assert.equal(seen.add(id(250)), true);
  assert.equal(seen.add(id(250)), false);
});

Deno.test("recent ids: every id of the last `capacity` is remembered, in either mode", () => {
  for (const shuffled of [false, true]) {
    const seen = new RecentIds(50);
    const order = Array.from({ length: 400 }, (_, i) => i);
    // Out of order from the start: set mode only.
    if (shuffled) order.reverse();
    for (const i of order) assert.equal(seen.add(id(i)), true);
    for (const i of order.slice(-50)) assert.equal(seen.add(id(i)), false, `id ${i} forgotten`);
  }
});

Deno.test("recent ids: ids that are not plain decimals are compared as text", () => {
  const seen = new RecentIds(10);
  for (const x of ["12", "012", "-3", "abc", "1e3", "99999999999999999999999", "13"]) {
    assert.equal(seen.add(x), true, x);
  }
  for (const x of ["12", "012", "-3", "abc", "1e3", "99999999999999999999999", "13"]) {
    assert.equal(seen.add(x), false, x);
  }
  assert.throws(() => new RecentIds(0), RangeError);
});

Deno.test("recent ids: short and long decimals round-trip through the ring", () => {
  const seen = new RecentIds(20);
  const ids = ["0", "7", "42", "9999999999", "10000000000", "10000000001", "18446744073709551615"];
  for (const x of ids) assert.equal(seen.add(x), true, x);
  // "5" is smaller than the last id: switch to sets, seeded with the ring's ids.
  assert.equal(seen.add("5"), true);
  for (const x of ids) assert.equal(seen.add(x), false, x);
});
