import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { DESCRIPTION_LENGTH_MAX } from '../../src/lib/limits';
import { api, expectProblem, newCustomer, type Customer } from '../helpers';
import { expectLedgerInvariants } from '../ledger';

async function openFunded(customer: Customer, amount?: string) {
  const account = await api('POST', '/accounts', {
    token: customer.accessToken,
    body: { account_type: 'checking' },
  });
  expect(account.status).toBe(201);
  if (amount) {
    const deposit = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.body.id, amount },
    });
    expect(deposit.status).toBe(201);
  }
  return account.body as { id: string; account_number: string };
}

async function balanceOf(customer: Customer, accountId: string): Promise<string> {
  const response = await api('GET', `/accounts/${accountId}`, { token: customer.accessToken });
  return response.body.balance;
}

async function transactionCount(): Promise<number> {
  const row = await env.DB.prepare('SELECT COUNT(*) AS n FROM transactions').first<{ n: number }>();
  return row?.n ?? -1;
}

describe('POST /transactions/deposit', () => {
  it('credits the account and answers the posted transaction', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer);
    const response = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '100.25', description: 'Paycheck' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      account_id: account.id,
      type: 'deposit',
      direction: 'credit',
      amount: '100.25',
      currency: 'USD',
      balance_after: '100.25',
      status: 'posted',
      transfer_id: null,
      description: 'Paycheck',
    });
    expect(await balanceOf(customer, account.id)).toBe('100.25');
    await expectLedgerInvariants();
  });

  it.each([
    ['the smallest amount', '0.01', '0.01'],
    ['the largest amount', '1000000000.00', '1000000000.00'],
    ['a JSON number', 12.5, '12.50'],
    ['a whole number string', '7', '7.00'],
  ])('accepts %s', async (_label, amount, expected) => {
    const customer = await newCustomer();
    const account = await openFunded(customer);
    const response = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.id, amount },
    });
    expect(response.status).toBe(201);
    expect(response.body.amount).toBe(expected);
  });

  it.each([
    ['one cent over the maximum', '1000000000.01'],
    ['zero', '0'],
    ['a negative amount', -5],
    ['an exponent string', '1e3'],
    ['three decimals', 0.001],
    ['NaN as text', 'NaN'],
    ['a comma decimal', '12,50'],
    ['a boolean', true],
    ['null', null],
    ['an unsafe integer', 9007199254740993],
    ['a padded string', ' 10'],
  ])('refuses %s with 422 and moves nothing', async (_label, amount) => {
    const customer = await newCustomer();
    const account = await openFunded(customer);
    const before = await transactionCount();
    const response = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.id, amount },
    });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors[0].path).toBe('amount');
    expect(await transactionCount()).toBe(before);
  });

  it.each([
    ['an exponent', '1e3'],
    ['more decimals than a double keeps', '100.10000000000000001'],
    ['a trailing third decimal', '12.500'],
  ])('refuses a JSON number literal with %s, whatever it rounds to', async (_label, literal) => {
    const customer = await newCustomer();
    const account = await openFunded(customer);
    const before = await transactionCount();
    const response = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: `{"account_id":"${account.id}","amount":${literal}}`,
    });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors[0].path).toBe('amount');
    expect(await transactionCount()).toBe(before);
  });

  it('accepts a description at the maximum length and refuses one character more', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer);
    const atMax = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: {
        account_id: account.id,
        amount: '1.00',
        description: 'd'.repeat(DESCRIPTION_LENGTH_MAX),
      },
    });
    expect(atMax.status).toBe(201);
    const over = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: {
        account_id: account.id,
        amount: '1.00',
        description: 'd'.repeat(DESCRIPTION_LENGTH_MAX + 1),
      },
    });
    expectProblem(over, 422, 'validation-failed');
  });

  it('answers 404 for a deposit into another holder’s account and credits nothing', async () => {
    const owner = await newCustomer();
    const stranger = await newCustomer();
    const account = await openFunded(owner, '5.00');
    const response = await api('POST', '/transactions/deposit', {
      token: stranger.accessToken,
      body: { account_id: account.id, amount: '1.00' },
    });
    expectProblem(response, 404, 'not-found');
    expect(await balanceOf(owner, account.id)).toBe('5.00');
  });

  it('refuses server-owned fields in the body', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer);
    const response = await api('POST', '/transactions/deposit', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '1.00', balance_after: '1000.00' },
    });
    expectProblem(response, 422, 'validation-failed');
  });
});

