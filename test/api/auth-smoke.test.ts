import { describe, expect, it } from 'vitest';
import { api, expectProblem, newCustomer, STRONG_PASSWORD } from '../helpers';

describe('auth happy path', () => {
  it('signs up, reads /me, refreshes, logs out and refuses the revoked token', async () => {
    const customer = await newCustomer();
    const me = await api('GET', '/account-holders/me', { token: customer.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(customer.email);
    expect(me.body.ssn_last4).toMatch(/^\d{4}$/);

    const login = await api('POST', '/auth/login', {
      body: { email: customer.email.toUpperCase(), password: STRONG_PASSWORD },
    });
    expect(login.status).toBe(200);

    const refreshed = await api('POST', '/auth/refresh', {
      body: { refresh_token: login.body.refresh_token },
    });
    expect(refreshed.status).toBe(200);
    const replay = await api('POST', '/auth/refresh', {
      body: { refresh_token: login.body.refresh_token },
    });
    expectProblem(replay, 401);
    const afterReuse = await api('POST', '/auth/refresh', {
      body: { refresh_token: refreshed.body.refresh_token },
    });
    expectProblem(afterReuse, 401);

    const logout = await api('POST', '/auth/logout', { token: customer.accessToken });
    expect(logout.status).toBe(204);
    const after = await api('GET', '/account-holders/me', { token: customer.accessToken });
    expectProblem(after, 401, 'unauthorized');
    expect(after.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  });
});
