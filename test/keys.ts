import { env } from 'cloudflare:test';
import { getConfig, type Config } from '../src/config';
import { unwrapDataKey } from '../src/crypto/envelope';
import type { FieldKeys } from '../src/crypto/fields';

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
