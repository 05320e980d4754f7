// Version guard for the toolchain (see PITFALLS §20). Tests run inside workerd, which has no
// process or file system, so this runs in Node before them. It fails when:
//   - the Node binary that npm scripts use (node_modules/.bin/node) is older than wrangler needs;
//   - the installed vitest is outside @cloudflare/vitest-plugin's peer range;
//   - package.json has a non-exact version, or an installed package differs from its pin;
//   - more than one major version of zod is installed;
//   - hono is older than 4.12.25 (CVE-2026-54290: CORS reflected any origin).
// Runs on Node 20 or later: `node scripts/check-toolchain.mjs`.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const NODE_VERSION_MIN = '22.12.0';
const HONO_VERSION_MIN = '4.12.25';
const EXACT_VERSION = /^\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?(\+[0-9A-Za-z.-]+)?$/;

const failures = [];

function fail(message) {
  failures.push(message);
}

function readJson(relativePath) {
  return JSON.parse(readFileSync(new URL(relativePath, `file://${root}`), 'utf8'));
}

function installedVersion(name) {
  const path = `node_modules/${name}/package.json`;
  return existsSync(new URL(path, `file://${root}`)) ? readJson(path).version : null;
}

// semver comes with the dev tools; a small fallback covers the forms used in peer ranges.
const semver = loadSemver();

function loadSemver() {
  try {
    return createRequire(import.meta.url)('semver');
  } catch {
    return {
      gte: (a, b) => compare(a, b) >= 0,
      satisfies: (version, range) => range.split('||').some((part) => satisfiesAll(version, part)),
      minVersion: (range) => ({ version: range.match(/\d+\.\d+\.\d+/)?.[0] ?? '0.0.0' }),
    };
  }
}

function parts(version) {
  return version
    .replace(/^v/, '')
    .split(/[-+]/)[0]
    .split('.')
    .map((part) => Number(part) || 0);
}

function compare(a, b) {
  const [x, y] = [parts(a), parts(b)];
  for (let index = 0; index < 3; index++) {
    if (x[index] !== y[index]) return (x[index] ?? 0) - (y[index] ?? 0);
  }
  return 0;
}

function satisfiesAll(version, conjunction) {
  return conjunction
    .trim()
    .split(/\s+/)
    .filter(Boolean)
    .every((comparator) => satisfiesOne(version, comparator));
}

function satisfiesOne(version, comparator) {
  const match = comparator.match(/^(\^|~|>=|<=|>|<|=)?v?(\d+(?:\.\d+){0,2})/);
  if (!match) return false;
  const [, operator = '=', base] = match;
  const [major, minor = 0] = parts(base);
  const difference = compare(version, base);
  const [versionMajor, versionMinor] = parts(version);
  switch (operator) {
    case '^':
      return difference >= 0 && (major > 0 ? versionMajor === major : versionMinor === minor);
    case '~':
      return difference >= 0 && versionMajor === major && versionMinor === minor;
    case '>=':
      return difference >= 0;
    case '<=':
      return difference <= 0;
    case '>':
      return difference > 0;
    case '<':
      return difference < 0;
    default:
      return difference === 0;
  }
}

function checkNode() {
  const binary = new URL('node_modules/.bin/node', `file://${root}`);
  if (!existsSync(binary)) {
    fail('node_modules/.bin/node is missing: run npm install (the `node` package provides it)');
    return;
  }
  const version = execFileSync(fileURLToPath(binary), ['--version'], { encoding: 'utf8' }).trim();
  const wranglerRange = readJson('node_modules/wrangler/package.json').engines?.node;
  const wranglerMin = wranglerRange ? semver.minVersion(wranglerRange)?.version : null;
  const required =
    wranglerMin && compare(wranglerMin, NODE_VERSION_MIN) > 0 ? wranglerMin : NODE_VERSION_MIN;
  if (!semver.gte(version.replace(/^v/, ''), required)) {
    fail(`node_modules/.bin/node is ${version}; wrangler needs ${required} or later`);
  }
  return `node_modules/.bin/node ${version} (needs >= ${required})`;
}

function checkVitest() {
  const vitest = installedVersion('vitest');
  const plugin = readJson('node_modules/@cloudflare/vitest-plugin/package.json');
  const range = plugin.peerDependencies?.vitest;
  if (!vitest || !range) {
    fail('vitest or @cloudflare/vitest-plugin is not installed');
    return;
  }
  if (!semver.satisfies(vitest, range)) {
    fail(
      `vitest ${vitest} is outside @cloudflare/vitest-plugin ${plugin.version}'s range ${range}`,
    );
  }
  return `vitest ${vitest} within @cloudflare/vitest-plugin ${plugin.version} peer range ${range}`;
}

function checkPins() {
  const manifest = readJson('package.json');
  const lock = readJson('package-lock.json');
  const sections = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'];
  let count = 0;
  for (const section of sections) {
    for (const [name, spec] of Object.entries(manifest[section] ?? {})) {
      count += 1;
      if (!EXACT_VERSION.test(spec)) {
        fail(`package.json ${section}.${name} is "${spec}": pin an exact version`);
        continue;
      }
      const locked = lock.packages?.[`node_modules/${name}`]?.version;
      if (locked !== spec)
        fail(`package-lock.json has ${name} ${locked}, package.json pins ${spec}`);
      const installed = installedVersion(name);
      if (installed !== spec) fail(`installed ${name} is ${installed}, package.json pins ${spec}`);
    }
  }
  return `${count} direct dependencies pinned exactly and installed at their pins`;
}

function collectVersions(tree, name, found = new Set()) {
  for (const [dependency, node] of Object.entries(tree?.dependencies ?? {})) {
    if (dependency === name && node.version) found.add(node.version);
    collectVersions(node, name, found);
  }
  return found;
}

function installedCopies(name) {
  let output;
  try {
    output = execFileSync('npm', ['ls', name, '--all', '--json'], {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
  } catch (error) {
    // npm ls exits non-zero on any tree problem but still prints the tree.
    output = error.stdout;
  }
  return [...collectVersions(JSON.parse(output || '{}'), name)];
}

function checkZod() {
  const versions = installedCopies('zod');
  const majors = new Set(versions.map((version) => parts(version)[0]));
  if (versions.length === 0) fail('zod is not installed');
  if (majors.size > 1) fail(`several zod majors are installed: ${versions.join(', ')}`);
  return `zod ${versions.join(', ')} (one major)`;
}

function checkHono() {
  const versions = installedCopies('hono');
  if (versions.length === 0) fail('hono is not installed');
  for (const version of versions) {
    if (!semver.gte(version, HONO_VERSION_MIN)) {
      fail(`hono ${version} is older than ${HONO_VERSION_MIN} (CVE-2026-54290)`);
    }
  }
  return `hono ${versions.join(', ')} (needs >= ${HONO_VERSION_MIN})`;
}

for (const check of [checkNode, checkVitest, checkPins, checkZod, checkHono]) {
  const before = failures.length;
  let summary;
  try {
    summary = check();
  } catch (error) {
    fail(`${check.name} could not run: ${error.message}`);
  }
  if (failures.length === before) console.info(`ok   ${summary}`);
}

if (failures.length > 0) {
  for (const message of failures) console.error(`FAIL ${message}`);
  process.exit(1);
}
console.info('Toolchain versions are as pinned.');
