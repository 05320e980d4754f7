import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { totpAt, totpSecretFromBase32 } from '../../src/crypto/totp';
import { LOGIN_LOCKOUT_SECONDS, MFA_ENROLMENT_SIGN_IN_AGE_SECONDS_MAX } from '../../src/lib/limits';
import { fixedClock } from '../../src/lib/time';
import { MFA_CHALLENGE_TTL_SECONDS } from '../../src/services/mfa-login';
import {
  apiAt,
  expectProblem,
  newCustomerVia,
  STRONG_PASSWORD,
  type ApiResponse,
} from '../helpers';
import {
  currentCode,
  DISABLE,
  ENABLE,
  enrolledHolder,
  ME,
  passwordStep,
  SETUP,
  START,
  STEP_MS,
  verify,
  VERIFY,
} from '../mfa-helpers';
import { capturedLogLines } from '../setup';

/** The parts of a refusal that must not differ between two refusals. */
function publicPart(response: ApiResponse) {
  const { request_id: _requestId, ...rest } = response.body;
  return {
    status: response.status,
    body: rest,
    challenge: response.headers.get('WWW-Authenticate'),
  };
}

async function factorRow(holderId: string) {
  return env.DB.prepare('SELECT * FROM mfa_factors WHERE holder_id = ?')
    .bind(holderId)
    .first<Record<string, unknown>>();
}

async function auditTypes(holderId: string): Promise<string[]> {
  const rows = await env.DB.prepare(
    'SELECT type, outcome FROM audit_events WHERE holder_id = ? ORDER BY seq',
  )
    .bind(holderId)
    .all<{ type: string; outcome: string }>();
  return rows.results.map((row) => `${row.type}:${row.outcome}`);
}

describe('POST /auth/mfa/totp/setup', () => {
  it('returns a base32 secret and an otpauth URI labelled with the email', async () => {
    const call = apiAt(fixedClock(START));
    const customer = await newCustomerVia(call);
    const response = await call('POST', SETUP, { token: customer.accessToken });

    expect(response.status).toBe(200);
    expect(Object.keys(response.body).sort()).toEqual(['otpauth_uri', 'secret']);
    expect(response.body.secret).toMatch(/^[A-Z2-7]{32}$/);
    expect(response.body.otpauth_uri).toBe(
      `otpauth://totp/Invisible%20Bank:${encodeURIComponent(customer.email)}` +
        `?issuer=Invisible%20Bank&secret=${response.body.secret}` +
        '&algorithm=SHA1&digits=6&period=30',
    );
    expect(response.headers.get('Cache-Control')).toContain('no-store');
  });

  it('stores the secret encrypted, never as the base32 text', async () => {
    const call = apiAt(fixedClock(START));
    const customer = await newCustomerVia(call);
    const me = await call('GET', ME, { token: customer.accessToken });
    const setup = await call('POST', SETUP, { token: customer.accessToken });

    const row = await factorRow(me.body.id);
    expect(row?.secret_ciphertext).toBe(null);
    expect(String(row?.unconfirmed_secret_ciphertext)).toMatch(/^v2\.1\.[\w-]{16}\.[\w-]+$/);
    expect(JSON.stringify(row)).not.toContain(setup.body.secret);
  });

  it('replaces an unconfirmed secret when setup runs again', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    const token = customer.accessToken;
    const first = await call('POST', SETUP, { token });
    const second = await call('POST', SETUP, { token });
    expect(second.body.secret).not.toBe(first.body.secret);

    const staleCode = totpAt(totpSecretFromBase32(first.body.secret), clock.nowMs());
    const stale = await call('POST', ENABLE, { token, body: { code: staleCode } });
    expectProblem(stale, 422, 'invalid-mfa-code');
    const freshCode = totpAt(totpSecretFromBase32(second.body.secret), clock.nowMs());
    const fresh = await call('POST', ENABLE, { token, body: { code: freshCode } });
    expect(fresh.status).toBe(200);
  });

  it('answers 409 mfa-already-enabled while MFA is on, and keeps the active secret', async () => {
    const holder = await enrolledHolder();
    const before = await factorRow(holder.holderId);
    const again = await holder.call('POST', SETUP, { token: holder.accessToken });
    expectProblem(again, 409, 'mfa-already-enabled');
    expect(await factorRow(holder.holderId)).toEqual(before);
  });

  it('requires an access token', async () => {
    const call = apiAt(fixedClock(START));
    const response = await call('POST', SETUP);
    expectProblem(response, 401, 'unauthorized');
  });
});

