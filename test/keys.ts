import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { createApp } from '../src/app';
import { getConfig, type Config } from '../src/config';
import { unwrapDataKey } from '../src/crypto/envelope';
import { decryptField, fieldFormat, type FieldContext, type FieldKeys } from '../src/crypto/fields';
import { inProcessApi, type ApiCall } from './helpers';

/** What opens a holder's fields under a config: its KEK ring and the holder's data key. */
export async function holderFieldKeys(
  holderId: string,
  config: Config = getConfig(env),
): Promise<FieldKeys> {
  const row = await env.DB.prepare(
    'SELECT holder_id, wrapped_key, kek_id, version FROM holder_data_keys WHERE holder_id = ?',
  )
    .bind(holderId)
    .first<{ holder_id: string; wrapped_key: string; kek_id: string; version: number }>();
  const dataKey = row
    ? await unwrapDataKey(config.fieldEncryption, {
        holderId: row.holder_id,
        wrappedKey: row.wrapped_key,
        kekId: row.kek_id,
        version: row.version,
      })
    : null;
  return { ring: config.fieldEncryption, dataKey };
}

/** The holder id of a card, for tests that hold only the card id. */
export async function holderOfCard(cardId: string): Promise<string> {
  const row = await env.DB.prepare('SELECT holder_id FROM cards WHERE id = ?')
    .bind(cardId)
    .first<{ holder_id: string }>();
  if (!row) throw new Error(`no card ${cardId}`);
  return row.holder_id;
}

/**
 * Whether any key the configuration holds opens a stored value: the ring as a ring (format
 * v1), and each ring key used as if it were the holder's data key at the version the value
 * names (format v2). After erasure every answer must be false.
 */
export async function isOpenableByAnyConfiguredKey(
  stored: string,
  context: FieldContext,
  config: Config = getConfig(env),
): Promise<boolean> {
  const ring = config.fieldEncryption;
  const attempts: (() => Promise<string>)[] = [
    () => decryptField({ ring, dataKey: null }, context, stored),
  ];
  const format = fieldFormat(stored);
  const version = format.format === 'v2' ? format.dataKeyVersion : 1;
  const rawKeys = [...ring.keys.values(), ...config.blindIndex.keys.values()];
  // Every 32-byte key the Worker holds, tried as if it were the shredded data key.
  for (const raw of rawKeys.filter((bytes) => bytes.length === 32)) {
    attempts.push(async () => {
      const key = await crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['decrypt']);
      const dataKey = { holderId: context.rowId, version, key };
      return decryptField({ ring, dataKey }, context, stored);
    });
  }
  expect(attempts.length).toBeGreaterThan(2);
  const outcomes = await Promise.allSettled(attempts.map((attempt) => attempt()));
  return outcomes.some((outcome) => outcome.status === 'fulfilled');
}

/** The test env with some vars replaced, e.g. a rotated key ring. */
export function envWith(overrides: Record<string, string | undefined>): typeof env {
  return { ...env, ...overrides } as typeof env;
}

/** Like api(), in-process through an app given `testEnv` as its bindings and vars. */
export function apiWithEnv(testEnv: typeof env): ApiCall {
  return inProcessApi(createApp(), testEnv);
}
