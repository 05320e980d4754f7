import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { TokenInvalidError, verifyToken } from '../crypto/tokens';
import { getDb } from '../db/client';
import { AuthenticationError } from '../errors';
import { TOKEN_LENGTH_MAX } from '../lib/limits';
import type { ServiceDeps } from '../services/deps';
import { isBlocked } from '../services/revocation';
import { isSessionLive } from '../services/sessions';
import type { AppEnv } from './context';

/** The dependencies a service call needs, built from the request context. */
export function serviceDeps(c: Context<AppEnv>): ServiceDeps {
  return {
    db: getDb(c.env.DB),
    env: c.env,
    config: c.get('config'),
    blocklist: c.get('blocklist'),
    nowMs: c.get('clock').nowMs(),
  };
}

const BEARER_PATTERN = new RegExp(`^Bearer ([A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+\\.[A-Za-z0-9_-]+)$`);

function tokenRefused(reason: string): AuthenticationError {
  return new AuthenticationError('The access token is missing, invalid, expired or revoked.', {
    reason,
    isTokenError: true,
  });
}

/**
 * Requires a valid access token in `Authorization: Bearer` (never a query parameter or
 * cookie), not blocked in KV. Every failure gets the same answer; the reason is only logged.
 */
export const requireAuth = createMiddleware<AppEnv>(async (c, next) => {
  const header = c.req.header('Authorization');
  if (header === undefined) throw tokenRefused('missing_token');
  const match = header.length <= TOKEN_LENGTH_MAX + 7 ? BEARER_PATTERN.exec(header) : null;
  if (!match?.[1]) throw tokenRefused('malformed_authorization');

  const deps = serviceDeps(c);
  let claims;
  try {
    claims = await verifyToken(deps.config, 'access', match[1], deps.nowMs);
  } catch (error) {
    throw tokenRefused(error instanceof TokenInvalidError ? error.message : 'verify_failed');
  }
  if (await isBlocked(deps.blocklist, { tokenId: claims.jti, sessionId: claims.sid })) {
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

/**
 * For routes that move money: the session must also be live in D1. KV may still say "not
 * revoked" for a minute after a logout elsewhere; D1 is strongly consistent, so a revoked
 * session can never move money.
 */
export const requireLiveSession = createMiddleware<AppEnv>(async (c, next) => {
  const auth = c.get('auth');
  const isLive = await isSessionLive(serviceDeps(c), {
    sessionId: auth.sessionId,
    holderId: auth.holderId,
  });
  if (!isLive) throw tokenRefused('session_not_live');
  await next();
});