describe('MFA enrolment needs a recent sign-in', () => {
  const STEP_UP_CHALLENGE =
    'Bearer error="insufficient_user_authentication", ' +
    `max_age="${MFA_ENROLMENT_SIGN_IN_AGE_SECONDS_MAX}"`;

  it('refuses setup and enable in a session signed in long ago, refreshed or not', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    const setup = await call('POST', SETUP, { token: customer.accessToken });
    expect(setup.status).toBe(200);
    const secret = totpSecretFromBase32(setup.body.secret);

    // Still inside the access token's life, past the sign-in window.
    clock.advanceMs((MFA_ENROLMENT_SIGN_IN_AGE_SECONDS_MAX + 60) * 1000);
    const code = totpAt(secret, clock.nowMs());
    const enable = await call('POST', ENABLE, { token: customer.accessToken, body: { code } });
    expectProblem(enable, 401, 'unauthorized');
    expect(enable.headers.get('WWW-Authenticate')).toBe(STEP_UP_CHALLENGE);
    expect(enable.body.detail).toContain('log in again');
    expectProblem(await call('POST', SETUP, { token: customer.accessToken }), 401);

    // A refresh renews the token, not the sign-in.
    const refreshed = await call('POST', '/auth/refresh', {
      body: { refresh_token: customer.refreshToken },
    });
    expect(refreshed.status).toBe(200);
    const again = await call('POST', SETUP, { token: refreshed.body.access_token });
    expect(again.headers.get('WWW-Authenticate')).toBe(STEP_UP_CHALLENGE);
    const me = await call('GET', ME, { token: refreshed.body.access_token });
    expect(me.body.mfa_enabled).toBe(false);

    const login = await call('POST', '/auth/login', {
      body: { email: customer.email, password: STRONG_PASSWORD },
    });
    expect(login.status).toBe(200);
    const fresh = login.body.access_token;
    const freshSetup = await call('POST', SETUP, { token: fresh });
    expect(freshSetup.status).toBe(200);
    const freshCode = totpAt(totpSecretFromBase32(freshSetup.body.secret), clock.nowMs());
    const enabled = await call('POST', ENABLE, { token: fresh, body: { code: freshCode } });
    expect(enabled.status).toBe(200);
  });
});

