import { Hono } from 'hono';
import { createMiddleware } from 'hono/factory';
import { ConfigError, getConfig } from './config';
import type { Env } from './env';
import { AppError, MethodNotAllowedError, NotFoundError, toProblem } from './errors';
import { log } from './lib/log';
import { systemClock, type Clock } from './lib/time';
import { accessLog } from './middleware/access-log';
import { limitBody } from './middleware/body';
import type { AppEnv } from './middleware/context';
import { corsFromConfig } from './middleware/cors';
import { requireHttps } from './middleware/https-only';
import { limitByClient } from './middleware/rate-limit';
import { requestId } from './middleware/request-id';
import { securityHeaders } from './middleware/security-headers';
import { benchRoutes } from './routes/bench';
import { devRoutes } from './routes/dev';
import { docsRoutes } from './routes/docs';
import { healthRoutes } from './routes/health';
import { openApiRoutes } from './routes/openapi';
import { opsRoutes } from './routes/ops';
import { wellKnownRoutes } from './routes/well-known';
import { isOutboxEnvironment } from './services/mailer';
import { apiRoutes } from './routes';
import { allowedMethods } from './routes/methods';
import type { BlocklistStore } from './services/revocation';

export interface AppOptions {
  clock?: Clock;
  /** Replaces the KV blocklist, e.g. with a stale view in tests. */
  blocklist?: (env: Env) => BlocklistStore;
}

/** Builds the application. Middleware order matters: see the comments on each step. */
export function createApp(options: AppOptions = {}) {
  const clock = options.clock ?? systemClock;
  const app = new Hono<AppEnv>();

  // Outermost, so that every response, errors included, gets an id, a log line and headers.
  app.use(requestId, accessLog, securityHeaders);

  // Configuration is parsed once per isolate; a missing or weak secret fails here, loudly.
  app.use(async (c, next) => {
    c.set('config', getConfig(c.env));
    c.set('clock', clock);
    c.set('blocklist', options.blocklist?.(c.env) ?? c.env.REVOKED_TOKENS);
    await next();
  });

  // Rate limits come after the HTTPS check and CORS (a preflight costs no quota) and before the
  // body limit, so that a refused client costs one Durable Object call and nothing more.
  app.use(requireHttps, corsFromConfig, limitByClient, limitBody);

  app.route('/', healthRoutes);
  app.route('/', wellKnownRoutes);
  app.route('/api/v1', apiRoutes);
  // Key management for operators, outside the customer API; 404 unless OPS_API_TOKEN is set.
  app.route('/ops', opsRoutes);

  // The development outbox exists only in development and tests; elsewhere it is an unknown
  // path, so a misconfigured production cannot leak mailed reset tokens through it.
  app.use('/dev/*', async (c, next) => {
    if (!isOutboxEnvironment(c.get('config').environment))
      throw new NotFoundError('No such route.');
    await next();
  });
  app.route('/dev', devRoutes);

  // The API description and its reference page are for building clients, not for customers:
  // production answers the unknown-path 404 for them, so they are exposed only on purpose.
  const hideInProduction = createMiddleware<AppEnv>(async (c, next) => {
    if (c.get('config').environment === 'production') throw new NotFoundError('No such route.');
    await next();
  });
  app.use('/openapi.json', hideInProduction);
  app.use('/docs', hideInProduction);
  app.use('/docs/*', hideInProduction);
  app.route('/', openApiRoutes);
  app.route('/', docsRoutes);

  // Benchmark-only routes (bench/run.mjs) answer only with BENCH_ROUTES 'true' outside
  // production. Elsewhere every method on /bench/* gets the unknown-path 404, never a 405 that
  // would tell the route exists.
  app.use('/bench/*', async (c, next) => {
    const isBenchEnabled =
      c.env.BENCH_ROUTES === 'true' && c.get('config').environment !== 'production';
    if (!isBenchEnabled) throw new NotFoundError('No such route.');
    await next();
  });
  app.route('/', benchRoutes);

  app.notFound((c) => {
    const allowed = allowedMethods(app.routes, c.req.path);
    const error =
      allowed.length > 0 ? new MethodNotAllowedError(allowed) : new NotFoundError('No such route.');
    return problemResponse(error, c.get('requestId') ?? crypto.randomUUID());
  });

  app.onError((error, c) => {
    const id = c.get('requestId') ?? crypto.randomUUID();
    if (error instanceof AppError) {
      log(error.status >= 500 ? 'error' : 'info', 'request_refused', {
        requestId: id,
        route: c.req.routePath,
        status: error.status,
        errorType: error.type,
        reason: error.reason,
      });
    } else {
      // Only the error's class name is logged: messages of library errors can carry input.
      log('error', error instanceof ConfigError ? 'config_invalid' : 'unhandled_error', {
        requestId: id,
        route: c.req.routePath,
        errorType: error.name,
        reason: error instanceof ConfigError ? error.message : undefined,
      });
    }
    return problemResponse(error, id);
  });

  return app;
}

function problemResponse(error: unknown, requestId: string): Response {
  const problem = toProblem(error, requestId);
  const headers = new Headers({ 'Content-Type': 'application/problem+json; charset=utf-8' });
  if (error instanceof AppError) {
    for (const [name, value] of Object.entries(error.headers)) headers.set(name, value);
  }
  return new Response(JSON.stringify(problem), { status: problem.status, headers });
}
