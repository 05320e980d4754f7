import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { PASSWORD_RESET_TTL_SECONDS } from '../../src/lib/limits';
import { fixedClock } from '../../src/lib/time';
import { commonPasswordList, isCommonPassword } from '../../src/services/password-policy';
import { capturedLogLines } from '../setup';
import {
  api,
  apiAt,
  expectProblem,
  newCustomer,
  newCustomerVia,
  nextEmail,
  signupBody,
  STRONG_PASSWORD,
  type ApiCall,
} from '../helpers';

const NEW_PASSWORD = 'a brand new passphrase 2026';

/** Reads the token of the newest reset mail in the outbox, waiting for the deferred send. */
async function resetTokenFor(call: ApiCall, email: string): Promise<string> {
  for (let attempt = 0; attempt < 50; attempt++) {
    const outbox = await call(
      'GET',
      `https://bank.test/dev/outbox?to=${encodeURIComponent(email)}`,
    );
    // The newest reset mail: notices of changes to the account share the mailbox.
    const bodies: string[] = outbox.body.data.map((mail: { body: string }) => mail.body);
    const match = bodies
      .map((body) => body.match(/reset: ([A-Za-z0-9_-]{43})$/m))
      .find((found) => found !== null);
    if (match?.[1]) return match[1];
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error('no reset mail arrived');
}

describe('password policy', () => {
  it('refuses every one of the 10,000 listed common passwords', () => {
    const list = commonPasswordList();
    expect(list.length).toBeGreaterThanOrEqual(10_000);
    expect(list.filter((password) => !isCommonPassword(password))).toEqual([]);
    expect(isCommonPassword('correct horse battery staple')).toBe(false);
  });

  it.each(['password', 'Password1', 'qwertyuiop', 'iloveyou'])(
    'refuses the common password %s at signup with the reason',
    async (password) => {
      const response = await api('POST', '/auth/signup', { body: signupBody({ password }) });
      expectProblem(response, 422, 'validation-failed');
      expect(response.body.errors).toEqual([
        { path: 'password', message: 'Is one of the most common passwords; choose another.' },
      ]);
    },
  );

  it('refuses a password equal to the email, whatever its case', async () => {
    const email = nextEmail('same');
    const response = await api('POST', '/auth/signup', {
      body: signupBody({ email, password: email.toUpperCase() }),
    });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors[0].message).toBe('Must not be the email address.');
  });
});

describe('POST /auth/password/change', () => {
  it('changes the password and ends every other session, keeping this one', async () => {
    const customer = await newCustomer();
    const other = await api('POST', '/auth/login', {
      body: { email: customer.email, password: STRONG_PASSWORD },
    });
    const change = await api('POST', '/auth/password/change', {
      token: customer.accessToken,
      body: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD },
    });
    expect(change.status).toBe(204);

    const otherSession = await api('GET', '/account-holders/me', {
      token: other.body.access_token,
    });
    expectProblem(otherSession, 401, 'unauthorized');
    const otherRefresh = await api('POST', '/auth/refresh', {
      body: { refresh_token: other.body.refresh_token },
    });
    expectProblem(otherRefresh, 401, 'unauthorized');
    const thisSession = await api('GET', '/account-holders/me', { token: customer.accessToken });
    expect(thisSession.status).toBe(200);

    const oldLogin = await api('POST', '/auth/login', {
      body: { email: customer.email, password: STRONG_PASSWORD },
    });
    expectProblem(oldLogin, 401, 'unauthorized');
    const newLogin = await api('POST', '/auth/login', {
      body: { email: customer.email, password: NEW_PASSWORD },
    });
    expect(newLogin.status).toBe(200);
  });

  it('refuses a wrong current password with 401 and keeps the old one', async () => {
    const customer = await newCustomer();
    const response = await api('POST', '/auth/password/change', {
      token: customer.accessToken,
      body: { current_password: 'not my password', new_password: NEW_PASSWORD },
    });
    expectProblem(response, 401, 'unauthorized');
    const login = await api('POST', '/auth/login', {
      body: { email: customer.email, password: STRONG_PASSWORD },
    });
    expect(login.status).toBe(200);
  });

  it('refuses a common new password with 422 naming new_password', async () => {
    const customer = await newCustomer();
    const response = await api('POST', '/auth/password/change', {
      token: customer.accessToken,
      body: { current_password: STRONG_PASSWORD, new_password: 'password123' },
    });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors[0].path).toBe('new_password');
  });

  it('needs a token', async () => {
    const response = await api('POST', '/auth/password/change', {
      body: { current_password: STRONG_PASSWORD, new_password: NEW_PASSWORD },
    });
    expectProblem(response, 401, 'unauthorized');
  });
});

