import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { ACCOUNTS_PER_HOLDER_MAX, NICKNAME_LENGTH_MAX } from '../../src/lib/limits';
import { api, expectProblem, newCustomer, type Customer } from '../helpers';

async function openAccount(customer: Customer, body: Record<string, unknown> = {}) {
  const response = await api('POST', '/accounts', {
    token: customer.accessToken,
    body: { account_type: 'checking', ...body },
  });
  expect(response.status).toBe(201);
  return response.body;
}

async function deposit(customer: Customer, accountId: string, amount: string) {
  const response = await api('POST', '/transactions/deposit', {
    token: customer.accessToken,
    body: { account_id: accountId, amount },
  });
  expect(response.status).toBe(201);
}

describe('POST /accounts', () => {
  it('opens an active account at zero with a 10-digit number and our routing number', async () => {
    const customer = await newCustomer();
    const response = await api('POST', '/accounts', {
      token: customer.accessToken,
      body: { account_type: 'savings', nickname: 'Rainy day' },
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('Location')).toBe(`/api/v1/accounts/${response.body.id}`);
    expect(Object.keys(response.body).sort()).toEqual(
      [
        'account_number',
        'account_type',
        'balance',
        'created_at',
        'currency',
        'id',
        'nickname',
        'routing_number',
        'status',
        'updated_at',
      ].sort(),
    );
    expect(response.body).toMatchObject({
      account_type: 'savings',
      nickname: 'Rainy day',
      status: 'active',
      balance: '0.00',
      currency: 'USD',
      routing_number: '123456789',
    });
    expect(response.body.account_number).toMatch(/^[1-9]\d{9}$/);
    expect(response.body.id).toMatch(
      /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
    );
  });

  it('accepts a nickname at the maximum length and refuses one character more', async () => {
    const customer = await newCustomer();
    await openAccount(customer, { nickname: 'n'.repeat(NICKNAME_LENGTH_MAX) });
    const tooLong = await api('POST', '/accounts', {
      token: customer.accessToken,
      body: { account_type: 'checking', nickname: 'n'.repeat(NICKNAME_LENGTH_MAX + 1) },
    });
    expectProblem(tooLong, 422, 'validation-failed');
    expect(tooLong.body.errors).toEqual([{ path: 'nickname', message: expect.any(String) }]);
  });

  it.each([
    ['balance', { balance: '1000000.00' }],
    ['account_number', { account_number: '1234567890' }],
    ['id', { id: '01936d7c-0000-7000-8000-000000000000' }],
    ['status', { status: 'frozen' }],
    ['holder_id', { holder_id: '01936d7c-0000-7000-8000-000000000000' }],
  ])('refuses a client-chosen %s with 422 and opens nothing', async (_field, extra) => {
    const customer = await newCustomer();
    const response = await api('POST', '/accounts', {
      token: customer.accessToken,
      body: { account_type: 'checking', ...extra },
    });
    expectProblem(response, 422, 'validation-failed');
    const list = await api('GET', '/accounts', { token: customer.accessToken });
    expect(list.body.data).toEqual([]);
  });

  it('refuses an unknown account type', async () => {
    const customer = await newCustomer();
    const response = await api('POST', '/accounts', {
      token: customer.accessToken,
      body: { account_type: 'brokerage' },
    });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors[0].path).toBe('account_type');
  });

  it('refuses a request without a token with 401', async () => {
    const response = await api('POST', '/accounts', { body: { account_type: 'checking' } });
    expectProblem(response, 401, 'unauthorized');
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  });

  it('stops at the per-holder account limit', async () => {
    const customer = await newCustomer();
    for (let index = 0; index < ACCOUNTS_PER_HOLDER_MAX; index++) await openAccount(customer);
    const response = await api('POST', '/accounts', {
      token: customer.accessToken,
      body: { account_type: 'checking' },
    });
    expectProblem(response, 422, 'account-limit-reached');
  });
});

describe('POST /accounts in parallel', () => {
  it('never opens more than the per-holder limit when many requests arrive at once', async () => {
    const customer = await newCustomer();
    const responses = await Promise.all(
      Array.from({ length: ACCOUNTS_PER_HOLDER_MAX + 5 }, () =>
        api('POST', '/accounts', {
          token: customer.accessToken,
          body: { account_type: 'savings' },
        }),
      ),
    );
    const opened = responses.filter((response) => response.status === 201);
    const refused = responses.filter((response) => response.status === 422);
    expect(opened).toHaveLength(ACCOUNTS_PER_HOLDER_MAX);
    expect(refused).toHaveLength(5);
    for (const response of refused) expect(response.body.type).toMatch(/account-limit-reached$/);
    const rows = await env.DB.prepare(
      `SELECT COUNT(*) AS n FROM accounts a
        JOIN account_holders h ON h.id = a.holder_id WHERE h.email = ?`,
    )
      .bind(customer.email)
      .first();
    expect(rows).toEqual({ n: ACCOUNTS_PER_HOLDER_MAX });
  });
});

describe('GET /accounts', () => {
  it('lists only the caller’s accounts, oldest first, in pages', async () => {
    const owner = await newCustomer();
    const other = await newCustomer();
    const opened = [await openAccount(owner), await openAccount(owner), await openAccount(owner)];
    await openAccount(other);

    const first = await api('GET', '/accounts?limit=2', { token: owner.accessToken });
    expect(first.status).toBe(200);
    expect(first.body.data.map((account: { id: string }) => account.id)).toEqual([
      opened[0].id,
      opened[1].id,
    ]);
    expect(first.body.next_cursor).toEqual(expect.any(String));
    const second = await api('GET', `/accounts?limit=2&cursor=${first.body.next_cursor}`, {
      token: owner.accessToken,
    });
    expect(second.body.data.map((account: { id: string }) => account.id)).toEqual([opened[2].id]);
    expect(second.body.next_cursor).toBeNull();
  });

  it.each(['limit=0', 'limit=101', 'limit=abc', 'cursor=not-a-cursor', 'color=blue'])(
    'refuses the query %s with 422',
    async (query) => {
      const customer = await newCustomer();
      const response = await api('GET', `/accounts?${query}`, { token: customer.accessToken });
      expectProblem(response, 422, 'validation-failed');
    },
  );
});