describe('POST /transactions/withdraw', () => {
  it('debits down to exactly zero', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '40.00');
    const response = await api('POST', '/transactions/withdraw', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '40.00' },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      type: 'withdrawal',
      direction: 'debit',
      balance_after: '0.00',
    });
    await expectLedgerInvariants();
  });

  it('refuses an overdraft with insufficient-funds and changes nothing', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '40.00');
    const before = await transactionCount();
    const response = await api('POST', '/transactions/withdraw', {
      token: customer.accessToken,
      body: { account_id: account.id, amount: '40.01' },
    });
    expectProblem(response, 422, 'insufficient-funds');
    expect(response.body.title).toBe('Insufficient funds');
    expect(await balanceOf(customer, account.id)).toBe('40.00');
    expect(await transactionCount()).toBe(before);
  });

  it('answers 404 for a withdrawal from another holder’s account', async () => {
    const owner = await newCustomer();
    const thief = await newCustomer();
    const account = await openFunded(owner, '40.00');
    const response = await api('POST', '/transactions/withdraw', {
      token: thief.accessToken,
      body: { account_id: account.id, amount: '1.00' },
    });
    expectProblem(response, 404, 'not-found');
    expect(await balanceOf(owner, account.id)).toBe('40.00');
  });
});

describe('POST /transactions/transfer', () => {
  it('moves money to another holder’s account with both legs in one movement', async () => {
    const sender = await newCustomer();
    const receiver = await newCustomer();
    const from = await openFunded(sender, '50.00');
    const to = await openFunded(receiver);
    const response = await api('POST', '/transactions/transfer', {
      token: sender.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '123456789',
        to_account_number: to.account_number,
        amount: '20.00',
        description: 'Rent share',
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({
      account_id: from.id,
      type: 'transfer',
      direction: 'debit',
      amount: '20.00',
      balance_after: '30.00',
      status: 'posted',
      peer_routing_number: '123456789',
      peer_account_number: to.account_number,
    });
    expect(await balanceOf(receiver, to.id)).toBe('20.00');

    const legs = await env.DB.prepare(
      `SELECT account_id, direction, holder_id FROM transactions
        WHERE transfer_id = ? ORDER BY direction`,
    )
      .bind(response.body.transfer_id)
      .all();
    expect(legs.results.map((leg) => [leg.account_id, leg.direction])).toEqual([
      [to.id, 'credit'],
      [from.id, 'debit'],
    ]);
    await expectLedgerInvariants();
  });

  it('refuses a transfer to an unknown account of this bank and moves nothing', async () => {
    const sender = await newCustomer();
    const from = await openFunded(sender, '50.00');
    const before = await transactionCount();
    const response = await api('POST', '/transactions/transfer', {
      token: sender.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '123456789',
        to_account_number: '9999999999',
        amount: '20.00',
      },
    });
    expectProblem(response, 422, 'destination-unavailable');
    expect(await balanceOf(sender, from.id)).toBe('50.00');
    expect(await transactionCount()).toBe(before);
  });

  it('refuses a transfer to a closed account of this bank', async () => {
    const sender = await newCustomer();
    const receiver = await newCustomer();
    const from = await openFunded(sender, '50.00');
    const to = await openFunded(receiver);
    await api('PATCH', `/accounts/${to.id}`, {
      token: receiver.accessToken,
      body: { status: 'closed' },
    });
    const response = await api('POST', '/transactions/transfer', {
      token: sender.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '123456789',
        to_account_number: to.account_number,
        amount: '1.00',
      },
    });
    expectProblem(response, 422, 'destination-unavailable');
    expect(await balanceOf(sender, from.id)).toBe('50.00');
  });

  it('refuses a transfer to the same account', async () => {
    const sender = await newCustomer();
    const from = await openFunded(sender, '50.00');
    const response = await api('POST', '/transactions/transfer', {
      token: sender.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '123456789',
        to_account_number: from.account_number,
        amount: '1.00',
      },
    });
    expectProblem(response, 422, 'same-account');
  });

  it('holds an external transfer as pending against outgoing clearing', async () => {
    const sender = await newCustomer();
    const from = await openFunded(sender, '50.00');
    const response = await api('POST', '/transactions/transfer', {
      token: sender.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '021000021',
        to_account_number: '12345678',
        amount: '12.34',
      },
    });
    expect(response.status).toBe(201);
    expect(response.body).toMatchObject({ status: 'pending', balance_after: '37.66' });
    const clearing = await env.DB.prepare(
      `SELECT amount_minor FROM ledger_entries
        WHERE movement_id = ? AND ledger = 'outgoing_clearing'`,
    )
      .bind(response.body.transfer_id)
      .first();
    expect(clearing).toEqual({ amount_minor: 1234 });
    await expectLedgerInvariants();
  });

  it('refuses a routing number that fails the ABA check digit', async () => {
    const sender = await newCustomer();
    const from = await openFunded(sender, '50.00');
    const response = await api('POST', '/transactions/transfer', {
      token: sender.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '021000022',
        to_account_number: '12345678',
        amount: '1.00',
      },
    });
    expectProblem(response, 422, 'invalid-routing-number');
    expect(await balanceOf(sender, from.id)).toBe('50.00');
  });

  it.each([
    ['an 8-digit routing number', { to_routing_number: '12345678' }],
    ['a 3-digit account number', { to_account_number: '123' }],
    ['an 18-digit account number', { to_account_number: '1'.repeat(18) }],
    ['a lettered account number', { to_account_number: '12345a78' }],
  ])('refuses %s with 422', async (_label, override) => {
    const sender = await newCustomer();
    const from = await openFunded(sender, '50.00');
    const response = await api('POST', '/transactions/transfer', {
      token: sender.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '021000021',
        to_account_number: '12345678',
        amount: '1.00',
        ...override,
      },
    });
    expectProblem(response, 422, 'validation-failed');
  });

  it('accepts 4- and 17-digit external account numbers', async () => {
    const sender = await newCustomer();
    const from = await openFunded(sender, '50.00');
    for (const accountNumber of ['1234', '1'.repeat(17)]) {
      const response = await api('POST', '/transactions/transfer', {
        token: sender.accessToken,
        body: {
          from_account_id: from.id,
          to_routing_number: '021000021',
          to_account_number: accountNumber,
          amount: '1.00',
        },
      });
      expect(response.status).toBe(201);
    }
  });

  it('refuses a transfer larger than the balance and moves nothing on either side', async () => {
    const sender = await newCustomer();
    const receiver = await newCustomer();
    const from = await openFunded(sender, '5.00');
    const to = await openFunded(receiver);
    const response = await api('POST', '/transactions/transfer', {
      token: sender.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '123456789',
        to_account_number: to.account_number,
        amount: '5.01',
      },
    });
    expectProblem(response, 422, 'insufficient-funds');
    expect(await balanceOf(sender, from.id)).toBe('5.00');
    expect(await balanceOf(receiver, to.id)).toBe('0.00');
  });

  it('answers 404 for a transfer out of another holder’s account', async () => {
    const owner = await newCustomer();
    const thief = await newCustomer();
    const from = await openFunded(owner, '50.00');
    const to = await openFunded(thief);
    const response = await api('POST', '/transactions/transfer', {
      token: thief.accessToken,
      body: {
        from_account_id: from.id,
        to_routing_number: '123456789',
        to_account_number: to.account_number,
        amount: '50.00',
      },
    });
    expectProblem(response, 404, 'not-found');
    expect(await balanceOf(owner, from.id)).toBe('50.00');
  });

  it('answers 404 for another holder’s account sent to its own number, open or not', async () => {
    const owner = await newCustomer();
    const prober = await newCustomer();
    const open = await openFunded(owner, '50.00');
    const closed = await openFunded(owner);
    const closing = await api('PATCH', `/accounts/${closed.id}`, {
      token: owner.accessToken,
      body: { status: 'closed' },
    });
    expect(closing.status).toBe(200);
    // Same-account, destination-unavailable or not-found would each say something about
    // accounts the prober does not own: every pairing must be the plain 404.
    for (const [from, to] of [
      [open, open],
      [open, closed],
      [closed, closed],
      [closed, open],
    ]) {
      const response = await api('POST', '/transactions/transfer', {
        token: prober.accessToken,
        body: {
          from_account_id: from!.id,
          to_routing_number: '123456789',
          to_account_number: to!.account_number,
          amount: '1.00',
        },
      });
      expectProblem(response, 404, 'not-found');
    }
    expect(await balanceOf(owner, open.id)).toBe('50.00');
  });

  it('answers a transfer that could not move money the same, real destination or not', async () => {
    const prober = await newCustomer();
    const other = await newCustomer();
    const real = await openFunded(other);
    const empty = await openFunded(prober);
    const frozen = await openFunded(prober, '5.00');
    const freezing = await api('PATCH', `/accounts/${frozen.id}`, {
      token: prober.accessToken,
      body: { status: 'frozen' },
    });
    expect(freezing.status).toBe(200);
    const send = (from: string, toNumber: string) =>
      api('POST', '/transactions/transfer', {
        token: prober.accessToken,
        body: {
          from_account_id: from,
          to_routing_number: '123456789',
          to_account_number: toNumber,
          amount: '1.00',
        },
      });
    for (const toNumber of [real.account_number, '9999999999']) {
      expectProblem(await send(empty.id, toNumber), 422, 'insufficient-funds');
      expectProblem(await send(frozen.id, toNumber), 422, 'account-frozen');
    }
    // With the money there, only a real destination moves it.
    const funded = await openFunded(prober, '5.00');
    expectProblem(await send(funded.id, '9999999999'), 422, 'destination-unavailable');
    expect((await send(funded.id, real.account_number)).status).toBe(201);
  });
});
