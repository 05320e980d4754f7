import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, serviceDeps } from '../middleware/auth';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { MAILING_ADDRESS_LENGTH_MAX, NAME_LENGTH_MAX, PAGE_SIZE_DEFAULT } from '../lib/limits';
import { listAuditEvents, toAuditEventView } from '../services/audit';
import { getHolder, toHolderView, updateHolder } from '../services/holders';
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
  const holder = await updateHolder(serviceDeps(c), c.get('auth').holderId, c.req.valid('json'));
  return c.json(toHolderView(holder));
});

export const auditEventsQuerySchema = z.strictObject(pageQuerySchema);

holdersRoutes.get('/me/audit-events', validate('query', auditEventsQuerySchema), async (c) => {
  const query = c.req.valid('query');
  const page = await listAuditEvents(serviceDeps(c), c.get('auth').holderId, {
    limit: query.limit ?? PAGE_SIZE_DEFAULT,
    cursor: query.cursor,
  });
  return c.json({ data: page.rows.map(toAuditEventView), next_cursor: page.nextCursor });
});
