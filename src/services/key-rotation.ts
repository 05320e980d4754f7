import { and, eq, isNull, ne, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn } from 'drizzle-orm/sqlite-core';
import { DataKeyUnwrapError, rewrapDataKey } from '../crypto/envelope';
import { currentBlindIndex, decryptField } from '../crypto/fields';
import { accountHolders, cards, holderDataKeys } from '../db/schema';
import { assert } from '../lib/assert';
import { KEY_REWRAP_BATCH_SIZE_MAX } from '../lib/limits';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import { SSN_INDEX_PURPOSE } from './auth';
import { CARD_NUMBER_INDEX_PURPOSE } from './cards';
import { loadDataKey } from './data-keys';
import type { ServiceDeps } from './deps';
import { resealLegacyValues, SEALED_COLUMNS } from './sealed-fields';

/**
 * The rewrap job: moves every stored key reference onto the current keys, a bounded slice per
 * pass. It keeps no cursor or state of its own: each pass selects what is still on an old key,
 * so a pass can stop anywhere (a deploy, a timeout, an error) and the next one resumes, and
 * running a pass twice does nothing the first did not. Three kinds of work, each at most
 * `batchSize` items a pass:
 *
 * 1. data keys wrapped by a KEK other than the current one are rewrapped (the data key and the
 *    fields it sealed are unchanged, so this is one small row per holder);
 * 2. holders with values sealed directly under a ring key (format v1, from before envelope
 *    encryption) get them re-sealed under their data key;
 * 3. SSN and card-number blind indexes not made by the current blind index key are recomputed.
 */

export interface RewrapPassResult {
  data_keys_rewrapped: number;
  legacy_values_resealed: number;
  blind_indexes_recomputed: number;
  /** Items that could not be moved, e.g. a data key whose KEK is missing from the ring. */
  failed: number;
}

export async function runRewrapPass(
  deps: ServiceDeps,
  input: { batchSize: number },
): Promise<RewrapPassResult> {
  assert(input.batchSize >= 1 && input.batchSize <= KEY_REWRAP_BATCH_SIZE_MAX, 'batch size');
  const rewrapped = await rewrapDataKeys(deps, input.batchSize);
  const resealed = await resealLegacyHolders(deps, input.batchSize);
  const indexes = await recomputeBlindIndexes(deps, input.batchSize);
  const result = {
    data_keys_rewrapped: rewrapped.done,
    legacy_values_resealed: resealed.done,
    blind_indexes_recomputed: indexes.done,
    failed: rewrapped.failed + resealed.failed + indexes.failed,
  };
  log('info', 'key_rewrap_pass_finished', {
    requestId: deps.requestId,
    count: result.data_keys_rewrapped + result.legacy_values_resealed + indexes.done,
  });
  return result;
}

interface Progress {
  done: number;
  failed: number;
}

async function rewrapDataKeys(deps: ServiceDeps, batchSize: number): Promise<Progress> {
  const ring = deps.config.fieldEncryption;
  const rows = await deps.db
    .select()
    .from(holderDataKeys)
    .where(ne(holderDataKeys.kekId, ring.currentKeyId))
    .limit(batchSize);
  const now = toIso(deps.nowMs);
  const statements = [];
  let failed = 0;
  for (const row of rows) {
    try {
      const wrapped = await rewrapDataKey(ring, row);
      // Conditional on the row being as read: a replacement or erasure in between wins.
      statements.push(
        deps.db
          .update(holderDataKeys)
          .set({ ...wrapped, updatedAt: now })
          .where(
            and(
              eq(holderDataKeys.holderId, row.holderId),
              eq(holderDataKeys.kekId, row.kekId),
              eq(holderDataKeys.version, row.version),
            ),
          ),
      );
    } catch (error) {
      if (!(error instanceof DataKeyUnwrapError)) throw error;
      failed += 1;
      log('error', 'data_key_rewrap_failed', { requestId: deps.requestId, reason: row.kekId });
    }
  }
  if (statements.length === 0) return { done: 0, failed };
  const results = await deps.db.batch(statements as [(typeof statements)[0]]);
  return { done: results.reduce((sum, r) => sum + (r.meta.changes ?? 0), 0), failed };
}

/** A condition: the value of `column` is sealed directly under a ring key (format v1). */
function isLegacySealed(column: SQLiteColumn): SQL {
  return sql`substr(${column}, 1, 3) = 'v1.'`;
}

