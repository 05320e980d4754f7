// End-to-end check over real HTTP: two customers bank against a running server, following the
// contract in API.md. Usage: node scripts/e2e.mjs [base URL, default http://127.0.0.1:8787].
// Each run uses new emails and SSNs, so it also works against a database kept from earlier runs.
// Prints one line per step and stops with exit code 1 at the first failure; with --keep-going it
// runs every step and exits 1 at the end if any failed (later steps may then fail as a result).
// Runs on Node 20+.
import { randomBytes, randomInt } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';

const args = process.argv.slice(2);
const keepGoing = args.includes('--keep-going');
const baseUrl = args.find((arg) => !arg.startsWith('--')) ?? 'http://127.0.0.1:8787';
const origin = baseUrl.replace(/\/+$/, '');
const API = `${origin}/api/v1`;
const REQUEST_TIMEOUT_MS = 20_000;
const BANK_ROUTING_NUMBER = '123456789';
const TOTP_STEP_MS = 30_000;

const runId = `${Date.now().toString(36)}${randomBytes(3).toString('hex')}`;
let stepCount = 0;
let failedCount = 0;

// wrangler dev hands a client-sent CF-Connecting-IP to the Worker as it is (Cloudflare's edge
// would replace it with the real one), so each step acts as a client on a network of its own:
// an IPv6 /64 in the documentation prefix 2001:db8::/32, new for every run. The API allows 5
// credential requests a minute per IP, and this story signs in a dozen times in a few seconds;
// the steps near the end check that the limits themselves hold.
const runNetwork = randomBytes(2).toString('hex');
let stepClientIp = null;

function clientIpOfStep(step) {
  return `2001:db8:${runNetwork}:${step.toString(16)}::1`;
}

class StepFailure extends Error {}

function check(condition, message) {
  if (!condition) throw new StepFailure(message);
}

function show(response) {
  const text = response.text.length > 600 ? `${response.text.slice(0, 600)}…` : response.text;
  return `HTTP ${response.status} ${text}`;
}

function expectStatus(response, status) {
  check(response.status === status, `expected HTTP ${status}, got ${show(response)}`);
}

function expectProblem(response, status) {
  expectStatus(response, status);
  const type = response.headers.get('content-type') ?? '';
  check(type.startsWith('application/problem+json'), `expected problem+json, got "${type}"`);
  check(response.body?.status === status, `problem body status is ${response.body?.status}`);
  check(typeof response.body?.type === 'string', 'problem body has no type');
}

function expectMoney(actual, expected, what) {
  check(actual === expected, `${what}: expected "${expected}", got ${JSON.stringify(actual)}`);
}

/** Parses a "123.45" money string into integer cents; fails the step on any other shape. */
function toCents(amount, what) {
  check(
    typeof amount === 'string' && /^\d+\.\d{2}$/.test(amount),
    `${what} is not a money string: ${amount}`,
  );
  const [whole, fraction] = amount.split('.');
  return Number(whole) * 100 + Number(fraction);
}

