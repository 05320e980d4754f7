import { createMiddleware } from 'hono/factory';
import { log } from '../lib/log';
import type { AppEnv } from './context';

/**
 * One line per request. The route is the matched pattern (`/api/v1/accounts/:id`), never the
 * URL, so ids in paths and query strings stay out of the logs.
 */
export const accessLog = createMiddleware<AppEnv>(async (c, next) => {
  const startedMs = Date.now();
  await next();
  const status = c.res.status;
  log(status >= 500 ? 'error' : 'info', 'request_completed', {
    requestId: c.get('requestId'),
    method: c.req.method,
    route: c.req.routePath,
    status,
    durationMs: Date.now() - startedMs,
  });
});
