/**
 * The login QR code as terminal art, for stderr.
 *
 * @module
 */

import { renderUnicodeCompact } from "uqr";

/**
 * Text showing `url` as a QR code made of Unicode half blocks (two modules per
 * character cell, so it fits an 80×24 terminal), followed by the URL itself
 * for terminals that cannot show the code or people who open it on the phone.
 */
export function renderLoginQr(url: string, session: string, attempt = 1): string {
  const heading = attempt > 1
    ? `[Session: ${session}] The previous QR code expired; scan this new one with WeChat:`
    : `[Session: ${session}] Scan this QR code with WeChat:`;
  return [heading, "", renderUnicodeCompact(url, { border: 2 }), "", url, ""].join("\n");
}
