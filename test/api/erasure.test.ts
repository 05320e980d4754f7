import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { decryptField } from '../../src/crypto/fields';
import { fixedClock } from '../../src/lib/time';
import {
  api,
  apiAt,
  expectProblem,
  newCustomer,
  signupBody,
  STRONG_PASSWORD,
  type Customer,
} from '../helpers';
import { capturedLogLines } from '../setup';
import { holderFieldKeys, isOpenableByAnyConfiguredKey } from '../keys';
import { expectLedgerInvariants } from '../ledger';
import { currentCode, enrolledHolder, ME } from '../mfa-helpers';

const ERASE_PATH = '/account-holders/me';

async function holderIdOf(customer: Customer): Promise<string> {
  const me = await api('GET', ME, { token: customer.accessToken });
  expect(me.status).toBe(200);
  return me.body.id;
}

async function openAccount(customer: Customer): Promise<string> {
  const opened = await api('POST', '/accounts', {
    token: customer.accessToken,
    body: { account_type: 'checking' },
  });
  expect(opened.status).toBe(201);
  return opened.body.id;
}

async function move(customer: Customer, kind: 'deposit' | 'withdraw', accountId: string) {
  const moved = await api('POST', `/transactions/${kind}`, {
    token: customer.accessToken,
    body: { account_id: accountId, amount: '100.00', description: 'Rent from Ada Lovelace' },
  });
  expect(moved.status).toBe(201);
}

function erase(customer: Customer, body: Record<string, unknown> = { password: STRONG_PASSWORD }) {
  return api('DELETE', ERASE_PATH, { token: customer.accessToken, body });
}

