/**
 * Swagger UI for the REST server, served from this process: the page at `/docs`, its script and
 * style sheet from the `swagger-ui-dist` npm package (pinned to one version in `deno.json`), and
 * a small start-up script of our own. Nothing is fetched from another site, so the page works on a
 * machine without internet, and its Content-Security-Policy allows scripts, styles and requests
 * from this origin only.
 *
 * The package files are imported as text modules (`with { type: "text" }`), not read from disk:
 * they are part of the module graph, so a binary built with `deno compile` carries them and a
 * process needs no read permission for them. They are loaded on the first request for them; a
 * server nobody opens `/docs` on never holds the 2 MB in memory.
 *
 * Only the three files the page needs are imported: `swagger-ui-bundle.js` (the UI with its
 * libraries), `swagger-ui.css`, and the license notice of the bundle, served beside it.
 *
 * @module
 */

import type { Context, Hono } from "hono";

/** Where the page and its assets live. */
export const DOCS_PATH = "/docs";

/**
 * `default-src 'none'` and then only what the page uses: its own scripts and styles, the
 * `data:` images inside the style sheet, and requests to this server (the document and "Try it
 * out"). No inline script, no `eval`, no other origin; no framing, no `<base>`, no form posts.
 */
export const DOCS_POLICY = "default-src 'none'; script-src 'self'; style-src 'self'; " +
  "img-src 'self' data:; connect-src 'self'; form-action 'none'; frame-ancestors 'none'; " +
  "base-uri 'none'";

/**
 * Starts the UI on the page's `#swagger-ui` element. The validator badge is off: it would load
 * an image from the Swagger validator's site. Only the API preset: the standalone preset adds a
 * top bar for typing another document's URL, which this page has no use for.
 */
const INIT_SCRIPT = `"use strict";
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
  validatorUrl: null,
  deepLinking: true,
});
`;

const PAGE_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>WeiLink API</title>
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/init.js"></script>
</body>
</html>
`;

/** An asset: its type and a loader of its text (run once). */
interface Asset {
  type: string;
  load: () => Promise<string>;
}

/**
 * The assets by file name. The specifiers are literal strings, so `deno compile` and `deno
 * publish` see them as part of the module graph.
 */
const ASSETS: Readonly<Record<string, Asset>> = {
  "swagger-ui-bundle.js": {
    type: "text/javascript; charset=utf-8",
    load: async () =>
      (await import("swagger-ui-dist/swagger-ui-bundle.js", { with: { type: "text" } })).default,
  },
  "swagger-ui.css": {
    type: "text/css; charset=utf-8",
    load: async () =>
      (await import("swagger-ui-dist/swagger-ui.css", { with: { type: "text" } })).default,
  },
  "swagger-ui-bundle.js.LICENSE.txt": {
    type: "text/plain; charset=utf-8",
    load: async () =>
      (await import("swagger-ui-dist/swagger-ui-bundle.js.LICENSE.txt", {
        with: { type: "text" },
      })).default,
  },
  "init.js": { type: "text/javascript; charset=utf-8", load: () => Promise.resolve(INIT_SCRIPT) },
};

/** A loaded asset with its entity tag. */
interface LoadedAsset {
  body: string;
  etag: string;
}

/**
 * Add `GET /` (a redirect to the docs), `GET /docs` and `GET /docs/<asset>` to `app`. Every
 * answer carries the policy above and `nosniff`; assets are revalidated by entity tag, so a
 * browser downloads the bundle once per version.
 */
export function addSwaggerUi(app: Hono): void {
  const loaded = new Map<string, Promise<LoadedAsset>>();
  const secure = (c: Context) => {
    c.header("content-security-policy", DOCS_POLICY);
    c.header("x-content-type-options", "nosniff");
    c.header("referrer-policy", "no-referrer");
  };

  app.get("/", (c) => c.redirect(DOCS_PATH, 302));
  app.get(DOCS_PATH, (c) => {
    secure(c);
    c.header("cache-control", "no-cache");
    return c.html(PAGE_HTML);
  });
  app.get(`${DOCS_PATH}/:file`, async (c) => {
    const name = c.req.param("file");
    const asset = Object.hasOwn(ASSETS, name) ? ASSETS[name] : undefined;
    if (!asset) return c.json({ error: `No route for GET ${c.req.path}` }, 404);
    let entry = loaded.get(name);
    if (!entry) {
      entry = asset.load().then(async (body) => ({ body, etag: await entityTag(body) }));
      // A failed load is tried again on the next request instead of failing forever.
      entry.catch(() => loaded.delete(name));
      loaded.set(name, entry);
    }
    const { body, etag } = await entry;
    secure(c);
    c.header("cache-control", "no-cache");
    c.header("etag", etag);
    if (c.req.header("if-none-match") === etag) return c.body(null, 304);
    c.header("content-type", asset.type);
    return c.body(body);
  });
}

/** A strong entity tag: the first 128 bits of the SHA-256 of the text, in hex. */
async function entityTag(text: string): Promise<string> {
  const hash = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text)),
  );
  const hex = Array.from(hash.subarray(0, 16), (b) => b.toString(16).padStart(2, "0")).join("");
  return `"${hex}"`;
}
