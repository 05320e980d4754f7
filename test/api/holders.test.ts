import { describe, expect, it } from 'vitest';
import { claimsOf, clockedApp, rawApi } from '../auth-helpers';
import {
  api,
  expectProblem,
  newCustomer,
  nextEmail,
  nextSsn,
  signupBody,
  STRONG_PASSWORD,
  type ApiResponse,
} from '../helpers';

const ME = '/account-holders/me';
const NOTHING_TO_CHANGE = { path: '', message: 'Send at least one field to change.' };
const UUID_V7 = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function patchMe(token: string, body: unknown): Promise<ApiResponse> {
  return api('PATCH', ME, { token, body });
}

async function login(email: string, password = STRONG_PASSWORD): Promise<number> {
  return (await api('POST', '/auth/login', { body: { email, password } })).status;
}

describe('GET /account-holders/me', () => {
  it('answers exactly the holder fields, with only the last four SSN digits', async () => {
    const { call } = clockedApp('2026-04-02T08:30:00.000Z');
    const body = signupBody({ ssn: '123-45-6789' });
    const signup = await call('POST', '/auth/signup', { body });
    const me = await call('GET', ME, { token: signup.body.access_token });

    expect(me.status).toBe(200);
    expect(me.body).toEqual({
      id: claimsOf(signup.body.access_token).sub,
      name: body.name,
      email: body.email,
      date_of_birth: body.date_of_birth,
      mailing_address: body.mailing_address,
      ssn_last4: '6789',
      mfa_enabled: false,
      created_at: '2026-04-02T08:30:00.000Z',
      updated_at: '2026-04-02T08:30:00.000Z',
    });
    expect(me.body.id).toMatch(UUID_V7);
    expect(me.text).not.toContain('123-45-6789');
    expect(me.text).not.toContain('123456789');
    expect(me.headers.get('Cache-Control')).toBe('no-store');
  });

  it('answers each holder with their own record', async () => {
    const first = await newCustomer();
    const second = await newCustomer();
    const firstMe = await api('GET', ME, { token: first.accessToken });
    const secondMe = await api('GET', ME, { token: second.accessToken });
    expect(firstMe.body.email).toBe(first.email);
    expect(secondMe.body.email).toBe(second.email);
  });

  it('refuses a request without a token', async () => {
    const response = await rawApi('GET', ME);
    expectProblem(response, 401, 'unauthorized');
    expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  });
});

