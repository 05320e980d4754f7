import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { getConfig } from '../../src/config';
import { blindIndex, decryptField, FieldDecryptionError } from '../../src/crypto/fields';
import { CARDS_PER_ACCOUNT_MAX, PAGE_SIZE_MAX } from '../../src/lib/limits';
import { isLuhnValid } from '../../src/lib/luhn';
import { fixedClock } from '../../src/lib/time';
import { CARD_BIN } from '../../src/services/cards';
import { apiAt, expectProblem, newCustomerVia, type ApiCall, type Customer } from '../helpers';
import { holderFieldKeys, holderOfCard } from '../keys';

const NOW_ISO = '2026-12-03T12:00:00.000Z';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const CARD_VIEW_KEYS = [
  'account_id',
  'card_type',
  'created_at',
  'expiry_month',
  'expiry_year',
  'id',
  'last4',
  'status',
  'updated_at',
];

let clock: ReturnType<typeof fixedClock>;
let call: ApiCall;

beforeEach(() => {
  clock = fixedClock(NOW_ISO);
  call = apiAt(clock);
});

async function openAccount(customer: Customer): Promise<string> {
  const response = await call('POST', '/accounts', {
    token: customer.accessToken,
    body: { account_type: 'checking' },
  });
  expect(response.status).toBe(201);
  return response.body.id;
}

async function customerWithAccount(): Promise<{ customer: Customer; accountId: string }> {
  const customer = await newCustomerVia(call);
  return { customer, accountId: await openAccount(customer) };
}

async function issueCard(customer: Customer, accountId: string, cardType = 'debit') {
  const response = await call('POST', '/cards', {
    token: customer.accessToken,
    body: { account_id: accountId, card_type: cardType },
  });
  expect(response.status).toBe(201);
  return response;
}

/** The stored card row and its number, decrypted with the test key ring. */
async function storedCard(cardId: string) {
  const row = await env.DB.prepare(
    'SELECT number_ciphertext, number_index, last4 FROM cards WHERE id = ?',
  )
    .bind(cardId)
    .first<{ number_ciphertext: string; number_index: string; last4: string }>();
  expect(row).not.toBeNull();
  const stored = row as NonNullable<typeof row>;
  const context = { table: 'cards', column: 'number', rowId: cardId };
  const keys = await holderFieldKeys(await holderOfCard(cardId));
  const number = await decryptField(keys, context, stored.number_ciphertext);
  return { ...stored, number, keys };
}

