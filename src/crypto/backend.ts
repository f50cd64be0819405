/**
 * Choice between the native (`node:crypto`) and pure-TypeScript AES backends.
 *
 * @module
 */

import { WeiLinkError } from "../weilink_error.ts";

import { nativeCrypto } from "./native.ts";

/**
 * An AES implementation: `"native"` is the runtime's `node:crypto` (Deno, Node, Bun), `"pure"` the
 * TypeScript T-table implementation that runs anywhere. Both produce identical bytes.
 */
export type AesBackend = "pure" | "native";

/** Options accepted by {@linkcode encryptAesEcb} and {@linkcode decryptAesEcb}. */
export interface AesOptions {
  /**
   * Forces a backend. Without it the `WEILINK_AES` environment variable (`pure` or `native`)
   * decides, and without that the native backend is used when the runtime has one.
   */
  backend?: AesBackend;
}

/**
 * Reads `WEILINK_AES` without ever prompting for or failing on a missing permission: Deno is asked
 * first whether the variable is already readable, other runtimes go through `process.env`.
 */
function envBackend(): AesBackend | undefined {
  let value: string | undefined;
  try {
    const deno = (globalThis as {
      Deno?: {
        env?: { get(key: string): string | undefined };
        permissions?: { querySync?(desc: { name: "env"; variable: string }): { state: string } };
      };
    }).Deno;
    if (deno !== undefined) {
      const state = deno.permissions?.querySync?.({ name: "env", variable: "WEILINK_AES" }).state;
      if (state === "granted") value = deno.env?.get("WEILINK_AES");
    } else {
      const proc = (globalThis as { process?: { env?: Record<string, string | undefined> } })
        .process;
      value = proc?.env?.WEILINK_AES;
    }
  } catch {
    return undefined;
  }
  const normalized = value?.trim().toLowerCase();
  return normalized === "pure" || normalized === "native" ? normalized : undefined;
}

/**
 * The backend {@linkcode encryptAesEcb} and {@linkcode decryptAesEcb} use when called without a
 * `backend` option: `WEILINK_AES` when it is `pure` or `native` (other values are ignored, and
 * `native` falls back to `pure` where the runtime has no `node:crypto`), else `native` when
 * available, else `pure`. The environment is read on every call, so changing it takes effect at
 * once.
 *
 * @example
 * ```ts
 * import { activeAesBackend } from "@weilink/core/core";
 *
 * console.log(activeAesBackend()); // "native" in Deno, Node and Bun
 * ```
 */
export function activeAesBackend(): AesBackend {
  const forced = envBackend();
  if (forced === "pure") return "pure";
  return nativeCrypto() === null ? "pure" : "native";
}

/**
 * Resolves the backend for one call.
 *
 * @throws {Error} when `native` is requested explicitly but the runtime has no `node:crypto`.
 */
export function resolveBackend(options: AesOptions | undefined): AesBackend {
  const requested = options?.backend;
  if (requested === undefined) return activeAesBackend();
  if (requested === "pure") return "pure";
  if (requested === "native") {
    if (nativeCrypto() === null) {
      throw new WeiLinkError('Cannot use AES backend "native": this runtime has no node:crypto');
    }
    return "native";
  }
  throw new TypeError(`Unknown AES backend "${String(requested)}": expected "pure" or "native"`);
}
