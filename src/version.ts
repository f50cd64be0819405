/**
 * The version of WeiLink, read from the package manifest: `deno.json` is the one place it is set.
 * It is reported to the iLink server (`iLink-App-ClientVersion`, `base_info.channel_version`), by
 * `cli.ts --version` and by the servers.
 *
 * @module
 */

import manifest from "../deno.json" with { type: "json" };

/** The version of this package, e.g. `"0.1.0"`. */
export const VERSION: string = manifest.version;
