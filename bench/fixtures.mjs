// Fixtures for bench/run.mjs, made over HTTP against a fresh database. Runs on Node 20+.
import { randomInt } from 'node:crypto';
import { BenchError } from './server.mjs';

export const BANK_ROUTING_NUMBER = '123456789';
const REQUEST_TIMEOUT_MS = 20_000;
// A million dollars covers a hundred million transfers of one cent: no run comes near it.
const HOT_ACCOUNT_DEPOSIT = '1000000.00';

async function call(origin, method, path, { token, body } = {}) {
  const headers = {};
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${origin}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, text };
}

async function expectCall(origin, status, method, path, options) {
  const response = await call(origin, method, path, options);
  if (response.status !== status) {
    const text = response.text.slice(0, 400);
    throw new BenchError(`${method} ${path}: expected ${status}, got ${response.status} ${text}`);
  }
  return response.body;
}

/** A valid SSN (area 100..665, group 10..99, serial 1000..9999) for a fresh database. */
function randomSsn() {
  return `${randomInt(100, 666)}-${randomInt(10, 100)}-${randomInt(1000, 10_000)}`;
}

async function signUp(origin, label) {
  const body = {
    name: `Bench ${label}`,
    email: `bench.${label}.${Date.now()}@example.com`,
    password: 'correct horse battery staple bench',
    ssn: randomSsn(),
    date_of_birth: '1980-01-01',
    mailing_address: '1 Benchmark Road, Testville',
  };
  return expectCall(origin, 201, 'POST', '/api/v1/auth/signup', { body });
}

/**
 * Two customers: the first has a checking account with a large balance (the hot account every
 * transfer debits) and a savings account, so the accounts list has more than one row; the
 * second has the account every transfer credits. The server runs with rate limits the load
 * never reaches (server.mjs), so no CF-Connecting-IP header is sent and all of it counts
 * against the one address wrangler dev sees, 127.0.0.1.
 */
export async function createFixtures(origin) {
  const payer = await signUp(origin, 'payer');
  const token = payer.access_token;
  const newAccount = (accountType, accessToken) =>
    expectCall(origin, 201, 'POST', '/api/v1/accounts', {
      token: accessToken,
      body: { account_type: accountType },
    });
  const hot = await newAccount('checking', token);
  await newAccount('savings', token);
  await expectCall(origin, 201, 'POST', '/api/v1/transactions/deposit', {
    token,
    body: { account_id: hot.id, amount: HOT_ACCOUNT_DEPOSIT },
  });

  const payee = await signUp(origin, 'payee');
  const destination = await newAccount('checking', payee.access_token);
  return {
    token,
    tokenExpiresInSeconds: payer.expires_in,
    hotAccountId: hot.id,
    destinationAccountNumber: destination.account_number,
  };
}
