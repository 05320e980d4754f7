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

/** Sets the security headers on every response, errors and preflights included. */
export const securityHeaders = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  for (const [name, value] of Object.entries(SECURITY_HEADERS)) c.res.headers.set(name, value);
  const policy = c.get('contentSecurityPolicy');
  if (policy !== undefined) c.res.headers.set('Content-Security-Policy', policy);
  c.res.headers.delete('X-Powered-By');
  // The contract names the charset; Hono's JSON helper leaves it out.
  if (c.res.headers.get('Content-Type') === 'application/json') {
    c.res.headers.set('Content-Type', 'application/json; charset=utf-8');
  }
});