describe('POST /auth/mfa/totp/enable', () => {
  it('turns MFA on and returns ten distinct recovery codes, stored only as hashes', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    const token = customer.accessToken;
    const before = await call('GET', ME, { token });
    expect(before.body.mfa_enabled).toBe(false);
    const setup = await call('POST', SETUP, { token });
    const code = totpAt(totpSecretFromBase32(setup.body.secret), clock.nowMs());
    const response = await call('POST', ENABLE, { token, body: { code } });

    expect(response.status).toBe(200);
    expect(Object.keys(response.body)).toEqual(['recovery_codes']);
    const codes: string[] = response.body.recovery_codes;
    expect(codes.length).toBe(10);
    expect(new Set(codes).size).toBe(10);
    for (const recoveryCode of codes) expect(recoveryCode).toMatch(/^[A-Z2-7]{5}-[A-Z2-7]{5}$/);

    const after = await call('GET', ME, { token });
    expect(after.body.mfa_enabled).toBe(true);
    const stored = await env.DB.prepare(
      'SELECT code_hash, used_at FROM mfa_recovery_codes WHERE holder_id = ?',
    )
      .bind(before.body.id)
      .all<{ code_hash: string; used_at: string | null }>();
    expect(stored.results.length).toBe(10);
    const storedText = JSON.stringify(stored.results);
    for (const recoveryCode of codes) {
      expect(storedText).not.toContain(recoveryCode);
      expect(storedText).not.toContain(recoveryCode.replace('-', ''));
    }
    for (const row of stored.results) {
      expect(row.code_hash).toMatch(/^b0:[0-9a-f]{64}$/);
      expect(row.used_at).toBe(null);
    }
  });

  it('moves the secret to the active column, re-encrypted, and records the step used', async () => {
    const holder = await enrolledHolder();
    const row = await factorRow(holder.holderId);
    expect(row?.unconfirmed_secret_ciphertext).toBe(null);
    expect(String(row?.secret_ciphertext)).toMatch(/^v2\.1\.[\w-]{16}\.[\w-]+$/);
    expect(JSON.stringify(row)).not.toContain(holder.secret);
    expect(row?.last_step).toBe(Math.floor(Date.parse(START) / STEP_MS));
  });

  it('lets only one of two concurrent confirmations win, leaving ten recovery codes', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    const token = customer.accessToken;
    const me = await call('GET', ME, { token });
    const setup = await call('POST', SETUP, { token });
    const code = totpAt(totpSecretFromBase32(setup.body.secret), clock.nowMs());

    const answers = await Promise.all([
      call('POST', ENABLE, { token, body: { code } }),
      call('POST', ENABLE, { token, body: { code } }),
    ]);
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 409]);
    const stored = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE holder_id = ?',
    )
      .bind(me.body.id)
      .first<{ n: number }>();
    expect(stored?.n).toBe(10);
  });

  it('answers 422 invalid-mfa-code for a wrong code and leaves MFA off', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    const token = customer.accessToken;
    const setup = await call('POST', SETUP, { token });
    const secretBytes = totpSecretFromBase32(setup.body.secret);
    const oldCode = totpAt(secretBytes, clock.nowMs() - 2 * STEP_MS);

    const response = await call('POST', ENABLE, { token, body: { code: oldCode } });
    expectProblem(response, 422, 'invalid-mfa-code');
    expect((await call('GET', ME, { token })).body.mfa_enabled).toBe(false);
  });

  it('answers 409 mfa-setup-required when setup was never started', async () => {
    const call = apiAt(fixedClock(START));
    const customer = await newCustomerVia(call);
    const response = await call('POST', ENABLE, {
      token: customer.accessToken,
      body: { code: '123456' },
    });
    expectProblem(response, 409, 'mfa-setup-required');
  });

  it('answers 409 mfa-setup-required a second time, once the secret is confirmed', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    const response = await holder.call('POST', ENABLE, {
      token: holder.accessToken,
      body: { code: currentCode(holder) },
    });
    expectProblem(response, 409, 'mfa-setup-required');
  });

  it('refuses a code that is not six digits with 422 validation-failed', async () => {
    const call = apiAt(fixedClock(START));
    const customer = await newCustomerVia(call);
    const response = await call('POST', ENABLE, {
      token: customer.accessToken,
      body: { code: '12345' },
    });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([
      { path: 'code', message: 'Must be the 6-digit code from the app.' },
    ]);
  });
});

