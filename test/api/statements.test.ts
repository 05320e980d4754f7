import { env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { STATEMENT_DAYS_MAX, STATEMENT_TRANSACTIONS_MAX } from '../../src/lib/limits';
import { fixedClock } from '../../src/lib/time';
import { STATEMENT_CSV_COLUMNS } from '../../src/services/statement-csv';
import {
  apiAt,
  expectProblem,
  newCustomerVia,
  STRONG_PASSWORD,
  type ApiCall,
  type Customer,
} from '../helpers';

const UNKNOWN_ID = '01900000-0000-7000-8000-000000000000';
const ROUTING_NUMBER = '123456789';
const FORMULA_DESCRIPTION = '=HYPERLINK("http://evil.example","click")';

let clock: ReturnType<typeof fixedClock>;
let call: ApiCall;

beforeEach(() => {
  clock = fixedClock('2026-11-20T10:00:00.000Z');
  call = apiAt(clock);
});

interface Session {
  customer: Customer;
  token: string;
}

/** Moves the clock and logs in again: jumps of days outlive a 15-minute access token. */
async function moveClockTo(session: Session, iso: string): Promise<void> {
  clock.advanceMs(Date.parse(iso) - clock.nowMs());
  const response = await call('POST', '/auth/login', {
    body: { email: session.customer.email, password: STRONG_PASSWORD },
  });
  expect(response.status).toBe(200);
  session.token = response.body.access_token;
}

async function newSession(): Promise<Session> {
  const customer = await newCustomerVia(call);
  return { customer, token: customer.accessToken };
}

async function openAccount(session: Session, accountType: string) {
  const response = await call('POST', '/accounts', {
    token: session.token,
    body: { account_type: accountType },
  });
  expect(response.status).toBe(201);
  return { id: response.body.id as string, number: response.body.account_number as string };
}

async function move(session: Session, path: string, body: Record<string, unknown>) {
  const response = await call('POST', `/transactions/${path}`, { token: session.token, body });
  expect(response.status).toBe(201);
  return response.body.id as string;
}

/**
 * One holder, two accounts, movements before, inside and after 2026-11-28..2026-12-02, with
 * rows on the first and the last instant of the period. The clock ends at 2026-12-05T09:00Z.
 */
async function buildHistory() {
  const session = await newSession();
  const checking = await openAccount(session, 'checking');
  // Accounts are listed by creation time; a tick apart keeps their order certain.
  clock.advanceMs(1);
  const savings = await openAccount(session, 'savings');
  const ids: Record<string, string> = {};

  ids.salary = await move(session, 'deposit', {
    account_id: checking.id,
    amount: '500.00',
    description: 'Salary',
  });
  clock.advanceMs(1000);
  ids.cash = await move(session, 'withdraw', { account_id: checking.id, amount: '20.00' });

  await moveClockTo(session, '2026-11-28T00:00:00.000Z');
  ids.refund = await move(session, 'deposit', { account_id: checking.id, amount: '100.00' });

  await moveClockTo(session, '2026-11-30T15:00:00.000Z');
  ids.toSavings = await move(session, 'transfer', {
    from_account_id: checking.id,
    to_routing_number: ROUTING_NUMBER,
    to_account_number: savings.number,
    amount: '50.00',
  });
  clock.advanceMs(1000);
  ids.savingsCash = await move(session, 'withdraw', { account_id: savings.id, amount: '30.00' });
  clock.advanceMs(1000);
  ids.external = await move(session, 'transfer', {
    from_account_id: checking.id,
    to_routing_number: '021000021',
    to_account_number: '12345678',
    amount: '25.00',
  });

  await moveClockTo(session, '2026-12-02T23:59:59.999Z');
  ids.formula = await move(session, 'deposit', {
    account_id: savings.id,
    amount: '5.00',
    description: FORMULA_DESCRIPTION,
  });

  await moveClockTo(session, '2026-12-03T00:00:00.000Z');
  ids.late = await move(session, 'deposit', { account_id: checking.id, amount: '7.00' });

  await moveClockTo(session, '2026-12-05T09:00:00.000Z');
  return { session, checking, savings, ids };
}

/**
 * Writes `count` one-cent deposits straight into D1 in one statement: making thousands through
 * the API would take minutes. Only the statement reads them, so the balance is left alone.
 */
async function insertDeposits(session: Session, accountId: string, count: number, at: string) {
  const holder = await call('GET', '/account-holders/me', { token: session.token });
  const idPrefix = crypto.randomUUID().slice(0, 8);
  await env.DB.prepare(
    `WITH RECURSIVE seq(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM seq WHERE n < ?1)
     INSERT INTO transactions (id, account_id, holder_id, type, direction, amount_minor,
       currency, balance_after_minor, status, created_at, updated_at)
     SELECT printf('%s-0000-7000-8000-%012d', ?2, n), ?3, ?4, 'deposit', 'credit', 1,
       'USD', n, 'posted', ?5, ?5 FROM seq`,
  )
    .bind(count, idPrefix, accountId, holder.body.id, at)
    .run();
}

async function statement(session: Session, query: string, headers: Record<string, string> = {}) {
  return call('GET', `/statements${query}`, { token: session.token, headers });
}

function cents(amount: string): number {
  const [whole = '', fraction = ''] = amount.split('.');
  return Number(whole) * 100 + Number(fraction);
}

interface AccountStatementBody {
  account_id: string;
  opening_balance: string;
  closing_balance: string;
  total_credits: string;
  total_debits: string;
  transactions: { id: string; direction: string; amount: string; transfer_id: string | null }[];
}

/** opening + credits - debits = closing, and both totals match the rows listed. */
function expectBalancedStatement(account: AccountStatementBody): void {
  const rowSum = (direction: string) =>
    account.transactions
      .filter((row) => row.direction === direction)
      .reduce((sum, row) => sum + cents(row.amount), 0);
  expect(cents(account.total_credits)).toBe(rowSum('credit'));
  expect(cents(account.total_debits)).toBe(rowSum('debit'));
  expect(
    cents(account.opening_balance) + cents(account.total_credits) - cents(account.total_debits),
  ).toBe(cents(account.closing_balance));
}

/** Splits an RFC 4180 line into fields: quoted fields may hold commas and doubled quotes. */
function parseCsvLine(line: string): string[] {
  const fields: string[] = [];
  let field = '';
  let isQuoted = false;
  for (let index = 0; index < line.length; index++) {
    const character = line[index];
    if (isQuoted && character === '"' && line[index + 1] === '"') {
      field += '"';
      index++;
    } else if (character === '"') {
      isQuoted = !isQuoted;
    } else if (character === ',' && !isQuoted) {
      fields.push(field);
      field = '';
    } else {
      field += character;
    }
  }
  fields.push(field);
  return fields;
}

function parseCsv(text: string): Record<string, string>[] {
  expect(text.endsWith('\r\n')).toBe(true);
  const [header = '', ...lines] = text.slice(0, -2).split('\r\n');
  const columns = parseCsvLine(header);
  return lines.map((line) => {
    const fields = parseCsvLine(line);
    expect(fields).toHaveLength(columns.length);
    return Object.fromEntries(columns.map((column, index) => [column, fields[index] ?? '']));
  });
}

describe('GET /statements', () => {
  it('reports opening, credits, debits and closing of each account exactly', async () => {
    const { session, checking, savings, ids } = await buildHistory();

    const response = await statement(session, '?from=2026-11-28&to=2026-12-02');

    expect(response.status).toBe(200);
    const body = response.body;
    expect(body).toMatchObject({
      period_start: '2026-11-28',
      period_end: '2026-12-02',
      currency: 'USD',
      total_transactions: 6,
    });
    expect(body.accounts.map((account: { account_id: string }) => account.account_id)).toEqual([
      checking.id,
      savings.id,
    ]);
    const [checkingStatement, savingsStatement] = body.accounts;
    expect(checkingStatement).toMatchObject({
      account_number: checking.number,
      account_type: 'checking',
      opening_balance: '480.00',
      total_credits: '100.00',
      total_debits: '75.00',
      closing_balance: '505.00',
    });
    expect(checkingStatement.transactions.map((row: { id: string }) => row.id)).toEqual([
      ids.refund,
      ids.toSavings,
      ids.external,
    ]);
    expect(savingsStatement).toMatchObject({
      account_number: savings.number,
      account_type: 'savings',
      opening_balance: '0.00',
      total_credits: '55.00',
      total_debits: '30.00',
      closing_balance: '25.00',
    });
    const savingsRows = savingsStatement.transactions;
    expect(savingsRows.map((row: { direction: string }) => row.direction)).toEqual([
      'credit',
      'debit',
      'credit',
    ]);
    expect(savingsRows[0].transfer_id).toBe(checkingStatement.transactions[1].transfer_id);
    expect(savingsRows.slice(1).map((row: { id: string }) => row.id)).toEqual([
      ids.savingsCash,
      ids.formula,
    ]);
    for (const account of body.accounts) expectBalancedStatement(account);
  });

  it('lists transactions exactly as GET /transactions/:id shows them', async () => {
    const { session, ids } = await buildHistory();

    const response = await statement(session, '?from=2026-11-28&to=2026-12-02');
    const single = await call('GET', `/transactions/${ids.external}`, { token: session.token });

    expect(response.body.accounts[0].transactions[2]).toEqual(single.body);
    expect(single.body.status).toBe('pending');
  });

  it('defaults to the 30 days ending today (UTC) and closes at the current balances', async () => {
    const { session, checking, savings } = await buildHistory();

    const response = await statement(session, '');

    expect(response.status).toBe(200);
    expect(response.body.period_start).toBe('2026-11-06');
    expect(response.body.period_end).toBe('2026-12-05');
    expect(response.body.total_transactions).toBe(9);
    const [checkingStatement, savingsStatement] = response.body.accounts;
    expect(checkingStatement).toMatchObject({
      opening_balance: '0.00',
      total_credits: '607.00',
      total_debits: '95.00',
      closing_balance: '512.00',
    });
    const checkingNow = await call('GET', `/accounts/${checking.id}`, { token: session.token });
    const savingsNow = await call('GET', `/accounts/${savings.id}`, { token: session.token });
    expect(checkingStatement.closing_balance).toBe(checkingNow.body.balance);
    expect(savingsStatement.closing_balance).toBe(savingsNow.body.balance);
    for (const account of response.body.accounts) expectBalancedStatement(account);
  });

  it('defaults from to 29 days before to, and to to today when from stands alone', async () => {
    const session = await newSession();
    await moveClockTo(session, '2026-12-05T09:00:00.000Z');

    const onlyTo = await statement(session, '?to=2026-03-01');
    const onlyFrom = await statement(session, '?from=2026-12-01');

    expect(onlyTo.body.period_start).toBe('2026-01-31');
    expect(onlyTo.body.period_end).toBe('2026-03-01');
    expect(onlyFrom.body.period_start).toBe('2026-12-01');
    expect(onlyFrom.body.period_end).toBe('2026-12-05');
  });

  it('reports quiet periods: zeros before any activity, a steady balance after it', async () => {
    const { session } = await buildHistory();

    const before = await statement(session, '?from=2026-10-01&to=2026-10-31');
    const after = await statement(session, '?from=2026-12-04&to=2026-12-05');

    expect(before.body.total_transactions).toBe(0);
    for (const account of before.body.accounts) {
      expect(account).toMatchObject({
        opening_balance: '0.00',
        total_credits: '0.00',
        total_debits: '0.00',
        closing_balance: '0.00',
        transactions: [],
      });
    }
    expect(after.body.total_transactions).toBe(0);
    expect(after.body.accounts[0]).toMatchObject({
      opening_balance: '512.00',
      total_credits: '0.00',
      total_debits: '0.00',
      closing_balance: '512.00',
    });
    expect(after.body.accounts[1].closing_balance).toBe('25.00');
  });

  it('answers only the account that account_id names', async () => {
    const { session, savings } = await buildHistory();

    const response = await statement(
      session,
      `?from=2026-11-28&to=2026-12-02&account_id=${savings.id}`,
    );

    expect(response.status).toBe(200);
    expect(response.body.accounts).toHaveLength(1);
    expect(response.body.accounts[0].account_id).toBe(savings.id);
    expect(response.body.accounts[0].closing_balance).toBe('25.00');
    expect(response.body.total_transactions).toBe(3);
  });

  it('answers another holder’s account_id exactly like an unknown one', async () => {
    const owner = await newSession();
    const account = await openAccount(owner, 'checking');
    const stranger = await newSession();
    await openAccount(stranger, 'checking');

    const others = await statement(stranger, `?account_id=${account.id}`);
    const unknown = await statement(stranger, `?account_id=${UNKNOWN_ID}`);

    expectProblem(others, 404, 'not-found');
    expectProblem(unknown, 404, 'not-found');
    const { request_id: _othersId, ...othersProblem } = others.body;
    const { request_id: _unknownId, ...unknownProblem } = unknown.body;
    expect(othersProblem).toEqual(unknownProblem);
  });

  it('covers only the caller’s own accounts', async () => {
    const owner = await newSession();
    const account = await openAccount(owner, 'checking');
    await move(owner, 'deposit', { account_id: account.id, amount: '9.00' });
    const stranger = await newSession();
    const own = await openAccount(stranger, 'savings');

    const response = await statement(stranger, '');

    expect(response.body.accounts.map((item: { account_id: string }) => item.account_id)).toEqual([
      own.id,
    ]);
    expect(response.body.total_transactions).toBe(0);
  });

  it('answers a holder without accounts with an empty statement', async () => {
    const session = await newSession();

    const response = await statement(session, '?from=2026-11-01&to=2026-11-20');

    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      period_start: '2026-11-01',
      period_end: '2026-11-20',
      currency: 'USD',
      accounts: [],
      total_transactions: 0,
    });
  });

  it(`accepts a period of exactly ${STATEMENT_DAYS_MAX} days`, async () => {
    const session = await newSession();

    const response = await statement(session, '?from=2026-11-02&to=2026-12-02');

    expect(response.status).toBe(200);
  });

  it(`answers ${STATEMENT_TRANSACTIONS_MAX} transactions of one account in full`, async () => {
    const session = await newSession();
    const account = await openAccount(session, 'checking');
    await insertDeposits(
      session,
      account.id,
      STATEMENT_TRANSACTIONS_MAX,
      '2026-11-10T08:00:00.000Z',
    );

    const response = await statement(session, '?from=2026-11-10&to=2026-11-10');

    expect(response.status).toBe(200);
    expect(response.body.total_transactions).toBe(STATEMENT_TRANSACTIONS_MAX);
    expect(response.body.accounts[0].closing_balance).toBe('50.00');
  });

  it('refuses a period in which an account has one transaction too many', async () => {
    const session = await newSession();
    const account = await openAccount(session, 'checking');
    const count = STATEMENT_TRANSACTIONS_MAX + 1;
    await insertDeposits(session, account.id, count, '2026-11-10T08:00:00.000Z');

    const tooLong = await statement(session, '?from=2026-11-10&to=2026-11-10');
    const before = await statement(session, '?from=2026-11-11&to=2026-11-12');

    expectProblem(tooLong, 422, 'statement-too-large');
    expect(before.body.accounts[0].opening_balance).toBe('50.01');
  });

  it.each([
    ['from after to', '?from=2026-11-02&to=2026-11-01', 'from'],
    ['a period of STATEMENT_DAYS_MAX + 1 days', '?from=2026-11-01&to=2026-12-02', 'from'],
    ['from after today when to is left out', '?from=2026-11-21', 'from'],
    ['an impossible date', '?from=2026-02-29', 'from'],
    ['a date that is not YYYY-MM-DD', '?to=12/01/2026', 'to'],
    ['a malformed account_id', '?account_id=42', 'account_id'],
  ])('refuses %s with 422', async (_label, query, path) => {
    const session = await newSession();

    const response = await statement(session, query);

    expectProblem(response, 422, 'validation-failed');
    expect(response.body.errors.map((error: { path: string }) => error.path)).toEqual([path]);
  });

  it('refuses an unknown query parameter with 422', async () => {
    const session = await newSession();

    const response = await statement(session, '?from=2026-11-01&format=pdf');

    expectProblem(response, 422, 'validation-failed');
  });

  it('requires a bearer token', async () => {
    const response = await call('GET', '/statements');

    expectProblem(response, 401, 'unauthorized');
  });
});

