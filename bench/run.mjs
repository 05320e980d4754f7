// Performance benchmarks: measures the project's targets as ratios taken on one machine in one
// run, so that the speed of the machine cancels out. Usage: npm run bench [-- options]; see
// --help. Starts `npm run dev` on a free port with an empty local state of its own, makes its
// fixtures over HTTP, loads it with autocannon, prints a table and writes test-output/bench.json.
// Exits 0 when every target is met, 1 when one is missed or a measurement is invalid (a non-2xx
// answer or a connection error in it), 2 when the benchmark itself could not run. Runs on Node 20+.
import autocannon from 'autocannon';
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { BANK_ROUTING_NUMBER, createFixtures } from './fixtures.mjs';
import { printTable, writeResults } from './report.mjs';
import {
  BenchError,
  countReloads,
  findFreePort,
  measureBundle,
  startServer,
  stopServer,
  waitForHealth,
} from './server.mjs';

const LOAD_TIMEOUT_SECONDS = 20;
const ACCOUNTS_RATIO_MIN = 0.6;
const TRANSFER_RATIO_MIN = 0.7;
const TRANSFER_AMOUNT = '0.01';

// What the baseline is, as src/routes/bench.ts builds it: printed so the comparison is explicit.
const BASELINE_NOTE = [
  'note: the baseline is one AccountLedger RPC (ping) and one D1 batch of 5 statements, as many',
  "  as the measured transfer's batch: 2 guarded UPDATEs and 3 point SELECTs on existing tables",
  '  that match no row. It writes nothing and needs no scratch table, so the cost of the writes',
  '  is not in it: it is a floor for a transfer.',
  'note: transfers are sent without an Idempotency-Key, which would add D1 work per request.',
];

const USAGE = `Usage: npm run bench [-- options]
  --duration SECONDS      measured time per endpoint (default 10)
  --warmup SECONDS        unmeasured warm-up before each endpoint (default 2)
  --connections N         concurrent connections (default 10)
  --rounds N              alternate base and subject N times; req/s and the ratio then count
                          every round, p50 is the median of the rounds' and p99 the largest
                          (default 1; more rounds even out a machine that is busy elsewhere)
  --skip-build            do not run npm run build; report no bundle size
  --help                  this text`;

function readOptions() {
  const { values } = parseArgs({
    options: {
      duration: { type: 'string', default: '10' },
      warmup: { type: 'string', default: '2' },
      connections: { type: 'string', default: '10' },
      rounds: { type: 'string', default: '1' },
      'skip-build': { type: 'boolean', default: false },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.info(USAGE);
    process.exit(0);
  }
  const durationSeconds = wholeNumber(values.duration, '--duration', 1);
  const warmupSeconds = wholeNumber(values.warmup, '--warmup', 0);
  const connections = wholeNumber(values.connections, '--connections', 1);
  const rounds = wholeNumber(values.rounds, '--rounds', 1);
  const isBuildSkipped = values['skip-build'];
  return { durationSeconds, warmupSeconds, connections, rounds, isBuildSkipped };
}

function wholeNumber(text, name, minimum) {
  const value = Number(text);
  if (!/^\d{1,6}$/.test(text) || value < minimum) {
    throw new BenchError(`${name} must be a whole number of at least ${minimum}`);
  }
  return value;
}

/** Loads one endpoint: an unmeasured warm-up, then the measured run. */
async function load(origin, options, request) {
  const warmup =
    options.warmupSeconds > 0
      ? { connections: options.connections, duration: options.warmupSeconds }
      : undefined;
  console.info(`measuring ${request.method} ${request.path}`);
  const result = await autocannon({
    url: `${origin}${request.path}`,
    method: request.method,
    headers: request.headers,
    body: request.body,
    connections: options.connections,
    duration: options.durationSeconds,
    timeout: LOAD_TIMEOUT_SECONDS,
    warmup,
  });
  const warmupFailures = result.warmup ? result.warmup.non2xx + result.warmup.errors : 0;
  return {
    requests: result.requests.total,
    durationSeconds: result.duration,
    latencyMs: { p50: result.latency.p50, p99: result.latency.p99 },
    non2xx: result.non2xx + warmupFailures,
    errors: result.errors,
    statusCodes: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {}).map(([code, stat]) => [code, stat.count]),
    ),
  };
}

