import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, serviceDeps } from '../middleware/auth';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { NICKNAME_LENGTH_MAX, PAGE_SIZE_DEFAULT } from '../lib/limits';
import { createAccount, getOwnedAccount, listAccounts, updateAccount } from '../services/accounts';
import { toAccountView } from '../services/views';
import { idParamSchema, pageQuerySchema, text } from './schemas';

const accountTypeSchema = z.enum(['checking', 'savings']);

export const createAccountBodySchema = z.strictObject({
  account_type: accountTypeSchema,
  nickname: text({ min: 0, max: NICKNAME_LENGTH_MAX }).optional(),
});

export const updateAccountBodySchema = z
  .strictObject({
    nickname: text({ min: 0, max: NICKNAME_LENGTH_MAX }).nullable().optional(),
    account_type: accountTypeSchema.optional(),
    status: z.enum(['active', 'frozen', 'closed']).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, 'Send at least one field to change.');

export const listAccountsQuerySchema = z.strictObject(pageQuerySchema);

export const accountsRoutes = new Hono<AppEnv>();

accountsRoutes.use(requireAuth);

accountsRoutes.post('/', requireJsonBody, validate('json', createAccountBodySchema), async (c) => {
  const row = await createAccount(serviceDeps(c), c.get('auth').holderId, c.req.valid('json'));
  return c.json(toAccountView(row), 201, { Location: `/api/v1/accounts/${row.id}` });
});

accountsRoutes.get('/', validate('query', listAccountsQuerySchema), async (c) => {
  const query = c.req.valid('query');
  const page = await listAccounts(serviceDeps(c), c.get('auth').holderId, {
    limit: query.limit ?? PAGE_SIZE_DEFAULT,
    cursor: query.cursor,
  });
  return c.json({ data: page.rows.map(toAccountView), next_cursor: page.nextCursor });
});

accountsRoutes.get('/:id', validate('param', idParamSchema), async (c) => {
  const row = await getOwnedAccount(
    serviceDeps(c),
    c.get('auth').holderId,
    c.req.valid('param').id,
  );
  return c.json(toAccountView(row));
});

accountsRoutes.patch(
  '/:id',
  validate('param', idParamSchema),
  requireJsonBody,
  validate('json', updateAccountBodySchema),
  async (c) => {
    const deps = serviceDeps(c);
    const row = await updateAccount(
      deps,
      c.get('auth').holderId,
      c.req.valid('param').id,
      c.req.valid('json'),
    );
    return c.json(toAccountView(row));
  },
);