describe('GET /statements as CSV', () => {
  it('gives the same rows and figures as CSV with a download name', async () => {
    const { session, checking, savings } = await buildHistory();
    const query = '?from=2026-11-28&to=2026-12-02';
    const json = await statement(session, query);

    const response = await statement(session, query, { Accept: 'text/csv' });

    expect(response.status).toBe(200);
    expect(response.headers.get('Content-Type')).toBe('text/csv; charset=utf-8');
    expect(response.headers.get('Content-Disposition')).toBe(
      'attachment; filename="statement-2026-11-28-2026-12-02.csv"',
    );
    expect(response.headers.get('Vary')?.split(', ')).toContain('Accept');
    expect(response.text.split('\r\n')[0]).toBe(STATEMENT_CSV_COLUMNS.join(','));
    const rows = parseCsv(response.text);
    // Per account: opening, its transactions, total credits, total debits, closing.
    expect(rows).toHaveLength(json.body.total_transactions + 4 * json.body.accounts.length);
    const transactionRows = rows.filter((row) => row.record === 'transaction');
    const jsonRows = json.body.accounts.flatMap(
      (account: AccountStatementBody) => account.transactions,
    );
    expect(transactionRows.map((row) => row.transaction_id)).toEqual(
      jsonRows.map((row: { id: string }) => row.id),
    );
    expect(rows.filter((row) => row.account_number === checking.number)).toHaveLength(7);
    expect(rows.filter((row) => row.account_number === savings.number)).toHaveLength(7);
    const figure = (accountNumber: string, record: string, column: string) =>
      rows.find((row) => row.account_number === accountNumber && row.record === record)?.[column];
    expect(figure(checking.number, 'opening_balance', 'balance')).toBe('480.00');
    expect(figure(checking.number, 'total_credits', 'amount')).toBe('100.00');
    expect(figure(checking.number, 'total_debits', 'amount')).toBe('75.00');
    expect(figure(checking.number, 'closing_balance', 'balance')).toBe('505.00');
    expect(figure(savings.number, 'closing_balance', 'balance')).toBe('25.00');
  });

  it('defuses a description that a spreadsheet would run as a formula', async () => {
    const { session, ids } = await buildHistory();

    const response = await statement(session, '?from=2026-12-02&to=2026-12-02', {
      Accept: 'text/csv',
    });

    const row = parseCsv(response.text).find((item) => item.transaction_id === ids.formula);
    expect(row?.description).toBe(`'${FORMULA_DESCRIPTION}`);
    expect(response.text).toContain('"\'=HYPERLINK(""http://evil.example"",""click"")"');
  });

  it('answers a holder without accounts with the header row only', async () => {
    const session = await newSession();

    const response = await statement(session, '', { Accept: 'text/csv' });

    expect(response.text).toBe(`${STATEMENT_CSV_COLUMNS.join(',')}\r\n`);
  });

  it.each([
    ['*/*', 'application/json'],
    ['application/json, text/csv;q=0.5', 'application/json'],
    ['text/csv;q=0.9, application/json;q=0.1', 'text/csv'],
    ['text/*', 'text/csv'],
    ['application/xml', 'application/json'],
  ])('answers Accept: %s with %s', async (accept, mediaType) => {
    const session = await newSession();

    const response = await statement(session, '', { Accept: accept });

    expect(response.status).toBe(200);
    // Only the media type: the JSON charset parameter is the security-headers middleware's.
    expect(response.headers.get('Content-Type')?.split(';')[0]).toBe(mediaType);
  });
});