describe('POST /cards', () => {
  it('issues an active debit card that shows only its last four digits', async () => {
    const { customer, accountId } = await customerWithAccount();

    const response = await issueCard(customer, accountId);

    expect(Object.keys(response.body).sort()).toEqual(CARD_VIEW_KEYS);
    expect(response.headers.get('Location')).toBe(`/api/v1/cards/${response.body.id}`);
    expect(response.body).toMatchObject({
      account_id: accountId,
      card_type: 'debit',
      status: 'active',
      expiry_month: 12,
      expiry_year: 2030,
      created_at: NOW_ISO,
      updated_at: NOW_ISO,
    });
    expect(response.body.last4).toMatch(/^\d{4}$/);
    expect(response.text).not.toMatch(/\d{16}/);
  });

  it('issues a credit card', async () => {
    const { customer, accountId } = await customerWithAccount();

    const response = await issueCard(customer, accountId, 'credit');

    expect(response.body.card_type).toBe('credit');
  });

  it('sets the expiry to the issue month four years on, in UTC', async () => {
    clock.advanceMs(Date.parse('2027-01-31T23:59:59.999Z') - clock.nowMs());
    const { customer, accountId } = await customerWithAccount();

    const response = await issueCard(customer, accountId);

    expect(response.body.expiry_month).toBe(1);
    expect(response.body.expiry_year).toBe(2031);
  });

  it('stores a 16-digit Luhn-valid number only as ciphertext bound to the card row', async () => {
    const { customer, accountId } = await customerWithAccount();
    const issued = await issueCard(customer, accountId);

    const stored = await storedCard(issued.body.id);

    expect(stored.number).toMatch(/^\d{16}$/);
    expect(stored.number.startsWith(CARD_BIN)).toBe(true);
    expect(isLuhnValid(stored.number)).toBe(true);
    expect(stored.number.slice(-4)).toBe(issued.body.last4);
    expect(stored.last4).toBe(issued.body.last4);
    expect(stored.number_ciphertext).not.toContain(stored.number);
    expect(stored.number_ciphertext.startsWith('v2.1.')).toBe(true);
    const config = getConfig(env);
    const key = config.blindIndex.keys.get('b0') as Uint8Array;
    const expectedIndex = await blindIndex(key, 'card_number', stored.number);
    expect(stored.number_index).toBe(`b0:${expectedIndex}`);
    // The ciphertext names its row: copied to another card it no longer decrypts.
    const elsewhere = { table: 'cards', column: 'number', rowId: UNKNOWN_ID };
    await expect(decryptField(stored.keys, elsewhere, stored.number_ciphertext)).rejects.toThrow(
      FieldDecryptionError,
    );
  });

  it('never returns the card number from any card route', async () => {
    const { customer, accountId } = await customerWithAccount();
    const issued = await issueCard(customer, accountId);
    const { number, number_ciphertext: ciphertext } = await storedCard(issued.body.id);
    const token = customer.accessToken;

    const texts = [
      issued.text,
      (await call('GET', `/cards/${issued.body.id}`, { token })).text,
      (await call('GET', '/cards', { token })).text,
      (await call('GET', `/cards?account_id=${accountId}`, { token })).text,
      (await call('PATCH', `/cards/${issued.body.id}`, { token, body: { status: 'frozen' } })).text,
    ];

    for (const text of texts) {
      expect(text).not.toContain(number);
      expect(text).not.toContain(ciphertext);
      expect(text).not.toMatch(/\d{16}/);
    }
  });

  it('gives every card its own number', async () => {
    const { customer, accountId } = await customerWithAccount();
    const first = await issueCard(customer, accountId);
    const second = await issueCard(customer, accountId);

    const numbers = [(await storedCard(first.body.id)).number];
    numbers.push((await storedCard(second.body.id)).number);

    expect(numbers[0]).not.toBe(numbers[1]);
  });

  it('answers 404 for another holder’s account exactly as for an unknown one', async () => {
    const { accountId: othersAccountId } = await customerWithAccount();
    const { customer } = await customerWithAccount();
    const token = customer.accessToken;

    const others = await call('POST', '/cards', {
      token,
      body: { account_id: othersAccountId, card_type: 'debit' },
    });
    const unknown = await call('POST', '/cards', {
      token,
      body: { account_id: UNKNOWN_ID, card_type: 'debit' },
    });

    expectProblem(others, 404, 'not-found');
    expectProblem(unknown, 404, 'not-found');
    const { request_id: _othersId, ...othersProblem } = others.body;
    const { request_id: _unknownId, ...unknownProblem } = unknown.body;
    expect(othersProblem).toEqual(unknownProblem);
    const count = await env.DB.prepare('SELECT COUNT(*) AS total FROM cards WHERE account_id = ?')
      .bind(othersAccountId)
      .first<{ total: number }>();
    expect(count?.total).toBe(0);
  });

  it('refuses a card on a closed account with account-closed', async () => {
    const { customer, accountId } = await customerWithAccount();
    const closed = await call('PATCH', `/accounts/${accountId}`, {
      token: customer.accessToken,
      body: { status: 'closed' },
    });
    expect(closed.status).toBe(200);

    const response = await call('POST', '/cards', {
      token: customer.accessToken,
      body: { account_id: accountId, card_type: 'debit' },
    });

    expectProblem(response, 422, 'account-closed');
  });

  it('allows CARDS_PER_ACCOUNT_MAX live cards per account and refuses one more', async () => {
    const { customer, accountId } = await customerWithAccount();
    for (let index = 0; index < CARDS_PER_ACCOUNT_MAX; index++) {
      await issueCard(customer, accountId);
    }

    const refused = await call('POST', '/cards', {
      token: customer.accessToken,
      body: { account_id: accountId, card_type: 'debit' },
    });

    expectProblem(refused, 422, 'card-limit-reached');
  });

  it('does not count cancelled cards against the limit', async () => {
    const { customer, accountId } = await customerWithAccount();
    const cardIds: string[] = [];
    for (let index = 0; index < CARDS_PER_ACCOUNT_MAX; index++) {
      cardIds.push((await issueCard(customer, accountId)).body.id);
    }
    const cancelled = await call('PATCH', `/cards/${cardIds[0]}`, {
      token: customer.accessToken,
      body: { status: 'cancelled' },
    });
    expect(cancelled.status).toBe(200);

    const response = await issueCard(customer, accountId);

    expect(response.body.status).toBe('active');
  });

  it('never exceeds the limit when many cards are requested at once', async () => {
    const { customer, accountId } = await customerWithAccount();
    const attempts = CARDS_PER_ACCOUNT_MAX + 5;

    const responses = await Promise.all(
      Array.from({ length: attempts }, () =>
        call('POST', '/cards', {
          token: customer.accessToken,
          body: { account_id: accountId, card_type: 'debit' },
        }),
      ),
    );

    const statuses = responses.map((response) => response.status);
    expect(statuses.filter((status) => status === 201)).toHaveLength(CARDS_PER_ACCOUNT_MAX);
    expect(statuses.filter((status) => status === 422)).toHaveLength(5);
    const count = await env.DB.prepare('SELECT COUNT(*) AS total FROM cards WHERE account_id = ?')
      .bind(accountId)
      .first<{ total: number }>();
    expect(count?.total).toBe(CARDS_PER_ACCOUNT_MAX);
  });

  it.each([
    ['last4', '4242'],
    ['number', '4242424242424242'],
    ['status', 'frozen'],
    ['cvv', '123'],
    ['id', UNKNOWN_ID],
    ['holder_id', UNKNOWN_ID],
    ['expiry_year', 2040],
  ])('refuses the server-owned field %s with 422 and issues nothing', async (field, value) => {
    const { customer, accountId } = await customerWithAccount();

    const response = await call('POST', '/cards', {
      token: customer.accessToken,
      body: { account_id: accountId, card_type: 'debit', [field]: value },
    });

    expectProblem(response, 422, 'validation-failed');
    const list = await call('GET', '/cards', { token: customer.accessToken });
    expect(list.body.data).toEqual([]);
  });

  it('refuses an unknown card type, a missing or malformed account id with 422', async () => {
    const { customer, accountId } = await customerWithAccount();
    const token = customer.accessToken;

    const badType = await call('POST', '/cards', {
      token,
      body: { account_id: accountId, card_type: 'platinum' },
    });
    const missing = await call('POST', '/cards', { token, body: { card_type: 'debit' } });
    const malformed = await call('POST', '/cards', {
      token,
      body: { account_id: 'not-an-id', card_type: 'debit' },
    });

    expectProblem(badType, 422, 'validation-failed');
    expect(badType.body.errors).toEqual([{ path: 'card_type', message: expect.any(String) }]);
    expectProblem(missing, 422, 'validation-failed');
    expect(missing.body.errors).toEqual([{ path: 'account_id', message: expect.any(String) }]);
    expectProblem(malformed, 422, 'validation-failed');
  });

  it('requires a bearer token', async () => {
    const response = await call('POST', '/cards', {
      body: { account_id: UNKNOWN_ID, card_type: 'debit' },
    });

    expectProblem(response, 401, 'unauthorized');
  });
});

