// Output of bench/run.mjs: the table on the console and the JSON file. Runs on Node 20+.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './server.mjs';

const RESULTS_PATH = join(ROOT, 'test-output', 'bench.json');

// Under 100 columns, so that the table fits a terminal and can be pasted into the README.
const COLUMNS = [
  ['endpoint', 36],
  ['req/s', 7],
  ['p50 ms', 6],
  ['p99 ms', 6],
  ['ratio', 7],
  ['goal', 7],
  ['verdict', 0],
];

function formatRow(cells) {
  return cells
    .map((cell, index) => String(cell).padEnd(COLUMNS[index][1]))
    .join(' ')
    .trimEnd();
}

function formatRun(run) {
  const failures = run.isValid ? '' : ` (non-2xx ${run.non2xx}, errors ${run.errors})`;
  return [`  ${run.request}${failures}`, run.rps.toFixed(1), run.latencyMs.p50, run.latencyMs.p99];
}

function formatKib(bytes) {
  return `${(bytes / 1024).toFixed(1)} KiB`;
}

function formatBundle(bundle) {
  const verdict = bundle.gzipBytes < bundle.gzipBytesMax ? 'PASS' : 'FAIL';
  const goal = `goal < ${formatKib(bundle.gzipBytesMax)}`;
  // Wrangler names modules after their content hash; the hash is noise in a report.
  const parts = bundle.files.map(
    (file) => `${file.file.replace(/[0-9a-f]{40}-/, '')} ${formatKib(file.gzipBytes)}`,
  );
  return [
    `bundle, gzip: ${formatKib(bundle.gzipBytes)}, ${goal}: ${verdict}`,
    `  ${parts.join(' + ')}`,
  ];
}

/** Per target, its base and then its subject; the subject's row has the ratio and verdict. */
export function printTable(comparisons, bundle) {
  const lines = [formatRow(COLUMNS.map(([title]) => title))];
  for (const comparison of comparisons) {
    const ratio = `${(comparison.ratio * 100).toFixed(1)} %`;
    const goal = `>= ${comparison.ratioMin * 100} %`;
    lines.push(comparison.name);
    lines.push(formatRow(formatRun(comparison.base)));
    lines.push(formatRow([...formatRun(comparison.subject), ratio, goal, comparison.verdict]));
  }
  if (bundle) lines.push(...formatBundle(bundle));
  console.info(lines.join('\n'));
  for (const comparison of comparisons) {
    for (const line of comparison.note ?? []) console.info(line);
  }
}

export function writeResults({ options, machine, comparisons, bundle, serverReloads }) {
  const results = {
    date: new Date().toISOString(),
    node: process.version,
    machine,
    options,
    comparisons,
    bundle,
    serverReloads,
  };
  mkdirSync(join(ROOT, 'test-output'), { recursive: true });
  writeFileSync(RESULTS_PATH, `${JSON.stringify(results, null, 2)}\n`);
  console.info(`results written to ${RESULTS_PATH}`);
}
