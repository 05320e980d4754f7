import { DurableObject } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { getDb, type Db } from '../db/client';
import { buildMovementBatch, firstLegRow, type Movement } from '../db/movements';
import { accounts, transactions, type TransactionRow } from '../db/schema';
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

export type DebitResult =
  { ok: true; transaction: TransactionRow } | { ok: false; code: DebitRefusal };

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

  /**
   * A trivial round trip for the benchmark baseline (bench/run.mjs): answers the number of
   * operations queued right now, touching neither D1 nor storage.
   */
  async ping(): Promise<number> {
    return this.#depth;
  }
}

/** Attempts at a batch that failed while nothing explains why (the state moved meanwhile). */
const BATCH_ATTEMPTS_MAX = 3;

/**
 * Commits the movement's batch, whose SQL guards enforce owner, status and funds. Only when the
 * batch is refused does it read, to explain why: this keeps the queued section to one D1 round
 * trip. A movement that was already applied (a retry with the same ids) fails on the primary
 * key and is answered with its stored row, so money never moves twice.
 */
export async function applyDebit(db: Db, movement: Movement): Promise<DebitResult> {
  const debitLeg = movement.legs[0];
  assert(debitLeg?.direction === 'debit', 'the first leg of a debit movement is the debit');
  let lastError: unknown;
  for (let attempt = 0; attempt < BATCH_ATTEMPTS_MAX; attempt++) {
    try {
      const results = await db.batch(buildMovementBatch(db, movement));
      return { ok: true, transaction: firstLegRow(movement, results) };
    } catch (error) {
      // Nothing was written: D1 rolled the whole batch back.
      lastError = error;
    }
    const existing = await db
      .select()
      .from(transactions)
      .where(eq(transactions.id, debitLeg.transactionId))
      .get();
    if (existing) return { ok: true, transaction: existing };
    const refusal = await checkDebit(db, movement);
    if (refusal) return { ok: false, code: refusal };
    // No rule explains the refusal any more: a credit landed between the batch and the check
    // (credits are not queued here). The state moved, so the batch is worth another try.
  }
  throw lastError;
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
