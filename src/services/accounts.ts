import { and, asc, count, eq, gt, lt, ne, or, sql } from 'drizzle-orm';
import { constraintFailure } from '../db/client';
import { accountHolders, accounts, cards, type AccountRow } from '../db/schema';
import { BusinessRuleError, NotFoundError, UnavailableError } from '../errors';
import { assert } from '../lib/assert';
import { decodeCursor, pageOf } from '../lib/cursor';
import { newId } from '../lib/ids';
import { ACCOUNTS_PER_HOLDER_MAX, NUMBER_DRAW_ATTEMPTS_MAX } from '../lib/limits';
import { log } from '../lib/log';
import { CURRENCY } from '../lib/money';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';

export type AccountType = AccountRow['accountType'];
export type AccountStatus = AccountRow['status'];

/** A random 10-digit account number whose first digit is not zero. */
export function drawAccountNumber(): string {
  const digits = crypto.getRandomValues(new Uint32Array(2));
  const leading = 1 + ((digits[0] ?? 0) % 9);
  const rest = String((digits[1] ?? 0) % 1_000_000_000).padStart(9, '0');
  return `${leading}${rest}`;
}

/**
 * Inserts the account only while the holder has fewer than ACCOUNTS_PER_HOLDER_MAX. The count
 * is in the INSERT ... SELECT itself, so parallel requests cannot all take the last place.
 */
async function insertAccountIfAllowed(deps: ServiceDeps, row: AccountRow): Promise<boolean> {
  const owned = deps.db
    .select({ total: count() })
    .from(accounts)
    .where(eq(accounts.holderId, row.holderId));
  // Keys and their order must be the table's: drizzle checks them for INSERT ... SELECT.
  const candidate = deps.db
    .select({
      id: sql<string>`${row.id}`.as('id'),
      holderId: accountHolders.id,
      accountNumber: sql<string>`${row.accountNumber}`.as('account_number'),
      accountType: sql<string>`${row.accountType}`.as('account_type'),
      nickname: sql<string | null>`${row.nickname}`.as('nickname'),
      status: sql<string>`${row.status}`.as('status'),
      balanceMinor: sql<number>`${row.balanceMinor}`.as('balance_minor'),
      currency: sql<string>`${row.currency}`.as('currency'),
      createdAt: sql<string>`${row.createdAt}`.as('created_at'),
      updatedAt: sql<string>`${row.updatedAt}`.as('updated_at'),
    })
    .from(accountHolders)
    .where(and(eq(accountHolders.id, row.holderId), lt(sql`(${owned})`, ACCOUNTS_PER_HOLDER_MAX)));
  const result = await deps.db.insert(accounts).select(candidate).run();
  assert(result.meta.changes <= 1, 'an account insert writes at most one row');
  return result.meta.changes === 1;
}

export async function createAccount(
  deps: ServiceDeps,
  holderId: string,
  input: { account_type: AccountType; nickname?: string | undefined },
): Promise<AccountRow> {
  const now = toIso(deps.nowMs);
  // Account numbers are random, so a collision is rare; the UNIQUE index decides.
  for (let attempt = 0; attempt < NUMBER_DRAW_ATTEMPTS_MAX; attempt++) {
    const row: AccountRow = {
      id: newId(deps.nowMs),
      holderId,
      accountNumber: drawAccountNumber(),
      accountType: input.account_type,
      nickname: input.nickname ?? null,
      status: 'active',
      balanceMinor: 0,
      currency: CURRENCY,
      createdAt: now,
      updatedAt: now,
    };
    try {
      if (!(await insertAccountIfAllowed(deps, row))) {
        throw new BusinessRuleError(
          'account-limit-reached',
          'Account limit reached',
          `An account holder may have at most ${ACCOUNTS_PER_HOLDER_MAX} accounts.`,
        );
      }
      log('info', 'account_opened', { requestId: deps.requestId, holderId, accountId: row.id });
      return row;
    } catch (error) {
      if (constraintFailure(error) !== 'unique') throw error;
    }
  }
  throw new UnavailableError('Could not allocate an account number; try again.', {
    reason: 'account_number_draws_exhausted',
  });
}

