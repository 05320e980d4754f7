import { DurableObject } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { getDb, type Db } from '../db/client';
import { buildMovementBatch, type Movement } from '../db/movements';
import { accounts, transactions } from '../db/schema';
import type { Env } from '../env';
import { assert } from '../lib/assert';

/**
 * Serializes every debit of one account (one object per account id). A Durable Object lets
 * other requests in at every await on outside I/O, so the object keeps its own queue: each
 * debit reads the account, checks it and commits its D1 batch before the next one starts.
 * The SQL guards in the batch would refuse an overdraft anyway; the queue makes the refusal a
 * clean answer instead of a failed batch, and keeps the read-check-write honest.
 */

export type DebitRefusal =
  | 'account_not_found'
  | 'account_closed'
  | 'account_frozen'
  | 'insufficient_funds'
  | 'destination_unavailable'
  | 'ledger_busy';

export type DebitResult = { ok: true; transactionId: string } | { ok: false; code: DebitRefusal };

/** Operations waiting beyond this many are refused at once rather than queued without bound. */
const QUEUE_DEPTH_MAX = 200;

export class AccountLedger extends DurableObject<Env> {
  #tail: Promise<unknown> = Promise.resolve();
  #depth = 0;

  /** Applies a movement whose first leg debits this object's account. */
  async debit(movement: Movement): Promise<DebitResult> {
    if (this.#depth >= QUEUE_DEPTH_MAX) return { ok: false, code: 'ledger_busy' };
    this.#depth += 1;
    const run = this.#tail.then(() => applyDebit(getDb(this.env.DB), movement));
    this.#tail = run.catch(() => undefined);
    try {
      return await run;
    } finally {
      this.#depth -= 1;
    }
  }
}

/** Checks the debit against the account as it is now, then commits the batch. */
export async function applyDebit(db: Db, movement: Movement): Promise<DebitResult> {
  const debitLeg = movement.legs[0];
  assert(debitLeg?.direction === 'debit', 'the first leg of a debit movement is the debit');

  // A retry of an operation that already committed (same ids) must not move money again.
  const existing = await db
    .select({ id: transactions.id })
    .from(transactions)
    .where(eq(transactions.id, debitLeg.transactionId))
    .get();
  if (existing) return { ok: true, transactionId: existing.id };

  const refusal = await checkDebit(db, movement);
  if (refusal) return { ok: false, code: refusal };

  try {
    await db.batch(buildMovementBatch(db, movement));
  } catch (error) {
    // A guard in the batch fired: something changed that the check above could not see,
    // such as the destination closing. Nothing was written; say what is true now.
    const refusalNow = await checkDebit(db, movement);
    if (refusalNow) return { ok: false, code: refusalNow };
    throw error;
  }
  return { ok: true, transactionId: debitLeg.transactionId };
}

async function checkDebit(db: Db, movement: Movement): Promise<DebitRefusal | null> {
  const [debitLeg, creditLeg] = movement.legs;
  assert(debitLeg, 'a debit movement has a debit leg');
  const account = await db.select().from(accounts).where(eq(accounts.id, debitLeg.accountId)).get();
  if (!account || account.holderId !== debitLeg.holderId) return 'account_not_found';
  if (account.status === 'closed') return 'account_closed';
  if (account.status === 'frozen') return 'account_frozen';
  if (account.balanceMinor < movement.amountMinor) return 'insufficient_funds';
  if (creditLeg) {
    const destination = await db
      .select({ status: accounts.status })
      .from(accounts)
      .where(eq(accounts.id, creditLeg.accountId))
      .get();
    if (!destination || destination.status === 'closed') return 'destination_unavailable';
  }
  return null;
}
