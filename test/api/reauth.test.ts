import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { REAUTH_ATTEMPTS_PER_SESSION_MAX } from '../../src/lib/limits';
import {
  api,
  expectProblem,
  newCustomer,
  STRONG_PASSWORD,
  type ApiResponse,
  type Customer,
} from '../helpers';
import {
  currentCode,
  DISABLE,
  enrolledHolder,
  ME,
  passwordStep,
  STEP_MS,
  verify,
  type Enrolled,
} from '../mfa-helpers';

/**
 * Re-authentication inside a session (services/reauth.ts): a stolen access token gets a few
 * guesses at the password, then loses its session, and never locks the owner's login.
 */

const WRONG = 'not the password at all';

function changePassword(token: string, currentPassword: string) {
  return api('POST', '/auth/password/change', {
    token,
    body: { current_password: currentPassword, new_password: 'a brand new passphrase 42' },
  });
}

function changeEmail(token: string, currentPassword: string) {
  return api('PATCH', ME, {
    token,
    body: { email: `moved.${crypto.randomUUID()}@example.com`, current_password: currentPassword },
  });
}

function erase(token: string, password: string) {
  return api('DELETE', ME, { token, body: { password } });
}

async function login(customer: Customer): Promise<string> {
  const response = await api('POST', '/auth/login', {
    body: { email: customer.email, password: STRONG_PASSWORD },
  });
  expect(response.status).toBe(200);
  return response.body.access_token;
}

function expectWrongPassword(response: ApiResponse): void {
  expectProblem(response, 401);
  expect(response.headers.get('WWW-Authenticate')).toBe('Bearer');
}

function expectSessionEnded(response: ApiResponse): void {
  expectProblem(response, 401);
  expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
}

async function countAudit(type: string, outcome: string, email: string): Promise<number> {
  const row = await env.DB.prepare(
    `SELECT COUNT(*) AS total FROM audit_events
      WHERE type = ? AND outcome = ?
        AND holder_id = (SELECT id FROM account_holders WHERE email = ?)`,
  )
    .bind(type, outcome, email)
    .first<{ total: number }>();
  return row?.total ?? -1;
}