describe('POST /auth/login with MFA on', () => {
  it('answers mfa_required and an mfa_token instead of tokens', async () => {
    const holder = await enrolledHolder();
    const response = await holder.call('POST', '/auth/login', {
      body: { email: holder.email, password: STRONG_PASSWORD },
    });
    expect(response.status).toBe(200);
    expect(response.body.mfa_required).toBe(true);
    expect(response.body.mfa_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(response.body.access_token).toBe(undefined);
    expect(response.body.refresh_token).toBe(undefined);
  });

  it('never accepts an mfa_token as a bearer token', async () => {
    const holder = await enrolledHolder();
    const mfaToken = await passwordStep(holder);
    const response = await holder.call('GET', ME, { token: mfaToken });
    expectProblem(response, 401, 'unauthorized');
  });

  it('still answers a wrong password with the ordinary 401', async () => {
    const holder = await enrolledHolder();
    const response = await holder.call('POST', '/auth/login', {
      body: { email: holder.email, password: 'not the password' },
    });
    expectProblem(response, 401, 'unauthorized');
    expect(response.body.detail).toBe('The email or password is wrong.');
  });
});

describe('POST /auth/mfa/verify', () => {
  it('opens a session for a code of the next step, whose tokens work', async () => {
    const holder = await enrolledHolder();
    const mfaToken = await passwordStep(holder);
    holder.clock.advanceMs(STEP_MS);
    const response = await verify(holder, mfaToken, currentCode(holder));

    expect(response.status).toBe(200);
    expect(response.body.token_type).toBe('bearer');
    expect(response.body.expires_in).toBe(900);
    const me = await holder.call('GET', ME, { token: response.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.mfa_enabled).toBe(true);
    const refreshed = await holder.call('POST', '/auth/refresh', {
      body: { refresh_token: response.body.refresh_token },
    });
    expect(refreshed.status).toBe(200);
  });

  it('refuses the code that enabled MFA for the rest of its window', async () => {
    const holder = await enrolledHolder();
    const mfaToken = await passwordStep(holder);
    const response = await verify(holder, mfaToken, holder.enableCode);
    expectProblem(response, 401, 'unauthorized');
  });

  it('refuses a code used for one login at a second login in the same step', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    const code = currentCode(holder);
    const first = await verify(holder, await passwordStep(holder), code);
    expect(first.status).toBe(200);

    const secondToken = await passwordStep(holder);
    const replayed = await verify(holder, secondToken, code);
    expectProblem(replayed, 401, 'unauthorized');
    holder.clock.advanceMs(STEP_MS);
    const next = await verify(holder, secondToken, currentCode(holder));
    expect(next.status).toBe(200);
  });

  it('refuses a code of the previous step once a later step was used', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    const earlier = currentCode(holder);
    holder.clock.advanceMs(STEP_MS);
    const later = currentCode(holder);
    expect((await verify(holder, await passwordStep(holder), later)).status).toBe(200);
    const response = await verify(holder, await passwordStep(holder), earlier);
    expectProblem(response, 401, 'unauthorized');
  });

  it('accepts one code once when two logins present it at the same time', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    const code = currentCode(holder);
    const tokens = [await passwordStep(holder), await passwordStep(holder)];
    const answers = await Promise.all(tokens.map((mfaToken) => verify(holder, mfaToken, code)));
    expect(answers.map((answer) => answer.status).sort()).toEqual([200, 401]);
  });

  it('accepts a recovery code once, then refuses it', async () => {
    const holder = await enrolledHolder();
    const recoveryCode = holder.recoveryCodes[3] as string;
    const first = await verify(holder, await passwordStep(holder), recoveryCode);
    expect(first.status).toBe(200);
    expect((await holder.call('GET', ME, { token: first.body.access_token })).status).toBe(200);

    const again = await verify(holder, await passwordStep(holder), recoveryCode);
    expectProblem(again, 401, 'unauthorized');
    const used = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE holder_id = ? AND used_at IS NOT NULL',
    )
      .bind(holder.holderId)
      .first<{ n: number }>();
    expect(used?.n).toBe(1);
  });

  it('accepts a recovery code typed in lower case, without the dash', async () => {
    const holder = await enrolledHolder();
    const typed = (holder.recoveryCodes[0] as string).replace('-', '').toLowerCase();
    const response = await verify(holder, await passwordStep(holder), typed);
    expect(response.status).toBe(200);
  });

  it('refuses a recovery code of another holder', async () => {
    const holder = await enrolledHolder();
    const other = await enrolledHolder();
    const response = await verify(holder, await passwordStep(holder), other.recoveryCodes[0]!);
    expectProblem(response, 401, 'unauthorized');
  });

  it('makes an mfa_token single use', async () => {
    const holder = await enrolledHolder();
    const mfaToken = await passwordStep(holder);
    const first = await verify(holder, mfaToken, holder.recoveryCodes[0]!);
    expect(first.status).toBe(200);
    const second = await verify(holder, mfaToken, holder.recoveryCodes[1]!);
    expectProblem(second, 401, 'unauthorized');
  });

  it('refuses an mfa_token five minutes after login, and not a millisecond before', async () => {
    const holder = await enrolledHolder();
    const early = await passwordStep(holder);
    const late = await passwordStep(holder);
    holder.clock.advanceMs(MFA_CHALLENGE_TTL_SECONDS * 1000 - 1);
    const inTime = await verify(holder, early, holder.recoveryCodes[0]!);
    expect(inTime.status).toBe(200);

    holder.clock.advanceMs(1);
    const expired = await verify(holder, late, holder.recoveryCodes[1]!);
    expectProblem(expired, 401, 'unauthorized');
  });

  it('refuses a sixth attempt on one mfa_token even with the right code', async () => {
    const holder = await enrolledHolder();
    const mfaToken = await passwordStep(holder);
    holder.clock.advanceMs(STEP_MS);
    for (let attempt = 1; attempt <= 5; attempt++) {
      expectProblem(await verify(holder, mfaToken, '000000'), 401, 'unauthorized');
    }
    const sixth = await verify(holder, mfaToken, currentCode(holder));
    expectProblem(sixth, 401, 'unauthorized');
    const row = await env.DB.prepare(
      'SELECT attempts, used_at FROM mfa_challenges WHERE holder_id = ?',
    )
      .bind(holder.holderId)
      .first<{ attempts: number; used_at: string | null }>();
    expect(row).toEqual({ attempts: 5, used_at: null });
  });

  it('locks the holder for 15 minutes after five wrong codes, across mfa_tokens', async () => {
    const holder = await enrolledHolder();
    for (let attempt = 1; attempt <= 5; attempt++) {
      const wrong = await verify(holder, await passwordStep(holder), '000000');
      expectProblem(wrong, 401, 'unauthorized');
    }
    holder.clock.advanceMs(STEP_MS);
    const locked = await verify(holder, await passwordStep(holder), currentCode(holder));
    expectProblem(locked, 429, 'too-many-requests');
    expect(locked.headers.get('Retry-After')).toBe(String(LOGIN_LOCKOUT_SECONDS - 30));

    holder.clock.advanceMs((LOGIN_LOCKOUT_SECONDS - 30) * 1000);
    const unlocked = await verify(holder, await passwordStep(holder), currentCode(holder));
    expect(unlocked.status).toBe(200);
  });

  it('answers every refusal with the same 401, whichever check failed', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    const spentToken = await passwordStep(holder);
    expect((await verify(holder, spentToken, holder.recoveryCodes[0]!)).status).toBe(200);
    const liveToken = await passwordStep(holder);

    const refusals = [
      await verify(holder, liveToken, '000000'),
      await verify(holder, liveToken, holder.enableCode),
      await verify(holder, liveToken, holder.recoveryCodes[0]!),
      await verify(holder, liveToken, 'AAAAA-AAAAA'),
      await verify(holder, spentToken, currentCode(holder)),
      await verify(holder, 'no-such-token', currentCode(holder)),
    ];
    for (const refusal of refusals) expectProblem(refusal, 401, 'unauthorized');
    const parts = refusals.map(publicPart);
    for (const part of parts) expect(part).toEqual(parts[0]);
    expect(parts[0]?.body.detail).toBe(
      'The MFA token or the code is invalid, expired or already used.',
    );
  });

  it('refuses a malformed body with 422 before looking at the token', async () => {
    const holder = await enrolledHolder();
    const mfaToken = await passwordStep(holder);
    const response = await verify(holder, mfaToken, '12-34');
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([
      { path: 'code', message: 'Must be a 6-digit code or a recovery code.' },
    ]);
  });

  it('records mfa_verified, mfa_recovery_code_used and mfa_failed in the audit trail', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    await verify(holder, await passwordStep(holder), currentCode(holder));
    await verify(holder, await passwordStep(holder), holder.recoveryCodes[0]!);
    await verify(holder, await passwordStep(holder), '000000');

    expect(await auditTypes(holder.holderId)).toEqual([
      'signup:success',
      'mfa_setup_started:success',
      'mfa_enabled:success',
      'mfa_verified:success',
      'login_succeeded:success',
      'mfa_recovery_code_used:success',
      'login_succeeded:success',
      'mfa_failed:failure',
    ]);
  });

  it('answers 405 with Allow: POST to a GET', async () => {
    const call = apiAt(fixedClock(START));
    const response = await call('GET', VERIFY);
    expectProblem(response, 405, 'method-not-allowed');
    expect(response.headers.get('Allow')).toBe('POST');
  });
});