function median(values) {
  const sorted = [...values].sort((left, right) => left - right);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Sums the rounds of one endpoint: req/s is every request over every measured second. */
function combineRounds(request, rounds) {
  const sum = (pick) => rounds.reduce((total, round) => total + pick(round), 0);
  const non2xx = sum((round) => round.non2xx);
  const errors = sum((round) => round.errors);
  return {
    label: request.label,
    request: `${request.method} ${request.path}`,
    rps: sum((round) => round.requests) / sum((round) => round.durationSeconds),
    latencyMs: {
      p50: median(rounds.map((round) => round.latencyMs.p50)),
      p99: Math.max(...rounds.map((round) => round.latencyMs.p99)),
    },
    non2xx,
    errors,
    isValid: non2xx === 0 && errors === 0,
    rounds,
  };
}

/** Loads base and subject in turn, round after round, so both meet the same machine. */
async function compare(origin, options, { name, base, subject, ratioMin, note }) {
  const baseRounds = [];
  const subjectRounds = [];
  for (let round = 0; round < options.rounds; round += 1) {
    baseRounds.push(await load(origin, options, base));
    subjectRounds.push(await load(origin, options, subject));
  }
  const baseRun = combineRounds(base, baseRounds);
  const subjectRun = combineRounds(subject, subjectRounds);
  const ratio = baseRun.rps > 0 ? subjectRun.rps / baseRun.rps : 0;
  const isValid = baseRun.isValid && subjectRun.isValid;
  const verdict = !isValid ? 'INVALID' : ratio >= ratioMin ? 'PASS' : 'FAIL';
  return { name, base: baseRun, subject: subjectRun, ratio, ratioMin, verdict, note };
}

async function runComparisons(origin, options, fixtures) {
  const bearer = { Authorization: `Bearer ${fixtures.token}` };
  const accounts = await compare(origin, options, {
    name: 'authenticated read',
    base: { label: 'bare route', method: 'GET', path: '/health' },
    subject: { label: 'accounts list', method: 'GET', path: '/api/v1/accounts', headers: bearer },
    ratioMin: ACCOUNTS_RATIO_MIN,
    note: null,
  });
  const transfers = await compare(origin, options, {
    name: 'hot-account transfer',
    base: { label: 'DO call + D1 batch', method: 'POST', path: '/bench/ledger-baseline' },
    subject: {
      label: 'hot-account transfer',
      method: 'POST',
      path: '/api/v1/transactions/transfer',
      headers: { ...bearer, 'Content-Type': 'application/json' },
      body: JSON.stringify({
        from_account_id: fixtures.hotAccountId,
        to_routing_number: BANK_ROUTING_NUMBER,
        to_account_number: fixtures.destinationAccountNumber,
        amount: TRANSFER_AMOUNT,
      }),
    },
    ratioMin: TRANSFER_RATIO_MIN,
    note: BASELINE_NOTE,
  });
  return [accounts, transfers];
}

function checkTokenLifetime(options, fixtures) {
  // One token serves every phase after signup, warm-ups included; the last one sends it too.
  const phases = 4 * options.rounds;
  const neededSeconds = phases * (options.durationSeconds + options.warmupSeconds) + 30;
  if (neededSeconds > fixtures.tokenExpiresInSeconds) {
    throw new BenchError(
      `the access token lives ${fixtures.tokenExpiresInSeconds}s, the run needs about ` +
        `${neededSeconds}s: shorten --duration or --warmup`,
    );
  }
}

async function main() {
  let options;
  try {
    options = readOptions();
  } catch (error) {
    console.error(`bench: ${error.message}\n${USAGE}`);
    process.exit(2);
  }
  const workDir = mkdtempSync(join(tmpdir(), 'invisible-bank-bench-'));
  const logPath = join(workDir, 'server.log');
  let server = null;
  const stop = async (exitCode) => {
    await stopServer(server);
    // The log and the state stay for a look after a failure; after a measurement they are noise.
    if (exitCode < 2) rmSync(workDir, { recursive: true, force: true });
    else console.error(`server log and state kept in ${workDir}`);
    process.exit(exitCode);
  };
  for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => stop(130));

  try {
    const bundle = options.isBuildSkipped ? null : measureBundle(logPath);
    const port = await findFreePort();
    const origin = `http://127.0.0.1:${port}`;
    console.info(`starting npm run dev on ${origin} (state and log in ${workDir})`);
    server = startServer(port, join(workDir, 'state'), logPath);
    await waitForHealth(origin, server, logPath);
    const fixtures = await createFixtures(origin);
    checkTokenLifetime(options, fixtures);
    const { comparisons, serverReloads, machine } = await measure(
      origin,
      options,
      fixtures,
      logPath,
    );
    printTable(comparisons, bundle);
    writeResults({ options, machine, comparisons, bundle, serverReloads });
    const isAllPass =
      comparisons.every((comparison) => comparison.verdict === 'PASS') &&
      (!bundle || bundle.gzipBytes < bundle.gzipBytesMax);
    await stop(isAllPass ? 0 : 1);
  } catch (error) {
    console.error(`bench: ${error instanceof BenchError ? error.message : error.stack}`);
    await stop(2);
  }
}

async function measure(origin, options, fixtures, logPath) {
  console.info(
    `load: ${options.connections} connections, ${options.warmupSeconds}s warm-up, ` +
      `${options.durationSeconds}s measured per endpoint and round, ${options.rounds} round(s)`,
  );
  const reloadsBefore = countReloads(logPath);
  const loadAverageBefore = loadavg()[0];
  const comparisons = await runComparisons(origin, options, fixtures);
  const serverReloads = countReloads(logPath) - reloadsBefore;
  if (serverReloads > 0) {
    console.warn(`warning: wrangler reloaded the Worker ${serverReloads} time(s) under load`);
  }
  // The ratios assume the machine is otherwise idle; a busy machine skews whichever phase it hits.
  const machine = {
    cpuModel: cpus()[0]?.model ?? 'unknown',
    cpuCount: cpus().length,
    loadAverage1m: { before: loadAverageBefore, after: loadavg()[0] },
  };
  const { before, after } = machine.loadAverage1m;
  console.info(
    `machine: ${machine.cpuCount} × ${machine.cpuModel}, 1-minute load average ` +
      `${before.toFixed(2)} before the load, ${after.toFixed(2)} after`,
  );
  return { comparisons, serverReloads, machine };
}

await main();