describe('re-authentication limit per session', () => {
  it('ends the session on the fifth wrong password, and the owner can still log in', async () => {
    const customer = await newCustomer();
    for (let attempt = 1; attempt < REAUTH_ATTEMPTS_PER_SESSION_MAX; attempt++) {
      expectWrongPassword(await changePassword(customer.accessToken, WRONG));
    }
    const last = await changePassword(customer.accessToken, WRONG);
    expectSessionEnded(last);
    expect(last.body.detail).toContain('this session has ended');

    // The token is dead everywhere, the right password included; the login is not locked.
    expectSessionEnded(await api('GET', ME, { token: customer.accessToken }));
    expectSessionEnded(await changePassword(customer.accessToken, STRONG_PASSWORD));
    const fresh = await login(customer);
    expect((await api('GET', ME, { token: fresh })).status).toBe(200);
    expect(await countAudit('reauth_attempts_spent', 'failure', customer.email)).toBe(1);
  });

  it('checks at most the limit of parallel guesses', async () => {
    const customer = await newCustomer();
    const guesses = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        changePassword(customer.accessToken, `${WRONG} ${index}`),
      ),
    );
    for (const guess of guesses) expectProblem(guess, 401);
    // Each checked guess leaves one failed password_changed event; the rest were never checked.
    expect(await countAudit('password_changed', 'failure', customer.email)).toBe(
      REAUTH_ATTEMPTS_PER_SESSION_MAX,
    );
    expectSessionEnded(await api('GET', ME, { token: customer.accessToken }));
  });

  it('counts every re-authenticating route against one limit', async () => {
    const customer = await newCustomer();
    const token = customer.accessToken;
    expectWrongPassword(await changeEmail(token, WRONG));
    expectWrongPassword(await changeEmail(token, WRONG));
    expectWrongPassword(await erase(token, WRONG));
    expectWrongPassword(await erase(token, WRONG));
    expectSessionEnded(await changePassword(token, WRONG));
  });

  it('clears the count on a right answer', async () => {
    const customer = await newCustomer();
    const token = customer.accessToken;
    for (let attempt = 1; attempt < REAUTH_ATTEMPTS_PER_SESSION_MAX; attempt++) {
      expectWrongPassword(await changeEmail(token, WRONG));
    }
    expect((await changeEmail(token, STRONG_PASSWORD)).status).toBe(200);
    for (let attempt = 1; attempt < REAUTH_ATTEMPTS_PER_SESSION_MAX; attempt++) {
      expectWrongPassword(await changeEmail(token, WRONG));
    }
    expect((await api('GET', ME, { token })).status).toBe(200);
  });

  it('leaves the other sessions of the holder alone', async () => {
    const customer = await newCustomer();
    const other = await login(customer);
    for (let attempt = 0; attempt < REAUTH_ATTEMPTS_PER_SESSION_MAX; attempt++) {
      await changePassword(customer.accessToken, WRONG);
    }
    expectSessionEnded(await api('GET', ME, { token: customer.accessToken }));
    expect((await api('GET', ME, { token: other })).status).toBe(200);
    expectWrongPassword(await changePassword(other, WRONG));
  });

  it('costs no attempt for an email change sent without a password', async () => {
    const customer = await newCustomer();
    const token = customer.accessToken;
    for (let attempt = 0; attempt < REAUTH_ATTEMPTS_PER_SESSION_MAX + 1; attempt++) {
      const missing = await api('PATCH', ME, {
        token,
        body: { email: `moved.${attempt}.${customer.email}` },
      });
      expectProblem(missing, 422, 'validation-failed');
    }
    expect((await api('GET', ME, { token })).status).toBe(200);
  });

  it.each([
    ['turning MFA off', DISABLE, 'POST'],
    ['erasure', ME, 'DELETE'],
  ])('never locks the owner’s MFA login through %s', async (_, path, method) => {
    const holder: Enrolled = await enrolledHolder();
    const token = holder.accessToken;
    for (let attempt = 1; attempt <= REAUTH_ATTEMPTS_PER_SESSION_MAX; attempt++) {
      const guess = await holder.call(method, path, {
        token,
        body: { password: `${WRONG} ${attempt}`, code: '000000' },
      });
      expectProblem(guess, 401);
    }
    expectSessionEnded(await holder.call('GET', ME, { token }));

    holder.clock.advanceMs(STEP_MS);
    const mfaToken = await passwordStep(holder);
    const verified = await verify(holder, mfaToken, currentCode(holder));
    expect(verified.status).toBe(200);
  });

  it('still counts a wrong code sent with the right password toward the code lockout', async () => {
    const holder = await enrolledHolder();
    for (let attempt = 0; attempt < REAUTH_ATTEMPTS_PER_SESSION_MAX; attempt++) {
      const guess = await holder.call('POST', DISABLE, {
        token: holder.accessToken,
        body: { password: STRONG_PASSWORD, code: '000000' },
      });
      expectProblem(guess, 401);
    }
    holder.clock.advanceMs(STEP_MS);
    const locked = await verify(holder, await passwordStep(holder), currentCode(holder));
    expectProblem(locked, 429);
  });

  it('audits email changes: wrong password, taken email and success', async () => {
    const customer = await newCustomer();
    const taken = await newCustomer();
    expectWrongPassword(await changeEmail(customer.accessToken, WRONG));
    const clash = await api('PATCH', ME, {
      token: customer.accessToken,
      body: { email: taken.email, current_password: STRONG_PASSWORD },
    });
    expectProblem(clash, 409);
    expect(await countAudit('email_changed', 'failure', customer.email)).toBe(2);
    const moved = await changeEmail(customer.accessToken, STRONG_PASSWORD);
    expect(moved.status).toBe(200);
    expect(await countAudit('email_changed', 'success', moved.body.email)).toBe(1);
  });
});
