import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './context';

const SECURITY_HEADERS: Record<string, string> = {
  'Strict-Transport-Security': 'max-age=31536000; includeSubDomains',
  'X-Content-Type-Options': 'nosniff',
  'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};

// The JWKS is public and the same for every caller, and verifiers fetch it whenever they meet an
// unknown kid. Five minutes of shared caching spares us those fetches; it also means a newly
// published key reaches verifiers up to five minutes late, which README "Signing keys" allows
// for. Every other response, errors from this path included, stays no-store.
const JWKS_PATH = '/.well-known/jwks.json';
const JWKS_CACHE_CONTROL = 'public, max-age=300';

/** Sets the security headers on every response, errors and preflights included. */
export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  if (c.req.path === JWKS_PATH && c.res.status === 200) {
    c.res.headers.set('Cache-Control', JWKS_CACHE_CONTROL);
  }
  c.res.headers.delete('X-Powered-By');
  // The contract names the charset; Hono's JSON helper leaves it out.
  if (c.res.headers.get('Content-Type') === 'application/json') {
    c.res.headers.set('Content-Type', 'application/json; charset=utf-8');
  }
});
