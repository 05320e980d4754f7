import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, requireLiveAuth, serviceDeps } from '../middleware/auth';
import { limitCredentialRequest } from '../middleware/rate-limit';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { MAILING_ADDRESS_LENGTH_MAX, NAME_LENGTH_MAX, PAGE_SIZE_DEFAULT } from '../lib/limits';
import { listAuditEvents, toAuditEventView } from '../services/audit';
import { eraseHolder } from '../services/erasure';
import { getHolder, toHolderView, updateHolder } from '../services/holders';
import { secondFactorCodeSchema } from './mfa';
import {
  birthDateSchema,
  emailSchema,
  pageQuerySchema,
  passwordAttemptSchema,
  text,
} from './schemas';

export const updateHolderBodySchema = z
  .strictObject({
    name: text({ min: 1, max: NAME_LENGTH_MAX }).optional(),
    email: emailSchema.optional(),
    date_of_birth: birthDateSchema.optional(),
    mailing_address: text({ min: 1, max: MAILING_ADDRESS_LENGTH_MAX, multiline: true }).optional(),
    current_password: passwordAttemptSchema.optional(),
  })
  .refine(
    (body) => Object.keys(body).some((key) => key !== 'current_password'),
    'Send at least one field to change.',
  );

export const holdersRoutes = new Hono<AppEnv>();

holdersRoutes.use(requireAuth);

holdersRoutes.get('/me', async (c) => {
  const holder = await getHolder(serviceDeps(c), c.get('auth').holderId);
  return c.json(toHolderView(holder));
});

holdersRoutes.patch('/me', requireJsonBody, validate('json', updateHolderBodySchema), async (c) => {
  const changes = c.req.valid('json');
  if (changes.email !== undefined) await limitCredentialRequest(c);
  const holder = await updateHolder(serviceDeps(c), c.get('auth'), changes);
  return c.json(toHolderView(holder));
});

export const eraseHolderBodySchema = z.strictObject({
  password: passwordAttemptSchema,
  code: secondFactorCodeSchema.optional(),
});

// Erasure needs the live session check: a token whose session ended elsewhere must not erase.
holdersRoutes.delete(
  '/me',
  requireLiveAuth,
  requireJsonBody,
  validate('json', eraseHolderBodySchema),
  async (c) => {
    const auth = c.get('auth');
    const body = c.req.valid('json');
    await eraseHolder(serviceDeps(c), {
      holderId: auth.holderId,
      sessionId: auth.sessionId,
      password: body.password,
      code: body.code,
    });
    return c.body(null, 204);
  },
);

export const auditEventsQuerySchema = z.strictObject(pageQuerySchema);

holdersRoutes.get('/me/audit-events', validate('query', auditEventsQuerySchema), async (c) => {
  const query = c.req.valid('query');
  const page = await listAuditEvents(serviceDeps(c), c.get('auth').holderId, {
    limit: query.limit ?? PAGE_SIZE_DEFAULT,
    cursor: query.cursor,
  });
  return c.json({ data: page.rows.map(toAuditEventView), next_cursor: page.nextCursor });
});
