import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { TokenInvalidError, verifyToken } from '../crypto/tokens';
import { getDb } from '../db/client';
import { AuthenticationError } from '../errors';
import { TOKEN_LENGTH_MAX } from '../lib/limits';
import { log } from '../lib/log';
import type { ServiceDeps } from '../services/deps';
import { isBlocked } from '../services/revocation';
import { isSessionLive } from '../services/sessions';
import type { AppEnv } from './context';

const IP_PATTERN = /^[0-9A-Fa-f:.]{2,45}$/;

/**
 * The client's IP as Cloudflare saw it. X-Forwarded-For and X-Real-IP are set by clients and
 * are never read; a missing or malformed CF-Connecting-IP is null.
 */
export function clientIp(c: Context<AppEnv>): string | null {
  const ip = c.req.header('CF-Connecting-IP');
  return ip !== undefined && IP_PATTERN.test(ip) ? ip : null;
}

/** Hands work to waitUntil; a request built by hand (tests) has no execution context. */
function deferWork(c: Context<AppEnv>, work: Promise<unknown>): void {
  const logged = work.catch((error: unknown) => {
    log('error', 'deferred_work_failed', {
      requestId: c.get('requestId'),
      errorType: error instanceof Error ? error.name : 'unknown',
    });
  });
  try {
    c.executionCtx.waitUntil(logged);
  } catch {
    // No execution context: the promise still runs to completion in this isolate.
  }
}

/** The dependencies a service call needs, built from the request context. */
export function serviceDeps(c: Context<AppEnv>): ServiceDeps {
  return {
    db: getDb(c.env.DB),
    env: c.env,
    config: c.get('config'),
    blocklist: c.get('blocklist'),
    nowMs: c.get('clock').nowMs(),
    requestId: c.get('requestId'),
    clientIp: clientIp(c),
    defer: (work) => deferWork(c, work),
  };
}

// The scheme name is case-insensitive (RFC 9110 §11.1); the token is one compact JWS.
const BEARER_PATTERN = /^bearer ([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$/i;

function tokenRefused(reason: string): AuthenticationError {
  return new AuthenticationError('The access token is missing, invalid, expired or revoked.', {
    reason,
    isTokenError: true,
  });
}

/**
 * Builds the authentication middleware. It requires a valid access token in
 * `Authorization: Bearer` (never a query parameter or cookie) that KV does not list as
 * revoked. With `isLiveSessionRequired` it reads the session row in D1 instead: KV may say
 * "not revoked" for a minute after a logout elsewhere, D1 never does. Every failure gets the
 * same answer; the reason is only logged.
 */
function authenticate(options: { isLiveSessionRequired: boolean }) {
  return createMiddleware<AppEnv>(async (c, next) => {
    const header = c.req.header('Authorization');
    if (header === undefined) throw tokenRefused('missing_token');
    const match = header.length <= TOKEN_LENGTH_MAX + 7 ? BEARER_PATTERN.exec(header) : null;
    if (!match?.[1]) throw tokenRefused('malformed_authorization');

    const deps = serviceDeps(c);
    let claims;
    try {
      claims = await verifyToken(deps.config, 'access', match[1], deps.nowMs);
    } catch (error) {
      // Only a refused token is the client's fault; a key that fails to load is ours (500).
      if (!(error instanceof TokenInvalidError)) throw error;
      throw tokenRefused(error.message);
    }

    // Where the session row is read, it alone decides: every revocation ends the row in D1
    // before or while it blocks in KV, so KV could only repeat it, a D1 read later.
    if (options.isLiveSessionRequired) {
      const session = { sessionId: claims.sid, holderId: claims.sub };
      if (!(await isSessionLive(deps, session))) throw tokenRefused('session_not_live');
    } else if (await isBlocked(deps.blocklist, { tokenId: claims.jti, sessionId: claims.sid })) {
      throw tokenRefused('revoked_in_kv');
    }
    c.set('auth', {
      holderId: claims.sub,
      sessionId: claims.sid,
      tokenId: claims.jti,
      expiresAtSeconds: claims.exp,
    });
    await next();
  });
}

/** Authentication for reads and most routes: a valid token that KV does not list as revoked. */
export const requireAuth = authenticate({ isLiveSessionRequired: false });

/** Authentication for routes that move money or change credentials: the D1 session row. */
export const requireLiveAuth = authenticate({ isLiveSessionRequired: true });
