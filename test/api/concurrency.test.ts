import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { formatMinor } from '../../src/lib/money';
import { api, newCustomer, type Customer } from '../helpers';
import { expectLedgerInvariants } from '../ledger';

/** A small seeded generator (mulberry32), so the random scenario is the same every run. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let mixed = Math.imul(state ^ (state >>> 15), 1 | state);
    mixed ^= mixed + Math.imul(mixed ^ (mixed >>> 7), 61 | mixed);
    return ((mixed ^ (mixed >>> 14)) >>> 0) / 4294967296;
  };
}

async function openFunded(customer: Customer, amount: string) {
  const account = await api('POST', '/accounts', {
    token: customer.accessToken,
    body: { account_type: 'checking' },
  });
  const deposit = await api('POST', '/transactions/deposit', {
    token: customer.accessToken,
    body: { account_id: account.body.id, amount },
  });
  expect(deposit.status).toBe(201);
  return account.body as { id: string; account_number: string };
}

describe('concurrent money movement', () => {
  it('lets exactly 3 of 50 parallel withdrawals of 30% through and never overdraws', async () => {
    const customer = await newCustomer();
    const account = await openFunded(customer, '100.00');
    const responses = await Promise.all(
      Array.from({ length: 50 }, () =>
        api('POST', '/transactions/withdraw', {
          token: customer.accessToken,
          body: { account_id: account.id, amount: '30.00' },
        }),
      ),
    );
    const succeeded = responses.filter((response) => response.status === 201);
    const refused = responses.filter((response) => response.status === 422);
    expect(succeeded).toHaveLength(3);
    expect(refused).toHaveLength(47);
    for (const response of refused) expect(response.body.type).toMatch(/insufficient-funds$/);
    expect(succeeded.map((response) => response.body.balance_after).sort()).toEqual([
      '10.00',
      '40.00',
      '70.00',
    ]);
    const after = await api('GET', `/accounts/${account.id}`, { token: customer.accessToken });
    expect(after.body.balance).toBe('10.00');
    await expectLedgerInvariants();
  });

  it('keeps the total across 200 random parallel transfers among 10 accounts', async () => {
    const random = seededRandom(20261203);
    const owners = await Promise.all(Array.from({ length: 5 }, () => newCustomer()));
    const accounts: { owner: Customer; id: string; account_number: string }[] = [];
    for (const owner of owners) {
      for (let index = 0; index < 2; index++) {
        accounts.push({ owner, ...(await openFunded(owner, '100.00')) });
      }
    }
    const startTotalMinor = 10 * 100_00;

    const transfers = Array.from({ length: 200 }, () => {
      const from = accounts[Math.floor(random() * accounts.length)]!;
      let to = accounts[Math.floor(random() * accounts.length)]!;
      if (to.id === from.id) to = accounts[(accounts.indexOf(from) + 1) % accounts.length]!;
      const amountMinor = 1 + Math.floor(random() * 6000);
      return api('POST', '/transactions/transfer', {
        token: from.owner.accessToken,
        body: {
          from_account_id: from.id,
          to_routing_number: '123456789',
          to_account_number: to.account_number,
          amount: formatMinor(amountMinor),
        },
      });
    });
    const responses = await Promise.all(transfers);
    const statuses = new Set(responses.map((response) => response.status));
    expect([...statuses].every((status) => status === 201 || status === 422)).toBe(true);
    expect(responses.filter((response) => response.status === 201).length).toBeGreaterThan(0);

    const ids = accounts.map((account) => account.id);
    const placeholders = ids.map(() => '?').join(',');
    const total = await env.DB.prepare(
      `SELECT SUM(balance_minor) AS total, MIN(balance_minor) AS lowest
         FROM accounts WHERE id IN (${placeholders})`,
    )
      .bind(...ids)
      .first<{ total: number; lowest: number }>();
    expect(total?.total).toBe(startTotalMinor);
    expect(total?.lowest).toBeGreaterThanOrEqual(0);
    await expectLedgerInvariants();
  });
});
