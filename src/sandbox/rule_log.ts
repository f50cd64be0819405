/**
 * What the sandbox tells a client's author: the protocol rules a client broke (violations) and
 * accepted behaviour worth knowing (notes), each kept in a list of bounded length.
 *
 * @module
 */

import type { Note, Violation } from "./types.ts";
import type { NoteRule, ViolationRule } from "./violation_rules.ts";

/** Violations (and, separately, notes) kept at most; older ones are dropped first. */
const CAP = 5000;

/** Where the rules of an endpoint report what they found. */
export interface RuleReporter {
  /** Records a protocol violation. */
  violate(endpoint: string, rule: ViolationRule, detail: string, botId?: string): void;
  /** Records a note: accepted behaviour worth knowing (same shape as a violation). */
  note(endpoint: string, rule: NoteRule, detail: string, botId?: string): void;
}

/** The recorded violations and notes of one sandbox. */
export class RuleLog implements RuleReporter {
  readonly #log: ((line: string) => void) | undefined;
  #violations: Violation[] = [];
  #notes: Note[] = [];

  /** `log` receives one line per violation; absent when quiet. */
  constructor(log?: (line: string) => void) {
    this.#log = log;
  }

  violate(endpoint: string, rule: ViolationRule, detail: string, botId?: string): void {
    push(this.#violations, { at: Date.now(), endpoint, rule, detail }, botId);
    this.#log?.(`violation ${endpoint} ${rule}: ${detail}`);
  }

  note(endpoint: string, rule: NoteRule, detail: string, botId?: string): void {
    push(this.#notes, { at: Date.now(), endpoint, rule, detail }, botId);
  }

  /** Violations so far, oldest first. */
  violations(): Violation[] {
    return this.#violations.map((v) => ({ ...v }));
  }

  /** Notes so far, oldest first. */
  notes(): Note[] {
    return this.#notes.map((n) => ({ ...n }));
  }

  /** How many violations and notes are kept. */
  counts(): { violations: number; notes: number } {
    return { violations: this.#violations.length, notes: this.#notes.length };
  }

  /** Forgets every violation and note. */
  clear(): void {
    this.#violations = [];
    this.#notes = [];
  }
}

function push<T extends Violation | Note>(list: T[], entry: T, botId: string | undefined): void {
  if (botId !== undefined) entry.botId = botId;
  list.push(entry);
  if (list.length > CAP) list.shift();
}
