import { Hono } from 'hono';
import type { AppEnv } from '../middleware/context';

/**
 * Benchmark-only routes for bench/run.mjs. app.ts serves them only when BENCH_ROUTES is 'true'
 * outside production. They measure the platform's floor under a transfer, so they talk to the
 * bindings directly instead of through a service: no business code may be in the measurement.
 */
export const benchRoutes = new Hono<AppEnv>();

/**
 * A name that no real ledger uses: real ones are named after an account's UUID. All calls share
 * this one object, as every transfer of the benchmark's hot account shares that account's.
 */
const BASELINE_LEDGER_NAME = 'bench-ledger-baseline';

/** Not a UUID, so it matches no account row and the batch below can change nothing. */
const BASELINE_ACCOUNT_ID = 'bench-baseline-no-such-account';

/**
 * One batch shaped like an internal transfer without an Idempotency-Key, which is what the
 * benchmark sends: that batch has five statements (two guarded balance UPDATEs, two transaction
 * INSERTs that read the balance back, one ledger-entry INSERT). Here the UPDATEs keep their
 * guards but match no row, and the INSERTs become the point reads they contain, so nothing is
 * written, no scratch table is needed, and a production database would stay untouched. The
 * cost of the writes themselves is therefore not in the baseline: it is a floor.
 */
function buildBaselineBatch(db: D1Database): D1PreparedStatement[] {
  const id = BASELINE_ACCOUNT_ID;
  return [
    db
      .prepare("UPDATE accounts SET updated_at = updated_at WHERE id = ? AND status = 'active'")
      .bind(id),
    db
      .prepare("UPDATE accounts SET updated_at = updated_at WHERE id = ? AND status <> 'closed'")
      .bind(id),
    db.prepare('SELECT balance_minor FROM accounts WHERE id = ?').bind(id),
    db.prepare('SELECT balance_minor FROM accounts WHERE id = ?').bind(id),
    db.prepare('SELECT count(*) AS entries FROM ledger_entries WHERE movement_id = ?').bind(id),
  ];
}

/** One Durable Object RPC and one D1 batch: the least a transfer on one account must cost. */
benchRoutes.post('/bench/ledger-baseline', async (c) => {
  const ledger = c.env.ACCOUNT_LEDGER.get(c.env.ACCOUNT_LEDGER.idFromName(BASELINE_LEDGER_NAME));
  const queueDepth = await ledger.ping();

  const results = await c.env.DB.batch(buildBaselineBatch(c.env.DB));
  return c.json({ queue_depth: queueDepth, statements: results.length });
});
