import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { BadRequestError, MethodNotAllowedError } from '../errors';
import { requireAuth, requireLiveAuth, serviceDeps } from '../middleware/auth';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { limitMoneyByHolder } from '../middleware/rate-limit';
import { validate } from '../middleware/validate';
import { PAGE_SIZE_DEFAULT, SEARCH_TEXT_LENGTH_MAX, SEARCH_WORDS_MAX } from '../lib/limits';
import {
  deposit,
  transfer,
  withdraw,
  type MoneyRequest,
  type MoneyResult,
} from '../services/money';
import { getOwnedTransaction, listTransactions } from '../services/transactions';
import { toTransactionView } from '../services/views';
import {
  amountSchema,
  calendarDateSchema,
  descriptionSchema,
  idempotencyKeySchema,
  idParamSchema,
  pageQuerySchema,
  text,
  uuidSchema,
} from './schemas';

export const depositBodySchema = z.strictObject({
  account_id: uuidSchema,
  amount: amountSchema,
  description: descriptionSchema.optional(),
});

export const withdrawBodySchema = depositBodySchema;

export const transferBodySchema = z.strictObject({
  from_account_id: uuidSchema,
  to_routing_number: z.string().regex(/^\d{9}$/, 'Must be 9 digits.'),
  to_account_number: z.string().regex(/^\d{4,17}$/, 'Must be 4 to 17 digits.'),
  amount: amountSchema,
  description: descriptionSchema.optional(),
});

/** The caller and the optional Idempotency-Key: 1..255 visible ASCII characters. */
function moneyRequest(c: Context<AppEnv>): MoneyRequest {
  const key = c.req.header('Idempotency-Key');
  if (key !== undefined && !idempotencyKeySchema.safeParse(key).success) {
    throw new BadRequestError(
      'The Idempotency-Key header must be 1 to 255 visible ASCII characters.',
    );
  }
  const auth = c.get('auth');
  return {
    holderId: auth.holderId,
    sessionId: auth.sessionId,
    requestId: c.get('requestId'),
    idempotencyKey: key,
  };
}

function moneyResponse(result: MoneyResult): Response {
  const headers = new Headers({ 'Content-Type': result.contentType });
  if (result.isReplay) headers.set('Idempotent-Replayed', 'true');
  return new Response(JSON.stringify(result.body), { status: result.status, headers });
}

export const transactionsRoutes = new Hono<AppEnv>();

transactionsRoutes.post(
  '/deposit',
  requireLiveAuth,
  limitMoneyByHolder,
  requireJsonBody,
  validate('json', depositBodySchema),
  async (c) => moneyResponse(await deposit(serviceDeps(c), moneyRequest(c), c.req.valid('json'))),
);

transactionsRoutes.post(
  '/withdraw',
  requireLiveAuth,
  limitMoneyByHolder,
  requireJsonBody,
  validate('json', withdrawBodySchema),
  async (c) => moneyResponse(await withdraw(serviceDeps(c), moneyRequest(c), c.req.valid('json'))),
);

transactionsRoutes.post(
  '/transfer',
  requireLiveAuth,
  limitMoneyByHolder,
  requireJsonBody,
  validate('json', transferBodySchema),
  async (c) => moneyResponse(await transfer(serviceDeps(c), moneyRequest(c), c.req.valid('json'))),
);

/** `q`: up to SEARCH_WORDS_MAX words separated by spaces, every one of which must match. */
const searchTextSchema = text({ min: 1, max: SEARCH_TEXT_LENGTH_MAX })
  .transform((value) => value.split(/\s+/))
  .refine(
    (words) => words.length <= SEARCH_WORDS_MAX,
    `Must be at most ${SEARCH_WORDS_MAX} words.`,
  );

export const listTransactionsQuerySchema = z
  .strictObject({
    account_id: uuidSchema.optional(),
    type: z.enum(['deposit', 'withdrawal', 'transfer']).optional(),
    direction: z.enum(['credit', 'debit']).optional(),
    min_amount: amountSchema.optional(),
    max_amount: amountSchema.optional(),
    from: calendarDateSchema.optional(),
    to: calendarDateSchema.optional(),
    q: searchTextSchema.optional(),
    ...pageQuerySchema,
  })
  .superRefine((query, context) => {
    const { min_amount: minMinor, max_amount: maxMinor } = query;
    if (minMinor !== undefined && maxMinor !== undefined && minMinor > maxMinor) {
      context.addIssue({
        code: 'custom',
        path: ['min_amount'],
        message: 'Must not exceed max_amount.',
      });
    }
    // YYYY-MM-DD strings sort in date order.
    if (query.from !== undefined && query.to !== undefined && query.from > query.to) {
      context.addIssue({ code: 'custom', path: ['from'], message: 'Must not be after to.' });
    }
  });

/** The money routes take POST only; without this a GET would read their name as an id. */
const POST_ONLY_PATHS = new Set(['deposit', 'withdraw', 'transfer']);

transactionsRoutes.get(
  '/',
  requireAuth,
  validate('query', listTransactionsQuerySchema),
  async (c) => {
    const query = c.req.valid('query');
    const filters = {
      accountId: query.account_id,
      type: query.type,
      direction: query.direction,
      minAmountMinor: query.min_amount,
      maxAmountMinor: query.max_amount,
      fromDate: query.from,
      toDate: query.to,
      searchWords: query.q,
    };
    const page = await listTransactions(serviceDeps(c), c.get('auth').holderId, filters, {
      limit: query.limit ?? PAGE_SIZE_DEFAULT,
      cursor: query.cursor,
    });
    return c.json({ data: page.rows.map(toTransactionView), next_cursor: page.nextCursor });
  },
);

transactionsRoutes.get(
  '/:id',
  requireAuth,
  async (c, next) => {
    if (POST_ONLY_PATHS.has(c.req.param('id'))) throw new MethodNotAllowedError(['POST']);
    await next();
  },
  validate('param', idParamSchema),
  async (c) => {
    const holderId = c.get('auth').holderId;
    const row = await getOwnedTransaction(serviceDeps(c), holderId, c.req.valid('param').id);
    return c.json(toTransactionView(row));
  },
);
