import { cors } from 'hono/cors';
import { createMiddleware } from 'hono/factory';
import type { AppEnv } from './context';

/**
 * CORS from an exact allowlist. Credentials are never allowed: the API authenticates with a
 * bearer header, not cookies, so no origin needs them. An origin outside the list gets no
 * Access-Control-Allow-Origin at all.
 */
export const corsFromConfig = createMiddleware<AppEnv>(async (c, next) => {
  const allowed = c.get('config').corsOrigins;
  const handler = cors({
    origin: (origin) => (allowed.includes(origin) ? origin : null),
    allowMethods: ['GET', 'POST', 'PATCH', 'DELETE'],
    allowHeaders: ['Authorization', 'Content-Type', 'Idempotency-Key', 'X-Request-Id'],
    exposeHeaders: [
      'X-Request-Id',
      'Idempotent-Replayed',
      'Retry-After',
      'Location',
      'RateLimit',
      'RateLimit-Policy',
    ],
    maxAge: 600,
  });
  return handler(c, next);
});
