// The dev server and the build for bench/run.mjs: starts `npm run dev` the way .ci/run does (a
// free port, a process group of its own, a bounded wait for /health), stops it, and measures the
// bundle. Runs on Node 20+.
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

export const ROOT = new URL('..', import.meta.url).pathname;
const HEALTH_WAIT_SECONDS_MAX = 60;
const SERVER_STOP_WAIT_MS_MAX = 10_000;
export const BUNDLE_GZIP_BYTES_MAX = 300 * 1024;

const SERVER_ENV = {
  ...process.env,
  WRANGLER_SEND_METRICS: 'false',
  CLOUDFLARE_CF_FETCH_ENABLED: 'false',
  NO_UPDATE_NOTIFIER: '1',
  npm_config_fund: 'false',
  npm_config_audit: 'false',
};

/**
 * The benchmark routes, and rate limits the load never reaches: it sends thousands of requests
 * a minute from one address and one holder, which the real quotas (wrangler.toml) would refuse
 * after 60 and 30. The limiters still run on every request, so their cost stays in the figures.
 * Only this server gets these values; wrangler.toml and a deployed Worker keep the real ones.
 */
const BENCH_VARS = [
  ['BENCH_ROUTES', 'true'],
  ['RATE_LIMIT_GENERAL_PER_MINUTE', '100000'],
  ['RATE_LIMIT_AUTH_PER_MINUTE', '100000'],
  ['RATE_LIMIT_MONEY_PER_MINUTE', '100000'],
];

function toVarArgs([name, value]) {
  return ['--var', `${name}:${value}`];
}

/** A failure of the benchmark itself, with a message that says what to do. */
export class BenchError extends Error {}

/** Runs an npm script to completion with its output in the log file; throws if it fails. */
function runNpm(args, logPath) {
  const logFd = openSync(logPath, 'a');
  try {
    const result = spawnSync('npm', args, {
      cwd: ROOT,
      env: SERVER_ENV,
      stdio: ['ignore', logFd, logFd],
    });
    if (result.status !== 0) {
      throw new BenchError(`npm ${args.join(' ')} failed (exit ${result.status}); see ${logPath}`);
    }
  } finally {
    closeSync(logFd);
  }
}

/**
 * Builds like CI does and sums the gzip sizes of every module wrangler would upload: the script,
 * the WebAssembly and the text modules; not the source map or wrangler's README.
 */
export function measureBundle(logPath) {
  rmSync(join(ROOT, 'dist'), { recursive: true, force: true });
  runNpm(['run', 'build'], logPath);
  const names = readdirSync(join(ROOT, 'dist')).filter(
    (name) => !name.endsWith('.map') && name !== 'README.md',
  );
  const files = names.map((name) => ({
    file: `dist/${name}`,
    gzipBytes: gzipSync(readFileSync(join(ROOT, 'dist', name))).length,
  }));
  const gzipBytes = files.reduce((sum, file) => sum + file.gzipBytes, 0);
  return { files, gzipBytes, gzipBytesMax: BUNDLE_GZIP_BYTES_MAX };
}

export function findFreePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

/**
 * Starts `npm run dev` in a process group of its own, so that stopping it reaches npm, wrangler
 * and workerd alike. The state lives in a temporary --persist-to directory instead of a deleted
 * .wrangler/state (what .ci/run does): a developer's local data survives a benchmark. npm
 * appends the arguments after `--` to the last command of the `dev` script, wrangler dev; the
 * `setup` script is run first with the same directory, since the `setup` step inside `dev`
 * migrates only the default state. `options.vars` adds `--var NAME:VALUE` arguments.
 */
export function startServer(port, stateDir, logPath, options = {}) {
  runNpm(['run', 'setup', '--', '--persist-to', stateDir], logPath);
  const logFd = openSync(logPath, 'a');
  const args = ['run', 'dev', '--', '--persist-to', stateDir, ...BENCH_VARS.flatMap(toVarArgs)];
  // Extra vars (bench/rewrap.mjs sets its own key rings); wrangler splits NAME:VALUE at the
  // first colon, so values may hold colons.
  for (const [name, value] of Object.entries(options.vars ?? {})) {
    args.push('--var', `${name}:${value}`);
  }
  const child = spawn('npm', args, {
    cwd: ROOT,
    env: { ...SERVER_ENV, PORT: String(port) },
    stdio: ['ignore', logFd, logFd],
    detached: true,
  });
  closeSync(logFd);
  const server = { child, hasExited: false };
  child.once('exit', () => {
    server.hasExited = true;
  });
  return server;
}

export async function stopServer(server) {
  if (!server || server.hasExited) return;
  signalGroup(server.child.pid, 'SIGTERM');
  const deadlineMs = Date.now() + SERVER_STOP_WAIT_MS_MAX;
  while (!server.hasExited && Date.now() < deadlineMs) await sleep(200);
  signalGroup(server.child.pid, 'SIGKILL');
}

function signalGroup(pid, signal) {
  try {
    process.kill(-pid, signal);
  } catch (error) {
    // ESRCH: the whole group has already exited, which is what we want.
    if (error.code !== 'ESRCH') throw error;
  }
}

function sleep(durationMs) {
  return new Promise((resolve) => setTimeout(resolve, durationMs));
}

export async function waitForHealth(origin, server, logPath) {
  const deadlineMs = Date.now() + HEALTH_WAIT_SECONDS_MAX * 1000;
  while (Date.now() < deadlineMs) {
    if (server.hasExited) throw new BenchError(`the dev server exited; see ${logPath}`);
    try {
      const response = await fetch(`${origin}/health`, { signal: AbortSignal.timeout(2000) });
      if (response.ok) return;
    } catch {
      // Not listening yet: wrangler is still bundling or workerd is still starting.
    }
    await sleep(1000);
  }
  throw new BenchError(`no healthy /health within ${HEALTH_WAIT_SECONDS_MAX}s; see ${logPath}`);
}

/**
 * wrangler dev rebuilds and reloads the Worker whenever a source file changes, which would
 * disturb the figures of whatever runs at that moment: count the reloads it logged.
 */
export function countReloads(logPath) {
  return readFileSync(logPath, 'utf8').split('Reloading local server').length - 1;
}
