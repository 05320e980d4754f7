import { and, eq, ne, sql, type SQL } from 'drizzle-orm';
import type { BatchItem } from 'drizzle-orm/batch';
import { assert } from '../lib/assert';
import { CURRENCY } from '../lib/money';
import { newId } from '../lib/ids';
import { toIso } from '../lib/time';
import type { Db } from './client';
import {
  accounts,
  idempotencyKeys,
  ledgerEntries,
  transactions,
  type TransactionRow,
} from './schema';

/**
 * Builds the one D1 batch that records a money movement. D1 runs a batch as one transaction,
 * and every rule that must hold at commit time is in the SQL itself:
 * - a debit's UPDATE only matches an active account of its owner;
 * - `balance_minor >= 0` is a CHECK constraint, so an overdraft fails the batch;
 * - each leg's `balance_after_minor` is read back inside the batch under the same guard, and
 *   the column is NOT NULL, so a leg whose UPDATE matched nothing aborts the whole batch
 *   (a zero-row UPDATE alone is not an error and would not).
 * Double entry: the entries of one movement sum to zero.
 */

export type Ledger = 'customer' | 'cash' | 'outgoing_clearing';

export interface AccountLeg {
  transactionId: string;
  accountId: string;
  holderId: string;
  direction: 'credit' | 'debit';
  status: TransactionRow['status'];
  peerRoutingNumber: string | null;
  peerAccountNumber: string | null;
}

export interface Movement {
  movementId: string;
  type: TransactionRow['type'];
  amountMinor: number;
  description: string | null;
  nowMs: number;
  /** One or two customer legs (two for an internal transfer). */
  legs: AccountLeg[];
  /** The bank ledger on the other side when there is one customer leg. */
  counterLedger: Exclude<Ledger, 'customer'> | null;
  idempotency: { holderId: string; key: string } | null;
}

/** Which accounts a leg may touch: debits need an active account, credits any open one. */
function legGuard(leg: AccountLeg): SQL | undefined {
  return leg.direction === 'debit'
    ? and(
        eq(accounts.id, leg.accountId),
        eq(accounts.holderId, leg.holderId),
        eq(accounts.status, 'active'),
      )
    : and(
        eq(accounts.id, leg.accountId),
        eq(accounts.holderId, leg.holderId),
        ne(accounts.status, 'closed'),
      );
}

export function buildMovementBatch(
  db: Db,
  movement: Movement,
): [BatchItem<'sqlite'>, ...BatchItem<'sqlite'>[]] {
  assert(
    Number.isSafeInteger(movement.amountMinor) && movement.amountMinor > 0,
    'amount is positive cents',
  );
  assert(
    movement.legs.length === 1 || movement.legs.length === 2,
    'a movement has one or two legs',
  );
  assert(
    (movement.legs.length === 1) === (movement.counterLedger !== null),
    'one leg needs a counter ledger',
  );
  const now = toIso(movement.nowMs);
  const statements: BatchItem<'sqlite'>[] = [];
  const entryAmounts: number[] = [];

  for (const leg of movement.legs) {
    const signedMinor = leg.direction === 'credit' ? movement.amountMinor : -movement.amountMinor;
    statements.push(
      db
        .update(accounts)
        .set({ balanceMinor: sql`${accounts.balanceMinor} + ${signedMinor}`, updatedAt: now })
        .where(legGuard(leg)),
    );
  }
  for (const leg of movement.legs) {
    const balanceAfter = db
      .select({ balance: accounts.balanceMinor })
      .from(accounts)
      .where(legGuard(leg));
    statements.push(
      db
        .insert(transactions)
        .values({
          id: leg.transactionId,
          accountId: leg.accountId,
          holderId: leg.holderId,
          type: movement.type,
          direction: leg.direction,
          amountMinor: movement.amountMinor,
          currency: CURRENCY,
          balanceAfterMinor: sql`(${balanceAfter})`,
          status: leg.status,
          transferId: movement.type === 'transfer' ? movement.movementId : null,
          peerRoutingNumber: leg.peerRoutingNumber,
          peerAccountNumber: leg.peerAccountNumber,
          description: movement.description,
          createdAt: now,
          updatedAt: now,
        })
        .returning(),
    );
  }

  const entries = movement.legs.map((leg) => {
    const amountMinor = leg.direction === 'credit' ? movement.amountMinor : -movement.amountMinor;
    entryAmounts.push(amountMinor);
    return entry(movement, {
      transactionId: leg.transactionId,
      ledger: 'customer',
      accountId: leg.accountId,
      amountMinor,
      now,
    });
  });
  const [firstLeg] = movement.legs;
  if (movement.counterLedger && firstLeg) {
    const amountMinor = -(entryAmounts[0] ?? 0);
    entryAmounts.push(amountMinor);
    entries.push(
      entry(movement, {
        transactionId: firstLeg.transactionId,
        ledger: movement.counterLedger,
        accountId: null,
        amountMinor,
        now,
      }),
    );
  }
  assert(
    entryAmounts.reduce((sum, amount) => sum + amount, 0) === 0,
    'entries of a movement sum to zero',
  );
  statements.push(db.insert(ledgerEntries).values(entries));

  if (movement.idempotency) {
    statements.push(
      db
        .update(idempotencyKeys)
        .set({
          state: 'completed',
          transactionId: firstLeg?.transactionId ?? null,
          responseStatus: 201,
          updatedAt: now,
        })
        .where(
          and(
            eq(idempotencyKeys.holderId, movement.idempotency.holderId),
            eq(idempotencyKeys.idempotencyKey, movement.idempotency.key),
            eq(idempotencyKeys.state, 'in_flight'),
          ),
        ),
    );
  }
  const [first, ...rest] = statements;
  assert(first, 'a movement batch has statements');
  return [first, ...rest];
}

function entry(
  movement: Movement,
  input: {
    transactionId: string;
    ledger: Ledger;
    accountId: string | null;
    amountMinor: number;
    now: string;
  },
) {
  return {
    id: newId(movement.nowMs),
    movementId: movement.movementId,
    transactionId: input.transactionId,
    ledger: input.ledger,
    accountId: input.accountId,
    amountMinor: input.amountMinor,
    createdAt: input.now,
    updatedAt: input.now,
  };
}

/**
 * The first leg's transaction row, as the batch wrote it (its INSERT ... RETURNING follows
 * one UPDATE per leg), so the caller needs no second read.
 */
export function firstLegRow(movement: Movement, results: readonly unknown[]): TransactionRow {
  const rows = results[movement.legs.length] as TransactionRow[] | undefined;
  const row = rows?.[0];
  assert(row !== undefined, 'the batch returns the first leg');
  assert(row.id === movement.legs[0]?.transactionId, 'the returned row is the first leg');
  return row;
}
