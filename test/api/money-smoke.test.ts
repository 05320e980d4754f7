import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { api, newCustomer } from '../helpers';

describe('money smoke', () => {
  it('deposits, withdraws in parallel, and transfers', async () => {
    const a = await newCustomer();
    const account = await api('POST', '/accounts', { token: a.accessToken, body: { account_type: 'checking' } });
    expect(account.status).toBe(201);
    const dep = await api('POST', '/transactions/deposit', {
      token: a.accessToken,
      body: { account_id: account.body.id, amount: '100.00' },
      headers: { 'Idempotency-Key': 'dep-1' },
    });
    expect(dep.status).toBe(201);
    expect(dep.body.balance_after).toBe('100.00');
    const replay = await api('POST', '/transactions/deposit', {
      token: a.accessToken,
      body: { account_id: account.body.id, amount: 100 },
      headers: { 'Idempotency-Key': 'dep-1' },
    });
    expect(replay.status).toBe(201);
    expect(replay.headers.get('Idempotent-Replayed')).toBe('true');
    expect(replay.body).toEqual(dep.body);

    const results = await Promise.all(
      Array.from({ length: 50 }, () =>
        api('POST', '/transactions/withdraw', {
          token: a.accessToken,
          body: { account_id: account.body.id, amount: '30.00' },
        }),
      ),
    );
    const statuses = results.map((r) => r.status).sort();
    expect(statuses.filter((s) => s === 201)).toHaveLength(3);
    expect(statuses.filter((s) => s === 422)).toHaveLength(47);
    const after = await api('GET', `/accounts/${account.body.id}`, { token: a.accessToken });
    expect(after.body.balance).toBe('10.00');

    const b = await newCustomer();
    const bAccount = await api('POST', '/accounts', { token: b.accessToken, body: { account_type: 'savings' } });
    const t = await api('POST', '/transactions/transfer', {
      token: a.accessToken,
      body: {
        from_account_id: account.body.id,
        to_routing_number: '123456789',
        to_account_number: bAccount.body.account_number,
        amount: '4.00',
      },
    });
    expect(t.status).toBe(201);
    expect(t.body.balance_after).toBe('6.00');
    const ext = await api('POST', '/transactions/transfer', {
      token: a.accessToken,
      body: {
        from_account_id: account.body.id,
        to_routing_number: '021000021',
        to_account_number: '12345678',
        amount: '1.00',
      },
    });
    expect(ext.status).toBe(201);
    expect(ext.body.status).toBe('pending');
    const sums = await env.DB.prepare('SELECT SUM(amount_minor) AS total FROM ledger_entries').first();
    expect(sums?.total).toBe(0);
  });
});
