import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { IDEMPOTENCY_KEY_LENGTH_MAX } from '../../src/lib/limits';
import { requestFingerprint } from '../../src/services/idempotency';
import { api, expectProblem, newCustomer, type Customer } from '../helpers';
import { expectLedgerInvariants } from '../ledger';

async function openFunded(customer: Customer, amount: string) {
  const account = await api('POST', '/accounts', {
    token: customer.accessToken,
    body: { account_type: 'checking' },
  });
  await api('POST', '/transactions/deposit', {
    token: customer.accessToken,
    body: { account_id: account.body.id, amount },
  });
  return account.body as { id: string; account_number: string };
}

function withdrawWithKey(customer: Customer, accountId: string, amount: string, key: string) {
  return api('POST', '/transactions/withdraw', {
    token: customer.accessToken,
    body: { account_id: accountId, amount },
    headers: { 'Idempotency-Key': key },
  });
}

async function movementsOf(accountId: string): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM transactions WHERE account_id = ?')
    .bind(accountId)
    .first<{ n: number }>();
  return row?.n ?? -1;
}

describe('Idempotency-Key on money-moving POSTs', () => {
  it('replays the first answer with Idempotent-Replayed and moves money once', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '100.00');
    const first = await withdrawWithKey(customer, account.id, '30.00', 'key-replay');
    const second = await withdrawWithKey(customer, account.id, '30.00', 'key-replay');
    expect(first.status).toBe(201);
    expect(first.headers.get('Idempotent-Replayed')).toBeNull();
    expect(second.status).toBe(201);
    expect(second.headers.get('Idempotent-Replayed')).toBe('true');
    expect(second.body).toEqual(first.body);
    expect(await movementsOf(account.id)).toBe(2);
    await expectLedgerInvariants();
  });

  it('treats "30", 30 and "30.00" as the same request', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '100.00');
    const first = await withdrawWithKey(customer, account.id, '30', 'key-normalized');
    const second = await api('POST', '/transactions/withdraw', {
      token: customer.accessToken,
      body: { amount: 30, account_id: account.id },
      headers: { 'Idempotency-Key': 'key-normalized' },
    });
    expect(second.status).toBe(201);
    expect(second.body).toEqual(first.body);
  });

  it('refuses the same key with a different body with 422 and moves nothing', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '100.00');
    await withdrawWithKey(customer, account.id, '30.00', 'key-mismatch');
    const response = await withdrawWithKey(customer, account.id, '31.00', 'key-mismatch');
    expectProblem(response, 422, 'idempotency-key-reused');
    expect(await movementsOf(account.id)).toBe(2);
  });

  it('refuses the same key on another operation with 422', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '100.00');
    await withdrawWithKey(customer, account.id, '30.00', 'key-operation');
    const response = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '30.00' },
      headers: { 'Idempotency-Key': 'key-operation' },
    });
    expectProblem(response, 422, 'idempotency-key-reused');
  });

  it('keeps keys per account holder, so another holder’s equal key is independent', async () => {
    const first = await newCustomer();
    const second = await newCustomer();
    const firstAccount = await openFunded(first, '100.00');
    const secondAccount = await openFunded(second, '100.00');
    const a = await withdrawWithKey(first, firstAccount.id, '10.00', 'shared-key');
    const b = await withdrawWithKey(second, secondAccount.id, '10.00', 'shared-key');
    expect(a.status).toBe(201);
    expect(b.status).toBe(201);
    expect(b.headers.get('Idempotent-Replayed')).toBeNull();
    expect(b.body.account_id).toBe(secondAccount.id);
  });

  it('replays a refusal too: an overdraft retried with its key stays refused', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '10.00');
    const first = await withdrawWithKey(customer, account.id, '20.00', 'key-refused');
    expectProblem(first, 422, 'insufficient-funds');
    await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '50.00' },
    });
    const retry = await withdrawWithKey(customer, account.id, '20.00', 'key-refused');
    expect(retry.status).toBe(422);
    expect(retry.headers.get('Idempotent-Replayed')).toBe('true');
    expect(retry.body.type).toBe(first.body.type);
  });

  it('answers 409 while the first request with the key is still in flight', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '10.00');
    const holder = await api('GET', '/account-holders/me', { token: customer.accessToken });
    const farFuture = '2999-01-01T00:00:00.000Z';
    const hash = await requestFingerprint('withdrawal', {
      account_id: account.id,
      amount: 100,
      description: null,
    });
    await env.DB.prepare(
      `INSERT INTO idempotency_keys (holder_id, idempotency_key, request_hash, state,
         lease_expires_at, expires_at, created_at, updated_at)
       VALUES (?, 'key-busy', ?, 'in_flight', ?, ?, ?, ?)`,
    )
      .bind(holder.body.id, hash, farFuture, farFuture, farFuture, farFuture)
      .run();
    const response = await withdrawWithKey(customer, account.id, '1.00', 'key-busy');
    expectProblem(response, 409, 'idempotency-key-in-flight');
    expect(await movementsOf(account.id)).toBe(1);
  });

  it('moves money once when the same key arrives many times at once', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '100.00');
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => withdrawWithKey(customer, account.id, '10.00', 'key-burst')),
    );
    const created = responses.filter((response) => response.status === 201);
    const inFlight = responses.filter((response) => response.status === 409);
    expect(created.length + inFlight.length).toBe(10);
    expect(created.length).toBeGreaterThanOrEqual(1);
    for (const response of created) expect(response.body.id).toBe(created[0]?.body.id);
    expect(await movementsOf(account.id)).toBe(2);
    const after = await api('GET', `/accounts/${account.id}`, { token: customer.accessToken });
    expect(after.body.balance).toBe('90.00');
  });

  it.each([
    ['an empty key', ''],
    ['a key with a space', 'two words'],
    ['a non-ASCII key', 'clé'],
    ['a key one character too long', 'k'.repeat(IDEMPOTENCY_KEY_LENGTH_MAX + 1)],
  ])('refuses %s with 400', async (_label, key) => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '100.00');
    const response = await api('POST', '/transactions/withdraw', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '1.00' },
      headers: { 'Idempotency-Key': key },
    });
    expectProblem(response, 400, 'bad-request');
    expect(await movementsOf(account.id)).toBe(1);
  });

  it('accepts a key of exactly the maximum length', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '100.00');
    const key = 'k'.repeat(IDEMPOTENCY_KEY_LENGTH_MAX);
    const response = await withdrawWithKey(customer, account.id, '1.00', key);
    expect(response.status).toBe(201);
  });
});