describe('GET /cards', () => {
  it('lists the caller’s cards oldest first, across pages, without duplicates', async () => {
    const { customer, accountId } = await customerWithAccount();
    const issuedIds: string[] = [];
    for (let index = 0; index < 5; index++) {
      issuedIds.push((await issueCard(customer, accountId)).body.id);
      clock.advanceMs(1000);
    }
    const token = customer.accessToken;

    const first = await call('GET', '/cards?limit=2', { token });
    const second = await call('GET', `/cards?limit=2&cursor=${first.body.next_cursor}`, { token });
    const third = await call('GET', `/cards?limit=2&cursor=${second.body.next_cursor}`, { token });

    expect(first.body.data.map((card: { id: string }) => card.id)).toEqual(issuedIds.slice(0, 2));
    expect(second.body.data.map((card: { id: string }) => card.id)).toEqual(issuedIds.slice(2, 4));
    expect(third.body.data.map((card: { id: string }) => card.id)).toEqual(issuedIds.slice(4));
    expect(typeof first.body.next_cursor).toBe('string');
    expect(third.body.next_cursor).toBeNull();
  });

  it('filters by one of the caller’s accounts', async () => {
    const { customer, accountId } = await customerWithAccount();
    const otherAccountId = await openAccount(customer);
    const onFirst = await issueCard(customer, accountId);
    await issueCard(customer, otherAccountId);

    const response = await call('GET', `/cards?account_id=${accountId}`, {
      token: customer.accessToken,
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: [onFirst.body], next_cursor: null });
  });

  it('shows no card of another holder', async () => {
    const { customer: owner, accountId } = await customerWithAccount();
    await issueCard(owner, accountId);
    const { customer: stranger } = await customerWithAccount();

    const response = await call('GET', '/cards', { token: stranger.accessToken });

    expect(response.body).toEqual({ data: [], next_cursor: null });
  });

  it('answers 404 for another holder’s account_id and for an unknown one', async () => {
    const { customer: owner, accountId } = await customerWithAccount();
    await issueCard(owner, accountId);
    const { customer: stranger } = await customerWithAccount();

    const others = await call('GET', `/cards?account_id=${accountId}`, {
      token: stranger.accessToken,
    });
    const unknown = await call('GET', `/cards?account_id=${UNKNOWN_ID}`, {
      token: stranger.accessToken,
    });

    expectProblem(others, 404, 'not-found');
    expectProblem(unknown, 404, 'not-found');
    expect(others.body.detail).toBe(unknown.body.detail);
  });

  it.each([
    ['a garbage cursor', 'cursor=not-a-cursor'],
    ['limit 0', 'limit=0'],
    ['limit 101', `limit=${PAGE_SIZE_MAX + 1}`],
    ['an unknown parameter', 'holder_id=x'],
    ['a malformed account_id', 'account_id=12'],
  ])('refuses %s with 422', async (_label, query) => {
    const { customer } = await customerWithAccount();

    const response = await call('GET', `/cards?${query}`, { token: customer.accessToken });

    expectProblem(response, 422, 'validation-failed');
  });

  it('accepts limit 100', async () => {
    const { customer } = await customerWithAccount();

    const response = await call('GET', `/cards?limit=${PAGE_SIZE_MAX}`, {
      token: customer.accessToken,
    });

    expect(response.status).toBe(200);
  });
});

