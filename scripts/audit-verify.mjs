// Walks the audit hash chain in D1 from the first event and reports the first broken link.
// Usage: npm run audit:verify [-- --remote] [-- --env production]
// Local by default (the database `npm run dev` uses). Exit 0: intact; 1: broken; 2: error.
import { spawnSync } from 'node:child_process';
import { findChainBreak, GENESIS_HASH } from '../src/lib/audit-chain.ts';

const PAGE_ROWS = 500;
const args = process.argv.slice(2);
const target = args.includes('--remote') ? ['--remote'] : ['--local'];
const envIndex = args.indexOf('--env');
const environment = envIndex >= 0 ? ['--env', args[envIndex + 1]] : [];

function query(sql) {
  const result = spawnSync(
    'wrangler',
    ['d1', 'execute', 'DB', ...target, ...environment, '--json', '--command', sql],
    { encoding: 'utf8', env: { ...process.env, WRANGLER_SEND_METRICS: 'false' } },
  );
  if (result.status !== 0) {
    console.error(result.stderr || result.stdout);
    process.exit(2);
  }
  const [statement] = JSON.parse(result.stdout);
  return statement.results;
}

let tip = { seq: 0, hash: GENESIS_HASH };
let checked = 0;
for (;;) {
  const rows = query(
    'SELECT seq, id, holder_id, session_id, subject_id, type, outcome, ip, prev_hash, hash, ' +
      `created_at FROM audit_events WHERE seq > ${Number(tip.seq)} ORDER BY seq LIMIT ${PAGE_ROWS}`,
  );
  const events = rows.map((row) => ({
    seq: row.seq,
    id: row.id,
    holderId: row.holder_id,
    sessionId: row.session_id,
    subjectId: row.subject_id,
    type: row.type,
    outcome: row.outcome,
    ip: row.ip,
    prevHash: row.prev_hash,
    hash: row.hash,
    createdAt: row.created_at,
  }));
  const broken = await findChainBreak(events, tip);
  if (broken) {
    console.error(`audit chain broken at seq ${broken.seq}: ${broken.problem}`);
    console.error(
      `events before it (${checked + events.findIndex((e) => e.seq === broken.seq)}) verified`,
    );
    process.exit(1);
  }
  checked += events.length;
  if (events.length < PAGE_ROWS) break;
  const last = events[events.length - 1];
  tip = { seq: last.seq, hash: last.hash };
}
console.info(`audit chain intact: ${checked} events verified`);
