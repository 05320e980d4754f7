import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { claimsOf, clockedApp, rawApi } from '../auth-helpers';
import { api, expectProblem, nextEmail, nextSsn, signupBody, type ApiResponse } from '../helpers';

const SIGNUP = '/auth/signup';
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;

/** Asserts a 422 whose only field errors are exactly these. */
function expectFieldErrors(
  response: ApiResponse,
  errors: { path: string; message: string }[],
): void {
  expectProblem(response, 422, 'validation-failed');
  expect(response.body.errors).toEqual(errors);
}

async function signupWith(overrides: Record<string, unknown>) {
  return api('POST', SIGNUP, { body: signupBody(overrides) });
}

/** 64 + 1 + domainLength characters, with every label within the 63-character DNS limit. */
function emailOfLength(length: number): string {
  const domain = `${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(length - 64 - 1 - 132)}.com`;
  return `${'a'.repeat(64)}@${domain}`;
}

describe('POST /auth/signup', () => {
  it('answers 201 with exactly a bearer token pair that opens the new holder', async () => {
    const body = signupBody();
    const response = await api('POST', SIGNUP, { body });

    expect(response.status).toBe(201);
    expect(Object.keys(response.body).sort()).toEqual([
      'access_token',
      'expires_in',
      'refresh_token',
      'token_type',
    ]);
    expect(response.body.token_type).toBe('bearer');
    expect(response.body.expires_in).toBe(900);
    expect(response.body.access_token).toMatch(COMPACT_JWS);
    expect(response.body.refresh_token).toMatch(COMPACT_JWS);
    expect(claimsOf(response.body.access_token).typ).toBe('access');
    expect(claimsOf(response.body.refresh_token).typ).toBe('refresh');
    const me = await api('GET', '/account-holders/me', { token: response.body.access_token });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(body.email);
  });

  it('stores the email trimmed and lower-cased', async () => {
    const email = nextEmail('Mixed.Case');
    const signup = await signupWith({ email: `  ${email.toUpperCase()}  ` });
    expect(signup.status).toBe(201);
    const me = await api('GET', '/account-holders/me', { token: signup.body.access_token });
    expect(me.body.email).toBe(email.toLowerCase());
  });

  it('stores the SSN encrypted and the password as a current Argon2id hash', async () => {
    const ssn = nextSsn();
    const password = 'Marker-password-for-storage!';
    const signup = await signupWith({ ssn, password });
    expect(signup.status).toBe(201);

    const row = await env.DB.prepare('SELECT * FROM account_holders WHERE id = ?')
      .bind(claimsOf(signup.body.access_token).sub)
      .first<Record<string, unknown>>();
    const stored = JSON.stringify(row);
    expect(stored).not.toContain(ssn);
    expect(stored).not.toContain(ssn.replace(/-/g, ''));
    expect(stored).not.toContain(password);
    expect(row?.ssn_last4).toBe(ssn.slice(-4));
    expect(String(row?.password_hash)).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$/);
  });

  it('never returns the password or the SSN, on success or on refusal', async () => {
    const ssn = nextSsn();
    const password = 'Marker password 5f0c!';
    const created = await rawApi('POST', SIGNUP, { body: signupBody({ ssn, password }) });
    const refused = await rawApi('POST', SIGNUP, {
      body: signupBody({ ssn: `${ssn}0`, password: `${password}x`, name: '' }),
    });
    const duplicate = await rawApi('POST', SIGNUP, { body: signupBody({ ssn, password }) });

    expect([created.status, refused.status, duplicate.status]).toEqual([201, 422, 409]);
    for (const response of [created, refused, duplicate]) {
      expect(response.text).not.toContain(ssn);
      expect(response.text).not.toContain(ssn.replace(/-/g, ''));
      expect(response.text).not.toContain('Marker password');
    }
  });
});

