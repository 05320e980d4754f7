import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { BadRequestError } from '../errors';
import { requireAuth, requireLiveSession, serviceDeps } from '../middleware/auth';
import { requireJsonBody } from '../middleware/body';
import type { AppEnv } from '../middleware/context';
import { validate } from '../middleware/validate';
import { IDEMPOTENCY_KEY_LENGTH_MAX } from '../lib/limits';
import { deposit, transfer, withdraw, type MoneyRequest, type MoneyResult } from '../services/money';
import { amountSchema, descriptionSchema, uuidSchema } from './schemas';

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

const IDEMPOTENCY_KEY_PATTERN = new RegExp(`^[\\x21-\\x7E]{1,${IDEMPOTENCY_KEY_LENGTH_MAX}}$`);

/** The caller and the optional Idempotency-Key: 1..255 visible ASCII characters. */
function moneyRequest(c: Context<AppEnv>): MoneyRequest {
  const key = c.req.header('Idempotency-Key');
  if (key !== undefined && !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    throw new BadRequestError('The Idempotency-Key header must be 1 to 255 visible ASCII characters.');
  }
  return { holderId: c.get('auth').holderId, requestId: c.get('requestId'), idempotencyKey: key };
}

function moneyResponse(result: MoneyResult): Response {
  const headers = new Headers({ 'Content-Type': result.contentType });
  if (result.isReplay) headers.set('Idempotent-Replayed', 'true');
  return new Response(JSON.stringify(result.body), { status: result.status, headers });
}

export const transactionsRoutes = new Hono<AppEnv>();

transactionsRoutes.use(requireAuth);

transactionsRoutes.post(
  '/deposit',
  requireLiveSession,
  requireJsonBody,
  validate('json', depositBodySchema),
  async (c) => moneyResponse(await deposit(serviceDeps(c), moneyRequest(c), c.req.valid('json'))),
);

transactionsRoutes.post(
  '/withdraw',
  requireLiveSession,
  requireJsonBody,
  validate('json', withdrawBodySchema),
  async (c) => moneyResponse(await withdraw(serviceDeps(c), moneyRequest(c), c.req.valid('json'))),
);

transactionsRoutes.post(
  '/transfer',
  requireLiveSession,
  requireJsonBody,
  validate('json', transferBodySchema),
  async (c) => moneyResponse(await transfer(serviceDeps(c), moneyRequest(c), c.req.valid('json'))),
);