describe('password reset', () => {
  it('answers 202 with no body alike for known and unknown emails', async () => {
    const customer = await newCustomer();
    const known = await api('POST', '/auth/password/forgot', { body: { email: customer.email } });
    const unknown = await api('POST', '/auth/password/forgot', {
      body: { email: nextEmail('ghost') },
    });
    expect([known.status, unknown.status]).toEqual([202, 202]);
    expect([known.body, unknown.body]).toEqual(['', '']);
  });

  it('resets with the mailed token once, ending every session, and unlocks login', async () => {
    const clock = fixedClock('2026-12-03T12:00:00.000Z');
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    for (let attempt = 0; attempt < 5; attempt++) {
      await call('POST', '/auth/login', { body: { email: customer.email, password: 'wrong one' } });
    }
    expect(
      (
        await call('POST', '/auth/login', {
          body: { email: customer.email, password: STRONG_PASSWORD },
        })
      ).status,
    ).toBe(429);

    await call('POST', '/auth/password/forgot', { body: { email: customer.email } });
    const token = await resetTokenFor(call, customer.email);
    const reset = await call('POST', '/auth/password/reset', {
      body: { token, new_password: NEW_PASSWORD },
    });
    expect(reset.status).toBe(204);

    const oldSession = await call('GET', '/account-holders/me', { token: customer.accessToken });
    expectProblem(oldSession, 401, 'unauthorized');
    const login = await call('POST', '/auth/login', {
      body: { email: customer.email, password: NEW_PASSWORD },
    });
    expect(login.status).toBe(200);

    const again = await call('POST', '/auth/password/reset', {
      body: { token, new_password: 'yet another passphrase 99' },
    });
    expectProblem(again, 422, 'invalid-reset-token');
  });

  it('voids every other outstanding token once one of them resets the password', async () => {
    const clock = fixedClock('2026-12-03T12:00:00.000Z');
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    await call('POST', '/auth/password/forgot', { body: { email: customer.email } });
    const older = await resetTokenFor(call, customer.email);
    clock.advanceMs(1000);
    await call('POST', '/auth/password/forgot', { body: { email: customer.email } });
    let newer = older;
    for (let attempt = 0; attempt < 50 && newer === older; attempt++) {
      newer = await resetTokenFor(call, customer.email);
    }
    expect(newer).not.toBe(older);
    const reset = await call('POST', '/auth/password/reset', {
      body: { token: newer, new_password: NEW_PASSWORD },
    });
    expect(reset.status).toBe(204);
    const stale = await call('POST', '/auth/password/reset', {
      body: { token: older, new_password: 'an attacker passphrase 1' },
    });
    expectProblem(stale, 422, 'invalid-reset-token');
  });

  it('refuses a token after fifteen minutes', async () => {
    const clock = fixedClock('2026-12-03T12:00:00.000Z');
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    await call('POST', '/auth/password/forgot', { body: { email: customer.email } });
    const token = await resetTokenFor(call, customer.email);
    clock.advanceMs(PASSWORD_RESET_TTL_SECONDS * 1000);
    const late = await call('POST', '/auth/password/reset', {
      body: { token, new_password: NEW_PASSWORD },
    });
    expectProblem(late, 422, 'invalid-reset-token');
  });

  it('keeps the token usable when the new password is refused by the policy', async () => {
    const call = apiAt(fixedClock('2026-12-03T12:00:00.000Z'));
    const customer = await newCustomerVia(call);
    await call('POST', '/auth/password/forgot', { body: { email: customer.email } });
    const token = await resetTokenFor(call, customer.email);
    const weak = await call('POST', '/auth/password/reset', {
      body: { token, new_password: 'password' },
    });
    expectProblem(weak, 422, 'validation-failed');
    const good = await call('POST', '/auth/password/reset', {
      body: { token, new_password: NEW_PASSWORD },
    });
    expect(good.status).toBe(204);
  });

  it('refuses an unknown token', async () => {
    const response = await api('POST', '/auth/password/reset', {
      body: { token: 'A'.repeat(43), new_password: NEW_PASSWORD },
    });
    expectProblem(response, 422, 'invalid-reset-token');
  });

  it('stores only the token hash and never logs the token', async () => {
    const call = apiAt(fixedClock('2026-12-03T12:00:00.000Z'));
    const customer = await newCustomerVia(call);
    await call('POST', '/auth/password/forgot', { body: { email: customer.email } });
    const token = await resetTokenFor(call, customer.email);
    const stored = await env.DB.prepare('SELECT token_hash FROM password_reset_tokens').all();
    const hashes = stored.results.map((row) => row.token_hash);
    expect(hashes).not.toContain(token);
    expect(hashes.every((hash) => /^[0-9a-f]{64}$/.test(String(hash)))).toBe(true);
    expect(capturedLogLines.length).toBeGreaterThan(0);
    for (const line of capturedLogLines) expect(line).not.toContain(token);
  });

  it('hides the outbox in production', async () => {
    const { createApp } = await import('../../src/app');
    const response = await createApp().request(
      'https://bank.test/dev/outbox?to=someone%40example.com',
      {},
      { ...env, ENVIRONMENT: 'production' },
    );
    expect(response.status).toBe(404);
    await response.text();
  });
});
