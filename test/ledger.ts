import { env } from 'cloudflare:test';
import { expect } from 'vitest';

/**
 * The double-entry invariants: every account's balance equals the sum of its entries, the
 * entries of every movement sum to zero, and no balance is negative.
 */
export async function expectLedgerInvariants(): Promise<void> {
  const mismatched = await env.DB.prepare(
    `SELECT a.id, a.balance_minor, COALESCE(SUM(e.amount_minor), 0) AS entries_minor
       FROM accounts a LEFT JOIN ledger_entries e ON e.account_id = a.id
      GROUP BY a.id HAVING a.balance_minor <> COALESCE(SUM(e.amount_minor), 0)`,
  ).all();
  expect(mismatched.results).toEqual([]);
  const unbalanced = await env.DB.prepare(
    'SELECT movement_id FROM ledger_entries GROUP BY movement_id HAVING SUM(amount_minor) <> 0',
  ).all();
  expect(unbalanced.results).toEqual([]);
  const total = await env.DB.prepare(
    'SELECT COALESCE(SUM(amount_minor), 0) AS total FROM ledger_entries',
  ).first();
  expect(total).toEqual({ total: 0 });
  const negative = await env.DB.prepare('SELECT id FROM accounts WHERE balance_minor < 0').all();
  expect(negative.results).toEqual([]);
}
