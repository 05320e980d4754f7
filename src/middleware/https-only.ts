import { createMiddleware } from 'hono/factory';
import { ForbiddenError } from '../errors';
import type { AppEnv } from './context';

/**
 * Outside development, a request that arrived over plain HTTP is refused with a problem and
 * never redirected: by the time a redirect could answer, the request has already carried its
 * bearer token and body across the network in the clear, and following the redirect would
 * teach the client that doing so works.
 */
export const requireHttps = createMiddleware<AppEnv>(async (c, next) => {
  const { environment } = c.get('config');
  const isLocal = environment === 'development' || environment === 'test';
  if (!isLocal && new URL(c.req.url).protocol !== 'https:') {
    throw new ForbiddenError('This API is served over HTTPS only. Send the request to https://.');
  }
  await next();
});
