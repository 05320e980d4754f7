import { z } from 'zod';
import * as limits from '../lib/limits';

/**
 * The JSON bodies the routes answer with, as zod schemas. They feed the OpenAPI document and
 * the tests, which parse real answers with them; no route parses its own output. Objects are
 * strict, so a field that a view adds without a change here fails those tests.
 */

const id = z.uuid().meta({ example: '01a23cf0-3235-7c3a-9e61-6a2f1b0c4d5e' });
const timestamp = z.iso.datetime().meta({ example: '2026-12-03T16:20:00.000Z' });
const date = z.iso.date().meta({ example: '2026-12-03' });
const money = z
  .string()
  .regex(/^\d{1,10}\.\d{2}$/)
  .meta({ description: 'An exact decimal amount with two places.', example: '1000.00' });
const currency = z.literal('USD');

export const problemSchema = z
  .object({
    type: z.url().meta({ example: 'https://invisible-bank.dev/problems/validation-failed' }),
    title: z.string().meta({ example: 'Validation failed' }),
    status: z.int().min(400).max(599).meta({ example: 422 }),
    detail: z.string().meta({ example: 'The request body failed validation.' }),
    instance: z.string().optional(),
    request_id: z.string().max(limits.REQUEST_ID_LENGTH_MAX),
    errors: z
      .array(z.strictObject({ path: z.string(), message: z.string() }))
      .optional()
      .meta({ description: 'Only on validation failures: one entry per failing field.' }),
  })
  .meta({
    id: 'Problem',
    description: 'An RFC 9457 problem. Clients must ignore members they do not know.',
  });

export const tokenPairSchema = z
  .strictObject({
    access_token: z.string(),
    refresh_token: z.string().meta({ description: 'Works once; refresh answers a new pair.' }),
    token_type: z.literal('bearer'),
    expires_in: z.int().positive().meta({ description: 'Seconds.', example: 900 }),
  })
  .meta({ id: 'TokenPair' });

export const mfaChallengeSchema = z
  .strictObject({
    mfa_required: z.literal(true),
    mfa_token: z.string().meta({ description: 'Send it with a code to /auth/mfa/verify.' }),
  })
  .meta({ id: 'MfaChallenge' });