describe('POST /auth/signup field limits', () => {
  it('accepts a name of 255 characters', async () => {
    const name = 'n'.repeat(255);
    const signup = await signupWith({ name });
    expect(signup.status).toBe(201);
    const me = await api('GET', '/account-holders/me', { token: signup.body.access_token });
    expect(me.body.name).toBe(name);
  });

  it('refuses a name of 256 characters', async () => {
    const response = await signupWith({ name: 'n'.repeat(256) });
    expectFieldErrors(response, [{ path: 'name', message: 'Must be at most 255 characters.' }]);
  });

  it('refuses a name that is only spaces', async () => {
    const response = await signupWith({ name: '   ' });
    expectFieldErrors(response, [{ path: 'name', message: 'Must not be empty.' }]);
  });

  it('accepts a mailing address of 500 characters', async () => {
    const response = await signupWith({ mailing_address: 'm'.repeat(500) });
    expect(response.status).toBe(201);
  });

  it('refuses a mailing address of 501 characters', async () => {
    const response = await signupWith({ mailing_address: 'm'.repeat(501) });
    expectFieldErrors(response, [
      { path: 'mailing_address', message: 'Must be at most 500 characters.' },
    ]);
  });

  it('accepts an email of 254 characters', async () => {
    const email = emailOfLength(254);
    expect(email.length).toBe(254);
    const response = await signupWith({ email });
    expect(response.status).toBe(201);
  });

  it('refuses an email of 255 characters', async () => {
    const email = emailOfLength(255);
    expect(email.length).toBe(255);
    const response = await signupWith({ email });
    expectFieldErrors(response, [{ path: 'email', message: 'Must be at most 254 characters.' }]);
  });

  it('refuses a string that is not an email address', async () => {
    const response = await signupWith({ email: 'ada@example.com\r\nBcc: eve@example.com' });
    expectFieldErrors(response, [{ path: 'email', message: 'Must be an email address.' }]);
  });

  it('accepts a password of 8 characters', async () => {
    expect((await signupWith({ password: 'Xq3!vb9z' })).status).toBe(201);
  });

  it('refuses a password of 7 characters', async () => {
    const response = await signupWith({ password: 'Xq3!vb9' });
    expectFieldErrors(response, [{ path: 'password', message: 'Must be at least 8 characters.' }]);
  });

  it('accepts a password of 128 characters', async () => {
    expect((await signupWith({ password: 'p'.repeat(127) + 'Q' })).status).toBe(201);
  });

  it('refuses a password of 129 characters', async () => {
    const response = await signupWith({ password: 'p'.repeat(128) + 'Q' });
    expectFieldErrors(response, [{ path: 'password', message: 'Must be at most 128 characters.' }]);
  });

  // An emoji is two UTF-16 code units: counting code units would accept 7 and refuse 65.
  it('counts an emoji password in code points, refusing 7 and accepting 8', async () => {
    const short = await signupWith({ password: '🔑'.repeat(7) });
    expectFieldErrors(short, [{ path: 'password', message: 'Must be at least 8 characters.' }]);
    expect((await signupWith({ password: '🔑'.repeat(8) })).status).toBe(201);
  });

  it('counts an emoji password in code points, accepting 128 and refusing 129', async () => {
    expect((await signupWith({ password: '🔑'.repeat(128) })).status).toBe(201);
    const long = await signupWith({ password: '🔑'.repeat(129) });
    expectFieldErrors(long, [{ path: 'password', message: 'Must be at most 128 characters.' }]);
  });

  // "e" + combining acute is two code points that NFKC composes into one "é".
  it('counts a decomposed accented password after NFKC, accepting 128, refusing 129', async () => {
    expect((await signupWith({ password: 'e\u0301'.repeat(128) })).status).toBe(201);
    const long = await signupWith({ password: 'e\u0301'.repeat(129) });
    expectFieldErrors(long, [{ path: 'password', message: 'Must be at most 128 characters.' }]);
  });

  it('refuses a password equal to the email, ignoring case', async () => {
    const email = nextEmail('same.as.password');
    const exact = await signupWith({ email, password: email });
    const upper = await signupWith({ email, password: email.toUpperCase() });
    for (const response of [exact, upper]) {
      expectFieldErrors(response, [
        { path: 'password', message: 'Must not be the email address.' },
      ]);
    }
  });

  it('lists every missing field', async () => {
    const response = await api('POST', SIGNUP, { body: {} });
    expectProblem(response, 422, 'validation-failed');
    const paths = (response.body.errors as { path: string }[]).map((error) => error.path).sort();
    expect(paths).toEqual(['date_of_birth', 'email', 'mailing_address', 'name', 'password', 'ssn']);
  });

  it('refuses a field of the wrong type', async () => {
    const response = await signupWith({ name: 42 });
    expectFieldErrors(response, [
      { path: 'name', message: 'Invalid input: expected string, received number' },
    ]);
  });

  it('refuses unknown fields by name and creates no holder', async () => {
    const body = signupBody({ mfa_enabled: true, id: '01890a5d-ac96-774b-bcce-b302099a8057' });
    const response = await api('POST', SIGNUP, { body });
    expectProblem(response, 422, 'validation-failed');
    const paths = (response.body.errors as { path: string }[]).map((error) => error.path);
    expect(paths).toEqual(['mfa_enabled', 'id']);

    const login = await api('POST', '/auth/login', {
      body: { email: body.email, password: body.password },
    });
    expect(login.status).toBe(401);
  });
});

