import { Scalar } from '@scalar/hono-api-reference';
import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { NotFoundError } from '../errors';
import { bytesToBase64Url } from '../lib/encoding';
import type { AppEnv } from '../middleware/context';

/**
 * The interactive reference at /docs (Scalar), mounted behind the environment check in app.ts.
 * The page's script comes from the Worker's own static assets (scripts/vendor-docs.mjs builds
 * it there from node_modules), never from a CDN: the page works offline, and the
 * Content-Security-Policy below lets it load nothing from another origin.
 */

/** Where the vendored Scalar bundle is served; the asset folder mirrors this path. */
export const DOCS_SCRIPT_PATH = '/docs/assets/scalar-api-reference.js';

// The page's inline config script and style carry a per-request nonce, and so does every style
// element its scripts create (scripts/docs-style-nonce.js). Vue renders `style` attributes,
// which a nonce cannot cover; they are allowed, since an attribute can restyle the page but not
// run script or load anything. Requests go to this origin only.
function docsContentSecurityPolicy(nonce: string): string {
  return [
    "default-src 'none'",
    `script-src 'self' 'nonce-${nonce}'`,
    `style-src 'self' 'nonce-${nonce}'`,
    "style-src-attr 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    "frame-ancestors 'none'",
  ].join('; ');
}

const FAVICON =
  "data:image/svg+xml,<svg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'>" +
  "<rect width='16' height='16' rx='3' fill='%23e36002'/></svg>";

const withNonce = createMiddleware<AppEnv>(async (c, next) => {
  const nonce = bytesToBase64Url(crypto.getRandomValues(new Uint8Array(16)));
  c.set('cspNonce', nonce);
  c.set('contentSecurityPolicy', docsContentSecurityPolicy(nonce));
  await next();
});

export const docsRoutes = new Hono<AppEnv>();

docsRoutes.get(
  '/docs',
  withNonce,
  Scalar<AppEnv>((c) => ({
    url: '/openapi.json',
    pageTitle: 'Invisible Bank API',
    cdn: DOCS_SCRIPT_PATH,
    nonce: c.get('cspNonce'),
    // Everything that would reach a third party stays off: fonts from Scalar's CDN, telemetry,
    // the AI agent and MCP helpers. No proxyUrl is set, so test requests go straight from the
    // page to this origin, as scripts/browser-check.mjs asserts.
    withDefaultFonts: false,
    telemetry: false,
    agent: { disabled: true },
    mcp: { disabled: true },
    showDeveloperTools: 'never',
    // Without an icon the browser asks for /favicon.ico, which is not a route of the API.
    favicon: FAVICON,
  })),
);

docsRoutes.get('/docs/assets/*', async (c) => {
  const asset = await c.env.ASSETS.fetch(c.req.raw);
  // The asset binding's own 404 has an empty body; a missing file is an unknown path here too.
  if (asset.status === 404) throw new NotFoundError('No such route.');
  return asset;
});