/** The caller's account, or 404 whether it does not exist or belongs to someone else. */
export async function getOwnedAccount(
  deps: ServiceDeps,
  holderId: string,
  accountId: string,
): Promise<AccountRow> {
  const row = await deps.db
    .select()
    .from(accounts)
    .where(and(eq(accounts.id, accountId), eq(accounts.holderId, holderId)))
    .get();
  if (!row) throw new NotFoundError('No such account.');
  return row;
}

export async function listAccounts(
  deps: ServiceDeps,
  holderId: string,
  page: { limit: number; cursor?: string | undefined },
): Promise<{ rows: AccountRow[]; nextCursor: string | null }> {
  const after = decodeCursor(page.cursor);
  const afterCursor = after
    ? or(
        gt(accounts.createdAt, after.createdAt),
        and(eq(accounts.createdAt, after.createdAt), gt(accounts.id, after.id)),
      )
    : undefined;
  const rows = await deps.db
    .select()
    .from(accounts)
    .where(and(eq(accounts.holderId, holderId), afterCursor))
    .orderBy(asc(accounts.createdAt), asc(accounts.id))
    .limit(page.limit + 1);
  return pageOf(rows, page.limit, (row) => ({ createdAt: row.createdAt, id: row.id }));
}

export interface AccountChanges {
  nickname?: string | null | undefined;
  account_type?: AccountType | undefined;
  status?: AccountStatus | undefined;
}

function accountClosed(): BusinessRuleError {
  return new BusinessRuleError(
    'account-closed',
    'Account closed',
    'A closed account cannot change.',
  );
}

/**
 * Changes nickname, type or status. A closed account never changes again, and closing needs a
 * zero balance. Both rules are in the UPDATE's WHERE clause, so a deposit or withdrawal that
 * commits at the same moment cannot slip between the check and the write.
 */
export async function updateAccount(
  deps: ServiceDeps,
  holderId: string,
  accountId: string,
  changes: AccountChanges,
): Promise<AccountRow> {
  const current = await getOwnedAccount(deps, holderId, accountId);
  if (current.status === 'closed') throw accountClosed();

  const isClosing = changes.status === 'closed';
  const now = toIso(deps.nowMs);
  const accountUpdate = deps.db
    .update(accounts)
    .set({
      ...(changes.nickname !== undefined && { nickname: changes.nickname }),
      ...(changes.account_type !== undefined && { accountType: changes.account_type }),
      ...(changes.status !== undefined && { status: changes.status }),
      updatedAt: now,
    })
    .where(
      and(
        eq(accounts.id, accountId),
        eq(accounts.holderId, holderId),
        or(eq(accounts.status, 'active'), eq(accounts.status, 'frozen')),
        isClosing ? eq(accounts.balanceMinor, 0) : undefined,
      ),
    )
    .returning();
  // A closed account's cards die with it, in the same batch: only if the close went through.
  const cardsCancel = deps.db
    .update(cards)
    .set({ status: 'cancelled', updatedAt: now })
    .where(
      and(
        eq(cards.accountId, accountId),
        ne(cards.status, 'cancelled'),
        sql`EXISTS (SELECT 1 FROM accounts WHERE id = ${accountId} AND status = 'closed')`,
      ),
    );
  const [rows] = isClosing
    ? await deps.db.batch([accountUpdate, cardsCancel])
    : [await accountUpdate];
  const updated = rows[0];
  if (updated) return updated;

  const latest = await getOwnedAccount(deps, holderId, accountId);
  if (latest.status === 'closed') throw accountClosed();
  throw new BusinessRuleError(
    'balance-not-zero',
    'Balance not zero',
    'Only an account with a zero balance can be closed.',
  );
}