describe('GET /accounts/:id', () => {
  it('answers 404 for another holder’s account exactly as for a missing one', async () => {
    const owner = await newCustomer();
    const stranger = await newCustomer();
    const account = await openAccount(owner);
    const theirs = await api('GET', `/accounts/${account.id}`, { token: stranger.accessToken });
    const missing = await api('GET', '/accounts/01936d7c-0000-7000-8000-000000000000', {
      token: stranger.accessToken,
    });
    expectProblem(theirs, 404, 'not-found');
    expectProblem(missing, 404, 'not-found');
    expect({ ...theirs.body, request_id: null }).toEqual({ ...missing.body, request_id: null });
  });

  it('answers 404 for an id that is not a UUID', async () => {
    const customer = await newCustomer();
    const response = await api('GET', '/accounts/1', { token: customer.accessToken });
    expectProblem(response, 404, 'not-found');
  });
});

describe('PATCH /accounts/:id', () => {
  it('changes the nickname and type and moves updated_at', async () => {
    const customer = await newCustomer();
    const account = await openAccount(customer);
    const response = await api('PATCH', `/accounts/${account.id}`, {
      token: customer.accessToken,
      body: { nickname: 'Bills', account_type: 'savings' },
    });
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ nickname: 'Bills', account_type: 'savings' });
    expect(response.body.updated_at >= account.updated_at).toBe(true);
  });

  it('refuses to close an account whose balance is not zero', async () => {
    const customer = await newCustomer();
    const account = await openAccount(customer);
    await deposit(customer, account.id, '1.00');
    const response = await api('PATCH', `/accounts/${account.id}`, {
      token: customer.accessToken,
      body: { status: 'closed' },
    });
    expectProblem(response, 422, 'balance-not-zero');
    const after = await api('GET', `/accounts/${account.id}`, { token: customer.accessToken });
    expect(after.body.status).toBe('active');
  });

  it('closes a zero-balance account for good: no reopening, no credit, no debit', async () => {
    const customer = await newCustomer();
    const account = await openAccount(customer);
    const closed = await api('PATCH', `/accounts/${account.id}`, {
      token: customer.accessToken,
      body: { status: 'closed' },
    });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');

    const reopen = await api('PATCH', `/accounts/${account.id}`, {
      token: customer.accessToken,
      body: { status: 'active' },
    });
    expectProblem(reopen, 422, 'account-closed');
    const credit = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '5.00' },
    });
    expectProblem(credit, 422, 'account-closed');
    const debit = await api('POST', '/transactions/withdraw', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '5.00' },
    });
    expectProblem(debit, 422, 'account-closed');
  });

  it('lets a frozen account take credits but no debits', async () => {
    const customer = await newCustomer();
    const account = await openAccount(customer);
    await deposit(customer, account.id, '10.00');
    await api('PATCH', `/accounts/${account.id}`, {
      token: customer.accessToken,
      body: { status: 'frozen' },
    });
    await deposit(customer, account.id, '2.50');
    const debit = await api('POST', '/transactions/withdraw', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '1.00' },
    });
    expectProblem(debit, 422, 'account-frozen');
    const after = await api('GET', `/accounts/${account.id}`, { token: customer.accessToken });
    expect(after.body.balance).toBe('12.50');
  });

  it.each([
    ['balance', { balance: '5.00' }],
    ['account_number', { account_number: '1111111111' }],
    ['id', { id: '01936d7c-0000-7000-8000-000000000000' }],
  ])('refuses a change to %s with 422 and changes nothing', async (_field, body) => {
    const customer = await newCustomer();
    const account = await openAccount(customer);
    const response = await api('PATCH', `/accounts/${account.id}`, {
      token: customer.accessToken,
      body,
    });
    expectProblem(response, 422, 'validation-failed');
    const row = await env.DB.prepare(
      'SELECT balance_minor, account_number FROM accounts WHERE id = ?',
    )
      .bind(account.id)
      .first();
    expect(row).toEqual({ balance_minor: 0, account_number: account.account_number });
  });

  it('refuses an empty change and an unknown status', async () => {
    const customer = await newCustomer();
    const account = await openAccount(customer);
    const empty = await api('PATCH', `/accounts/${account.id}`, {
      token: customer.accessToken,
      body: {},
    });
    expectProblem(empty, 422, 'validation-failed');
    const unknown = await api('PATCH', `/accounts/${account.id}`, {
      token: customer.accessToken,
      body: { status: 'deleted' },
    });
    expectProblem(unknown, 422, 'validation-failed');
  });

  it('answers 404 when patching another holder’s account and leaves it alone', async () => {
    const owner = await newCustomer();
    const stranger = await newCustomer();
    const account = await openAccount(owner);
    const response = await api('PATCH', `/accounts/${account.id}`, {
      token: stranger.accessToken,
      body: { status: 'frozen' },
    });
    expectProblem(response, 404, 'not-found');
    const after = await api('GET', `/accounts/${account.id}`, { token: owner.accessToken });
    expect(after.body.status).toBe('active');
  });
});
