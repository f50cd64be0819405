/**
 * Armed faults, request counts and the connections a fault wants dropped.
 *
 * @module
 */

import type { FaultEndpoint, SandboxFault } from "./types.ts";
import { FAULT_ENDPOINTS, FAULT_KINDS } from "./types.ts";

interface ArmedFault {
  fault: SandboxFault;
  remaining: number;
}

/** The faults armed per endpoint and the requests each endpoint has read. */
export class FaultBoard {
  /** Whether the server can close a connection without answering (the `drop_*` kinds). */
  readonly connectionFaults: boolean;
  readonly #faults = new Map<string, ArmedFault[]>();
  readonly #counts = new Map<string, number>();
  /** Requests whose connection the server must close instead of answering. */
  readonly #drops = new WeakSet<Request>();

  constructor(connectionFaults: boolean) {
    this.connectionFaults = connectionFaults;
  }

  /** Arms a fault for the next `times` calls of `endpoint`. */
  arm(endpoint: string, fault: SandboxFault): void {
    if (!(FAULT_ENDPOINTS as readonly string[]).includes(endpoint)) {
      throw new TypeError(
        `Cannot inject a fault: unknown endpoint "${endpoint}" (expected one of ${
          FAULT_ENDPOINTS.join(", ")
        })`,
      );
    }
    if (!FAULT_KINDS.includes(fault.kind)) {
      throw new TypeError(`Cannot inject a fault: unknown kind "${String(fault.kind)}"`);
    }
    if (fault.kind.startsWith("drop_") && !this.connectionFaults) {
      throw new TypeError(
        `Cannot inject a fault: kind "${fault.kind}" closes the connection without an answer, ` +
          "which Deno.serve cannot do; start the sandbox with startSandbox({ connectionFaults: " +
          "true }) or the --connection-faults flag",
      );
    }
    const times = fault.times ?? 1;
    if (!Number.isInteger(times) || times < 1) {
      throw new RangeError(`Cannot inject a fault: times must be a positive integer, got ${times}`);
    }
    const list = this.#faults.get(endpoint) ?? [];
    list.push({ fault: { ...fault }, remaining: times });
    this.#faults.set(endpoint, list);
  }

  /** Consumes one armed fault of `endpoint`, if any. */
  take(endpoint: FaultEndpoint): SandboxFault | undefined {
    const list = this.#faults.get(endpoint);
    const head = list?.[0];
    if (!list || !head) return undefined;
    head.remaining--;
    if (head.remaining <= 0) list.shift();
    if (list.length === 0) this.#faults.delete(endpoint);
    return head.fault;
  }

  /** Faults still armed, per endpoint. */
  armed(): { endpoint: string; kind: string; remaining: number }[] {
    const out: { endpoint: string; kind: string; remaining: number }[] = [];
    for (const [endpoint, list] of this.#faults) {
      for (const f of list) out.push({ endpoint, kind: f.fault.kind, remaining: f.remaining });
    }
    return out;
  }

  /** Counts one request of `endpoint` that has been read in full. */
  count(endpoint: FaultEndpoint): void {
    this.#counts.set(endpoint, (this.#counts.get(endpoint) ?? 0) + 1);
  }

  /** Requests read per endpoint, every endpoint listed. */
  counts(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const endpoint of FAULT_ENDPOINTS) out[endpoint] = this.#counts.get(endpoint) ?? 0;
    return out;
  }

  /** Asks the server to close the connection of `request` without answering. */
  drop(request: Request): void {
    this.#drops.add(request);
  }

  /** Whether the connection of `request` must be closed without an answer. */
  isDropped(request: Request): boolean {
    return this.#drops.has(request);
  }

  /** Disarms every fault and zeroes the counts. */
  clear(): void {
    this.#faults.clear();
    this.#counts.clear();
  }
}
