import { describe, expect, it } from 'vitest';
import { LOGIN_FAILURES_MAX, LOGIN_LOCKOUT_SECONDS } from '../../src/lib/limits';
import { fixedClock } from '../../src/lib/time';
import { apiAt, expectProblem, newCustomerVia, nextEmail, STRONG_PASSWORD } from '../helpers';

const START = '2026-12-03T12:00:00.000Z';

function loginBody(email: string, password: string) {
  return { body: { email, password } };
}

describe('login lockout', () => {
  it('locks an email for 15 minutes after 5 failures, even for the right password', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    for (let attempt = 1; attempt <= LOGIN_FAILURES_MAX; attempt++) {
      const failed = await call('POST', '/auth/login', loginBody(customer.email, 'wrong guess'));
      expectProblem(failed, 401, 'unauthorized');
    }

    const locked = await call('POST', '/auth/login', loginBody(customer.email, STRONG_PASSWORD));
    expectProblem(locked, 429, 'too-many-requests');
    const retryAfterSeconds = Number(locked.headers.get('Retry-After'));
    expect(retryAfterSeconds).toBe(LOGIN_LOCKOUT_SECONDS);

    clock.advanceMs((LOGIN_LOCKOUT_SECONDS - 1) * 1000);
    const stillLocked = await call(
      'POST',
      '/auth/login',
      loginBody(customer.email, STRONG_PASSWORD),
    );
    expectProblem(stillLocked, 429, 'too-many-requests');
    expect(stillLocked.headers.get('Retry-After')).toBe('1');

    clock.advanceMs(1000);
    const unlocked = await call('POST', '/auth/login', loginBody(customer.email, STRONG_PASSWORD));
    expect(unlocked.status).toBe(200);
  });

  it('answers an unknown email exactly as a known one, through the same lockout', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const known = await newCustomerVia(call);
    const unknownEmail = nextEmail('nobody');
    const answers: { status: number; body: unknown; retryAfter: string | null }[][] = [[], []];
    for (let attempt = 0; attempt <= LOGIN_FAILURES_MAX; attempt++) {
      for (const [index, email] of [known.email, unknownEmail].entries()) {
        const response = await call('POST', '/auth/login', loginBody(email, 'wrong guess'));
        answers[index]!.push({
          status: response.status,
          body: { ...response.body, request_id: null },
          retryAfter: response.headers.get('Retry-After'),
        });
      }
    }
    expect(answers[0]!.map((answer) => answer.status)).toEqual([401, 401, 401, 401, 401, 429]);
    expect(answers[1]).toEqual(answers[0]);
  });

  it('forgets failures older than the fifteen-minute window', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    for (let attempt = 1; attempt < LOGIN_FAILURES_MAX; attempt++) {
      await call('POST', '/auth/login', loginBody(customer.email, 'wrong guess'));
    }
    clock.advanceMs(15 * 60 * 1000 + 1);
    const fifth = await call('POST', '/auth/login', loginBody(customer.email, 'wrong guess'));
    expectProblem(fifth, 401, 'unauthorized');
    const next = await call('POST', '/auth/login', loginBody(customer.email, STRONG_PASSWORD));
    expect(next.status).toBe(200);
  });

  it('clears the count on a successful login', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const customer = await newCustomerVia(call);
    for (let attempt = 1; attempt < LOGIN_FAILURES_MAX; attempt++) {
      await call('POST', '/auth/login', loginBody(customer.email, 'wrong guess'));
    }
    expect(
      (await call('POST', '/auth/login', loginBody(customer.email, STRONG_PASSWORD))).status,
    ).toBe(200);
    for (let attempt = 1; attempt < LOGIN_FAILURES_MAX; attempt++) {
      await call('POST', '/auth/login', loginBody(customer.email, 'wrong guess'));
    }
    const stillOpen = await call('POST', '/auth/login', loginBody(customer.email, STRONG_PASSWORD));
    expect(stillOpen.status).toBe(200);
  });

  it('locks one email without touching another', async () => {
    const clock = fixedClock(START);
    const call = apiAt(clock);
    const locked = await newCustomerVia(call);
    const other = await newCustomerVia(call);
    for (let attempt = 1; attempt <= LOGIN_FAILURES_MAX; attempt++) {
      await call('POST', '/auth/login', loginBody(locked.email, 'wrong guess'));
    }
    expect(
      (await call('POST', '/auth/login', loginBody(locked.email, STRONG_PASSWORD))).status,
    ).toBe(429);
    expect(
      (await call('POST', '/auth/login', loginBody(other.email, STRONG_PASSWORD))).status,
    ).toBe(200);
  });
});
