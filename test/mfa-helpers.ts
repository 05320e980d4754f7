import { expect } from 'vitest';
import { totpAt, totpSecretFromBase32 } from '../src/crypto/totp';
import { fixedClock } from '../src/lib/time';
import { apiAt, newCustomerVia, STRONG_PASSWORD, type ApiCall } from './helpers';

/** MFA test helpers: a holder enrolled in TOTP under a fixed clock, and the login steps. */

// Ten seconds into a 30-second step, so that no request lands on a step boundary by accident.
export const START = '2026-12-03T12:00:10.000Z';
export const STEP_MS = 30_000;
export const ME = '/account-holders/me';
export const SETUP = '/auth/mfa/totp/setup';
export const ENABLE = '/auth/mfa/totp/enable';
export const DISABLE = '/auth/mfa/totp/disable';
export const VERIFY = '/auth/mfa/verify';

export type Clock = ReturnType<typeof fixedClock>;

export interface Enrolled {
  clock: Clock;
  call: ApiCall;
  email: string;
  accessToken: string;
  holderId: string;
  secret: string;
  secretBytes: Uint8Array;
  recoveryCodes: string[];
  /** The code that enabled MFA: already used. */
  enableCode: string;
}

/** A holder signed up at START with TOTP set up and enabled with a code of START's step. */
export async function enrolledHolder(): Promise<Enrolled> {
  const clock = fixedClock(START);
  const call = apiAt(clock);
  const customer = await newCustomerVia(call);
  const token = customer.accessToken;
  const me = await call('GET', ME, { token });
  const setup = await call('POST', SETUP, { token });
  expect(setup.status).toBe(200);
  const secretBytes = totpSecretFromBase32(setup.body.secret);
  const enableCode = totpAt(secretBytes, clock.nowMs());
  const enabled = await call('POST', ENABLE, { token, body: { code: enableCode } });
  expect(enabled.status).toBe(200);
  return {
    clock,
    call,
    email: customer.email,
    accessToken: token,
    holderId: me.body.id,
    secret: setup.body.secret,
    secretBytes,
    recoveryCodes: enabled.body.recovery_codes,
    enableCode,
  };
}

/** Logs in with the password and returns the mfa_token. */
export async function passwordStep(holder: Enrolled): Promise<string> {
  const response = await holder.call('POST', '/auth/login', {
    body: { email: holder.email, password: STRONG_PASSWORD },
  });
  expect(response.status).toBe(200);
  expect(Object.keys(response.body).sort()).toEqual(['mfa_required', 'mfa_token']);
  return response.body.mfa_token;
}

export function verify(holder: Enrolled, mfaToken: string, code: string) {
  return holder.call('POST', VERIFY, { body: { mfa_token: mfaToken, code } });
}

export function currentCode(holder: Enrolled): string {
  return totpAt(holder.secretBytes, holder.clock.nowMs());
}
