/**
 * Builds the `WeiLink` client a command works with, from the shared flags.
 *
 * @module
 */

import { WeiLink, type WeiLinkOptions } from "../client/mod.ts";
import type { CommonOptions } from "./command.ts";
import { resolveBasePath } from "../client/paths.ts";

/** Client options derived from the shared flags; unset flags leave the client's defaults. */
export function clientOptions(common: CommonOptions, messageStore = true): WeiLinkOptions {
  const options: WeiLinkOptions = { messageStore, logger: common.logLevel };
  if (common.basePath !== undefined) options.basePath = common.basePath;
  if (common.baseUrl !== undefined) options.baseUrl = common.baseUrl;
  if (common.cdnBaseUrl !== undefined) options.cdnBaseUrl = common.cdnBaseUrl;
  if (common.store !== undefined) options.storage = common.store;
  return options;
}

/**
 * Runs `body` with a fresh client and always closes it, even when `body`
 * throws. The message store is on by default so that what the CLI receives
 * and sends lands in the history.
 */
export async function withClient<T>(
  common: CommonOptions,
  body: (client: WeiLink) => Promise<T>,
  options: {
    messageStore?: boolean;
    fetch?: typeof fetch;
    onEvent?: WeiLinkOptions["onEvent"];
  } = {},
): Promise<T> {
  const client = new WeiLink({
    ...clientOptions(common, options.messageStore ?? true),
    ...(options.fetch ? { fetch: options.fetch } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
  try {
    // PostgreSQL storage: connected, migrated and the sessions loaded before the command reads them.
    await client.ready();
    return await body(client);
  } finally {
    await client.close();
  }
}

/** Absolute data directory from `-d`, `WEILINK_HOME` or the home folder, as the client has it. */
export function dataDirectory(common: CommonOptions): string {
  return resolveBasePath(common.basePath);
}