describe('PATCH /account-holders/me', () => {
  it('changes name, mailing address and date of birth and bumps updated_at', async () => {
    const { call, clock } = clockedApp('2026-04-02T08:30:00.000Z');
    const signup = await call('POST', '/auth/signup', { body: signupBody() });
    const token = signup.body.access_token;
    clock.advanceMs(60_000);

    const changes = {
      name: 'Augusta Ada King',
      mailing_address: '12 St James Square\nLondon',
      date_of_birth: '1985-12-10',
    };
    const patched = await call('PATCH', ME, { token, body: changes });

    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject(changes);
    expect(patched.body.created_at).toBe('2026-04-02T08:30:00.000Z');
    expect(patched.body.updated_at).toBe('2026-04-02T08:31:00.000Z');
    const me = await call('GET', ME, { token });
    expect(me.body).toEqual(patched.body);
  });

  it('changes one field and leaves the others as they were', async () => {
    const customer = await newCustomer();
    const before = await api('GET', ME, { token: customer.accessToken });
    const patched = await patchMe(customer.accessToken, { name: 'Ada King' });
    expect(patched.status).toBe(200);
    const { name: _name, updated_at: _updatedAt, ...unchanged } = before.body;
    expect(patched.body).toMatchObject({ ...unchanged, name: 'Ada King' });
  });

  it("refuses a date of birth under 18 on today's date", async () => {
    const { call } = clockedApp('2026-04-02T08:30:00.000Z');
    const signup = await call('POST', '/auth/signup', { body: signupBody() });
    const response = await call('PATCH', ME, {
      token: signup.body.access_token,
      body: { date_of_birth: '2008-04-03' },
    });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([
      { path: 'date_of_birth', message: 'Account holders must be at least 18.' },
    ]);
  });

  it('applies the signup rules to a changed name', async () => {
    const customer = await newCustomer();
    const response = await patchMe(customer.accessToken, { name: 'Ada \u202Eecalevol' });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([
      { path: 'name', message: 'Contains a control or invisible character.' },
    ]);
  });

  it('refuses an email change without the current password', async () => {
    const customer = await newCustomer();
    const response = await patchMe(customer.accessToken, { email: nextEmail('new') });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([
      { path: 'current_password', message: 'Required when the email changes.' },
    ]);
  });

  it('refuses an email change with a wrong current password and keeps the old email', async () => {
    const customer = await newCustomer();
    const newEmail = nextEmail('new');
    const response = await patchMe(customer.accessToken, {
      email: newEmail,
      current_password: `${STRONG_PASSWORD}?`,
    });
    expectProblem(response, 401, 'unauthorized');
    expect((await api('GET', ME, { token: customer.accessToken })).body.email).toBe(customer.email);
    expect(await login(newEmail)).toBe(401);
  });

  it('changes the email with the current password, moving login to the new address', async () => {
    const customer = await newCustomer();
    const newEmail = nextEmail('moved');
    const response = await patchMe(customer.accessToken, {
      email: ` ${newEmail.toUpperCase()} `,
      current_password: STRONG_PASSWORD,
    });

    expect(response.status).toBe(200);
    expect(response.body.email).toBe(newEmail);
    expect(await login(newEmail)).toBe(200);
    expect(await login(customer.email)).toBe(401);
  });

  it('needs no password to resend the current email in another case', async () => {
    const customer = await newCustomer();
    const response = await patchMe(customer.accessToken, { email: customer.email.toUpperCase() });
    expect(response.status).toBe(200);
    expect(response.body.email).toBe(customer.email);
  });

  it("refuses to take another holder's email with 409", async () => {
    const customer = await newCustomer();
    const other = await newCustomer();
    const response = await patchMe(customer.accessToken, {
      email: other.email,
      current_password: STRONG_PASSWORD,
    });
    expectProblem(response, 409, 'already-registered');
    expect((await api('GET', ME, { token: customer.accessToken })).body.email).toBe(customer.email);
  });

  it.each([
    ['ssn', { ssn: nextSsn() }],
    ['balance', { balance: '1000000.00' }],
    ['id', { id: '01890a5d-ac96-774b-bcce-b302099a8057' }],
    ['mfa_enabled', { mfa_enabled: true }],
    ['password_hash', { password_hash: 'x' }],
  ])('refuses the unknown field %s and changes nothing', async (field, extra) => {
    const customer = await newCustomer();
    const before = await api('GET', ME, { token: customer.accessToken });
    const response = await patchMe(customer.accessToken, { name: 'Mallory', ...extra });

    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([
      { path: field, message: 'Is not a field of this request.' },
    ]);
    const after = await api('GET', ME, { token: customer.accessToken });
    expect(after.body).toEqual(before.body);
  });

  it('refuses a body with only current_password', async () => {
    const customer = await newCustomer();
    const response = await patchMe(customer.accessToken, { current_password: STRONG_PASSWORD });
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([NOTHING_TO_CHANGE]);
  });

  it('refuses an empty body', async () => {
    const customer = await newCustomer();
    const response = await patchMe(customer.accessToken, {});
    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([NOTHING_TO_CHANGE]);
  });

  it('refuses a body sent as text/plain with 415', async () => {
    const customer = await newCustomer();
    const response = await api('PATCH', ME, {
      token: customer.accessToken,
      body: JSON.stringify({ name: 'Ada King' }),
      headers: { 'Content-Type': 'text/plain' },
    });
    expectProblem(response, 415, 'unsupported-media-type');
  });

  it('refuses a change without a token before reading the body', async () => {
    const response = await api('PATCH', ME, { body: '{' });
    expectProblem(response, 401, 'unauthorized');
  });

  it('stops accepting the token of a logged-out session', async () => {
    const customer = await newCustomer();
    expect((await api('POST', '/auth/logout', { token: customer.accessToken })).status).toBe(204);
    const response = await patchMe(customer.accessToken, { name: 'Ghost' });
    expectProblem(response, 401, 'unauthorized');
  });
});
