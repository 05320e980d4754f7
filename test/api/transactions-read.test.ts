import { beforeEach, describe, expect, it } from 'vitest';
import { PAGE_SIZE_MAX, SEARCH_TEXT_LENGTH_MAX, SEARCH_WORDS_MAX } from '../../src/lib/limits';
import { fixedClock } from '../../src/lib/time';
import {
  apiAt,
  expectProblem,
  newCustomerVia,
  STRONG_PASSWORD,
  type ApiCall,
  type Customer,
} from '../helpers';

const NOW_ISO = '2026-12-03T12:00:00.000Z';
const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const ROUTING_NUMBER = '123456789';

let clock: ReturnType<typeof fixedClock>;
let call: ApiCall;

beforeEach(() => {
  clock = fixedClock(NOW_ISO);
  call = apiAt(clock);
});

/** Moves the test clock to an instant; the money routes stamp rows with it. */
function moveClockTo(iso: string): void {
  clock.advanceMs(Date.parse(iso) - clock.nowMs());
}

/** Logs the holder in again at the clock's time: a jump of days outlives an access token. */
async function logInAgain(holder: Holder): Promise<void> {
  const response = await call('POST', '/auth/login', {
    body: { email: holder.customer.email, password: STRONG_PASSWORD },
  });
  expect(response.status).toBe(200);
  holder.token = response.body.access_token;
}

interface Holder {
  customer: Customer;
  token: string;
  accountId: string;
  accountNumber: string;
}

async function openAccount(token: string, accountType = 'checking') {
  const response = await call('POST', '/accounts', { token, body: { account_type: accountType } });
  expect(response.status).toBe(201);
  return { accountId: response.body.id as string, accountNumber: response.body.account_number };
}

async function newHolder(): Promise<Holder> {
  const customer = await newCustomerVia(call);
  const token = customer.accessToken;
  return { customer, token, ...(await openAccount(token)) };
}

async function deposit(holder: Holder, amount: string, description?: string, accountId?: string) {
  const response = await call('POST', '/transactions/deposit', {
    token: holder.token,
    body: { account_id: accountId ?? holder.accountId, amount, description },
  });
  expect(response.status).toBe(201);
  return response.body;
}

async function withdraw(holder: Holder, amount: string, description?: string) {
  const response = await call('POST', '/transactions/withdraw', {
    token: holder.token,
    body: { account_id: holder.accountId, amount, description },
  });
  expect(response.status).toBe(201);
  return response.body;
}

async function transfer(from: Holder, to: { accountNumber: string }, amount: string) {
  const response = await call('POST', '/transactions/transfer', {
    token: from.token,
    body: {
      from_account_id: from.accountId,
      to_routing_number: ROUTING_NUMBER,
      to_account_number: to.accountNumber,
      amount,
    },
  });
  expect(response.status).toBe(201);
  return response.body;
}

async function listIds(holder: Holder, query: string): Promise<string[]> {
  const response = await call('GET', `/transactions?${query}`, { token: holder.token });
  expect(response.status).toBe(200);
  expect(response.body.next_cursor).toBeNull();
  return response.body.data.map((row: { id: string }) => row.id);
}

