import { count, isNull, sql, type SQL } from 'drizzle-orm';
import type { SQLiteColumn, SQLiteTable } from 'drizzle-orm/sqlite-core';
import type { KeyRing } from '../config';
import { accountHolders, cards, holderDataKeys, mfaRecoveryCodes } from '../db/schema';
import { NotFoundError, UnavailableError } from '../errors';
import { log } from '../lib/log';
import type { ServiceDeps } from './deps';
import { SEALED_COLUMNS } from './sealed-fields';

/**
 * What the operator sees of the keys: which key ids stored rows still name, and whether a key
 * may leave its ring. Each count is one GROUP BY over a table; the legacy-format counts scan
 * their tables, which is acceptable for an operator route and a cron, not for every request.
 */

export interface KeyUse {
  key_id: string;
  is_current: boolean;
  is_in_ring: boolean;
  /** Rows that need this key to be read: the key may leave its ring only at zero. */
  rows: number;
}

export interface KeyStatus {
  key_encryption_keys: KeyUse[];
  /** Values sealed directly under a ring key (format v1), per key id; the job re-seals them. */
  legacy_values: Record<string, number>;
  blind_index_keys: KeyUse[];
  /** Rows still on a non-current key: zero once the rewrap job has caught up. */
  rows_on_old_keys: number;
  /** Unused MFA recovery codes under an old blind key: they cannot be recomputed. */
  recovery_codes_on_old_keys: number;
  missing_key_ids: string[];
}

/** The key id in front of a stored value (`v1.<id>.` or `<id>:`), per the given format. */
function legacyKeyIdOf(column: SQLiteColumn): SQL<string> {
  return sql<string>`substr(${column}, 4, instr(substr(${column}, 4), '.') - 1)`;
}

function indexKeyIdOf(column: SQLiteColumn): SQL<string> {
  return sql<string>`CASE WHEN instr(${column}, ':') > 0
    THEN substr(${column}, 1, instr(${column}, ':') - 1) ELSE '(bare)' END`;
}

async function countByKeyId(
  deps: ServiceDeps,
  input: { keyId: SQL<string>; table: SQLiteTable; where?: SQL | undefined },
): Promise<Map<string, number>> {
  const rows = await deps.db
    .select({ keyId: input.keyId, total: count() })
    .from(input.table)
    .where(input.where)
    .groupBy(input.keyId);
  return new Map(rows.map((row) => [String(row.keyId), row.total]));
}

function addInto(target: Map<string, number>, source: Map<string, number>): void {
  for (const [keyId, total] of source) target.set(keyId, (target.get(keyId) ?? 0) + total);
}

function keyUses(ring: KeyRing, uses: Map<string, number>): KeyUse[] {
  const ids = new Set([...ring.keys.keys(), ...uses.keys()]);
  return [...ids].map((keyId) => ({
    key_id: keyId,
    is_current: keyId === ring.currentKeyId,
    is_in_ring: ring.keys.has(keyId),
    rows: uses.get(keyId) ?? 0,
  }));
}