export const totpSetupSchema = z
  .strictObject({ secret: z.string(), otpauth_uri: z.string().regex(/^otpauth:\/\/totp\//) })
  .meta({ id: 'TotpSetup' });

export const recoveryCodesSchema = z
  .strictObject({ recovery_codes: z.array(z.string()) })
  .meta({ id: 'RecoveryCodes', description: 'Shown once; each code works once.' });

export const sessionSchema = z
  .strictObject({
    id,
    created_at: timestamp,
    last_used_at: timestamp,
    user_agent: z.string().nullable(),
    current: z.boolean().meta({ description: 'True for the session of this access token.' }),
  })
  .meta({ id: 'Session' });

export const holderSchema = z
  .strictObject({
    id,
    name: z.string().meta({ example: 'Ada Lovelace' }),
    email: z.email().meta({ example: 'ada@example.com' }),
    date_of_birth: date,
    mailing_address: z.string(),
    ssn_last4: z.string().regex(/^\d{4}$/),
    mfa_enabled: z.boolean(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'AccountHolder', description: 'The full SSN is never returned.' });

export const auditEventSchema = z
  .strictObject({
    id,
    type: z.string().meta({ example: 'login' }),
    outcome: z.enum(['success', 'failure']),
    ip: z.string().nullable(),
    created_at: timestamp,
  })
  .meta({ id: 'AuditEvent' });

export const accountSchema = z
  .strictObject({
    id,
    account_number: z.string().regex(/^\d{10}$/),
    routing_number: z.literal('123456789'),
    account_type: z.enum(['checking', 'savings']),
    nickname: z.string().nullable(),
    status: z.enum(['active', 'frozen', 'closed']),
    balance: money,
    currency,
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Account' });

export const transactionSchema = z
  .strictObject({
    id,
    account_id: id,
    type: z.enum(['deposit', 'withdrawal', 'transfer']),
    direction: z.enum(['credit', 'debit']),
    amount: money,
    currency,
    balance_after: money,
    status: z.enum(['posted', 'pending']),
    transfer_id: id.nullable().meta({ description: 'The same on both legs of a transfer.' }),
    peer_routing_number: z.string().nullable(),
    peer_account_number: z.string().nullable(),
    description: z.string().nullable(),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Transaction' });

export const cardSchema = z
  .strictObject({
    id,
    account_id: id,
    card_type: z.enum(['debit', 'credit']),
    last4: z.string().regex(/^\d{4}$/),
    expiry_month: z.int().min(1).max(12),
    expiry_year: z.int(),
    status: z.enum(['active', 'frozen', 'cancelled']),
    created_at: timestamp,
    updated_at: timestamp,
  })
  .meta({ id: 'Card', description: 'The card number is never returned whole.' });

export const statementSchema = z
  .strictObject({
    period_start: date,
    period_end: date,
    currency,
    accounts: z.array(
      z.strictObject({
        account_id: id,
        account_number: z.string(),
        account_type: z.enum(['checking', 'savings']),
        opening_balance: money,
        closing_balance: money,
        total_credits: money,
        total_debits: money,
        transactions: z.array(transactionSchema).meta({ description: 'Oldest first.' }),
      }),
    ),
    total_transactions: z.int().nonnegative(),
  })
  .meta({ id: 'Statement' });

/** A page of a list: `next_cursor` is null on the last page. */
function pageOf<T extends z.ZodType>(item: T, name: string) {
  return z
    .strictObject({ data: z.array(item), next_cursor: z.string().nullable() })
    .meta({ id: `${name}Page` });
}

export const sessionPageSchema = pageOf(sessionSchema, 'Session');
export const auditEventPageSchema = pageOf(auditEventSchema, 'AuditEvent');
export const accountPageSchema = pageOf(accountSchema, 'Account');
export const transactionPageSchema = pageOf(transactionSchema, 'Transaction');
export const cardPageSchema = pageOf(cardSchema, 'Card');

export const healthSchema = z.strictObject({ status: z.literal('ok') }).meta({ id: 'Health' });

export const readinessSchema = z
  .strictObject({
    status: z.literal('ready'),
    checks: z.strictObject({ d1: z.literal('ok'), kv: z.literal('ok'), keys: z.literal('ok') }),
  })
  .meta({ id: 'Readiness' });

export const jwksSchema = z
  .strictObject({
    keys: z.array(
      z.strictObject({
        kty: z.literal('OKP'),
        crv: z.literal('Ed25519'),
        x: z.string(),
        kid: z.string(),
        alg: z.literal('EdDSA'),
        use: z.literal('sig'),
      }),
    ),
  })
  .meta({ id: 'JsonWebKeySet', description: 'Empty while tokens are signed with HS256 only.' });

const keyId = z.string().meta({ example: 'k2' });
const rowCount = z.int().min(0);

const keyUseSchema = z
  .strictObject({
    key_id: keyId,
    is_current: z.boolean(),
    is_in_ring: z.boolean(),
    rows: rowCount.meta({ description: 'Rows that need this key; it may leave at zero.' }),
  })
  .meta({ id: 'KeyUse' });

export const keyStatusSchema = z
  .strictObject({
    key_encryption_keys: z.array(keyUseSchema),
    legacy_values: z.record(z.string(), rowCount),
    blind_index_keys: z.array(keyUseSchema),
    rows_on_old_keys: rowCount.meta({ description: 'Zero once the rewrap job has caught up.' }),
    recovery_codes_on_old_keys: rowCount,
    missing_key_ids: z.array(keyId),
  })
  .meta({ id: 'KeyStatus' });

export const rewrapPassSchema = z
  .strictObject({
    data_keys_rewrapped: rowCount,
    legacy_values_resealed: rowCount,
    blind_indexes_recomputed: rowCount,
    failed: rowCount,
    status: keyStatusSchema,
  })
  .meta({ id: 'RewrapPass' });

export const retireCheckSchema = z
  .strictObject({
    key_id: keyId,
    kind: z.enum(['key_encryption_key', 'blind_index_key']),
    can_retire: z.literal(true),
    reason: z.null(),
    rows: z.literal(0),
  })
  .meta({ id: 'RetireCheck' });

export const dataKeyReplacementSchema = z
  .strictObject({
    holder_id: id,
    data_key_version: z.int().min(1),
    values_resealed: rowCount,
  })
  .meta({ id: 'DataKeyReplacement' });