describe('GET /transactions/:id', () => {
  it('returns the caller’s transaction exactly as it was created', async () => {
    const holder = await newHolder();
    const created = await deposit(holder, '12.34', 'Paycheck');

    const response = await call('GET', `/transactions/${created.id}`, { token: holder.token });

    expect(response.status).toBe(200);
    expect(response.body).toEqual(created);
  });

  it('gives a transfer’s debit leg to the sender and its credit leg to the receiver', async () => {
    const sender = await newHolder();
    const receiver = await newHolder();
    await deposit(sender, '100.00');
    const debitLeg = await transfer(sender, receiver, '40.00');
    const receiverRows = await call('GET', '/transactions', { token: receiver.token });
    const creditLeg = receiverRows.body.data[0];

    expect(creditLeg).toMatchObject({
      transfer_id: debitLeg.transfer_id,
      direction: 'credit',
      account_id: receiver.accountId,
      amount: '40.00',
    });
    const senderReadsDebit = await call('GET', `/transactions/${debitLeg.id}`, {
      token: sender.token,
    });
    const receiverReadsCredit = await call('GET', `/transactions/${creditLeg.id}`, {
      token: receiver.token,
    });
    const senderReadsCredit = await call('GET', `/transactions/${creditLeg.id}`, {
      token: sender.token,
    });
    const receiverReadsDebit = await call('GET', `/transactions/${debitLeg.id}`, {
      token: receiver.token,
    });
    expect(senderReadsDebit.body).toEqual(debitLeg);
    expect(receiverReadsCredit.body).toEqual(creditLeg);
    expectProblem(senderReadsCredit, 404, 'not-found');
    expectProblem(receiverReadsDebit, 404, 'not-found');
  });

  it('answers another holder’s transaction exactly like an unknown one', async () => {
    const owner = await newHolder();
    const created = await deposit(owner, '5.00');
    const stranger = await newHolder();

    const others = await call('GET', `/transactions/${created.id}`, { token: stranger.token });
    const unknown = await call('GET', `/transactions/${UNKNOWN_ID}`, { token: stranger.token });

    expectProblem(others, 404, 'not-found');
    expectProblem(unknown, 404, 'not-found');
    const { request_id: _othersId, ...othersProblem } = others.body;
    const { request_id: _unknownId, ...unknownProblem } = unknown.body;
    expect(othersProblem).toEqual(unknownProblem);
  });

  it('answers 404 for a malformed id', async () => {
    const holder = await newHolder();

    const response = await call('GET', '/transactions/12345', { token: holder.token });

    expectProblem(response, 404, 'not-found');
  });

  it('answers 405 with Allow: POST for a GET on a money route', async () => {
    const holder = await newHolder();

    const response = await call('GET', '/transactions/deposit', { token: holder.token });

    expectProblem(response, 405, 'method-not-allowed');
    expect(response.headers.get('Allow')).toBe('POST');
  });
});

