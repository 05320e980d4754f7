import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import type { BlocklistStore } from '../../src/services/revocation';
import { api, BASE, newCustomer } from '../helpers';

/** A KV view that has not yet seen any revocation, as another location may for a minute. */
const staleBlocklist: BlocklistStore = {
  get: async (keys) => new Map(keys.map((key) => [key, null])),
  put: async () => undefined,
};

describe('revocation with a stale KV view', () => {
  it('refuses a logged-out token on a money route although KV still says not revoked', async () => {
    const customer = await newCustomer();
    const account = await api('POST', '/accounts', {
      token: customer.accessToken,
      body: { account_type: 'checking' },
    });
    const logout = await api('POST', '/auth/logout', { token: customer.accessToken });
    expect(logout.status).toBe(204);

    const staleApp = createApp({ blocklist: () => staleBlocklist });
    const request = (path: string, body?: unknown) =>
      staleApp.request(
        `${BASE}${path}`,
        {
          method: body ? 'POST' : 'GET',
          headers: {
            Authorization: `Bearer ${customer.accessToken}`,
            'Content-Type': 'application/json',
          },
          body: body ? JSON.stringify(body) : undefined,
        },
        env,
      );

    // A read route trusts KV alone, so the stale view lets it through: the documented window.
    const read = await request(`/accounts/${account.body.id}`);
    expect(read.status).toBe(200);
    await read.text();

    const deposit = await request('/transactions/deposit', {
      account_id: account.body.id,
      amount: '10.00',
    });
    expect(deposit.status).toBe(401);
    expect(deposit.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    await deposit.text();
    const row = await env.DB.prepare('SELECT balance_minor FROM accounts WHERE id = ?')
      .bind(account.body.id)
      .first();
    expect(row).toEqual({ balance_minor: 0 });
  });
});
