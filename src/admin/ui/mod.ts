/**
 * The panel's page, embedded as strings (markup, style sheet, scripts and translations), so the
 * panel needs no build step and no files at run time: `deno compile` and the JSR package carry
 * it as code.
 *
 * @module
 */

import { CHAT_SCRIPT } from "./chat_script.ts";
import { LOCALES } from "./locales.ts";
import { SIGNIN_SCRIPT } from "./login_script.ts";
import { PAGE_SCRIPT } from "./page_script.ts";
import { SCRIPT_KIT } from "./script_kit.ts";

export { LOCALES, type Strings } from "./locales.ts";
export { ADMIN_STYLE } from "./page_style.ts";
export { loginHtml, pageHtml } from "./page_html.ts";

/** One script in a scope of its own, with the translations it reads. */
function bundle(...parts: string[]): string {
  return `(function () {\n"use strict";\nvar LOCALES = ${JSON.stringify(LOCALES)};\n${
    parts.join("\n")
  }\n})();\n`;
}

/** `/assets/admin.js`. */
export const ADMIN_SCRIPT: string = bundle(SCRIPT_KIT, CHAT_SCRIPT, PAGE_SCRIPT);
/** `/assets/login.js`. */
export const LOGIN_SCRIPT: string = bundle(SCRIPT_KIT, SIGNIN_SCRIPT);