describe('GET /cards/:id', () => {
  it('returns the caller’s card as it was issued', async () => {
    const { customer, accountId } = await customerWithAccount();
    const issued = await issueCard(customer, accountId);

    const response = await call('GET', `/cards/${issued.body.id}`, {
      token: customer.accessToken,
    });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(issued.body);
  });

  it('answers 404 for another holder’s card, an unknown id and a malformed id', async () => {
    const { customer: owner, accountId } = await customerWithAccount();
    const issued = await issueCard(owner, accountId);
    const { customer: stranger } = await customerWithAccount();
    const token = stranger.accessToken;

    const others = await call('GET', `/cards/${issued.body.id}`, { token });
    const unknown = await call('GET', `/cards/${UNKNOWN_ID}`, { token });
    const malformed = await call('GET', '/cards/1234', { token });

    expectProblem(others, 404, 'not-found');
    expectProblem(unknown, 404, 'not-found');
    expectProblem(malformed, 404, 'not-found');
    expect(others.body.detail).toBe(unknown.body.detail);
  });
});

describe('PATCH /cards/:id', () => {
  it('freezes and unfreezes a card and stamps updated_at', async () => {
    const { customer, accountId } = await customerWithAccount();
    const issued = await issueCard(customer, accountId);
    const token = customer.accessToken;
    clock.advanceMs(60_000);

    const frozen = await call('PATCH', `/cards/${issued.body.id}`, {
      token,
      body: { status: 'frozen' },
    });
    const active = await call('PATCH', `/cards/${issued.body.id}`, {
      token,
      body: { status: 'active' },
    });

    expect(frozen.status).toBe(200);
    expect(frozen.body).toEqual({
      ...issued.body,
      status: 'frozen',
      updated_at: '2026-12-03T12:01:00.000Z',
    });
    expect(active.body.status).toBe('active');
  });

  it('treats cancelling as final: every later change is card-cancelled', async () => {
    const { customer, accountId } = await customerWithAccount();
    const issued = await issueCard(customer, accountId);
    const token = customer.accessToken;
    const path = `/cards/${issued.body.id}`;

    const cancelled = await call('PATCH', path, { token, body: { status: 'cancelled' } });
    const reactivated = await call('PATCH', path, { token, body: { status: 'active' } });
    const refrozen = await call('PATCH', path, { token, body: { status: 'frozen' } });
    const recancelled = await call('PATCH', path, { token, body: { status: 'cancelled' } });

    expect(cancelled.body.status).toBe('cancelled');
    expectProblem(reactivated, 422, 'card-cancelled');
    expectProblem(refrozen, 422, 'card-cancelled');
    expectProblem(recancelled, 422, 'card-cancelled');
    const after = await call('GET', path, { token });
    expect(after.body.status).toBe('cancelled');
  });

  it('cancels every card of an account when the account closes', async () => {
    const { customer, accountId } = await customerWithAccount();
    const debit = await issueCard(customer, accountId);
    const credit = await issueCard(customer, accountId, 'credit');
    const token = customer.accessToken;
    await call('PATCH', `/cards/${credit.body.id}`, { token, body: { status: 'frozen' } });
    const closed = await call('PATCH', `/accounts/${accountId}`, {
      token,
      body: { status: 'closed' },
    });
    expect(closed.status).toBe(200);

    for (const card of [debit, credit]) {
      const after = await call('GET', `/cards/${card.body.id}`, { token });
      expect(after.body.status).toBe('cancelled');
      const revive = await call('PATCH', `/cards/${card.body.id}`, {
        token,
        body: { status: 'active' },
      });
      expectProblem(revive, 422, 'card-cancelled');
    }
  });

  it('leaves the cards alone when closing is refused for a non-zero balance', async () => {
    const { customer, accountId } = await customerWithAccount();
    const card = await issueCard(customer, accountId);
    const token = customer.accessToken;
    await call('POST', '/transactions/deposit', {
      token,
      body: { account_id: accountId, amount: '1.00' },
    });
    const refused = await call('PATCH', `/accounts/${accountId}`, {
      token,
      body: { status: 'closed' },
    });
    expectProblem(refused, 422, 'balance-not-zero');
    const after = await call('GET', `/cards/${card.body.id}`, { token });
    expect(after.body.status).toBe('active');
  });

  it('answers 404 for another holder’s card and leaves it unchanged', async () => {
    const { customer: owner, accountId } = await customerWithAccount();
    const issued = await issueCard(owner, accountId);
    const { customer: stranger } = await customerWithAccount();

    const response = await call('PATCH', `/cards/${issued.body.id}`, {
      token: stranger.accessToken,
      body: { status: 'cancelled' },
    });

    expectProblem(response, 404, 'not-found');
    const after = await call('GET', `/cards/${issued.body.id}`, { token: owner.accessToken });
    expect(after.body.status).toBe('active');
  });

  it('answers 404 for an unknown and a malformed card id', async () => {
    const { customer } = await customerWithAccount();
    const token = customer.accessToken;

    const unknown = await call('PATCH', `/cards/${UNKNOWN_ID}`, {
      token,
      body: { status: 'frozen' },
    });
    const malformed = await call('PATCH', '/cards/card-1', { token, body: { status: 'frozen' } });

    expectProblem(unknown, 404, 'not-found');
    expectProblem(malformed, 404, 'not-found');
  });

  it.each([
    ['a server-owned field beside status', { status: 'frozen', last4: '0000' }],
    ['a number', { number: '4242424242424242' }],
    ['an account move', { account_id: UNKNOWN_ID }],
    ['an empty body', {}],
    ['an unknown status', { status: 'expired' }],
  ])('refuses %s with 422 and changes nothing', async (_label, body) => {
    const { customer, accountId } = await customerWithAccount();
    const issued = await issueCard(customer, accountId);
    const token = customer.accessToken;

    const response = await call('PATCH', `/cards/${issued.body.id}`, { token, body });

    expectProblem(response, 422, 'validation-failed');
    const after = await call('GET', `/cards/${issued.body.id}`, { token });
    expect(after.body).toEqual(issued.body);
  });
});