describe('GET /transactions', () => {
  it('lists the caller’s transactions newest first', async () => {
    const holder = await newHolder();
    const first = await deposit(holder, '10.00');
    clock.advanceMs(1000);
    const second = await withdraw(holder, '3.00');
    clock.advanceMs(1000);
    const third = await deposit(holder, '1.00');

    const response = await call('GET', '/transactions', { token: holder.token });

    expect(response.status).toBe(200);
    expect(response.body).toEqual({ data: [third, second, first], next_cursor: null });
  });

  it('pages 7 rows 3 at a time into 3, 3 and 1 without duplicates', async () => {
    const holder = await newHolder();
    const created: string[] = [];
    for (let index = 0; index < 7; index++) {
      created.push((await deposit(holder, `${index + 1}.00`)).id);
      // Rows share a timestamp in pairs, so the id tie-break is exercised too.
      if (index % 2 === 1) clock.advanceMs(1000);
    }

    const pages = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor === null ? 'limit=3' : `limit=3&cursor=${cursor}`;
      const response = await call('GET', `/transactions?${query}`, { token: holder.token });
      expect(response.status).toBe(200);
      pages.push(response.body.data.map((row: { id: string }) => row.id));
      cursor = response.body.next_cursor;
    } while (cursor !== null && pages.length < 5);

    expect(pages.map((page) => page.length)).toEqual([3, 3, 1]);
    const seen = pages.flat();
    expect(new Set(seen).size).toBe(7);
    expect([...seen].sort()).toEqual([...created].sort());
    const all = await listIds(holder, 'limit=7');
    expect(seen).toEqual(all);
  });

  it('shows no row of another holder', async () => {
    const owner = await newHolder();
    await deposit(owner, '5.00');
    const stranger = await newHolder();

    const response = await call('GET', '/transactions', { token: stranger.token });

    expect(response.body).toEqual({ data: [], next_cursor: null });
  });

  it('filters by one of the caller’s accounts', async () => {
    const holder = await newHolder();
    const savings = await openAccount(holder.token, 'savings');
    await deposit(holder, '1.00');
    const onSavings = await deposit(holder, '2.00', undefined, savings.accountId);

    expect(await listIds(holder, `account_id=${savings.accountId}`)).toEqual([onSavings.id]);
  });

  it('answers 404 for another holder’s account_id exactly like an unknown one', async () => {
    const owner = await newHolder();
    await deposit(owner, '5.00');
    const stranger = await newHolder();

    const others = await call('GET', `/transactions?account_id=${owner.accountId}`, {
      token: stranger.token,
    });
    const unknown = await call('GET', `/transactions?account_id=${UNKNOWN_ID}`, {
      token: stranger.token,
    });

    expectProblem(others, 404, 'not-found');
    expectProblem(unknown, 404, 'not-found');
    expect(others.body.detail).toBe(unknown.body.detail);
  });

  it('filters by type and by direction', async () => {
    const sender = await newHolder();
    const receiver = await newHolder();
    const credited = await deposit(sender, '50.00');
    clock.advanceMs(1000);
    const withdrawn = await withdraw(sender, '5.00');
    clock.advanceMs(1000);
    const sent = await transfer(sender, receiver, '10.00');

    expect(await listIds(sender, 'type=deposit')).toEqual([credited.id]);
    expect(await listIds(sender, 'type=withdrawal')).toEqual([withdrawn.id]);
    expect(await listIds(sender, 'type=transfer')).toEqual([sent.id]);
    expect(await listIds(sender, 'direction=credit')).toEqual([credited.id]);
    expect(await listIds(sender, 'direction=debit')).toEqual([sent.id, withdrawn.id]);
    expect(await listIds(receiver, 'type=transfer&direction=credit')).toHaveLength(1);
    expect(await listIds(receiver, 'direction=debit')).toEqual([]);
  });

  it('filters by amount, both bounds included', async () => {
    const holder = await newHolder();
    const ids: Record<string, string> = {};
    for (const amount of ['9.99', '10.00', '25.50', '100.00', '100.01']) {
      ids[amount] = (await deposit(holder, amount)).id;
      clock.advanceMs(1000);
    }

    expect(await listIds(holder, 'min_amount=10&max_amount=100.00')).toEqual([
      ids['100.00'],
      ids['25.50'],
      ids['10.00'],
    ]);
    expect(await listIds(holder, 'min_amount=100.01')).toEqual([ids['100.01']]);
    expect(await listIds(holder, 'max_amount=9.99')).toEqual([ids['9.99']]);
    expect(await listIds(holder, 'min_amount=25.5&max_amount=25.50')).toEqual([ids['25.50']]);
  });

  it('filters by UTC day, both days included', async () => {
    moveClockTo('2026-12-01T23:59:59.999Z');
    const holder = await newHolder();
    const dayBefore = await deposit(holder, '1.00');
    moveClockTo('2026-12-02T00:00:00.000Z');
    await logInAgain(holder);
    const firstInstant = await deposit(holder, '2.00');
    moveClockTo('2026-12-03T23:59:59.999Z');
    await logInAgain(holder);
    const lastInstant = await deposit(holder, '3.00');
    moveClockTo('2026-12-04T00:00:00.000Z');
    await logInAgain(holder);
    const dayAfter = await deposit(holder, '4.00');

    expect(await listIds(holder, 'from=2026-12-02&to=2026-12-03')).toEqual([
      lastInstant.id,
      firstInstant.id,
    ]);
    expect(await listIds(holder, 'from=2026-12-04')).toEqual([dayAfter.id]);
    expect(await listIds(holder, 'to=2026-12-01')).toEqual([dayBefore.id]);
    expect(await listIds(holder, 'from=2026-12-03&to=2026-12-03')).toEqual([lastInstant.id]);
  });

  it('finds descriptions holding every word of q, in any case', async () => {
    const holder = await newHolder();
    const ids: Record<string, string> = {};
    for (const description of ['Coffee at Blue Bottle', 'blue shoes', 'Rent for December']) {
      ids[description] = (await deposit(holder, '1.00', description)).id;
      clock.advanceMs(1000);
    }

    expect(await listIds(holder, 'q=blue')).toEqual([
      ids['blue shoes'],
      ids['Coffee at Blue Bottle'],
    ]);
    expect(await listIds(holder, 'q=BOTTLE%20coffee')).toEqual([ids['Coffee at Blue Bottle']]);
    expect(await listIds(holder, 'q=blue%20rent')).toEqual([]);
    expect(await listIds(holder, 'q=%20%20december%20')).toEqual([ids['Rent for December']]);
  });

  it('takes %, _ and \\ in q literally, not as LIKE wildcards', async () => {
    const holder = await newHolder();
    const ids: Record<string, string> = {};
    const descriptions = ['Rent 100% paid', 'Invoice 1005', 'file_name', 'fileXname'];
    for (const description of [...descriptions, 'back\\slash', 'backslash']) {
      ids[description] = (await deposit(holder, '1.00', description)).id;
      clock.advanceMs(1000);
    }

    expect(await listIds(holder, 'q=100%25')).toEqual([ids['Rent 100% paid']]);
    expect(await listIds(holder, 'q=file_name')).toEqual([ids['file_name']]);
    expect(await listIds(holder, 'q=k%5Cs')).toEqual([ids['back\\slash']]);
    expect(await listIds(holder, 'q=%25')).toEqual([ids['Rent 100% paid']]);
  });

  it('combines filters', async () => {
    const holder = await newHolder();
    await deposit(holder, '20.00', 'groceries');
    clock.advanceMs(1000);
    const match = await withdraw(holder, '15.00', 'groceries');
    clock.advanceMs(1000);
    await withdraw(holder, '1.00', 'groceries');

    const query = 'type=withdrawal&direction=debit&min_amount=10&q=GROCERIES&from=2026-12-03';
    expect(await listIds(holder, query)).toEqual([match.id]);
  });

  it('accepts limit 100', async () => {
    const holder = await newHolder();

    const response = await call('GET', `/transactions?limit=${PAGE_SIZE_MAX}`, {
      token: holder.token,
    });

    expect(response.status).toBe(200);
  });

  it.each([
    ['a garbage cursor', 'cursor=garbage', 'cursor'],
    ['a cursor of the wrong shape', `cursor=${btoa('{"x":1}')}`, 'cursor'],
    ['limit 0', 'limit=0', 'limit'],
    ['limit 101', `limit=${PAGE_SIZE_MAX + 1}`, 'limit'],
    ['a limit that is not a number', 'limit=ten', 'limit'],
    ['an unknown parameter', 'holder_id=someone', null],
    ['a repeated parameter', 'type=deposit&type=withdrawal', 'type'],
    ['an unknown type', 'type=fee', 'type'],
    ['an unknown direction', 'direction=up', 'direction'],
    ['a malformed account_id', 'account_id=123', 'account_id'],
    ['an exponent amount', 'min_amount=1e3', 'min_amount'],
    ['a comma amount', 'max_amount=12,50', 'max_amount'],
    ['a negative amount', 'min_amount=-5', 'min_amount'],
    ['three decimals', 'min_amount=0.001', 'min_amount'],
    ['min_amount above max_amount', 'min_amount=10.01&max_amount=10', 'min_amount'],
    ['an impossible date', 'from=2026-02-30', 'from'],
    ['a date without zero padding', 'to=2026-1-5', 'to'],
    ['from after to', 'from=2026-12-04&to=2026-12-03', 'from'],
    ['an empty q', 'q=', 'q'],
    ['too many words in q', `q=${'word%20'.repeat(SEARCH_WORDS_MAX)}last`, 'q'],
    ['a q that is too long', `q=${'a'.repeat(SEARCH_TEXT_LENGTH_MAX + 1)}`, 'q'],
    ['a q with a control character', 'q=a%00b', 'q'],
  ])('refuses %s with 422', async (_label, query, path) => {
    const holder = await newHolder();

    const response = await call('GET', `/transactions?${query}`, { token: holder.token });

    expectProblem(response, 422, 'validation-failed');
    // An unknown key is reported on the query as a whole, so it has no field path to check.
    if (path !== null) {
      expect(response.body.errors.map((error: { path: string }) => error.path)).toContain(path);
    }
  });

  it('accepts q of SEARCH_WORDS_MAX words and of SEARCH_TEXT_LENGTH_MAX characters', async () => {
    const holder = await newHolder();
    const words = Array.from({ length: SEARCH_WORDS_MAX }, () => 'w');
    const longWord = 'a'.repeat(SEARCH_TEXT_LENGTH_MAX);

    const byWords = await call('GET', `/transactions?q=${words.join('%20')}`, {
      token: holder.token,
    });
    const byLength = await call('GET', `/transactions?q=${longWord}`, { token: holder.token });

    expect(byWords.status).toBe(200);
    expect(byLength.status).toBe(200);
  });

  it('requires a bearer token', async () => {
    const response = await call('GET', '/transactions');

    expectProblem(response, 401, 'unauthorized');
  });
});
