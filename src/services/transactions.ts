import { and, desc, eq, gte, lt, lte, or, sql, type SQL } from 'drizzle-orm';
import { transactions, type TransactionRow } from '../db/schema';
import { NotFoundError } from '../errors';
import { assert } from '../lib/assert';
import { decodeCursor, pageOf } from '../lib/cursor';
import { PAGE_SIZE_MAX, SEARCH_WORDS_MAX } from '../lib/limits';
import { getOwnedAccount } from './accounts';
import type { ServiceDeps } from './deps';

/**
 * The read side of the ledger as the customer sees it: one row per leg. Every query is scoped
 * by `transactions.holder_id`, so the credit leg of a transfer belongs to its receiver and the
 * debit leg to its sender, and nobody else's rows can match.
 */

export type TransactionType = TransactionRow['type'];
export type TransactionDirection = TransactionRow['direction'];

export interface TransactionFilters {
  accountId?: string | undefined;
  type?: TransactionType | undefined;
  direction?: TransactionDirection | undefined;
  minAmountMinor?: number | undefined;
  maxAmountMinor?: number | undefined;
  /** First UTC day included, YYYY-MM-DD. */
  fromDate?: string | undefined;
  /** Last UTC day included, YYYY-MM-DD. */
  toDate?: string | undefined;
  /** Words that must all appear in the description, in any case and order. */
  searchWords?: string[] | undefined;
}

/** The first instant of a UTC day, as stored timestamps are written (toIso). */
export function startOfDayIso(date: string): string {
  return `${date}T00:00:00.000Z`;
}

/**
 * The last instant of a UTC day. Stored timestamps always carry milliseconds, so `<=` this is
 * the same as `<` the next midnight, and it needs no date arithmetic that could leave the
 * four-digit years (9999-12-31 plus a day prints as +010000-01-01, which sorts first).
 */
export function endOfDayIso(date: string): string {
  return `${date}T23:59:59.999Z`;
}

/** A LIKE pattern that matches `word` anywhere, with LIKE's own wildcards taken literally. */
export function containsPattern(word: string): string {
  return `%${word.replace(/[\\%_]/g, (character) => `\\${character}`)}%`;
}

/**
 * The WHERE conditions of a filter, holder scope first. Each is one bound parameter, so even
 * every filter at once stays far below D1's 100 parameters per statement.
 */
function filterConditions(holderId: string, filters: TransactionFilters): SQL[] {
  const conditions: (SQL | undefined)[] = [
    eq(transactions.holderId, holderId),
    filters.accountId === undefined ? undefined : eq(transactions.accountId, filters.accountId),
    filters.type === undefined ? undefined : eq(transactions.type, filters.type),
    filters.direction === undefined ? undefined : eq(transactions.direction, filters.direction),
    filters.minAmountMinor === undefined
      ? undefined
      : gte(transactions.amountMinor, filters.minAmountMinor),
    filters.maxAmountMinor === undefined
      ? undefined
      : lte(transactions.amountMinor, filters.maxAmountMinor),
    filters.fromDate === undefined
      ? undefined
      : gte(transactions.createdAt, startOfDayIso(filters.fromDate)),
    filters.toDate === undefined
      ? undefined
      : lte(transactions.createdAt, endOfDayIso(filters.toDate)),
    // SQLite's LIKE ignores case for ASCII letters only; see LIMITATION on listTransactions.
    ...(filters.searchWords ?? []).map(
      (word) => sql`${transactions.description} LIKE ${containsPattern(word)} ESCAPE '\\'`,
    ),
  ];
  return conditions.filter((condition): condition is SQL => condition !== undefined);
}

/**
 * A page of the caller's transactions, newest first (created_at, then id, both descending),
 * with a keyset cursor. A named account must be the caller's, else NotFoundError.
 *
 * LIMITATION: `q` matches case-insensitively for ASCII letters only, because D1's SQLite has
 * no ICU: "Café" does not find "CAFÉ". It costs a customer searching in other scripts a miss,
 * never a wrong row; storing a case-folded copy of the description would remove it.
 */
export async function listTransactions(
  deps: ServiceDeps,
  holderId: string,
  filters: TransactionFilters,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ rows: TransactionRow[]; nextCursor: string | null }> {
  assert(page.limit >= 1 && page.limit <= PAGE_SIZE_MAX, 'page limit is within bounds');
  assert((filters.searchWords?.length ?? 0) <= SEARCH_WORDS_MAX, 'search words are bounded');
  const after = decodeCursor(page.cursor);
  if (filters.accountId !== undefined) {
    await getOwnedAccount(deps, holderId, filters.accountId);
  }

  const beforeCursor = after
    ? or(
        lt(transactions.createdAt, after.createdAt),
        and(eq(transactions.createdAt, after.createdAt), lt(transactions.id, after.id)),
      )
    : undefined;
  const rows = await deps.db
    .select()
    .from(transactions)
    .where(and(...filterConditions(holderId, filters), beforeCursor))
    .orderBy(desc(transactions.createdAt), desc(transactions.id))
    .limit(page.limit + 1);

  return pageOf(rows, page.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

/** One of the caller's transactions, or NotFoundError whether it is missing or someone else's. */
export async function getOwnedTransaction(
  deps: ServiceDeps,
  holderId: string,
  transactionId: string,
): Promise<TransactionRow> {
  const row = await deps.db
    .select()
    .from(transactions)
    .where(and(eq(transactions.id, transactionId), eq(transactions.holderId, holderId)))
    .get();
  if (!row) throw new NotFoundError('No such transaction.');
  return row;
}
