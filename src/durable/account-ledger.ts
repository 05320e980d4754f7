import { DurableObject } from 'cloudflare:workers';
import { eq } from 'drizzle-orm';
import { getDb, type Db } from '../db/client';
import { buildMovementBatch, firstLegRow, type Movement } from '../db/movements';
import { accounts, transactions, type AccountRow, type TransactionRow } from '../db/schema';
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
/** Movements committed together in one D1 batch at most (about six statements each). */
const GROUP_SIZE_MAX = 10;

interface QueuedDebit {
  movement: Movement;
  resolve: (result: DebitResult) => void;
  reject: (error: unknown) => void;
}

export class AccountLedger extends DurableObject<Env> {
  #queue: QueuedDebit[] = [];
  #isDraining = false;

  /**
   * Applies a movement whose first leg debits this object's account. Debits are taken one
   * group at a time, in arrival order; nothing else writes this account's debits meanwhile.
   */
  debit(movement: Movement): Promise<DebitResult> {
    if (this.#queue.length >= QUEUE_DEPTH_MAX) {
      return Promise.resolve({ ok: false, code: 'ledger_busy' });
    }
    return new Promise((resolve, reject) => {
      this.#queue.push({ movement, resolve, reject });
      if (!this.#isDraining) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#isDraining = true;
    try {
      while (this.#queue.length > 0) {
        const group = this.#queue.splice(0, GROUP_SIZE_MAX);
        const db = getDb(this.env.DB);
        const grouped =
          group.length > 1
            ? await applyGroup(
                db,
                group.map((item) => item.movement),
              )
            : null;
        for (const [index, item] of group.entries()) {
          const committed = grouped?.[index];
          if (committed) {
            item.resolve({ ok: true, transaction: committed });
            continue;
          }
          await applyDebit(db, item.movement).then(item.resolve, item.reject);
        }
      }
    } finally {
      this.#isDraining = false;
    }
  }

  /**
   * A trivial round trip for the benchmark baseline (bench/run.mjs): answers the number of
   * operations queued right now, touching neither D1 nor storage.
   */
  async ping(): Promise<number> {
    return this.#queue.length;
  }
}

/**
 * Group commit: the batches of several queued movements run as one D1 batch, in queue order,
 * so each movement's guards see the balance the ones before it left. D1 commits or refuses the
 * whole batch; on refusal nothing was written and the caller applies each movement on its own
 * (applyDebit), which finds and explains the one that failed. On a hot account this turns many
 * commits into one.
 */
export async function applyGroup(db: Db, movements: Movement[]): Promise<TransactionRow[] | null> {
  const batches = movements.map((movement) => buildMovementBatch(db, movement));
  const [first, ...rest] = batches.flat();
  assert(first, 'a group has statements');
  let results: readonly unknown[];
  try {
    results = await db.batch([first, ...rest]);
  } catch {
    // Some movement's guard refused the group; applyDebit takes them one by one.
    return null;
  }
  let offset = 0;
  return movements.map((movement, index) => {
    const length = batches[index]?.length ?? 0;
    const row = firstLegRow(movement, results.slice(offset, offset + length));
    offset += length;
    return row;
  });
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
  const refusal = sourceRefusal(account, movement.amountMinor);
  if (refusal) return refusal;
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

/**
 * The refusals that depend on the debited account alone, in the order they are answered; the
 * destination is looked at only after them. Transfers answer these first even when the
 * destination is missing, so that a transfer which could not have moved money does not tell
 * whether someone else's account number is real.
 */
export function sourceRefusal(
  account: Pick<AccountRow, 'status' | 'balanceMinor'>,
  amountMinor: number,
): DebitRefusal | null {
  if (account.status === 'closed') return 'account_closed';
  if (account.status === 'frozen') return 'account_frozen';
  if (account.balanceMinor < amountMinor) return 'insufficient_funds';
  return null;
}
