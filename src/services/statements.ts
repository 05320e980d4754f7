import { and, asc, count, eq, gte, inArray, lt, lte, sql } from 'drizzle-orm';
import { accounts, transactions, type AccountRow, type TransactionRow } from '../db/schema';
import { BusinessRuleError, ValidationError } from '../errors';
import { assert } from '../lib/assert';
import {
  ACCOUNTS_PER_HOLDER_MAX,
  STATEMENT_DAYS_DEFAULT,
  STATEMENT_DAYS_MAX,
  STATEMENT_TRANSACTIONS_MAX,
} from '../lib/limits';
import { CURRENCY, formatMinor, toMinor } from '../lib/money';
import { addDays, toDateString } from '../lib/time';
import { getOwnedAccount } from './accounts';
import type { ServiceDeps } from './deps';
import { endOfDayIso, startOfDayIso } from './transactions';
import { toTransactionView, type TransactionView } from './views';

/**
 * Statements: for each account, the balance before a period, what came in and went out during
 * it, and every transaction in it. Balances are recomputed from the transactions (credits
 * add, debits subtract, pending legs included, as they already moved the balance) rather than
 * read from the account, so a statement for any past period is exact.
 */

/** Whole UTC days, both ends included, YYYY-MM-DD. */
export interface StatementPeriod {
  startDate: string;
  endDate: string;
}

export interface AccountStatement {
  account: AccountRow;
  openingBalanceMinor: number;
  totalCreditsMinor: number;
  totalDebitsMinor: number;
  closingBalanceMinor: number;
  /** Oldest first. */
  transactions: TransactionRow[];
}

