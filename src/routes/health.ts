import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';
import { UnavailableError } from '../errors';
import { log } from '../lib/log';
import { serviceDeps } from '../middleware/auth';
import { assertKeyEncryptionKeysPresent } from '../services/key-status';

export const healthRoutes = new Hono<AppEnv>();

healthRoutes.get('/health', (c) => c.json({ status: 'ok' }));

healthRoutes.get('/health/ready', async (c) => {
  const checks = await Promise.allSettled([
    c.env.DB.prepare('SELECT 1 AS ok').first(),
    c.env.REVOKED_TOKENS.get('readiness-probe'),
  ]);
  const failed = checks.filter((check) => check.status === 'rejected').length;
  if (failed > 0) {
    log('error', 'readiness_failed', { requestId: c.get('requestId'), count: failed });
    throw new UnavailableError('A dependency is not answering.', { retryAfterSeconds: 5 });
  }
  // Data keys wrapped by a KEK that is no longer in the ring cannot be opened: removing a key
  // too early must show here, naming the key id, not only when a holder's request fails.
  await assertKeyEncryptionKeysPresent(serviceDeps(c));
  return c.json({ status: 'ready', checks: { d1: 'ok', kv: 'ok', keys: 'ok' } });
});