async function resealLegacyHolders(deps: ServiceDeps, batchSize: number): Promise<Progress> {
  const holderIds = new Set<string>();
  for (const column of SEALED_COLUMNS) {
    if (holderIds.size >= batchSize) break;
    const rows = await deps.db
      .selectDistinct({ holderId: column.holderId })
      .from(column.table)
      .where(isLegacySealed(column.value))
      .limit(batchSize - holderIds.size);
    for (const row of rows) holderIds.add(String(row.holderId));
  }
  let done = 0;
  let failed = 0;
  for (const holderId of holderIds) {
    try {
      done += await resealLegacyValues(deps, holderId);
    } catch (error) {
      // One holder's failure (a KEK missing from the ring, a tampered value) must not stop the
      // others; status keeps showing the value as legacy, and the log names the holder.
      failed += 1;
      log('error', 'legacy_reseal_failed', {
        requestId: deps.requestId,
        holderId,
        errorType: error instanceof Error ? error.name : 'unknown',
      });
    }
  }
  return { done, failed };
}

/** Whether a stored blind index was made by the ring's current key. */
function isOnKey(column: SQLiteColumn, keyId: string): SQL {
  const prefix = `${keyId}:`;
  return sql`substr(${column}, 1, ${prefix.length}) = ${prefix}`;
}

async function recomputeBlindIndexes(deps: ServiceDeps, batchSize: number): Promise<Progress> {
  const ring = deps.config.blindIndex;
  const onCurrent = (column: SQLiteColumn) => isOnKey(column, ring.currentKeyId);
  const holders = await deps.db
    .select({
      id: accountHolders.id,
      stored: accountHolders.ssnCiphertext,
      index: accountHolders.ssnIndex,
    })
    .from(accountHolders)
    .where(and(isNull(accountHolders.erasedAt), sql`NOT ${onCurrent(accountHolders.ssnIndex)}`))
    .limit(batchSize);
  const cardRows = await deps.db
    .select({ id: cards.id, holderId: cards.holderId, stored: cards.numberCiphertext })
    .from(cards)
    .where(
      and(
        sql`NOT ${onCurrent(cards.numberIndex)}`,
        sql`substr(${cards.numberIndex}, 1, 7) <> 'erased:'`,
      ),
    )
    .limit(batchSize);
  const items = [
    ...holders.map((row) => ({ ...row, holderId: row.id, kind: 'ssn' as const })),
    ...cardRows.map((row) => ({ ...row, index: null, kind: 'card' as const })),
  ];
  let done = 0;
  let failed = 0;
  for (const item of items) {
    try {
      done += await recomputeOne(deps, item);
    } catch (error) {
      failed += 1;
      log('error', 'blind_index_recompute_failed', {
        requestId: deps.requestId,
        holderId: item.holderId,
        errorType: error instanceof Error ? error.name : 'unknown',
      });
    }
  }
  return { done, failed };
}

async function recomputeOne(
  deps: ServiceDeps,
  item: { id: string; holderId: string; stored: string; kind: 'ssn' | 'card' },
): Promise<number> {
  const keys = {
    ring: deps.config.fieldEncryption,
    dataKey: await loadDataKey(deps, item.holderId),
  };
  const ring = deps.config.blindIndex;
  const onCurrent = (column: SQLiteColumn) => isOnKey(column, ring.currentKeyId);
  if (item.kind === 'ssn') {
    const context = { table: 'account_holders', column: 'ssn', rowId: item.id };
    const ssn = await decryptField(keys, context, item.stored);
    const index = await currentBlindIndex(ring, SSN_INDEX_PURPOSE, ssn);
    // Conditional on the ciphertext being the one read, and on the index not being current yet.
    const result = await deps.db
      .update(accountHolders)
      .set({ ssnIndex: index })
      .where(
        and(
          eq(accountHolders.id, item.id),
          eq(accountHolders.ssnCiphertext, item.stored),
          sql`NOT ${onCurrent(accountHolders.ssnIndex)}`,
        ),
      )
      .run();
    return result.meta.changes ?? 0;
  }
  const context = { table: 'cards', column: 'number', rowId: item.id };
  const number = await decryptField(keys, context, item.stored);
  const index = await currentBlindIndex(ring, CARD_NUMBER_INDEX_PURPOSE, number);
  const result = await deps.db
    .update(cards)
    .set({ numberIndex: index })
    .where(
      and(
        eq(cards.id, item.id),
        eq(cards.numberCiphertext, item.stored),
        sql`NOT ${onCurrent(cards.numberIndex)}`,
      ),
    )
    .run();
  return result.meta.changes ?? 0;
}