export interface Statement {
  period: StatementPeriod;
  accounts: AccountStatement[];
  totalTransactions: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

/** Days from one UTC date to another; both are validated YYYY-MM-DD, so this is exact. */
function daysBetween(period: StatementPeriod): number {
  return (Date.parse(period.endDate) - Date.parse(period.startDate)) / DAY_MS;
}

/**
 * The period asked for, with defaults: `to` is today (UTC), and `from` is STATEMENT_DAYS_DEFAULT
 * days ending on `to`, so both ends are included. Throws ValidationError when `from` is after
 * `to` or the period spans more than STATEMENT_DAYS_MAX days.
 */
export function resolveStatementPeriod(
  nowMs: number,
  requested: { from?: string | undefined; to?: string | undefined },
): StatementPeriod {
  const endDate = requested.to ?? toDateString(nowMs);
  const startDate = requested.from ?? addDays(endDate, -(STATEMENT_DAYS_DEFAULT - 1));
  const period = { startDate, endDate };
  // YYYY-MM-DD strings sort in date order.
  if (startDate > endDate) {
    throw new ValidationError('The query string failed validation.', [
      { path: 'from', message: 'Must not be after to (today when to is not given).' },
    ]);
  }
  if (daysBetween(period) + 1 > STATEMENT_DAYS_MAX) {
    throw new ValidationError('The query string failed validation.', [
      { path: 'from', message: `The period may span at most ${STATEMENT_DAYS_MAX} days.` },
    ]);
  }
  return period;
}

/** The accounts the statement covers: the one named (NotFoundError if not theirs), or all. */
async function statementAccounts(
  deps: ServiceDeps,
  holderId: string,
  accountId: string | undefined,
): Promise<AccountRow[]> {
  if (accountId !== undefined) return [await getOwnedAccount(deps, holderId, accountId)];
  // Every account is covered, so the number of accounts bounds the statement's size too.
  const rows = await deps.db
    .select()
    .from(accounts)
    .where(eq(accounts.holderId, holderId))
    .orderBy(asc(accounts.createdAt), asc(accounts.id))
    .limit(ACCOUNTS_PER_HOLDER_MAX + 1);
  // The account limit is checked before an insert, not in it, so concurrent openings could
  // pass it; such a holder is asked for one account at a time rather than given a partial list.
  if (rows.length > ACCOUNTS_PER_HOLDER_MAX) {
    throw statementTooLarge(`More than ${ACCOUNTS_PER_HOLDER_MAX} accounts; name one account_id.`);
  }
  return rows;
}

function statementTooLarge(detail: string): BusinessRuleError {
  return new BusinessRuleError('statement-too-large', 'Statement too large', detail);
}

function signedAmountOf(row: TransactionRow): number {
  return row.direction === 'credit' ? row.amountMinor : -row.amountMinor;
}

/**
 * Builds the three queries of a statement; D1 runs them in one batch, so in one snapshot. They
 * name the covered accounts, so an account opened meanwhile cannot add rows to the batch. At
 * most ACCOUNTS_PER_HOLDER_MAX ids are bound, well under D1's 100 parameters per statement.
 */
function statementQueries(
  deps: ServiceDeps,
  scope: { holderId: string; accountIds: string[] },
  period: StatementPeriod,
) {
  assert(scope.accountIds.length > 0, 'a statement query covers at least one account');
  assert(scope.accountIds.length <= ACCOUNTS_PER_HOLDER_MAX, 'the account id list is bounded');
  const inScope = and(
    eq(transactions.holderId, scope.holderId),
    inArray(transactions.accountId, scope.accountIds),
  );
  const periodStartIso = startOfDayIso(period.startDate);
  const inPeriod = and(
    gte(transactions.createdAt, periodStartIso),
    lte(transactions.createdAt, endOfDayIso(period.endDate)),
  );
  const isCredit = sql`${transactions.direction} = ${'credit'}`;
  const amount = transactions.amountMinor;

  const opening = deps.db
    .select({
      accountId: transactions.accountId,
      openingMinor: sql<number>`SUM(CASE WHEN ${isCredit} THEN ${amount} ELSE -${amount} END)`,
    })
    .from(transactions)
    .where(and(inScope, lt(transactions.createdAt, periodStartIso)))
    .groupBy(transactions.accountId);
  const totals = deps.db
    .select({
      accountId: transactions.accountId,
      creditsMinor: sql<number>`SUM(CASE WHEN ${isCredit} THEN ${amount} ELSE 0 END)`,
      debitsMinor: sql<number>`SUM(CASE WHEN ${isCredit} THEN 0 ELSE ${amount} END)`,
      transactionCount: count(),
    })
    .from(transactions)
    .where(and(inScope, inPeriod))
    .groupBy(transactions.accountId);
  // Enough rows for every account at its cap and one more, so an overflow is always seen.
  const rows = deps.db
    .select()
    .from(transactions)
    .where(and(inScope, inPeriod))
    .orderBy(asc(transactions.createdAt), asc(transactions.id))
    .limit(scope.accountIds.length * STATEMENT_TRANSACTIONS_MAX + 1);
  return [opening, totals, rows] as const;
}

/**
 * The caller's statement for a period, for one account (NotFoundError if it is not theirs) or
 * all of them. Throws ValidationError for a bad period and BusinessRuleError when an account
 * has more than STATEMENT_TRANSACTIONS_MAX transactions in it: a truncated statement would
 * misstate the totals' evidence, so the caller is asked for a shorter period instead.
 */
export async function buildStatement(
  deps: ServiceDeps,
  holderId: string,
  requested: { from?: string | undefined; to?: string | undefined; accountId?: string | undefined },
): Promise<Statement> {
  const period = resolveStatementPeriod(deps.nowMs, requested);
  const covered = await statementAccounts(deps, holderId, requested.accountId);
  if (covered.length === 0) return { period, accounts: [], totalTransactions: 0 };

  const scope = { holderId, accountIds: covered.map((account) => account.id) };
  const [openingRows, totalRows, periodRows] = await deps.db.batch(
    statementQueries(deps, scope, period),
  );
  const openingByAccount = new Map(openingRows.map((row) => [row.accountId, row.openingMinor]));
  const totalsByAccount = new Map(totalRows.map((row) => [row.accountId, row]));
  if (totalRows.some((row) => row.transactionCount > STATEMENT_TRANSACTIONS_MAX)) {
    throw statementTooLarge(
      `An account has more than ${STATEMENT_TRANSACTIONS_MAX} transactions in this period; ` +
        'ask for a shorter period.',
    );
  }
  const countedTotal = totalRows.reduce((sum, row) => sum + row.transactionCount, 0);
  assert(periodRows.length === countedTotal, 'the period rows match the counted transactions');

  const statements = covered.map((account) =>
    accountStatement({
      account,
      openingMinor: openingByAccount.get(account.id) ?? 0,
      creditsMinor: totalsByAccount.get(account.id)?.creditsMinor ?? 0,
      debitsMinor: totalsByAccount.get(account.id)?.debitsMinor ?? 0,
      rows: periodRows.filter((row) => row.accountId === account.id),
    }),
  );
  const totalTransactions = statements.reduce((sum, item) => sum + item.transactions.length, 0);
  assert(totalTransactions === periodRows.length, 'every period row belongs to a covered account');
  return { period, accounts: statements, totalTransactions };
}

/** One account's figures, cross-checked: the SQL sums must agree with the rows themselves. */
function accountStatement(input: {
  account: AccountRow;
  openingMinor: number;
  creditsMinor: number;
  debitsMinor: number;
  rows: TransactionRow[];
}): AccountStatement {
  const openingBalanceMinor = toMinor(input.openingMinor);
  const totalCreditsMinor = toMinor(input.creditsMinor);
  const totalDebitsMinor = toMinor(input.debitsMinor);
  const closingBalanceMinor = toMinor(openingBalanceMinor + totalCreditsMinor - totalDebitsMinor);

  const rowsNetMinor = input.rows.reduce((sum, row) => sum + signedAmountOf(row), 0);
  const rowsCreditsMinor = input.rows
    .filter((row) => row.direction === 'credit')
    .reduce((sum, row) => sum + row.amountMinor, 0);
  assert(rowsCreditsMinor === totalCreditsMinor, 'summed credits equal the credit rows');
  assert(
    rowsCreditsMinor - rowsNetMinor === totalDebitsMinor,
    'summed debits equal the debit rows',
  );
  assert(
    openingBalanceMinor + rowsNetMinor === closingBalanceMinor,
    'closing balance equals opening plus the period rows',
  );
  return {
    account: input.account,
    openingBalanceMinor,
    totalCreditsMinor,
    totalDebitsMinor,
    closingBalanceMinor,
    transactions: input.rows,
  };
}

export interface AccountStatementView {
  account_id: string;
  account_number: string;
  account_type: AccountRow['accountType'];
  opening_balance: string;
  closing_balance: string;
  total_credits: string;
  total_debits: string;
  transactions: TransactionView[];
}

export interface StatementView {
  period_start: string;
  period_end: string;
  currency: string;
  accounts: AccountStatementView[];
  total_transactions: number;
}

export function toStatementView(statement: Statement): StatementView {
  return {
    period_start: statement.period.startDate,
    period_end: statement.period.endDate,
    currency: CURRENCY,
    accounts: statement.accounts.map((item) => ({
      account_id: item.account.id,
      account_number: item.account.accountNumber,
      account_type: item.account.accountType,
      opening_balance: formatMinor(item.openingBalanceMinor),
      closing_balance: formatMinor(item.closingBalanceMinor),
      total_credits: formatMinor(item.totalCreditsMinor),
      total_debits: formatMinor(item.totalDebitsMinor),
      transactions: item.transactions.map(toTransactionView),
    })),
    total_transactions: statement.totalTransactions,
  };
}
