import { createMiddleware } from 'hono/factory';
import { REQUEST_ID_LENGTH_MAX } from '../lib/limits';
import type { AppEnv } from './context';

const SAFE_REQUEST_ID = new RegExp(`^[A-Za-z0-9._-]{1,${REQUEST_ID_LENGTH_MAX}}$`);

/**
 * Echoes a client's X-Request-Id only when it is short and made of safe characters, so it can
 * be logged and returned without escaping; anything else is replaced by a fresh id.
 */
export const requestId = createMiddleware<AppEnv>(async (c, next) => {
  const offered = c.req.header('X-Request-Id');
  const id = offered && SAFE_REQUEST_ID.test(offered) ? offered : crypto.randomUUID();
  c.set('requestId', id);
  await next();
  c.res.headers.set('X-Request-Id', id);
});
