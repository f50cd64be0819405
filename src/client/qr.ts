/**
 * The login QR code as people see it: terminal art for the CLI and the SDK's default `onQr`
 * (and, with the same library, an SVG for web pages). `uqr` is loaded on first use, so that
 * commands that never show a code do not pay for it.
 *
 * @module
 */

/**
 * Text for stderr: a heading, the URL (first, so it is there even when the terminal cannot draw
 * the code, and can be opened on the phone), then the code in Unicode half blocks (two modules
 * per character cell, so it fits an 80×24 terminal).
 */
export async function renderLoginQr(url: string, session: string, attempt = 1): Promise<string> {
  const heading = attempt > 1
    ? `[Session: ${session}] The previous QR code expired; scan this new one with WeChat:`
    : `[Session: ${session}] Scan this QR code with WeChat:`;
  const lines = [heading, url, ""];
  try {
    const { renderUnicodeCompact } = await import("uqr");
    lines.push(renderUnicodeCompact(url, { border: 2 }), "");
  } catch {
    // Drawing is a convenience; the URL alone still lets the operator log in.
  }
  return lines.join("\n");
}
