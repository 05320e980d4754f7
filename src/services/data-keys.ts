import { and, eq, sql, type SQL } from 'drizzle-orm';
import {
  DataKeyUnwrapError,
  generateDataKey,
  unwrapDataKey,
  wrapDataKey,
} from '../crypto/envelope';
import { decryptField, type FieldContext, type HolderDataKey } from '../crypto/fields';
import { accountHolders, holderDataKeys, type HolderDataKeyRow } from '../db/schema';
import { NotFoundError, UnavailableError } from '../errors';
import { assert } from '../lib/assert';
import { toIso } from '../lib/time';
import type { ServiceDeps } from './deps';

/**
 * Each holder's data key (crypto/envelope.ts): created with the holder, loaded and unwrapped
 * for every read or write of a sealed field, and deleted by erasure.
 */

/** A new data key for a holder, version 1, wrapped under the current KEK, and its row. */
export async function newDataKey(
  deps: ServiceDeps,
  holderId: string,
): Promise<{ dataKey: HolderDataKey; row: HolderDataKeyRow }> {
  const key = await generateDataKey();
  const version = 1;
  const wrapped = await wrapDataKey(deps.config.fieldEncryption, { holderId, version }, key);
  const now = toIso(deps.nowMs);
  return {
    dataKey: { holderId, version, key },
    row: { holderId, version, ...wrapped, createdAt: now, updatedAt: now },
  };
}

/** Unwraps a stored row; a KEK missing from the ring is an operator fault, answered 503. */
export async function openDataKeyRow(
  deps: ServiceDeps,
  row: HolderDataKeyRow,
): Promise<HolderDataKey> {
  try {
    return await unwrapDataKey(deps.config.fieldEncryption, row);
  } catch (error) {
    if (!(error instanceof DataKeyUnwrapError)) throw error;
    throw new UnavailableError('Encrypted data cannot be read right now.', {
      reason: `data_key_unwrap_failed:${row.kekId}`,
    });
  }
}

/** The holder's data key, or null when they have none (erased, or not yet given one). */
export async function loadDataKey(
  deps: ServiceDeps,
  holderId: string,
): Promise<HolderDataKey | null> {
  const row = await deps.db
    .select()
    .from(holderDataKeys)
    .where(eq(holderDataKeys.holderId, holderId))
    .get();
  return row ? openDataKeyRow(deps, row) : null;
}

/**
 * The holder's data key, made now if they have none: holders who signed up before envelope
 * encryption get theirs on first use (or from the rewrap job). The insert names no key when
 * one already exists and never creates one for an erased holder, so two callers racing here
 * both end up with the same key, and erasure cannot be undone by a late write.
 */
export async function ensureDataKey(deps: ServiceDeps, holderId: string): Promise<HolderDataKey> {
  const existing = await loadDataKey(deps, holderId);
  if (existing) return existing;

  const { row } = await newDataKey(deps, holderId);
  await deps.db.run(sql`
    INSERT INTO holder_data_keys
      (holder_id, wrapped_key, kek_id, version, created_at, updated_at)
    SELECT ${row.holderId}, ${row.wrappedKey}, ${row.kekId}, ${row.version},
           ${row.createdAt}, ${row.updatedAt}
     WHERE EXISTS (SELECT 1 FROM account_holders
                    WHERE id = ${holderId} AND erased_at IS NULL)
    ON CONFLICT (holder_id) DO NOTHING`);
  const created = await loadDataKey(deps, holderId);
  if (!created) throw new NotFoundError('No such account holder.');
  return created;
}

/**
 * A condition for the WHERE of every statement that writes a value sealed with `dataKey`: the
 * holder's data key is still that version. A data-key replacement that commits first makes the
 * write match nothing, and the caller retries with the new key.
 */
export function isDataKeyCurrent(dataKey: HolderDataKey): SQL {
  return sql`EXISTS (SELECT 1 FROM ${holderDataKeys}
                      WHERE ${holderDataKeys.holderId} = ${dataKey.holderId}
                        AND ${holderDataKeys.version} = ${dataKey.version})`;
}

/** True while the holder's data key is still `dataKey`'s version (for a retry decision). */
export async function isDataKeyStillCurrent(
  deps: ServiceDeps,
  dataKey: HolderDataKey,
): Promise<boolean> {
  const row = await deps.db
    .select({ version: holderDataKeys.version })
    .from(holderDataKeys)
    .where(
      and(
        eq(holderDataKeys.holderId, dataKey.holderId),
        eq(holderDataKeys.version, dataKey.version),
      ),
    )
    .get();
  return row !== undefined;
}

/** Opens one sealed field of a holder, whichever format it is in. */
export async function openHolderField(
  deps: ServiceDeps,
  input: { holderId: string; context: FieldContext; stored: string; dataKey?: HolderDataKey },
): Promise<string> {
  const dataKey = input.dataKey ?? (await loadDataKey(deps, input.holderId));
  assert(!dataKey || dataKey.holderId === input.holderId, 'a data key opens its holder only');
  return decryptField({ ring: deps.config.fieldEncryption, dataKey }, input.context, input.stored);
}

/** Whether the holder row exists and has not been erased. */
export function isHolderActive(holderId: string): SQL {
  return sql`EXISTS (SELECT 1 FROM ${accountHolders}
                      WHERE ${accountHolders.id} = ${holderId}
                        AND ${accountHolders.erasedAt} IS NULL)`;
}
