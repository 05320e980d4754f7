import { sql } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { idempotencyKeys, mfaChallenges, passwordResetTokens, sessions } from '../db/schema';
import { CLEANUP_BATCHES_PER_TABLE_MAX, CLEANUP_ROWS_PER_BATCH_MAX } from '../lib/limits';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';

/**
 * Deletes rows whose life is over: sessions past their absolute end, idempotency records past
 * their retention, reset tokens and MFA challenges past their expiry. Each statement deletes a
 * bounded number of rows and each table gets a bounded number of statements per run, so one
 * run never holds D1's single writer for long; what is left goes in the next run.
 */
const EXPIRING_TABLES: { name: string; table: SQLiteTable; expiresAt: SQLiteColumn }[] = [
  { name: 'sessions', table: sessions, expiresAt: sessions.expiresAt },
  { name: 'idempotency_keys', table: idempotencyKeys, expiresAt: idempotencyKeys.expiresAt },
  {
    name: 'password_reset_tokens',
    table: passwordResetTokens,
    expiresAt: passwordResetTokens.expiresAt,
  },
  { name: 'mfa_challenges', table: mfaChallenges, expiresAt: mfaChallenges.expiresAt },
];

export async function deleteExpiredRows(deps: ServiceDeps): Promise<Record<string, number>> {
  const now = toIso(deps.nowMs);
  const deleted: Record<string, number> = {};
  for (const { name, table, expiresAt } of EXPIRING_TABLES) {
    deleted[name] = 0;
    for (let batch = 0; batch < CLEANUP_BATCHES_PER_TABLE_MAX; batch++) {
      const result = await deps.db.run(
        sql`DELETE FROM ${table} WHERE rowid IN (SELECT rowid FROM ${table}
              WHERE ${expiresAt} <= ${now} LIMIT ${CLEANUP_ROWS_PER_BATCH_MAX})`,
      );
      const changes = result.meta.changes ?? 0;
      deleted[name] += changes;
      if (changes < CLEANUP_ROWS_PER_BATCH_MAX) break;
    }
    log('info', 'expired_rows_deleted', {
      requestId: deps.requestId,
      reason: name,
      count: deleted[name],
    });
  }
  return deleted;
}
