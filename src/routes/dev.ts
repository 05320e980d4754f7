import { Hono } from 'hono';
import { z } from 'zod';
import { serviceDeps } from '../middleware/auth';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { readOutbox } from '../services/mailer';
import { emailSchema } from './schemas';

/**
 * Development-only routes, mounted behind an environment check in app.ts. The outbox holds
 * the mail the development mailer "sent", reset tokens included, so it must never be
 * reachable in staging or production.
 */
export const devRoutes = new Hono<AppEnv>();

devRoutes.get('/outbox', validate('query', z.strictObject({ to: emailSchema })), async (c) => {
  const messages = await readOutbox(serviceDeps(c), c.req.valid('query').to);
  return c.json({ data: messages });
});
