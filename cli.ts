#!/usr/bin/env -S deno run -A
/**
 * The `weilink` command line.
 *
 * @module
 */
import { VERSION } from "./mod.ts";

if (import.meta.main) {
  console.log(`weilink ${VERSION}`);
}
