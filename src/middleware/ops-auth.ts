import { createMiddleware } from 'hono/factory';
import { AuthenticationError, NotFoundError } from '../errors';
import { utf8 } from '../lib/encoding';
import type { AppEnv } from './context';

const OPS_BEARER_PATTERN = /^bearer ([\x21-\x7e]{1,512})$/i;

/**
 * Equality of two secrets in time that does not depend on where they differ: both are hashed
 * first, so the comparison runs over equal lengths and leaks neither content nor length.
 */
async function isSameSecret(presented: string, expected: string): Promise<boolean> {
  const [left, right] = await Promise.all([
    crypto.subtle.digest('SHA-256', utf8.encode(presented)),
    crypto.subtle.digest('SHA-256', utf8.encode(expected)),
  ]);
  return crypto.subtle.timingSafeEqual(left, right);
}

/**
 * Guards the operator routes with their own secret, OPS_API_TOKEN, never a holder's access
 * token: no customer credential, however privileged it later becomes, reaches key management.
 * Without the secret the routes do not exist (404 for every method), like the bench routes.
 */
export const requireOpsToken = createMiddleware<AppEnv>(async (c, next) => {
  const expected = c.get('config').opsApiToken;
  if (expected === null) throw new NotFoundError('No such route.');
  const match = OPS_BEARER_PATTERN.exec(c.req.header('Authorization') ?? '');
  if (!match?.[1] || !(await isSameSecret(match[1], expected))) {
    throw new AuthenticationError('The operator token is missing or wrong.', {
      reason: 'ops_token_refused',
      isTokenError: true,
    });
  }
  await next();
});