describe('POST /auth/mfa/totp/disable', () => {
  it('turns MFA off with password and code, deleting the secret and recovery codes', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    const response = await holder.call('POST', DISABLE, {
      token: holder.accessToken,
      body: { password: STRONG_PASSWORD, code: currentCode(holder) },
    });

    expect(response.status).toBe(204);
    expect(response.text).toBe('');
    const me = await holder.call('GET', ME, { token: holder.accessToken });
    expect(me.body.mfa_enabled).toBe(false);
    expect(await factorRow(holder.holderId)).toBe(null);
    const codes = await env.DB.prepare(
      'SELECT COUNT(*) AS n FROM mfa_recovery_codes WHERE holder_id = ?',
    )
      .bind(holder.holderId)
      .first<{ n: number }>();
    expect(codes?.n).toBe(0);
    const login = await holder.call('POST', '/auth/login', {
      body: { email: holder.email, password: STRONG_PASSWORD },
    });
    expect(login.status).toBe(200);
    expect(login.body.token_type).toBe('bearer');
    expect(login.body.mfa_required).toBe(undefined);
    expect((await auditTypes(holder.holderId)).at(-2)).toBe('mfa_disabled:success');
  });

  it('accepts a recovery code in place of a TOTP code', async () => {
    const holder = await enrolledHolder();
    const response = await holder.call('POST', DISABLE, {
      token: holder.accessToken,
      body: { password: STRONG_PASSWORD, code: holder.recoveryCodes[9]! },
    });
    expect(response.status).toBe(204);
  });

  it('refuses a right code with a wrong password, and does not spend the code', async () => {
    const holder = await enrolledHolder();
    const recoveryCode = holder.recoveryCodes[0]!;
    const response = await holder.call('POST', DISABLE, {
      token: holder.accessToken,
      body: { password: 'not the password', code: recoveryCode },
    });
    expectProblem(response, 401, 'unauthorized');
    expect(response.body.detail).toBe('The password or the code is wrong.');
    const me = await holder.call('GET', ME, { token: holder.accessToken });
    expect(me.body.mfa_enabled).toBe(true);
    expect((await verify(holder, await passwordStep(holder), recoveryCode)).status).toBe(200);
  });

  it('refuses the right password with a wrong or replayed code, with the same 401', async () => {
    const holder = await enrolledHolder();
    const wrongPassword = await holder.call('POST', DISABLE, {
      token: holder.accessToken,
      body: { password: 'not the password', code: '000000' },
    });
    const wrongCode = await holder.call('POST', DISABLE, {
      token: holder.accessToken,
      body: { password: STRONG_PASSWORD, code: '000000' },
    });
    const replayed = await holder.call('POST', DISABLE, {
      token: holder.accessToken,
      body: { password: STRONG_PASSWORD, code: holder.enableCode },
    });
    for (const refusal of [wrongPassword, wrongCode, replayed]) {
      expectProblem(refusal, 401, 'unauthorized');
      expect(publicPart(refusal)).toEqual(publicPart(wrongPassword));
    }
    const me = await holder.call('GET', ME, { token: holder.accessToken });
    expect(me.body.mfa_enabled).toBe(true);
  });

  it('answers 409 mfa-not-enabled when MFA is off', async () => {
    const call = apiAt(fixedClock(START));
    const customer = await newCustomerVia(call);
    const response = await call('POST', DISABLE, {
      token: customer.accessToken,
      body: { password: STRONG_PASSWORD, code: '123456' },
    });
    expectProblem(response, 409, 'mfa-not-enabled');
  });

  it('lets a holder set MFA up again after turning it off, with a new secret', async () => {
    const holder = await enrolledHolder();
    await holder.call('POST', DISABLE, {
      token: holder.accessToken,
      body: { password: STRONG_PASSWORD, code: holder.recoveryCodes[0]! },
    });
    const setup = await holder.call('POST', SETUP, { token: holder.accessToken });
    expect(setup.status).toBe(200);
    expect(setup.body.secret).not.toBe(holder.secret);
    const code = totpAt(totpSecretFromBase32(setup.body.secret), holder.clock.nowMs());
    const enabled = await holder.call('POST', ENABLE, {
      token: holder.accessToken,
      body: { code },
    });
    expect(enabled.status).toBe(200);
  });
});

