import { env, SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { z } from 'zod';
import * as schemas from '../../src/routes/responses';
import { api, newCustomer, STRONG_PASSWORD } from '../helpers';
import { enrolledHolder, passwordStep } from '../mfa-helpers';

/**
 * The response schemas of the OpenAPI document, checked against real answers: a view that
 * gains, loses or reshapes a field fails here until responses.ts describes it.
 */
function expectShape(schema: z.ZodType, body: unknown): void {
  const result = schema.safeParse(body);
  expect(result.error?.issues ?? []).toEqual([]);
}

describe('response schemas', () => {
  it('match the answers of the account, transaction, card and statement routes', async () => {
    const { accessToken: token } = await newCustomer();
    const account = await api('POST', '/accounts', {
      token,
      body: { account_type: 'checking', nickname: 'Everyday' },
    });
    expect(account.status).toBe(201);
    expectShape(schemas.accountSchema, account.body);
    const accountId = account.body.id;

    const deposit = await api('POST', '/transactions/deposit', {
      token,
      headers: { 'Idempotency-Key': 'schema-check-1' },
      body: { account_id: accountId, amount: '100.00', description: 'Paycheck' },
    });
    expect(deposit.status).toBe(201);
    expectShape(schemas.transactionSchema, deposit.body);
    const transfer = await api('POST', '/transactions/transfer', {
      token,
      body: {
        from_account_id: accountId,
        to_routing_number: '021000021',
        to_account_number: '12345678',
        amount: 5,
      },
    });
    expect(transfer.status).toBe(201);
    expectShape(schemas.transactionSchema, transfer.body);

    const card = await api('POST', '/cards', {
      token,
      body: { account_id: accountId, card_type: 'debit' },
    });
    expect(card.status).toBe(201);
    expectShape(schemas.cardSchema, card.body);

    const reads: Array<[string, z.ZodType]> = [
      ['/accounts', schemas.accountPageSchema],
      [`/accounts/${accountId}`, schemas.accountSchema],
      ['/transactions', schemas.transactionPageSchema],
      [`/transactions/${deposit.body.id}`, schemas.transactionSchema],
      ['/cards', schemas.cardPageSchema],
      [`/cards/${card.body.id}`, schemas.cardSchema],
      ['/statements', schemas.statementSchema],
      ['/account-holders/me', schemas.holderSchema],
      ['/account-holders/me/audit-events', schemas.auditEventPageSchema],
      ['/auth/sessions', schemas.sessionPageSchema],
    ];
    for (const [path, schema] of reads) {
      const response = await api('GET', path, { token });
      expect(response.status, path).toBe(200);
      expectShape(schema, response.body);
    }
  });

  it('match the token pair, the MFA challenge, the TOTP setup and the recovery codes', async () => {
    const signup = await newCustomer();
    const refreshed = await api('POST', '/auth/refresh', {
      body: { refresh_token: signup.refreshToken },
    });
    expectShape(schemas.tokenPairSchema, refreshed.body);

    const holder = await enrolledHolder();
    expectShape(schemas.recoveryCodesSchema, { recovery_codes: holder.recoveryCodes });
    const mfaToken = await passwordStep(holder);
    expectShape(schemas.mfaChallengeSchema, { mfa_required: true, mfa_token: mfaToken });
    const setup = await api('POST', '/auth/mfa/totp/setup', { token: signup.accessToken });
    expect(setup.status).toBe(200);
    expectShape(schemas.totpSetupSchema, setup.body);
  });

  it('match the operations routes and a problem', async () => {
    const answers: Array<[string, z.ZodType]> = [
      ['/health', schemas.healthSchema],
      ['/health/ready', schemas.readinessSchema],
      ['/.well-known/jwks.json', schemas.jwksSchema],
      ['/api/v1/accounts/not-an-id', schemas.problemSchema],
    ];
    for (const [path, schema] of answers) {
      const response = await SELF.fetch(`https://bank.test${path}`);
      expectShape(schema, await response.json());
    }
  });

  it('match the key-management answers, and erasure answers with no body', async () => {
    const { accessToken } = await newCustomer();
    const holderId = (await api('GET', '/account-holders/me', { token: accessToken })).body.id;
    const opsFetch = (method: string, path: string) =>
      SELF.fetch(`https://bank.test/ops/keys${path}`, {
        method,
        headers: { Authorization: `Bearer ${env.OPS_API_TOKEN}` },
      });
    const answers: Array<[string, string, z.ZodType]> = [
      ['GET', '/status', schemas.keyStatusSchema],
      ['POST', '/rewrap?batch_size=5', schemas.rewrapPassSchema],
      ['GET', '/retire-check?kind=key_encryption_key&key_id=k0', schemas.retireCheckSchema],
      ['POST', `/holders/${holderId}/replace-data-key`, schemas.dataKeyReplacementSchema],
    ];
    for (const [method, path, schema] of answers) {
      const response = await opsFetch(method, path);
      expect(response.status, path).toBe(200);
      expectShape(schema, await response.json());
    }

    const erased = await api('DELETE', '/account-holders/me', {
      token: accessToken,
      body: { password: STRONG_PASSWORD },
    });
    expect(erased.status).toBe(204);
    expect(erased.body).toBe('');
  });

  it('refuse an answer with a field they do not describe, so the checks can fail', () => {
    const result = schemas.healthSchema.safeParse({ status: 'ok', version: '1' });
    expect(result.success).toBe(false);
  });
});