/** Parses RFC 4180 CSV: quoted fields may hold commas, doubled quotes and line breaks. */
function parseCsv(text) {
  const rows = [];
  let row = [];
  let field = '';
  let quoted = false;
  for (let index = 0; index < text.length; index++) {
    const char = text[index];
    if (quoted) {
      if (char === '"' && text[index + 1] === '"') {
        field += '"';
        index += 1;
      } else if (char === '"') {
        quoted = false;
      } else {
        field += char;
      }
    } else if (char === '"') {
      quoted = true;
    } else if (char === ',') {
      row.push(field);
      field = '';
    } else if (char === '\n' || char === '\r') {
      if (char === '\r' && text[index + 1] === '\n') index += 1;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else {
      field += char;
    }
  }
  if (field.length > 0 || row.length > 0) rows.push([...row, field]);
  return rows.filter((cells) => cells.length > 1 || cells[0] !== '');
}

async function call(method, path, { token, body, headers = {}, accept } = {}) {
  const init = { method, headers: { ...headers }, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) };
  if (stepClientIp) init.headers['cf-connecting-ip'] = stepClientIp;
  if (token) init.headers.authorization = `Bearer ${token}`;
  if (accept) init.headers.accept = accept;
  if (body !== undefined) {
    init.headers['content-type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  const response = await fetch(path.startsWith('http') ? path : `${API}${path}`, init);
  const text = await response.text();
  let parsed = null;
  if ((response.headers.get('content-type') ?? '').includes('json') && text.length > 0) {
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = null; // Reported by the step that expected JSON.
    }
  }
  return { status: response.status, headers: response.headers, text, body: parsed };
}

async function step(name, run) {
  stepCount += 1;
  stepClientIp = clientIpOfStep(stepCount);
  const label = `${String(stepCount).padStart(2, '0')} ${name}`;
  try {
    const note = await run();
    console.info(`ok   ${label}${note ? ` (${note})` : ''}`);
  } catch (error) {
    const reason = error instanceof StepFailure ? error.message : `${error.name}: ${error.message}`;
    console.error(`FAIL ${label}: ${reason}`);
    failedCount += 1;
    if (!keepGoing) {
      console.error(`e2e: ${stepCount - failedCount} passed, ${failedCount} failed`);
      process.exit(1);
    }
  }
}

/** An SSN the SSA could issue: area not 000, 666 or 9xx; group not 00; serial not 0000. */
function randomSsn() {
  let area = randomInt(1, 900);
  if (area === 666) area = 665;
  const group = randomInt(1, 100);
  const serial = randomInt(1, 10000);
  const pad = (value, width) => String(value).padStart(width, '0');
  return `${pad(area, 3)}-${pad(group, 2)}-${pad(serial, 4)}`;
}

function newCustomer(tag) {
  return {
    name: `E2E Customer ${tag.toUpperCase()}`,
    email: `e2e-${tag}-${runId}@example.com`,
    password: `Ledger-${randomBytes(9).toString('base64url')}-${tag}`,
    ssn: randomSsn(),
    date_of_birth: '1988-04-12',
    mailing_address: `${randomInt(1, 999)} Market Street, Springfield, IL 62701`,
  };
}

function expectTokens(response) {
  const tokens = response.body ?? {};
  check(typeof tokens.access_token === 'string', 'response has no access_token');
  check(typeof tokens.refresh_token === 'string', 'response has no refresh_token');
  check(tokens.token_type === 'bearer', `token_type is ${tokens.token_type}`);
  check(Number.isInteger(tokens.expires_in), `expires_in is ${tokens.expires_in}`);
  return tokens;
}

function expectAccount(account, accountType) {
  check(account && typeof account.id === 'string', 'account has no id');
  check(/^\d{10}$/.test(account.account_number ?? ''), `account_number ${account.account_number}`);
  check(account.routing_number === BANK_ROUTING_NUMBER, `routing ${account.routing_number}`);
  check(account.account_type === accountType, `account_type ${account.account_type}`);
  check(account.status === 'active', `status ${account.status}`);
  expectMoney(account.balance, '0.00', 'new account balance');
  check(account.currency === 'USD', `currency ${account.currency}`);
}

/** The TOTP code an authenticator app would show at `timeMs` (RFC 6238: SHA-1, 6 digits, 30 s). */
function totpCode(secretBase32, timeMs) {
  const secret = Secret.fromBase32(secretBase32);
  return TOTP.generate({ secret, algorithm: 'SHA1', digits: 6, period: 30, timestamp: timeMs });
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function loginWithMfa(customer) {
  const response = await call('POST', '/auth/login', {
    body: { email: customer.email, password: customer.password },
  });
  expectStatus(response, 200);
  check(response.body?.mfa_required === true, `no mfa_required in ${response.text.slice(0, 200)}`);
  check(typeof response.body.mfa_token === 'string', 'no mfa_token');
  check(response.body.access_token === undefined, 'tokens issued before the second factor');
  return response.body.mfa_token;
}

async function balanceOf(token, accountId) {
  const response = await call('GET', `/accounts/${accountId}`, { token });
  expectStatus(response, 200);
  return response.body.balance;
}

const customerA = newCustomer('a');
const customerB = newCustomer('b');
const state = {};
const descriptionWord = `rent${runId}`;

console.info(`e2e against ${origin} (run ${runId})`);

await step('GET /health answers ok with X-Request-Id and no-store', async () => {
  const response = await call('GET', `${origin}/health`);
  expectStatus(response, 200);
  check(response.body?.status === 'ok', `body ${response.text}`);
  check(response.headers.get('x-request-id'), 'no X-Request-Id header');
  check(/no-store/.test(response.headers.get('cache-control') ?? ''), 'no Cache-Control: no-store');
});

await step('signup customer A', async () => {
  const response = await call('POST', '/auth/signup', { body: customerA });
  expectStatus(response, 201);
  state.sessionA1 = expectTokens(response);
});

await step('login customer A', async () => {
  const response = await call('POST', '/auth/login', {
    body: { email: customerA.email, password: customerA.password },
  });
  expectStatus(response, 200);
  state.sessionA2 = expectTokens(response);
  state.tokenA = state.sessionA2.access_token;
});

await step('GET /account-holders/me shows only the SSN last 4', async () => {
  const response = await call('GET', '/account-holders/me', { token: state.tokenA });
  expectStatus(response, 200);
  check(response.body.email === customerA.email, `email ${response.body.email}`);
  check(
    response.body.ssn_last4 === customerA.ssn.slice(-4),
    `ssn_last4 ${response.body.ssn_last4}`,
  );
  check(!response.text.includes(customerA.ssn), 'the full SSN is in the response');
  check(
    !response.text.includes(customerA.ssn.replace(/-/g, '')),
    'the full SSN is in the response',
  );
});

await step('create checking account for A', async () => {
  const response = await call('POST', '/accounts', {
    token: state.tokenA,
    body: { account_type: 'checking', nickname: 'Everyday' },
  });
  expectStatus(response, 201);
  expectAccount(response.body, 'checking');
  state.checkingA = response.body;
});

await step('create savings account for A', async () => {
  const response = await call('POST', '/accounts', {
    token: state.tokenA,
    body: { account_type: 'savings' },
  });
  expectStatus(response, 201);
  expectAccount(response.body, 'savings');
  check(response.body.account_number !== state.checkingA.account_number, 'account numbers repeat');
  state.savingsA = response.body;
});

await step('GET /accounts lists both', async () => {
  const response = await call('GET', '/accounts', { token: state.tokenA });
  expectStatus(response, 200);
  const list = Array.isArray(response.body) ? response.body : response.body?.data;
  check(Array.isArray(list), `no list in ${response.text.slice(0, 200)}`);
  const ids = list.map((account) => account.id).sort();
  const expected = [state.checkingA.id, state.savingsA.id].sort();
  check(JSON.stringify(ids) === JSON.stringify(expected), `ids ${ids.join(', ')}`);
});

const depositKey = `e2e-deposit-${runId}`;
const depositBody = () => ({
  account_id: state.checkingA.id,
  amount: '100.00',
  description: 'Paycheck',
});

await step('deposit 100.00 into checking with an Idempotency-Key', async () => {
  const response = await call('POST', '/transactions/deposit', {
    token: state.tokenA,
    body: depositBody(),
    headers: { 'idempotency-key': depositKey },
  });
  expectStatus(response, 201);
  const deposit = response.body;
  check(deposit.type === 'deposit', `type ${deposit.type}`);
  check(deposit.direction === 'credit', `direction ${deposit.direction}`);
  check(deposit.status === 'posted', `status ${deposit.status}`);
  expectMoney(deposit.amount, '100.00', 'amount');
  expectMoney(deposit.balance_after, '100.00', 'balance_after');
  check(response.headers.get('idempotent-replayed') !== 'true', 'first response marked replayed');
  state.deposit = deposit;
  state.depositText = response.text;
});

await step('replaying the same key returns the first response and moves no money', async () => {
  const response = await call('POST', '/transactions/deposit', {
    token: state.tokenA,
    body: depositBody(),
    headers: { 'idempotency-key': depositKey },
  });
  expectStatus(response, 201);
  check(
    response.headers.get('idempotent-replayed') === 'true',
    `Idempotent-Replayed is ${response.headers.get('idempotent-replayed')}`,
  );
  check(
    JSON.stringify(response.body) === JSON.stringify(state.deposit),
    `replayed body differs: ${response.text.slice(0, 300)}`,
  );
  expectMoney(await balanceOf(state.tokenA, state.checkingA.id), '100.00', 'checking balance');
});

await step('the same key with a different body is refused with 422', async () => {
  const response = await call('POST', '/transactions/deposit', {
    token: state.tokenA,
    body: { ...depositBody(), amount: '99.00' },
    headers: { 'idempotency-key': depositKey },
  });
  expectProblem(response, 422);
  expectMoney(await balanceOf(state.tokenA, state.checkingA.id), '100.00', 'checking balance');
});

await step('withdraw 10.00 from checking', async () => {
  const response = await call('POST', '/transactions/withdraw', {
    token: state.tokenA,
    body: { account_id: state.checkingA.id, amount: '10.00', description: 'ATM' },
    headers: { 'idempotency-key': `e2e-withdraw-${runId}` },
  });
  expectStatus(response, 201);
  check(response.body.type === 'withdrawal', `type ${response.body.type}`);
  check(response.body.direction === 'debit', `direction ${response.body.direction}`);
  expectMoney(response.body.balance_after, '90.00', 'balance_after');
});

await step('overdrawing savings is refused with 422 and nothing moves', async () => {
  const response = await call('POST', '/transactions/withdraw', {
    token: state.tokenA,
    body: { account_id: state.savingsA.id, amount: '1.00' },
  });
  expectProblem(response, 422);
  expectMoney(await balanceOf(state.tokenA, state.savingsA.id), '0.00', 'savings balance');
});

await step('signup customer B and open an account', async () => {
  const signup = await call('POST', '/auth/signup', { body: customerB });
  expectStatus(signup, 201);
  state.tokenB = expectTokens(signup).access_token;
  const response = await call('POST', '/accounts', {
    token: state.tokenB,
    body: { account_type: 'checking' },
  });
  expectStatus(response, 201);
  expectAccount(response.body, 'checking');
  state.accountB = response.body;
});

await step("B cannot see A's account (404)", async () => {
  const response = await call('GET', `/accounts/${state.checkingA.id}`, { token: state.tokenB });
  expectProblem(response, 404);
  check(!response.text.includes(state.checkingA.account_number), 'the account number leaked');
});

await step("internal transfer 25.00 from A's checking to B", async () => {
  const response = await call('POST', '/transactions/transfer', {
    token: state.tokenA,
    body: {
      from_account_id: state.checkingA.id,
      to_routing_number: BANK_ROUTING_NUMBER,
      to_account_number: state.accountB.account_number,
      amount: '25.00',
      description: `Shared ${descriptionWord} June`,
    },
    headers: { 'idempotency-key': `e2e-internal-${runId}` },
  });
  expectStatus(response, 201);
  const debit = response.body;
  check(debit.type === 'transfer', `type ${debit.type}`);
  check(debit.direction === 'debit', `direction ${debit.direction}`);
  check(debit.status === 'posted', `status ${debit.status}`);
  check(debit.account_id === state.checkingA.id, `account_id ${debit.account_id}`);
  check(typeof debit.transfer_id === 'string', 'no transfer_id');
  expectMoney(debit.balance_after, '65.00', 'balance_after');
  expectMoney(await balanceOf(state.tokenB, state.accountB.id), '25.00', "B's balance");
  state.internalTransfer = debit;
});

await step('B sees the credit leg with the same transfer_id', async () => {
  const query = new URLSearchParams({ account_id: state.accountB.id });
  const response = await call('GET', `/transactions?${query}`, { token: state.tokenB });
  expectStatus(response, 200);
  const credit = response.body.data?.find((item) => item.direction === 'credit');
  check(credit, `no credit leg in ${response.text.slice(0, 300)}`);
  check(credit.transfer_id === state.internalTransfer.transfer_id, 'transfer_id differs');
  expectMoney(credit.amount, '25.00', 'credit amount');
});

await step('external transfer 5.00 to 021000021 is pending', async () => {
  const response = await call('POST', '/transactions/transfer', {
    token: state.tokenA,
    body: {
      from_account_id: state.checkingA.id,
      to_routing_number: '021000021',
      to_account_number: '12345678',
      amount: '5.00',
      description: 'Utility bill',
    },
    headers: { 'idempotency-key': `e2e-external-${runId}` },
  });
  expectStatus(response, 201);
  check(response.body.status === 'pending', `status ${response.body.status}`);
  check(response.body.direction === 'debit', `direction ${response.body.direction}`);
  expectMoney(response.body.amount, '5.00', 'amount');
  expectMoney(await balanceOf(state.tokenA, state.checkingA.id), '60.00', 'checking balance');
});

await step('an external transfer failing the ABA check digit is refused with 422', async () => {
  const response = await call('POST', '/transactions/transfer', {
    token: state.tokenA,
    body: {
      from_account_id: state.checkingA.id,
      to_routing_number: '021000022',
      to_account_number: '12345678',
      amount: '1.00',
    },
  });
  expectProblem(response, 422);
  expectMoney(await balanceOf(state.tokenA, state.checkingA.id), '60.00', 'checking balance');
});

await step('create a debit card: last4 only, never the whole number', async () => {
  const response = await call('POST', '/cards', {
    token: state.tokenA,
    body: { account_id: state.checkingA.id, card_type: 'debit' },
  });
  expectStatus(response, 201);
  check(/^\d{4}$/.test(response.body.last4 ?? ''), `last4 ${response.body.last4}`);
  check(response.body.card_type === 'debit', `card_type ${response.body.card_type}`);
  check(response.body.status === 'active', `status ${response.body.status}`);
  // Ids are UUIDs, whose digits would run together once dashes go: take them out first.
  const withoutIds = response.text.replace(/[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}/g, '');
  check(!/\d{13,19}/.test(withoutIds.replace(/[\s-]/g, '')), 'a card number is in the body');
});

await step('search transactions: type=transfer, min_amount, q', async () => {
  const query = new URLSearchParams({ type: 'transfer', min_amount: '20.00', q: descriptionWord });
  const response = await call('GET', `/transactions?${query}`, { token: state.tokenA });
  expectStatus(response, 200);
  const ids = (response.body.data ?? []).map((item) => item.id);
  check(ids.length === 1 && ids[0] === state.internalTransfer.id, `found ${ids.join(', ')}`);
  check('next_cursor' in response.body, 'page has no next_cursor');
});

await step('GET a transaction by id', async () => {
  const response = await call('GET', `/transactions/${state.deposit.id}`, { token: state.tokenA });
  expectStatus(response, 200);
  check(response.body.id === state.deposit.id, `id ${response.body.id}`);
  expectMoney(response.body.amount, '100.00', 'amount');
  check(response.body.type === 'deposit', `type ${response.body.type}`);
});

await step('30-day statement adds up and matches the balances', async () => {
  const response = await call('GET', '/statements', { token: state.tokenA });
  expectStatus(response, 200);
  const statement = response.body;
  check(/^\d{4}-\d{2}-\d{2}$/.test(statement.period_start ?? ''), 'no period_start');
  check(/^\d{4}-\d{2}-\d{2}$/.test(statement.period_end ?? ''), 'no period_end');
  check(Array.isArray(statement.accounts), 'no accounts in the statement');
  const expected = { [state.checkingA.id]: '60.00', [state.savingsA.id]: '0.00' };
  check(statement.accounts.length === 2, `${statement.accounts.length} accounts`);
  let rows = 0;
  state.statementIds = [];
  for (const account of statement.accounts) {
    const label = `account ${account.account_number}`;
    const opening = toCents(account.opening_balance, `${label} opening_balance`);
    const credits = toCents(account.total_credits, `${label} total_credits`);
    const debits = toCents(account.total_debits, `${label} total_debits`);
    const closing = toCents(account.closing_balance, `${label} closing_balance`);
    check(opening + credits - debits === closing, `${label}: opening + credits - debits ≠ closing`);
    expectMoney(account.closing_balance, expected[account.account_id], `${label} closing`);
    const listed = account.transactions ?? [];
    const sum = (direction) =>
      listed
        .filter((item) => item.direction === direction)
        .reduce((total, item) => total + toCents(item.amount, `${label} row amount`), 0);
    check(sum('credit') === credits, `${label}: credit rows do not add up to total_credits`);
    check(sum('debit') === debits, `${label}: debit rows do not add up to total_debits`);
    rows += listed.length;
    state.statementIds.push(...listed.map((item) => item.id));
  }
  check(
    statement.total_transactions === rows,
    `total_transactions ${statement.total_transactions}`,
  );
  return `${rows} transactions`;
});

await step('the statement as CSV has the same transactions', async () => {
  const response = await call('GET', '/statements', { token: state.tokenA, accept: 'text/csv' });
  expectStatus(response, 200);
  const type = response.headers.get('content-type') ?? '';
  check(type.startsWith('text/csv'), `content-type "${type}"`);
  const [header = [], ...rows] = parseCsv(response.text);
  const idColumn = header.indexOf('transaction_id');
  const recordColumn = header.indexOf('record');
  check(idColumn >= 0, `no transaction_id column in "${header.join(',')}"`);
  // Summary rows (opening balance, totals) may sit beside the transactions when a `record`
  // column tells them apart.
  const transactionRows =
    recordColumn >= 0 ? rows.filter((row) => row[recordColumn] === 'transaction') : rows;
  const csvIds = transactionRows.map((row) => row[idColumn]).sort();
  const jsonIds = [...state.statementIds].sort();
  check(
    JSON.stringify(csvIds) === JSON.stringify(jsonIds),
    `CSV has ${csvIds.length} transactions, JSON ${jsonIds.length}, or their ids differ`,
  );
  return `${rows.length} rows, ${transactionRows.length} transactions`;
});

await step('refresh tokens, then the spent refresh token is refused', async () => {
  const response = await call('POST', '/auth/refresh', {
    body: { refresh_token: state.sessionA2.refresh_token },
  });
  expectStatus(response, 200);
  const fresh = expectTokens(response);
  check(fresh.refresh_token !== state.sessionA2.refresh_token, 'the refresh token did not change');
  const me = await call('GET', '/account-holders/me', { token: fresh.access_token });
  expectStatus(me, 200);
  const replay = await call('POST', '/auth/refresh', {
    body: { refresh_token: state.sessionA2.refresh_token },
  });
  expectProblem(replay, 401);
  // A spent refresh token signals theft: every token of that session stops working.
  const revoked = await call('GET', '/account-holders/me', { token: fresh.access_token });
  expectProblem(revoked, 401);
});

await step('logout, then the revoked access token gets 401', async () => {
  const token = state.sessionA1.access_token;
  const before = await call('GET', '/account-holders/me', { token });
  expectStatus(before, 200);
  const response = await call('POST', '/auth/logout', { token });
  expectStatus(response, 204);
  const after = await call('GET', '/account-holders/me', { token });
  expectProblem(after, 401);
  const challenge = after.headers.get('www-authenticate') ?? '';
  check(/^Bearer\b/.test(challenge), `WWW-Authenticate is "${challenge}"`);
});

await step('A resets the password with a token from the local outbox', async () => {
  const login = await call('POST', '/auth/login', {
    body: { email: customerA.email, password: customerA.password },
  });
  expectStatus(login, 200);
  const oldTokens = expectTokens(login);
  const forgot = await call('POST', '/auth/password/forgot', { body: { email: customerA.email } });
  expectStatus(forgot, 202);
  // The mail is sent after the answer; the development outbox shows it a moment later.
  let token = null;
  for (let attempt = 0; attempt < 50 && !token; attempt++) {
    const outbox = await call(
      'GET',
      `${origin}/dev/outbox?to=${encodeURIComponent(customerA.email)}`,
    );
    expectStatus(outbox, 200);
    token = outbox.body?.data?.[0]?.body.match(/reset: ([A-Za-z0-9_-]{43})$/m)?.[1] ?? null;
    if (!token) await sleep(100);
  }
  check(token, 'no reset mail in the outbox');
  const newPassword = `Reset-${randomBytes(9).toString('base64url')}`;
  const reset = await call('POST', '/auth/password/reset', {
    body: { token, new_password: newPassword },
  });
  expectStatus(reset, 204);
  state.reset = { token, newPassword, oldTokens };
});

await step('after the reset, old tokens, the spent reset token and old password fail', async () => {
  const { token, newPassword, oldTokens } = state.reset;
  expectProblem(await call('GET', '/account-holders/me', { token: oldTokens.access_token }), 401);
  expectProblem(
    await call('POST', '/auth/refresh', { body: { refresh_token: oldTokens.refresh_token } }),
    401,
  );
  const again = await call('POST', '/auth/password/reset', {
    body: { token, new_password: `${newPassword}-again` },
  });
  expectProblem(again, 422);
  const oldPassword = await call('POST', '/auth/login', {
    body: { email: customerA.email, password: customerA.password },
  });
  expectProblem(oldPassword, 401);
  const fresh = await call('POST', '/auth/login', {
    body: { email: customerA.email, password: newPassword },
  });
  expectStatus(fresh, 200);
  customerA.password = newPassword;
});

await step('A sees the security events of this run in the audit trail', async () => {
  const login = await call('POST', '/auth/login', {
    body: { email: customerA.email, password: customerA.password },
  });
  expectStatus(login, 200);
  const events = await call('GET', '/account-holders/me/audit-events?limit=100', {
    token: login.body.access_token,
  });
  expectStatus(events, 200);
  const types = new Set(events.body.data.map((event) => event.type));
  for (const type of ['signup', 'login_succeeded', 'logout', 'password_reset', 'transfer']) {
    check(types.has(type), `no ${type} event`);
  }
  return `${events.body.data.length} events`;
});

await step('B enables TOTP MFA with a code; /me shows mfa_enabled', async () => {
  const setup = await call('POST', '/auth/mfa/totp/setup', { token: state.tokenB });
  expectStatus(setup, 200);
  const { secret, otpauth_uri: uri } = setup.body ?? {};
  check(/^[A-Z2-7]{32}$/.test(secret ?? ''), 'secret is not 32 base32 characters');
  check(uri?.startsWith('otpauth://totp/Invisible%20Bank:'), 'otpauth_uri has the wrong prefix');
  check(uri.includes(`secret=${secret}`), 'otpauth_uri does not carry the secret');
  const enabledAtMs = Date.now();
  const response = await call('POST', '/auth/mfa/totp/enable', {
    token: state.tokenB,
    body: { code: totpCode(secret, enabledAtMs) },
  });
  expectStatus(response, 200);
  const codes = response.body?.recovery_codes ?? [];
  check(codes.length === 10, `${codes.length} recovery codes`);
  check(
    codes.every((code) => /^[A-Z2-7]{5}-[A-Z2-7]{5}$/.test(code)),
    'malformed recovery code',
  );
  const me = await call('GET', '/account-holders/me', { token: state.tokenB });
  expectStatus(me, 200);
  check(me.body.mfa_enabled === true, `mfa_enabled is ${me.body.mfa_enabled}`);
  state.mfa = { secret, recoveryCodes: codes, usedStep: Math.floor(enabledAtMs / TOTP_STEP_MS) };
});

await step('B logs in with the password, then a TOTP code from the next step', async () => {
  const mfaToken = await loginWithMfa(customerB);
  // The code that enabled MFA is spent for the rest of its window; the next step's code is not.
  const nextStepMs = (state.mfa.usedStep + 1) * TOTP_STEP_MS;
  const waitMs = Math.max(0, nextStepMs - Date.now()) + 1000;
  await sleep(waitMs);
  const response = await call('POST', '/auth/mfa/verify', {
    body: { mfa_token: mfaToken, code: totpCode(state.mfa.secret, Date.now()) },
  });
  expectStatus(response, 200);
  const tokens = expectTokens(response);
  const me = await call('GET', '/account-holders/me', { token: tokens.access_token });
  expectStatus(me, 200);
  const reused = await call('POST', '/auth/mfa/verify', {
    body: { mfa_token: mfaToken, code: state.mfa.recoveryCodes[0] },
  });
  expectProblem(reused, 401);
  return `waited ${Math.round(waitMs / 1000)} s for the next step`;
});

await step('a recovery code logs B in once; the same code again gets 401', async () => {
  const code = state.mfa.recoveryCodes[0];
  const first = await call('POST', '/auth/mfa/verify', {
    body: { mfa_token: await loginWithMfa(customerB), code },
  });
  expectStatus(first, 200);
  expectTokens(first);
  const again = await call('POST', '/auth/mfa/verify', {
    body: { mfa_token: await loginWithMfa(customerB), code },
  });
  expectProblem(again, 401);
});

await step('answers carry RateLimit-Policy and RateLimit fields', async () => {
  const first = await call('GET', '/accounts', { token: state.tokenB });
  const second = await call('GET', '/accounts', { token: state.tokenB });
  expectStatus(second, 200);
  const policy = second.headers.get('ratelimit-policy');
  check(policy === '"general";q=60;w=60', `RateLimit-Policy is ${policy}`);
  const remaining = [first, second].map((response) =>
    Number(/^"general";r=(\d+);t=\d+$/.exec(response.headers.get('ratelimit') ?? '')?.[1]),
  );
  check(remaining[1] === remaining[0] - 1, `remaining went ${remaining.join(' → ')}`);
  return second.headers.get('ratelimit');
});

await step('the 6th login a minute from one IP is refused with 429, XFF or not', async () => {
  // Unknown emails, one per attempt, so that the per-email lockout never comes into it.
  const attempt = (index, headers = {}) =>
    call('POST', '/auth/login', {
      body: { email: `e2e-nobody-${index}-${runId}@example.com`, password: 'not the password' },
      headers,
    });
  for (let index = 1; index <= 5; index++) expectProblem(await attempt(index), 401);
  const refused = await attempt(6);
  expectProblem(refused, 429);
  check(refused.body.type.endsWith('/rate-limited'), `problem type ${refused.body.type}`);
  const retryAfter = Number(refused.headers.get('retry-after'));
  check(retryAfter >= 1 && retryAfter <= 60, `Retry-After is ${retryAfter}`);
  const limits = refused.headers.get('ratelimit') ?? '';
  check(/"auth";r=0;t=\d+$/.test(limits), `RateLimit is "${limits}"`);
  expectProblem(await attempt(7, { 'x-forwarded-for': '192.0.2.44' }), 429);
  return `Retry-After ${retryAfter}`;
});

await step(
  'customer C erases their data; the token dies; email and SSN sign up again',
  async () => {
    const customerC = newCustomer('c');
    const signup = await call('POST', '/auth/signup', { body: customerC });
    expectStatus(signup, 201);
    const token = signup.body.access_token;
    const wrong = await call('DELETE', '/account-holders/me', {
      token,
      body: { password: `${customerC.password}-wrong` },
    });
    expectProblem(wrong, 401);
    const erased = await call('DELETE', '/account-holders/me', {
      token,
      body: { password: customerC.password },
    });
    expectStatus(erased, 204);
    const again = await call('DELETE', '/account-holders/me', {
      token,
      body: { password: customerC.password },
    });
    expectProblem(again, 401);
    expectStatus(await call('POST', '/auth/signup', { body: customerC }), 201);
  },
);

await step('/openapi.json lists every operation; /docs serves the reference page', async () => {
  const document = await call('GET', `${origin}/openapi.json`);
  expectStatus(document, 200);
  check(/^3\.1\./.test(document.body?.openapi ?? ''), `openapi is ${document.body?.openapi}`);
  const erase = document.body.paths?.['/api/v1/account-holders/me']?.delete;
  check(erase?.operationId === 'eraseHolder', 'DELETE /account-holders/me is not documented');
  const docs = await call('GET', `${origin}/docs`);
  expectStatus(docs, 200);
  check(docs.headers.get('content-type')?.startsWith('text/html'), 'docs is not HTML');
  return `${Object.keys(document.body.paths).length} paths`;
});

await step('unknown route is a 404 problem', async () => {
  const response = await call('GET', `/no-such-route-${runId}`, { token: state.tokenB });
  expectProblem(response, 404);
});

if (failedCount > 0) {
  console.error(`e2e: ${stepCount - failedCount} passed, ${failedCount} failed`);
  process.exit(1);
}
console.info(`e2e: ${stepCount} passed, 0 failed`);
