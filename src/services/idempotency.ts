import { and, eq, lte, or } from 'drizzle-orm';
import { idempotencyKeys, transactions } from '../db/schema';
import { BusinessRuleError, ConflictError } from '../errors';
import { bytesToHex, utf8 } from '../lib/encoding';
import { IDEMPOTENCY_LEASE_SECONDS, IDEMPOTENCY_TTL_SECONDS } from '../lib/limits';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';
import { toTransactionView } from './views';

/**
 * Idempotency-Key handling for money-moving POSTs, scoped per account holder. A key is first
 * claimed as in flight; the batch that moves the money marks it completed in the same D1
 * transaction, so a key is never completed without its movement or the reverse. The stored
 * answer, success or business refusal, is replayed for a retry with the same body.
 */

export interface IdempotencyScope {
  holderId: string;
  key: string;
}

export type Claim =
  { kind: 'claimed' } | { kind: 'replay'; status: number; body: unknown; contentType: string };

/** A stable fingerprint of the operation and its validated, normalized input. */
export async function requestFingerprint(
  operation: string,
  input: Record<string, unknown>,
): Promise<string> {
  const canonical = JSON.stringify([
    operation,
    Object.entries(input).sort(([a], [b]) => a.localeCompare(b)),
  ]);
  const digest = await crypto.subtle.digest('SHA-256', utf8.encode(canonical));
  return bytesToHex(new Uint8Array(digest));
}

export async function claimIdempotencyKey(
  deps: ServiceDeps,
  scope: IdempotencyScope,
  requestHash: string,
): Promise<Claim> {
  const now = toIso(deps.nowMs);
  const fresh = {
    requestHash,
    state: 'in_flight' as const,
    transactionId: null,
    responseStatus: null,
    responseBody: null,
    leaseExpiresAt: toIso(deps.nowMs + IDEMPOTENCY_LEASE_SECONDS * 1000),
    expiresAt: toIso(deps.nowMs + IDEMPOTENCY_TTL_SECONDS * 1000),
    updatedAt: now,
  };
  const inserted = await deps.db
    .insert(idempotencyKeys)
    .values({ holderId: scope.holderId, idempotencyKey: scope.key, createdAt: now, ...fresh })
    .onConflictDoNothing()
    .returning({ key: idempotencyKeys.idempotencyKey });
  if (inserted.length > 0) return { kind: 'claimed' };

  const whereKey = and(
    eq(idempotencyKeys.holderId, scope.holderId),
    eq(idempotencyKeys.idempotencyKey, scope.key),
  );
  // A record past its retention, or an in-flight claim whose request died, can be taken over.
  const takenOver = await deps.db
    .update(idempotencyKeys)
    .set({ ...fresh, createdAt: now })
    .where(
      and(
        whereKey,
        or(
          lte(idempotencyKeys.expiresAt, now),
          and(eq(idempotencyKeys.state, 'in_flight'), lte(idempotencyKeys.leaseExpiresAt, now)),
        ),
      ),
    )
    .returning({ key: idempotencyKeys.idempotencyKey });
  if (takenOver.length > 0) return { kind: 'claimed' };

  const record = await deps.db.select().from(idempotencyKeys).where(whereKey).get();
  if (!record) return claimIdempotencyKey(deps, scope, requestHash);
  if (record.requestHash !== requestHash) {
    throw new BusinessRuleError(
      'idempotency-key-reused',
      'Idempotency key reused',
      'This Idempotency-Key was already used with a different request.',
    );
  }
  if (record.state === 'in_flight') {
    throw new ConflictError(
      'idempotency-key-in-flight',
      'A request with this Idempotency-Key is still being processed.',
    );
  }
  return replayOf(deps, record);
}

async function replayOf(
  deps: ServiceDeps,
  record: typeof idempotencyKeys.$inferSelect,
): Promise<Claim> {
  const status = record.responseStatus ?? 201;
  if (record.responseBody !== null) {
    const contentType =
      status >= 400 ? 'application/problem+json; charset=utf-8' : 'application/json';
    return { kind: 'replay', status, body: JSON.parse(record.responseBody), contentType };
  }
  // The movement committed but its answer was not stored yet: rebuild it from the row.
  const row = record.transactionId
    ? await deps.db
        .select()
        .from(transactions)
        .where(eq(transactions.id, record.transactionId))
        .get()
    : undefined;
  if (!row) {
    throw new ConflictError(
      'idempotency-key-in-flight',
      'The first request with this key is still settling.',
    );
  }
  return { kind: 'replay', status, body: toTransactionView(row), contentType: 'application/json' };
}

/** Stores the answer to replay. Called after the movement, or after a business refusal. */
export async function completeIdempotencyKey(
  deps: ServiceDeps,
  scope: IdempotencyScope,
  response: { status: number; body: unknown },
): Promise<void> {
  await deps.db
    .update(idempotencyKeys)
    .set({
      state: 'completed',
      responseStatus: response.status,
      responseBody: JSON.stringify(response.body),
      updatedAt: toIso(deps.nowMs),
    })
    .where(
      and(
        eq(idempotencyKeys.holderId, scope.holderId),
        eq(idempotencyKeys.idempotencyKey, scope.key),
      ),
    );
}

/** Frees a claim whose request failed unexpectedly, so that a retry can run. */
export async function releaseIdempotencyKey(
  deps: ServiceDeps,
  scope: IdempotencyScope,
): Promise<void> {
  await deps.db
    .delete(idempotencyKeys)
    .where(
      and(
        eq(idempotencyKeys.holderId, scope.holderId),
        eq(idempotencyKeys.idempotencyKey, scope.key),
        eq(idempotencyKeys.state, 'in_flight'),
      ),
    );
}