export async function keyStatus(deps: ServiceDeps): Promise<KeyStatus> {
  const kekRing = deps.config.fieldEncryption;
  const blindRing = deps.config.blindIndex;

  const kekUses = await countByKeyId(deps, {
    keyId: sql<string>`${holderDataKeys.kekId}`,
    table: holderDataKeys,
  });
  const legacy = new Map<string, number>();
  for (const column of SEALED_COLUMNS) {
    addInto(
      legacy,
      await countByKeyId(deps, {
        keyId: legacyKeyIdOf(column.value),
        table: column.table,
        where: sql`substr(${column.value}, 1, 3) = 'v1.'`,
      }),
    );
  }
  const allKekUses = new Map(kekUses);
  addInto(allKekUses, legacy);

  const blindUses = await countByKeyId(deps, {
    keyId: indexKeyIdOf(accountHolders.ssnIndex),
    table: accountHolders,
    where: isNull(accountHolders.erasedAt),
  });
  addInto(
    blindUses,
    await countByKeyId(deps, {
      keyId: indexKeyIdOf(cards.numberIndex),
      table: cards,
      where: sql`substr(${cards.numberIndex}, 1, 7) <> 'erased:'`,
    }),
  );
  const codeUses = await countByKeyId(deps, {
    keyId: indexKeyIdOf(mfaRecoveryCodes.codeHash),
    table: mfaRecoveryCodes,
    where: isNull(mfaRecoveryCodes.usedAt),
  });

  const oldKekRows = sumWhere(allKekUses, (keyId) => keyId !== kekRing.currentKeyId);
  const legacyRows = sumWhere(legacy, (keyId) => keyId === kekRing.currentKeyId);
  const oldBlindRows = sumWhere(blindUses, (keyId) => keyId !== blindRing.currentKeyId);
  const missing = [
    ...[...allKekUses.keys()].filter((keyId) => !kekRing.keys.has(keyId)),
    ...[...blindUses.keys(), ...codeUses.keys()].filter(
      (keyId) => keyId !== '(bare)' && !blindRing.keys.has(keyId),
    ),
  ];
  const allBlindUses = new Map(blindUses);
  addInto(allBlindUses, codeUses);
  return {
    key_encryption_keys: keyUses(kekRing, allKekUses),
    legacy_values: Object.fromEntries(legacy),
    blind_index_keys: keyUses(blindRing, allBlindUses),
    rows_on_old_keys: oldKekRows + legacyRows + oldBlindRows,
    recovery_codes_on_old_keys: sumWhere(codeUses, (keyId) => keyId !== blindRing.currentKeyId),
    missing_key_ids: [...new Set(missing)].sort(),
  };
}

function sumWhere(uses: Map<string, number>, isCounted: (keyId: string) => boolean): number {
  let total = 0;
  for (const [keyId, rows] of uses) if (isCounted(keyId)) total += rows;
  return total;
}

export interface RetireCheck {
  key_id: string;
  kind: 'key_encryption_key' | 'blind_index_key';
  can_retire: boolean;
  /** Why not, when not: the current key, or rows that still need it. */
  reason: 'current_key' | 'rows_still_use_it' | null;
  rows: number;
}

/**
 * Whether a key can leave its ring without making any stored row unreadable or unmatchable. A
 * key-encryption key is needed by data keys it wraps and by legacy values sealed under it; a
 * blind index key by indexes and unused recovery codes it made, and bare indexes (from before
 * key ids) hold every blind key until the job has recomputed them.
 */
export async function checkKeyRetirement(
  deps: ServiceDeps,
  input: { kind: RetireCheck['kind']; keyId: string },
): Promise<RetireCheck> {
  const status = await keyStatus(deps);
  const isKek = input.kind === 'key_encryption_key';
  const ring = isKek ? deps.config.fieldEncryption : deps.config.blindIndex;
  const uses = isKek ? status.key_encryption_keys : status.blind_index_keys;
  const bare = isKek ? 0 : (uses.find((use) => use.key_id === '(bare)')?.rows ?? 0);
  const rows = (uses.find((use) => use.key_id === input.keyId)?.rows ?? 0) + bare;
  const isCurrent = ring.currentKeyId === input.keyId;
  // A mistyped id must not read as a go-ahead: only a key the ring holds can be retired.
  if (!ring.keys.has(input.keyId) && rows === 0) {
    throw new NotFoundError(`No key ${input.keyId} is in the ring, and no stored row names it.`);
  }
  const reason = isCurrent ? 'current_key' : rows > 0 ? 'rows_still_use_it' : null;
  return { key_id: input.keyId, kind: input.kind, can_retire: reason === null, reason, rows };
}

/**
 * The readiness check: a KEK that still wraps a data key but is gone from the ring means those
 * holders' data cannot be read. One indexed GROUP BY, cheap enough for /health/ready. Throws
 * UnavailableError, and logs the missing key ids (never key material).
 */
export async function assertKeyEncryptionKeysPresent(deps: ServiceDeps): Promise<void> {
  const rows = await deps.db.selectDistinct({ kekId: holderDataKeys.kekId }).from(holderDataKeys);
  const missing = rows
    .map((row) => row.kekId)
    .filter((keyId) => !deps.config.fieldEncryption.keys.has(keyId))
    .sort();
  if (missing.length > 0) {
    // The route is public: the ids go to the log and to /ops/keys/status, not to the answer.
    log('error', 'key_encryption_keys_missing', {
      requestId: deps.requestId,
      reason: `missing:${missing.join(',')}`,
    });
    throw new UnavailableError('A key that stored data needs is missing.', {
      reason: 'kek_missing',
    });
  }
}