describe('POST /auth/signup SSN rules', () => {
  it.each([
    ['area 000', '000-12-3456'],
    ['area 666', '666-12-3456'],
    ['area 900', '900-12-3456'],
    ['area 999', '999-12-3456'],
    ['group 00', '123-00-4567'],
    ['serial 0000', '123-45-0000'],
  ])('refuses an SSN the SSA never issues: %s', async (_rule, ssn) => {
    const response = await signupWith({ ssn });
    expectFieldErrors(response, [{ path: 'ssn', message: 'Is not a number the SSA issues.' }]);
  });

  it.each([
    ['no dashes', '123456789'],
    ['a short serial', '123-45-678'],
    ['a letter', '12a-45-6789'],
    ['a leading space', ' 123-45-6789'],
    ['a trailing line feed', '123-45-6789\n'],
    ['full-width digits', '１２３-４５-６７８９'],
  ])('refuses an SSN with %s', async (_shape, ssn) => {
    const response = await signupWith({ ssn });
    expectFieldErrors(response, [{ path: 'ssn', message: 'Must look like XXX-XX-XXXX.' }]);
  });

  it.each(['001-01-0001', '665-99-9999', '667-01-0001', '899-99-9999'])(
    'accepts the issuable SSN %s',
    async (ssn) => {
      expect((await signupWith({ ssn })).status).toBe(201);
    },
  );
});

describe('POST /auth/signup date of birth', () => {
  const TODAY = '2026-06-15T12:00:00.000Z';

  async function signupBorn(app: ReturnType<typeof clockedApp>, dateOfBirth: string) {
    return app.call('POST', SIGNUP, { body: signupBody({ date_of_birth: dateOfBirth }) });
  }

  it('accepts a holder who turns 18 today', async () => {
    const response = await signupBorn(clockedApp(TODAY), '2008-06-15');
    expect(response.status).toBe(201);
  });

  it('refuses a holder who turns 18 tomorrow', async () => {
    const response = await signupBorn(clockedApp(TODAY), '2008-06-16');
    expectFieldErrors(response, [
      { path: 'date_of_birth', message: 'Account holders must be at least 18.' },
    ]);
  });

  it('judges age by the UTC calendar date, changing at midnight UTC', async () => {
    const app = clockedApp('2026-06-15T23:59:59.999Z');
    const before = await signupBorn(app, '2008-06-16');
    expect(before.status).toBe(422);
    app.clock.advanceMs(1);
    const after = await signupBorn(app, '2008-06-16');
    expect(after.status).toBe(201);
  });

  it('refuses a birth date in the future', async () => {
    const response = await signupBorn(clockedApp(TODAY), '2030-01-01');
    expectFieldErrors(response, [
      { path: 'date_of_birth', message: 'Account holders must be at least 18.' },
    ]);
  });

  it('accepts 1900-01-01 and refuses 1899-12-31', async () => {
    const app = clockedApp(TODAY);
    expect((await signupBorn(app, '1900-01-01')).status).toBe(201);
    const tooOld = await signupBorn(app, '1899-12-31');
    expectFieldErrors(tooOld, [
      { path: 'date_of_birth', message: 'Must not be before 1900-01-01.' },
    ]);
  });

  it.each(['2003-02-30', '2001-02-29', '1990-13-01', '1990-00-10', '1990-1-05', '19900105'])(
    'refuses %s, which is not a real YYYY-MM-DD date',
    async (dateOfBirth) => {
      const response = await signupBorn(clockedApp(TODAY), dateOfBirth);
      expectFieldErrors(response, [
        { path: 'date_of_birth', message: 'Must be a real date, YYYY-MM-DD.' },
      ]);
    },
  );
});

