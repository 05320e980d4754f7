import { Hono } from 'hono';
import { z } from 'zod';
import { requireAuth, serviceDeps } from '../middleware/auth';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { PAGE_SIZE_DEFAULT } from '../lib/limits';
import { createCard, getOwnedCard, listCards, updateCardStatus } from '../services/cards';
import { toCardView } from '../services/views';
import { idParamSchema, pageQuerySchema, uuidSchema } from './schemas';

export const createCardBodySchema = z.strictObject({
  account_id: uuidSchema,
  card_type: z.enum(['debit', 'credit']),
});

export const updateCardBodySchema = z.strictObject({
  status: z.enum(['active', 'frozen', 'cancelled']),
});

export const listCardsQuerySchema = z.strictObject({
  account_id: uuidSchema.optional(),
  ...pageQuerySchema,
});

export const cardsRoutes = new Hono<AppEnv>();

cardsRoutes.use(requireAuth);

cardsRoutes.post('/', requireJsonBody, validate('json', createCardBodySchema), async (c) => {
  const row = await createCard(serviceDeps(c), c.get('auth').holderId, c.req.valid('json'));
  return c.json(toCardView(row), 201, { Location: `/api/v1/cards/${row.id}` });
});

cardsRoutes.get('/', validate('query', listCardsQuerySchema), async (c) => {
  const query = c.req.valid('query');
  const filters = { accountId: query.account_id };
  const page = await listCards(serviceDeps(c), c.get('auth').holderId, filters, {
    limit: query.limit ?? PAGE_SIZE_DEFAULT,
    cursor: query.cursor,
  });
  return c.json({ data: page.rows.map(toCardView), next_cursor: page.nextCursor });
});

cardsRoutes.get('/:id', validate('param', idParamSchema), async (c) => {
  const row = await getOwnedCard(serviceDeps(c), c.get('auth').holderId, c.req.valid('param').id);
  return c.json(toCardView(row));
});

cardsRoutes.patch(
  '/:id',
  validate('param', idParamSchema),
  requireJsonBody,
  validate('json', updateCardBodySchema),
  async (c) => {
    const holderId = c.get('auth').holderId;
    const cardId = c.req.valid('param').id;
    const { status } = c.req.valid('json');
    const row = await updateCardStatus(serviceDeps(c), holderId, cardId, status);
    return c.json(toCardView(row));
  },
);
