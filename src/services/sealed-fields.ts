import { and, eq, isNotNull, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import { generateDataKey, wrapDataKey } from '../crypto/envelope';
import {
  decryptField,
  encryptField,
  fieldFormat,
  type FieldContext,
  type HolderDataKey,
} from '../crypto/fields';
import { constraintFailure } from '../db/client';
import { accountHolders, batchGuards, cards, holderDataKeys, mfaFactors } from '../db/schema';
import { UnavailableError } from '../errors';
import { assert } from '../lib/assert';
import { SEALED_ROWS_PER_HOLDER_MAX } from '../lib/limits';
import { log } from '../lib/log';
import { toIso } from '../lib/time';
import { ensureDataKey, isDataKeyCurrent } from './data-keys';
import type { ServiceDeps } from './deps';

/**
 * Every column that holds a value sealed for a holder, and how to re-seal all of a holder's
 * values in one guarded D1 batch: used to move values written before envelope encryption onto
 * the holder's data key, and to replace a data key that may be compromised.
 */
export interface SealedColumn {
  table: SQLiteTable;
  /** The column name bound into the ciphertext (FieldContext.column), not the SQL name. */
  contextColumn: string;
  tableName: string;
  value: SQLiteColumn;
  rowId: SQLiteColumn;
  holderId: SQLiteColumn;
}

export const SEALED_COLUMNS: SealedColumn[] = [
  {
    table: accountHolders,
    tableName: 'account_holders',
    contextColumn: 'ssn',
    value: accountHolders.ssnCiphertext,
    rowId: accountHolders.id,
    holderId: accountHolders.id,
  },
  {
    table: cards,
    tableName: 'cards',
    contextColumn: 'number',
    value: cards.numberCiphertext,
    rowId: cards.id,
    holderId: cards.holderId,
  },
  {
    table: mfaFactors,
    tableName: 'mfa_factors',
    contextColumn: 'secret',
    value: mfaFactors.secretCiphertext,
    rowId: mfaFactors.holderId,
    holderId: mfaFactors.holderId,
  },
  {
    table: mfaFactors,
    tableName: 'mfa_factors',
    contextColumn: 'unconfirmed_secret',
    value: mfaFactors.unconfirmedSecretCiphertext,
    rowId: mfaFactors.holderId,
    holderId: mfaFactors.holderId,
  },
];

export interface SealedValue {
  column: SealedColumn;
  rowId: string;
  stored: string;
}

export function contextOf(value: { column: SealedColumn; rowId: string }): FieldContext {
  return {
    table: value.column.tableName,
    column: value.column.contextColumn,
    rowId: value.rowId,
  };
}

/**
 * Every sealed value of one holder. LIMITATION: cancelled cards are not capped, so a holder who
 * issued and cancelled more than SEALED_ROWS_PER_HOLDER_MAX cards fails this assertion (500),
 * and neither their legacy values nor their data key can then be re-sealed; it harms only that
 * holder, and paging the re-seal over several batches would remove it.
 */
export async function readSealedValues(
  deps: ServiceDeps,
  holderId: string,
): Promise<SealedValue[]> {
  const values: SealedValue[] = [];
  for (const column of SEALED_COLUMNS) {
    const rows = await deps.db
      .select({ rowId: column.rowId, stored: column.value })
      .from(column.table)
      .where(and(eq(column.holderId, holderId), isNotNull(column.value)))
      .limit(SEALED_ROWS_PER_HOLDER_MAX + 1);
    assert(rows.length <= SEALED_ROWS_PER_HOLDER_MAX, 'a holder has a bounded number of rows');
    for (const row of rows) {
      if (typeof row.stored === 'string') {
        values.push({ column, rowId: String(row.rowId), stored: row.stored });
      }
    }
  }
  return values;
}

/** A conditional update of one sealed value: it holds only if the value is still `from`. */
function resealStatement(deps: ServiceDeps, value: SealedValue, sealed: string, guard?: SQL) {
  return deps.db
    .update(value.column.table)
    .set({ [keyOf(value.column)]: sealed })
    .where(and(eq(value.column.rowId, value.rowId), eq(value.column.value, value.stored), guard));
}

/** The drizzle property name of a sealed column, for `.set()`. */
function keyOf(column: SealedColumn): string {
  const entry = Object.entries(column.table).find(([, candidate]) => candidate === column.value);
  assert(entry, 'a sealed column belongs to its table');
  return entry[0];
}

/**
 * Moves a holder's values sealed directly under a ring key (format v1) onto their data key
 * (made now if they have none). Each update is conditional on the value being unchanged and
 * on the data key being the one used, so a concurrent write or data-key replacement leaves
 * that value for the next pass. Returns how many values moved.
 */
export async function resealLegacyValues(deps: ServiceDeps, holderId: string): Promise<number> {
  const values = (await readSealedValues(deps, holderId)).filter(
    (value) => fieldFormat(value.stored).format === 'v1',
  );
  if (values.length === 0) return 0;
  const dataKey = await ensureDataKey(deps, holderId);
  const ring = deps.config.fieldEncryption;
  const statements = [];
  for (const value of values) {
    const plaintext = await decryptField({ ring, dataKey: null }, contextOf(value), value.stored);
    const sealed = await encryptField(dataKey, contextOf(value), plaintext);
    statements.push(resealStatement(deps, value, sealed, isDataKeyCurrent(dataKey)));
  }
  const results = await deps.db.batch(statements as [(typeof statements)[0]]);
  return results.reduce((sum, result) => sum + (result.meta.changes ?? 0), 0);
}

/**
 * Replaces a holder's data key with a fresh one and re-seals every value of theirs under it,
 * in one D1 batch: the new wrapped key (conditional on the old version), one conditional
 * update per value, and last a guard that aborts the whole batch if any value of the holder
 * is still sealed under the old version (written meanwhile, or changed since it was read).
 * Writers guard on the version too, so a race only ever costs a retry, never a value left
 * under a key that no longer exists. Returns the new version and how many values moved.
 */
export async function replaceDataKey(
  deps: ServiceDeps,
  holderId: string,
): Promise<{ version: number; resealed: number }> {
  for (let attempt = 0; attempt < DATA_KEY_REPLACE_ATTEMPTS_MAX; attempt++) {
    const outcome = await tryReplaceDataKey(deps, await ensureDataKey(deps, holderId));
    if (outcome) return outcome;
    log('info', 'data_key_replace_retried', { requestId: deps.requestId, holderId });
  }
  throw new UnavailableError('The data key kept changing; try again.', {
    reason: 'data_key_replace_contended',
    retryAfterSeconds: 1,
  });
}

const DATA_KEY_REPLACE_ATTEMPTS_MAX = 3;

async function tryReplaceDataKey(
  deps: ServiceDeps,
  current: HolderDataKey,
): Promise<{ version: number; resealed: number } | null> {
  const holderId = current.holderId;
  const version = current.version + 1;
  const key = await generateDataKey();
  const next: HolderDataKey = { holderId, version, key };
  const wrapped = await wrapDataKey(deps.config.fieldEncryption, { holderId, version }, key);
  const keys = { ring: deps.config.fieldEncryption, dataKey: current };
  const values = await readSealedValues(deps, holderId);
  const now = toIso(deps.nowMs);

  const statements = [];
  statements.push(
    deps.db
      .update(holderDataKeys)
      .set({ ...wrapped, version, updatedAt: now })
      .where(
        and(eq(holderDataKeys.holderId, holderId), eq(holderDataKeys.version, current.version)),
      )
      .returning({ version: holderDataKeys.version }),
  );
  for (const value of values) {
    const plaintext = await decryptField(keys, contextOf(value), value.stored);
    statements.push(
      resealStatement(deps, value, await encryptField(next, contextOf(value), plaintext)),
    );
  }
  statements.push(
    deps.db.insert(batchGuards).select(
      sql`SELECT 1 WHERE ${sql.join(
        SEALED_COLUMNS.map((column) => stillUnderVersion(column, holderId, current.version)),
        sql` OR `,
      )}`,
    ),
  );
  try {
    const [swapped] = (await deps.db.batch(statements as [(typeof statements)[0]])) as [
      { version: number }[],
    ];
    if (swapped.length !== 1) return null;
  } catch (error) {
    // The guard's CHECK refused: something was sealed under the old key meanwhile. Nothing was
    // written; read again and retry.
    if (constraintFailure(error) === 'check') return null;
    throw error;
  }
  log('info', 'data_key_replaced', { requestId: deps.requestId, holderId, count: values.length });
  return { version, resealed: values.length };
}

/** Whether the holder still has a value in `column` sealed under data-key `version`. */
function stillUnderVersion(column: SealedColumn, holderId: string, version: number): SQL {
  const prefix = `v2.${version}.`;
  return sql`EXISTS (SELECT 1 FROM ${column.table} WHERE ${column.holderId} = ${holderId}
                 AND substr(${column.value}, 1, ${prefix.length}) = ${prefix})`;
}
