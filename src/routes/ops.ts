import { Hono } from 'hono';
import { z } from 'zod';
import { ConflictError, NotFoundError } from '../errors';
import { KEY_REWRAP_BATCH_SIZE_DEFAULT, KEY_REWRAP_BATCH_SIZE_MAX } from '../lib/limits';
import { serviceDeps } from '../middleware/auth';
import type { AppEnv } from '../middleware/context';
import { requireOpsToken } from '../middleware/ops-auth';
import { validate } from '../middleware/validate';
import { recordAuditEvent } from '../services/audit';
import { runRewrapPass } from '../services/key-rotation';
import { checkKeyRetirement, keyStatus } from '../services/key-status';
import { replaceDataKey } from '../services/sealed-fields';
import { idParamSchema } from './schemas';

/**
 * Operator routes for key management (docs/key-management.md), outside /api/v1 and
 * authenticated by OPS_API_TOKEN only. app.ts mounts them at /ops.
 */
export const opsRoutes = new Hono<AppEnv>();

opsRoutes.use('*', requireOpsToken);

opsRoutes.get('/keys/status', async (c) => c.json(await keyStatus(serviceDeps(c))));

const BATCH_SIZE_MESSAGE =
  `batch_size must be a whole number from 1 to ` + `${KEY_REWRAP_BATCH_SIZE_MAX}`;

export const rewrapQuerySchema = z.strictObject({
  // One message for every way to miss the range; `abort` keeps a long value from also
  // failing the pattern and reporting it twice.
  batch_size: z
    .string({ error: BATCH_SIZE_MESSAGE })
    .max(4, { error: BATCH_SIZE_MESSAGE, abort: true })
    .regex(/^[1-9]\d*$/, BATCH_SIZE_MESSAGE)
    .transform(Number)
    .refine((size) => size <= KEY_REWRAP_BATCH_SIZE_MAX, { message: BATCH_SIZE_MESSAGE })
    .optional(),
});

opsRoutes.post('/keys/rewrap', validate('query', rewrapQuerySchema), async (c) => {
  const deps = serviceDeps(c);
  const batchSize = c.req.valid('query').batch_size ?? KEY_REWRAP_BATCH_SIZE_DEFAULT;
  const pass = await runRewrapPass(deps, { batchSize });
  // Every operator pass is on the record, an empty one too: it shows someone checked.
  await recordAuditEvent(deps, {
    type: 'key_rewrap_pass',
    outcome: pass.failed > 0 ? 'failure' : 'success',
  });
  return c.json({ ...pass, status: await keyStatus(deps) });
});

export const retireCheckQuerySchema = z.strictObject({
  kind: z.enum(['key_encryption_key', 'blind_index_key']),
  key_id: z
    .string()
    .max(16)
    .regex(/^[A-Za-z0-9_-]{1,16}$/, 'key_id must be a key id'),
});

opsRoutes.get('/keys/retire-check', validate('query', retireCheckQuerySchema), async (c) => {
  const query = c.req.valid('query');
  const check = await checkKeyRetirement(serviceDeps(c), { kind: query.kind, keyId: query.key_id });
  if (!check.can_retire) {
    const detail =
      check.reason === 'current_key'
        ? `Key ${check.key_id} is the current key; make another key current first.`
        : `Key ${check.key_id} is still needed by ${check.rows} stored rows; run the rewrap job ` +
          'until it reports none.' +
          (query.kind === 'blind_index_key'
            ? ' Unused MFA recovery codes made under this key cannot be recomputed and keep it ' +
              'needed until they are used or replaced (docs/key-management.md).'
            : '');
    throw new ConflictError('key-still-in-use', detail, { reason: check.reason ?? undefined });
  }
  return c.json(check);
});

opsRoutes.post(
  '/keys/holders/:id/replace-data-key',
  validate('param', idParamSchema),
  async (c) => {
    const holderId = c.req.valid('param').id;
    const deps = serviceDeps(c);
    const replaced = await replaceDataKey(deps, holderId).catch(async (error: unknown) => {
      // An unknown holder has nothing to record; any other failure left a key in place.
      if (!(error instanceof NotFoundError)) {
        await recordAuditEvent(deps, { type: 'data_key_replaced', outcome: 'failure', holderId });
      }
      throw error;
    });
    await recordAuditEvent(deps, { type: 'data_key_replaced', outcome: 'success', holderId });
    return c.json({
      holder_id: holderId,
      data_key_version: replaced.version,
      values_resealed: replaced.resealed,
    });
  },
);