async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS total FROM ${table}`).first<{
    total: number;
  }>();
  return row?.total ?? -1;
}

interface Snapshot {
  ssn: string;
  cardId: string;
  cardNumber: string;
}

/** What a dump taken just before the erasure would hold for the holder. */
async function dumpSealedValues(holderId: string): Promise<Snapshot> {
  const holder = await env.DB.prepare('SELECT ssn_ciphertext FROM account_holders WHERE id = ?')
    .bind(holderId)
    .first<{ ssn_ciphertext: string }>();
  const card = await env.DB.prepare('SELECT id, number_ciphertext FROM cards WHERE holder_id = ?')
    .bind(holderId)
    .first<{ id: string; number_ciphertext: string }>();
  if (!holder || !card) throw new Error('the holder has an SSN and a card');
  return { ssn: holder.ssn_ciphertext, cardId: card.id, cardNumber: card.number_ciphertext };
}

describe('DELETE /account-holders/me', () => {
  it('refuses with 422 balance-not-zero while an account holds money', async () => {
    const customer = await newCustomer();
    const accountId = await openAccount(customer);
    await move(customer, 'deposit', accountId);

    expectProblem(await erase(customer), 422, 'balance-not-zero');
    const me = await api('GET', ME, { token: customer.accessToken });
    expect(me.status).toBe(200);
    expect(me.body.email).toBe(customer.email);
    const account = await api('GET', `/accounts/${accountId}`, { token: customer.accessToken });
    expect(account.body.status).toBe('active');
  });

  it('refuses a wrong password with 401 and keeps the holder', async () => {
    const customer = await newCustomer();
    const refused = await erase(customer, { password: 'not the password at all' });
    expectProblem(refused, 401);
    expect((await api('GET', ME, { token: customer.accessToken })).status).toBe(200);
  });

  it('ends the session after five wrong passwords, and leaves the login unlocked', async () => {
    const customer = await newCustomer();
    for (let attempt = 0; attempt < 4; attempt++) {
      expectProblem(await erase(customer, { password: `wrong password ${attempt}` }), 401);
    }
    const last = await erase(customer, { password: 'wrong password 4' });
    expectProblem(last, 401);
    expect(last.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
    expectProblem(await erase(customer), 401);
    const login = await api('POST', '/auth/login', {
      body: { email: customer.email, password: STRONG_PASSWORD },
    });
    expect(login.status).toBe(200);
  });

  it('refuses a body without the password with 422', async () => {
    const customer = await newCustomer();
    expectProblem(await erase(customer, {}), 422, 'validation-failed');
  });

  it('erases the holder: shredded ciphertexts, freed email and SSN, intact ledger', async () => {
    const body = signupBody();
    const signedUp = await api('POST', '/auth/signup', { body });
    expect(signedUp.status).toBe(201);
    const customer: Customer = {
      email: body.email as string,
      accessToken: signedUp.body.access_token,
      refreshToken: signedUp.body.refresh_token,
    };
    const holderId = await holderIdOf(customer);
    const accountId = await openAccount(customer);
    await move(customer, 'deposit', accountId);
    await move(customer, 'withdraw', accountId);
    const card = await api('POST', '/cards', {
      token: customer.accessToken,
      body: { account_id: accountId, card_type: 'debit' },
    });
    expect(card.status).toBe(201);
    const dump = await dumpSealedValues(holderId);
    const ssnContext = { table: 'account_holders', column: 'ssn', rowId: holderId };
    const cardContext = { table: 'cards', column: 'number', rowId: dump.cardId };
    const keysBefore = await holderFieldKeys(holderId);
    expect(await decryptField(keysBefore, ssnContext, dump.ssn)).toBe(
      String(body.ssn).replace(/-/g, ''),
    );
    const ledgerRowsBefore = await countRows('ledger_entries');
    const auditRowsBefore = await countRows('audit_events');

    const erased = await erase(customer);
    expect(erased.status).toBe(204);

    // Crypto-shredding: the only key that opened the dump (checked above) is gone, and no key
    // the Worker holds opens what a dump taken before the erasure would contain.
    expect((await holderFieldKeys(holderId)).dataKey).toBe(null);
    expect(await isOpenableByAnyConfiguredKey(dump.ssn, ssnContext)).toBe(false);
    expect(await isOpenableByAnyConfiguredKey(dump.cardNumber, cardContext)).toBe(false);
    const row = await env.DB.prepare('SELECT * FROM account_holders WHERE id = ?')
      .bind(holderId)
      .first<Record<string, unknown>>();
    expect(row).toMatchObject({
      name: '',
      email: `erased:${holderId}`,
      ssn_index: `erased:${holderId}`,
      ssn_last4: '',
      date_of_birth: '',
      mailing_address: '',
      mfa_enabled: 0,
    });
    expect(row?.erased_at).toEqual(expect.any(String));
    expect(await isOpenableByAnyConfiguredKey(String(row?.ssn_ciphertext), ssnContext)).toBe(false);

    const account = await env.DB.prepare('SELECT status FROM accounts WHERE id = ?')
      .bind(accountId)
      .first<{ status: string }>();
    expect(account?.status).toBe('closed');
    const cardRow = await env.DB.prepare('SELECT status, number_index FROM cards WHERE id = ?')
      .bind(dump.cardId)
      .first<{ status: string; number_index: string }>();
    expect(cardRow).toEqual({ status: 'cancelled', number_index: `erased:${dump.cardId}` });
    const descriptions = await env.DB.prepare(
      'SELECT COUNT(*) AS total FROM transactions WHERE holder_id = ? AND description IS NOT NULL',
    )
      .bind(holderId)
      .first<{ total: number }>();
    expect(descriptions?.total).toBe(0);
    const liveSessions = await env.DB.prepare(
      `SELECT COUNT(*) AS total FROM sessions
        WHERE holder_id = ? AND (revoked_at IS NULL OR user_agent IS NOT NULL)`,
    )
      .bind(holderId)
      .first<{ total: number }>();
    expect(liveSessions?.total).toBe(0);

    // The books: every entry kept, every invariant intact, the audit trail only grew.
    expect(await countRows('ledger_entries')).toBe(ledgerRowsBefore);
    await expectLedgerInvariants();
    expect(await countRows('audit_events')).toBeGreaterThan(auditRowsBefore);
    const erasedEvent = await env.DB.prepare(
      "SELECT outcome FROM audit_events WHERE holder_id = ? AND type = 'holder_erased'",
    )
      .bind(holderId)
      .first<{ outcome: string }>();
    expect(erasedEvent?.outcome).toBe('success');

    // The session is gone: the same call again, or any other, is a clean 401.
    const again = await erase(customer);
    expectProblem(again, 401);
    expect(again.headers.get('WWW-Authenticate')).toContain('invalid_token');
    expectProblem(await api('GET', ME, { token: customer.accessToken }), 401);
    const refresh = await api('POST', '/auth/refresh', {
      body: { refresh_token: customer.refreshToken },
    });
    expectProblem(refresh, 401);
    const login = await api('POST', '/auth/login', {
      body: { email: customer.email, password: STRONG_PASSWORD },
    });
    expectProblem(login, 401);

    // The email and the SSN are free again.
    const again201 = await api('POST', '/auth/signup', { body: { ...body, name: 'Someone Else' } });
    expect(again201.status).toBe(201);

    const logs = capturedLogLines.join('\n');
    expect(logs).not.toContain(customer.email);
    expect(logs).not.toContain(String(body.ssn));
  });

  it('needs the second factor when MFA is on, then erases and deletes the factor', async () => {
    const holder = await enrolledHolder();
    const token = holder.accessToken;
    const withoutCode = await holder.call('DELETE', ERASE_PATH, {
      token,
      body: { password: STRONG_PASSWORD },
    });
    expectProblem(withoutCode, 401);
    const wrongCode = await holder.call('DELETE', ERASE_PATH, {
      token,
      body: { password: STRONG_PASSWORD, code: '000000' },
    });
    expectProblem(wrongCode, 401);

    holder.clock.advanceMs(30_000);
    const erased = await holder.call('DELETE', ERASE_PATH, {
      token,
      body: { password: STRONG_PASSWORD, code: currentCode(holder) },
    });
    expect(erased.status).toBe(204);
    for (const table of ['mfa_factors', 'mfa_recovery_codes', 'holder_data_keys']) {
      const left = await env.DB.prepare(
        `SELECT COUNT(*) AS total FROM ${table} WHERE holder_id = ?`,
      )
        .bind(holder.holderId)
        .first<{ total: number }>();
      expect(left?.total).toBe(0);
    }
  });

  it('never erases a holder whose account a racing deposit has just credited', async () => {
    const customer = await newCustomer();
    const accountId = await openAccount(customer);
    const [erased, deposited] = await Promise.all([
      erase(customer),
      api('POST', '/transactions/deposit', {
        token: customer.accessToken,
        body: { account_id: accountId, amount: '5.00' },
      }),
    ]);
    const account = await env.DB.prepare('SELECT status, balance_minor FROM accounts WHERE id = ?')
      .bind(accountId)
      .first<{ status: string; balance_minor: number }>();
    // Either order is fine; a closed, erased account holding money is not.
    if (erased.status === 204) {
      expect(deposited.status).not.toBe(201);
      expect(account).toEqual({ status: 'closed', balance_minor: 0 });
    } else {
      expectProblem(erased, 422, 'balance-not-zero');
      expect(deposited.status).toBe(201);
      expect(account).toEqual({ status: 'active', balance_minor: 500 });
    }
    await expectLedgerInvariants();
  });

  it('refuses a token whose session was ended, with 401, before looking at the body', async () => {
    const clock = fixedClock('2026-12-03T12:00:00.000Z');
    const call = apiAt(clock);
    const signedUp = await call('POST', '/auth/signup', { body: signupBody() });
    const token = signedUp.body.access_token;
    expect((await call('POST', '/auth/logout', { token })).status).toBe(204);
    expectProblem(await call('DELETE', ERASE_PATH, { token, body: {} }), 401);
  });
});
