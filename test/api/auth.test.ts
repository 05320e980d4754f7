import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { argon2id } from '../../src/crypto/passwords';
import { utf8 } from '../../src/lib/encoding';
import { claimsOf, clockedApp } from '../auth-helpers';
import {
  api,
  expectProblem,
  newCustomer,
  nextSsn,
  signupBody,
  STRONG_PASSWORD,
  type ApiResponse,
} from '../helpers';
import { capturedLogLines } from '../setup';
import { passwordVerificationCount } from '../../src/crypto/passwords';

const ME = '/account-holders/me';

async function login(email: string, password: string): Promise<ApiResponse> {
  return api('POST', '/auth/login', { body: { email, password } });
}

async function refresh(refreshToken: string): Promise<ApiResponse> {
  return api('POST', '/auth/refresh', { body: { refresh_token: refreshToken } });
}

/** The parts of a problem that must not differ between two refusals. */
function publicPart(response: ApiResponse) {
  const { request_id: _requestId, ...rest } = response.body;
  const challenge = response.headers.get('WWW-Authenticate');
  return { status: response.status, body: rest, challenge };
}

describe('POST /auth/login', () => {
  it('answers 200 with a token pair for the right password', async () => {
    const customer = await newCustomer();
    const response = await login(customer.email, STRONG_PASSWORD);
    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('bearer');
    expect(response.body.expires_in).toBe(900);
    const me = await api('GET', ME, { token: response.body.access_token });
    expect(me.body.email).toBe(customer.email);
  });

  it('matches the email without regard to case or surrounding spaces', async () => {
    const customer = await newCustomer();
    const response = await login(`  ${customer.email.toUpperCase()} `, STRONG_PASSWORD);
    expect(response.status).toBe(200);
  });

  it('opens a new session on each login, with its own tokens', async () => {
    const customer = await newCustomer();
    const first = await login(customer.email, STRONG_PASSWORD);
    const second = await login(customer.email, STRONG_PASSWORD);
    expect(claimsOf(first.body.access_token).sid).not.toBe(claimsOf(second.body.access_token).sid);
    expect(claimsOf(first.body.access_token).sub).toBe(claimsOf(second.body.access_token).sub);
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    const customer = await newCustomer();
    const wrongPassword = await login(customer.email, `${STRONG_PASSWORD}!`);
    const unknownEmail = await login(`nobody.${customer.email}`, STRONG_PASSWORD);

    expectProblem(wrongPassword, 401, 'unauthorized');
    expectProblem(unknownEmail, 401, 'unauthorized');
    expect(publicPart(wrongPassword)).toEqual(publicPart(unknownEmail));
    expect(wrongPassword.body.detail).toBe('The email or password is wrong.');
    expect(wrongPassword.body.request_id).not.toBe(unknownEmail.body.request_id);
  });

  it('runs exactly one Argon2 verification for an unknown email, as for a known one', async () => {
    const customer = await newCustomer();
    const before = passwordVerificationCount.total;
    await login(`nobody.${customer.email}`, STRONG_PASSWORD);
    const afterUnknown = passwordVerificationCount.total;
    await login(customer.email, `${STRONG_PASSWORD}!`);
    expect(afterUnknown - before).toBe(1);
    expect(passwordVerificationCount.total - afterUnknown).toBe(1);
  });

  it('refuses a 128-character password that differs only in its last character', async () => {
    const password = '🔑'.repeat(127) + 'a';
    const customer = await newCustomer({ password });
    expect((await login(customer.email, '🔑'.repeat(127) + 'b')).status).toBe(401);
    expect((await login(customer.email, password)).status).toBe(200);
  });

  it('normalizes the password with NFKC, so a ligature matches its letters', async () => {
    const customer = await newCustomer({ password: 'proﬁle-passphrase' });
    expect((await login(customer.email, 'profile-passphrase')).status).toBe(200);
    expect((await login(customer.email, 'proﬁle-passphrase')).status).toBe(200);
  });

  it('matches a composed accented password against its decomposed form', async () => {
    const customer = await newCustomer({ password: 'e\u0301'.repeat(10) });
    expect((await login(customer.email, 'é'.repeat(10))).status).toBe(200);
    expect((await login(customer.email, 'e'.repeat(10))).status).toBe(401);
  });

  it('refuses an empty password with 422 before checking anything', async () => {
    const customer = await newCustomer();
    const response = await login(customer.email, '');
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([{ path: 'password', message: 'Must not be empty.' }]);
  });

  it('rehashes a password hash made with old parameters on a successful login', async () => {
    const customer = await newCustomer();
    const holderId = claimsOf(customer.accessToken).sub;
    const oldHash = argon2id({
      password: utf8.encode(STRONG_PASSWORD),
      salt: crypto.getRandomValues(new Uint8Array(16)),
      iterations: 1,
      memoryKib: 19_456,
      parallelism: 1,
      hashBytes: 32,
    }).encoded;
    expect(oldHash).toMatch(/^\$argon2id\$v=19\$m=19456,t=1,p=1\$/);
    await env.DB.prepare('UPDATE account_holders SET password_hash = ? WHERE id = ?')
      .bind(oldHash, holderId)
      .run();

    expect((await login(customer.email, STRONG_PASSWORD)).status).toBe(200);

    const row = await env.DB.prepare('SELECT password_hash FROM account_holders WHERE id = ?')
      .bind(holderId)
      .first<{ password_hash: string }>();
    expect(row?.password_hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
    expect((await login(customer.email, STRONG_PASSWORD)).status).toBe(200);
  });

  it('leaves an old hash alone after a failed login', async () => {
    const customer = await newCustomer();
    const holderId = claimsOf(customer.accessToken).sub;
    const oldHash = argon2id({
      password: utf8.encode(STRONG_PASSWORD),
      salt: new Uint8Array(16),
      iterations: 1,
      memoryKib: 19_456,
      parallelism: 1,
      hashBytes: 32,
    }).encoded;
    await env.DB.prepare('UPDATE account_holders SET password_hash = ? WHERE id = ?')
      .bind(oldHash, holderId)
      .run();

    expect((await login(customer.email, 'not the password')).status).toBe(401);

    const row = await env.DB.prepare('SELECT password_hash FROM account_holders WHERE id = ?')
      .bind(holderId)
      .first<{ password_hash: string }>();
    expect(row?.password_hash).toBe(oldHash);
  });
});

describe('POST /auth/refresh', () => {
  it('rotates: answers a new pair whose tokens work, from the same session', async () => {
    const customer = await newCustomer();
    const response = await refresh(customer.refreshToken);

    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('bearer');
    expect(response.body.expires_in).toBe(900);
    expect(response.body.refresh_token).not.toBe(customer.refreshToken);
    expect(claimsOf(response.body.refresh_token).sid).toBe(claimsOf(customer.refreshToken).sid);
    expect((await api('GET', ME, { token: response.body.access_token })).status).toBe(200);
    expect((await refresh(response.body.refresh_token)).status).toBe(200);
  });

  it('revokes the whole session when a spent refresh token is replayed', async () => {
    const customer = await newCustomer();
    const rotated = await refresh(customer.refreshToken);
    expect(rotated.status).toBe(200);

    const replay = await refresh(customer.refreshToken);
    expectProblem(replay, 401, 'unauthorized');

    expectProblem(await refresh(rotated.body.refresh_token), 401, 'unauthorized');
    for (const token of [customer.accessToken, rotated.body.access_token]) {
      const me = await api('GET', ME, { token });
      expectProblem(me, 401, 'unauthorized');
      expect(me.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    }
    const row = await env.DB.prepare('SELECT revoked_reason FROM sessions WHERE id = ?')
      .bind(claimsOf(customer.refreshToken).sid)
      .first<{ revoked_reason: string }>();
    expect(row?.revoked_reason).toBe('refresh_reuse');
  });

  it('keeps another session of the same holder working after a replay', async () => {
    const customer = await newCustomer();
    const other = await login(customer.email, STRONG_PASSWORD);
    expect((await refresh(customer.refreshToken)).status).toBe(200);
    expect((await refresh(customer.refreshToken)).status).toBe(401);

    expect((await api('GET', ME, { token: other.body.access_token })).status).toBe(200);
    expect((await refresh(other.body.refresh_token)).status).toBe(200);
  });

  // The loser of the race presents a token that is already spent, which API.md treats as
  // theft: the session ends, so the winner's new refresh token stops working too.
  it('lets exactly one of two concurrent refreshes with one token through', async () => {
    const customer = await newCustomer();
    const responses = await Promise.all([
      refresh(customer.refreshToken),
      refresh(customer.refreshToken),
    ]);
    expect(responses.map((response) => response.status).sort()).toEqual([200, 401]);

    const winner = responses.find((response) => response.status === 200);
    expect((await refresh(winner?.body.refresh_token)).status).toBe(401);
  });

  it('refuses an access token offered as a refresh token, leaving the session alive', async () => {
    const customer = await newCustomer();
    const response = await refresh(customer.accessToken);
    expectProblem(response, 401, 'unauthorized');
    expect(response.body.detail).toBe('The refresh token is invalid, expired or already used.');

    expect((await api('GET', ME, { token: customer.accessToken })).status).toBe(200);
    expect((await refresh(customer.refreshToken)).status).toBe(200);
  });

  it('answers a garbage refresh token like a spent one', async () => {
    const customer = await newCustomer();
    expect((await refresh(customer.refreshToken)).status).toBe(200);
    const spent = await refresh(customer.refreshToken);
    const garbage = await refresh('not-a-token');
    expect(publicPart(garbage)).toEqual(publicPart(spent));
  });

  it('refuses refreshing once the session is 7 days old, however recently it rotated', async () => {
    const { call, clock } = clockedApp('2026-03-01T00:00:00.000Z');
    const signup = await call('POST', '/auth/signup', { body: signupBody() });

    clock.advanceMs((7 * 24 * 60 * 60 - 1) * 1000);
    const rotated = await call('POST', '/auth/refresh', {
      body: { refresh_token: signup.body.refresh_token },
    });
    expect(rotated.status).toBe(200);
    expect(claimsOf(rotated.body.refresh_token).exp).toBe(claimsOf(signup.body.refresh_token).exp);

    clock.advanceMs(1000);
    const late = await call('POST', '/auth/refresh', {
      body: { refresh_token: rotated.body.refresh_token },
    });
    expectProblem(late, 401, 'unauthorized');
  });
});

describe('POST /auth/logout', () => {
  it('answers 204 and refuses that access token afterwards', async () => {
    const customer = await newCustomer();
    const response = await api('POST', '/auth/logout', { token: customer.accessToken });
    expect(response.status).toBe(204);
    expect(response.body).toBe('');

    const me = await api('GET', ME, { token: customer.accessToken });
    expectProblem(me, 401, 'unauthorized');
    expect(me.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    expect((await api('POST', '/auth/logout', { token: customer.accessToken })).status).toBe(401);
  });

  it('refuses every access token of the session, not only the one presented', async () => {
    const customer = await newCustomer();
    const rotated = await refresh(customer.refreshToken);
    expect(rotated.status).toBe(200);
    const logout = await api('POST', '/auth/logout', { token: rotated.body.access_token });
    expect(logout.status).toBe(204);

    expectProblem(await api('GET', ME, { token: customer.accessToken }), 401, 'unauthorized');
  });

  it('ends the session, so its refresh token is refused', async () => {
    const customer = await newCustomer();
    expect((await api('POST', '/auth/logout', { token: customer.accessToken })).status).toBe(204);
    expectProblem(await refresh(customer.refreshToken), 401, 'unauthorized');
  });

  it('leaves another session of the same holder working', async () => {
    const customer = await newCustomer();
    const other = await login(customer.email, STRONG_PASSWORD);
    expect((await api('POST', '/auth/logout', { token: customer.accessToken })).status).toBe(204);

    expect((await api('GET', ME, { token: other.body.access_token })).status).toBe(200);
    expect((await refresh(other.body.refresh_token)).status).toBe(200);
  });

  it('refuses a logout without a token', async () => {
    const response = await api('POST', '/auth/logout');
    expectProblem(response, 401, 'unauthorized');
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  });
});

describe('auth logging', () => {
  it('logs signup, login and a failed login without email, password, SSN or tokens', async () => {
    const ssn = nextSsn();
    const password = 'Log-marker passphrase 42';
    const body = signupBody({ ssn, password });
    const signup = await api('POST', '/auth/signup', { body });
    const loggedIn = await login(body.email, password);
    const failed = await login(body.email, 'Log-marker wrong guess 43');
    expect([signup.status, loggedIn.status, failed.status]).toEqual([201, 200, 401]);

    // Guards against a silent capture: the events must be there before their absence of
    // secrets means anything.
    const events = capturedLogLines.map((line) => JSON.parse(line).event);
    expect(events).toEqual(
      expect.arrayContaining(['holder_signed_up', 'login_succeeded', 'login_failed']),
    );
    const secrets = [
      body.email,
      body.email.split('@')[0] as string,
      password,
      'Log-marker wrong guess 43',
      ssn,
      ssn.replace(/-/g, ''),
      signup.body.access_token,
      signup.body.refresh_token,
      loggedIn.body.access_token,
      loggedIn.body.refresh_token,
    ];
    for (const line of capturedLogLines) {
      for (const secret of secrets) expect(line).not.toContain(secret);
    }
  });
});