describe('MFA logging', () => {
  it('writes no secret, code, recovery code, mfa_token or email to any log line', async () => {
    const holder = await enrolledHolder();
    holder.clock.advanceMs(STEP_MS);
    const mfaToken = await passwordStep(holder);
    const code = currentCode(holder);
    await verify(holder, mfaToken, '000000');
    const verified = await verify(holder, mfaToken, code);
    expect(verified.status).toBe(200);
    const viaRecovery = await verify(holder, await passwordStep(holder), holder.recoveryCodes[1]!);
    expect(viaRecovery.status).toBe(200);

    const events = capturedLogLines.map((line) => JSON.parse(line).event);
    expect(events).toEqual(
      expect.arrayContaining([
        'mfa_enabled',
        'login_mfa_required',
        'mfa_failed',
        'login_succeeded',
      ]),
    );
    const secrets = [
      holder.secret,
      holder.email,
      encodeURIComponent(holder.email),
      holder.enableCode,
      code,
      mfaToken,
      ...holder.recoveryCodes,
      ...holder.recoveryCodes.map((recoveryCode) => recoveryCode.replace('-', '')),
    ];
    // A 6-digit code may turn up by chance inside a UUID or a timestamp, so digits only count
    // as a leak when they stand alone.
    const leaks = capturedLogLines.filter((line) =>
      secrets.some((secret) => {
        const escaped = secret.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
        return new RegExp(`(?<![0-9A-Za-z])${escaped}(?![0-9A-Za-z])`).test(line);
      }),
    );
    expect(leaks).toEqual([]);
  });
});