describe('POST /auth/signup unsafe characters', () => {
  it.each([
    ['a bell U+0007', 'Ada\u0007Lovelace'],
    ['a NUL', 'Ada\u0000Lovelace'],
    ['a C1 control U+0085', 'Ada\u0085Lovelace'],
    ['a right-to-left override U+202E', 'Ada \u202Eecalevol'],
    ['a left-to-right isolate U+2066', 'Ada \u2066Lovelace'],
    ['a zero-width space U+200B', 'Ada\u200BLovelace'],
    ['a zero-width joiner U+200D', 'Ada\u200DLovelace'],
    ['a byte order mark inside', 'Ada\uFEFFLovelace'],
  ])('refuses a name containing %s', async (_what, name) => {
    const response = await signupWith({ name });
    expectFieldErrors(response, [
      { path: 'name', message: 'Contains a control or invisible character.' },
    ]);
  });

  it('refuses a line feed in a name', async () => {
    const response = await signupWith({ name: 'Ada\nLovelace' });
    expectFieldErrors(response, [{ path: 'name', message: 'Must be a single line.' }]);
  });

  it('keeps a line feed in a mailing address', async () => {
    const address = '1 Analytical Engine Way\nLondon';
    const signup = await signupWith({ mailing_address: address });
    expect(signup.status).toBe(201);
    const me = await api('GET', '/account-holders/me', { token: signup.body.access_token });
    expect(me.body.mailing_address).toBe(address);
  });

  it('refuses a bidi override in a mailing address', async () => {
    const response = await signupWith({ mailing_address: '1 Main St \u202Enodnol' });
    expectFieldErrors(response, [
      { path: 'mailing_address', message: 'Contains a control or invisible character.' },
    ]);
  });

  it('accepts accented letters and non-Latin scripts in a name', async () => {
    const name = 'Zoë Ōkubo-Søndergaard 李小龍';
    const signup = await signupWith({ name });
    expect(signup.status).toBe(201);
    const me = await api('GET', '/account-holders/me', { token: signup.body.access_token });
    expect(me.body.name).toBe(name);
  });
});

describe('POST /auth/signup uniqueness', () => {
  const CONFLICT = {
    type: 'https://invisible-bank.dev/problems/already-registered',
    title: 'Conflict',
    status: 409,
    detail: 'An account holder with this email or SSN is already registered.',
  };

  it('refuses an email already registered, whatever its case and surrounding spaces', async () => {
    const email = nextEmail('taken');
    expect((await signupWith({ email })).status).toBe(201);
    const response = await signupWith({ email: `  ${email.toUpperCase()} ` });
    expectProblem(response, 409, 'already-registered');
    expect(response.body).toEqual({ ...CONFLICT, request_id: response.body.request_id });
  });

  it('refuses an SSN already registered with the same body as a taken email', async () => {
    const ssn = nextSsn();
    expect((await signupWith({ ssn })).status).toBe(201);
    const response = await signupWith({ ssn });
    expectProblem(response, 409, 'already-registered');
    expect(response.body).toEqual({ ...CONFLICT, request_id: response.body.request_id });
  });

  it('lets exactly one of two concurrent signups with one email through', async () => {
    const email = nextEmail('race');
    const responses = await Promise.all([signupWith({ email }), signupWith({ email })]);
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([201, 409]);
    const loser = responses.find((response) => response.status === 409);
    expect(loser?.body.type).toBe(CONFLICT.type);
  });
});
