// Key rotation benchmark: how many rows the rewrap job moves per second. Usage:
// npm run bench:rewrap [-- --holders N --batch-size N]. Starts `npm run dev` on a free port with
// an empty state of its own and key rings of its own (passed with --var, never your .dev.vars
// keys), signs up N holders over HTTP, each with an account and a card, then restarts the server
// with a new key-encryption key and blind index key made current and drives
// POST /ops/keys/rewrap until no row is left on an old key. Prints rows per second. Node 20+.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { BenchError, findFreePort, startServer, stopServer, waitForHealth } from './server.mjs';

const SIGNUP_CONCURRENCY = 6;
const PASSES_MAX = 10_000;

function readOptions() {
  const { values } = parseArgs({
    options: {
      holders: { type: 'string', default: '200' },
      'batch-size': { type: 'string', default: '100' },
    },
  });
  const holders = Number(values.holders);
  const batchSize = Number(values['batch-size']);
  if (!Number.isInteger(holders) || holders < 1 || holders > 10_000) {
    throw new BenchError('--holders must be a whole number from 1 to 10000');
  }
  if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 200) {
    throw new BenchError('--batch-size must be a whole number from 1 to 200');
  }
  return { holders, batchSize };
}

function key() {
  return randomBytes(32).toString('base64url');
}

async function call(origin, method, path, { token, body } = {}) {
  const headers = { 'CF-Connecting-IP': '198.51.100.7' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const response = await fetch(`${origin}${path}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(30_000),
  });
  const text = await response.text();
  if (!response.ok) throw new BenchError(`${method} ${path} answered ${response.status}: ${text}`);
  return text ? JSON.parse(text) : null;
}

/** A valid, distinct SSN per index: area 100-665, group 01-99, serial 0001-9999. */
function ssnFor(index) {
  const serial = String((index % 9999) + 1).padStart(4, '0');
  const group = String((Math.floor(index / 9999) % 99) + 1).padStart(2, '0');
  return `123-${group}-${serial}`;
}

async function createHolder(origin, index) {
  const tokens = await call(origin, 'POST', '/api/v1/auth/signup', {
    body: {
      name: `Bench Holder ${index}`,
      email: `rewrap.${index}@bench.example`,
      password: 'correct horse battery staple',
      ssn: ssnFor(index),
      date_of_birth: '1980-01-01',
      mailing_address: '1 Benchmark Road',
    },
  });
  const token = tokens.access_token;
  const account = await call(origin, 'POST', '/api/v1/accounts', {
    token,
    body: { account_type: 'checking' },
  });
  await call(origin, 'POST', '/api/v1/cards', {
    token,
    body: { account_id: account.id, card_type: 'debit' },
  });
}

async function createHolders(origin, total) {
  let next = 0;
  async function worker() {
    while (next < total) await createHolder(origin, next++);
  }
  await Promise.all(Array.from({ length: SIGNUP_CONCURRENCY }, worker));
}

async function withServer(stateDir, vars, work) {
  const port = await findFreePort();
  const origin = `http://127.0.0.1:${port}`;
  const logPath = join(stateDir, 'server.log');
  const server = startServer(port, join(stateDir, 'state'), logPath, { vars });
  try {
    await waitForHealth(origin, server, logPath);
    return await work(origin);
  } finally {
    await stopServer(server);
  }
}

async function main() {
  const options = readOptions();
  const stateDir = mkdtempSync(join(tmpdir(), 'bench-rewrap-'));
  const opsToken = key();
  const [kekOld, kekNew, blindOld, blindNew] = [key(), key(), key(), key()];
  const before = {
    FIELD_ENCRYPTION_KEYS: `kb1:${kekOld}`,
    FIELD_ENCRYPTION_CURRENT_KEY_ID: 'kb1',
    BLIND_INDEX_KEYS: `ib1:${blindOld}`,
    BLIND_INDEX_CURRENT_KEY_ID: 'ib1',
    OPS_API_TOKEN: opsToken,
  };
  const after = {
    ...before,
    FIELD_ENCRYPTION_KEYS: `kb2:${kekNew},kb1:${kekOld}`,
    FIELD_ENCRYPTION_CURRENT_KEY_ID: 'kb2',
    BLIND_INDEX_KEYS: `ib2:${blindNew},ib1:${blindOld}`,
    BLIND_INDEX_CURRENT_KEY_ID: 'ib2',
  };
  try {
    console.info(`creating ${options.holders} holders, each with an account and a card...`);
    await withServer(stateDir, before, (origin) => createHolders(origin, options.holders));
    console.info('restarting with kb2 and ib2 current; running the rewrap job...');
    const result = await withServer(stateDir, after, (origin) =>
      drive(origin, opsToken, options.batchSize),
    );
    report(options, result);
  } finally {
    rmSync(stateDir, { recursive: true, force: true });
  }
}

async function drive(origin, opsToken, batchSize) {
  const headers = { Authorization: `Bearer ${opsToken}` };
  const path = `/ops/keys/rewrap?batch_size=${batchSize}`;
  const totals = { dataKeys: 0, indexes: 0, legacy: 0, failed: 0, passes: 0 };
  const startMs = performance.now();
  for (let pass = 0; pass < PASSES_MAX; pass++) {
    const response = await fetch(`${origin}${path}`, { method: 'POST', headers });
    const body = await response.json();
    if (!response.ok) throw new BenchError(`rewrap answered ${response.status}: ${body.detail}`);
    totals.dataKeys += body.data_keys_rewrapped;
    totals.indexes += body.blind_indexes_recomputed;
    totals.legacy += body.legacy_values_resealed;
    totals.failed += body.failed;
    totals.passes += 1;
    if (body.status.rows_on_old_keys === 0) break;
  }
  return { ...totals, durationMs: performance.now() - startMs };
}

function report(options, result) {
  const rows = result.dataKeys + result.indexes + result.legacy;
  const seconds = result.durationMs / 1000;
  console.info(
    [
      `holders: ${options.holders}, batch size: ${options.batchSize}, passes: ${result.passes}`,
      `data keys rewrapped: ${result.dataKeys}, blind indexes recomputed: ${result.indexes}, ` +
        `failed: ${result.failed}`,
      `time: ${seconds.toFixed(2)} s (each pass also recounts the status)`,
      `rows rewrapped per second: ${(rows / seconds).toFixed(1)} ` +
        `(data keys alone: ${(result.dataKeys / seconds).toFixed(1)})`,
      `load average: ${loadavg()
        .map((value) => value.toFixed(2))
        .join(' ')}`,
    ].join('\n'),
  );
  if (result.failed > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error instanceof BenchError ? `bench: ${error.message}` : error);
  process.exitCode = 2;
});
