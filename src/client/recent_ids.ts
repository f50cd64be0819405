/**
 * Duplicate detection for received message ids (spec §3.3: duplicates are not documented, so they
 * are dropped by `message_id`).
 *
 * @module
 */

/** Digits kept in each half of an id stored in the ring (10 digits are exact in a float64). */
const HALF_DIGITS = 10;

/**
 * Whether `id` is a canonical decimal of at most 20 digits (no sign, no leading zero): the form of
 * iLink's uint64 ids, which splits exactly into two 10-digit halves and compares numerically by
 * length, then text.
 */
function isCanonicalDecimal(id: string): boolean {
  const n = id.length;
  if (n === 0 || n > 2 * HALF_DIGITS || (n > 1 && id.charCodeAt(0) === 0x30)) return false;
  for (let i = 0; i < n; i++) {
    const c = id.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/**
 * Remembers at least the last `capacity` message ids and tells whether an id is new.
 *
 * iLink's ids grow with time. While they arrive in increasing order, a fresh id is recognised by one
 * comparison with the largest so far and kept as two numbers in a ring of typed arrays: no string
 * stays alive and nothing is hashed, which matters at tens of thousands of messages per second. The
 * first id that is not larger than every earlier one (a duplicate, a late message, or an id that is
 * not a plain decimal) switches this instance to exact hash sets, seeded with the ring's ids, so
 * the answer is the same either way.
 */
export class RecentIds {
  readonly #capacity: number;
  /** Largest id so far while in ring mode (canonical decimal). */
  #max = "";
  #hi: Float64Array;
  #lo: Float64Array;
  #next = 0;
  #filled = 0;
  /** Set mode: the newer generation (undefined while in ring mode). */
  #recent: Set<string> | undefined;
  /** Set mode: the previous, full generation. */
  #older = new Set<string>();

  /** Creates an empty memory of `capacity` ids (at least 1). */
  constructor(capacity: number) {
    if (!Number.isInteger(capacity) || capacity < 1) {
      throw new RangeError(`Invalid capacity ${capacity}: expected a positive integer`);
    }
    this.#capacity = capacity;
    this.#hi = new Float64Array(capacity);
    this.#lo = new Float64Array(capacity);
  }

  /** `true` the first time `id` is seen (it is then remembered), `false` for a repeat. */
  add(id: string): boolean {
    if (this.#recent === undefined) {
      const max = this.#max;
      if (
        isCanonicalDecimal(id) &&
        (id.length > max.length || (id.length === max.length && id > max))
      ) {
        this.#max = id;
        const cut = id.length - HALF_DIGITS;
        this.#hi[this.#next] = cut > 0 ? Number(id.slice(0, cut)) : 0;
        this.#lo[this.#next] = Number(cut > 0 ? id.slice(cut) : id);
        this.#next = (this.#next + 1) % this.#capacity;
        if (this.#filled < this.#capacity) this.#filled++;
        return true;
      }
      this.#recent = this.#ringIds();
    }
    // Set mode. One hash lookup for a fresh id: add, and see whether the set grew.
    const recent = this.#recent;
    const size = recent.size;
    recent.add(id);
    if (recent.size === size || this.#older.has(id)) return false;
    // Two generations instead of per-id deletes: a full generation becomes the older one and the
    // previous older one is dropped whole.
    if (recent.size >= this.#capacity) {
      this.#older = recent;
      this.#recent = new Set();
    }
    return true;
  }

  /** The ids held by the ring, oldest first, as exact decimal strings. */
  #ringIds(): Set<string> {
    const ids = new Set<string>();
    const start = (this.#next - this.#filled + this.#capacity) % this.#capacity;
    for (let k = 0; k < this.#filled; k++) {
      const i = (start + k) % this.#capacity;
      const hi = this.#hi[i]!;
      const lo = this.#lo[i]!;
      ids.add(hi > 0 ? String(hi) + String(lo).padStart(HALF_DIGITS, "0") : String(lo));
    }
    return ids;
  }
}
