import { assert } from '../lib/assert';
import { base64ToBytes, bytesToBase64Url, utf8 } from '../lib/encoding';
import type { FieldKeyRing, HolderDataKey } from './fields';

/**
 * Envelope encryption: each holder's fields are sealed with a random AES-256 data key of their
 * own, and only that key is sealed with a key-encryption key (KEK) from the ring in Workers
 * Secrets. Rotating a KEK then rewraps one short row per holder instead of re-encrypting every
 * field, and deleting the wrapped key erases every copy of the holder's fields at once.
 *
 * The wrap is AES-256-GCM rather than AES-KW (RFC 3394): AES-KW takes no additional data, so a
 * wrapped key copied onto another holder's row would unwrap there without complaint. Here the
 * holder id, the KEK id and the data-key version are bound in, so such a move fails to open.
 * Stored form: `w1.<iv>.<ciphertext+tag>` (base64url), with the KEK id in its own column.
 */

export class DataKeyUnwrapError extends Error {
  override name = 'DataKeyUnwrapError';
}

export interface WrappedDataKey {
  holderId: string;
  version: number;
  kekId: string;
  wrappedKey: string;
}

const WRAP_FORMAT = 'w1';
const IV_BYTES = 12;
const KEY_BYTES = 32;

const wrappingKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importWrappingKey(raw: Uint8Array): Promise<CryptoKey> {
  let key = wrappingKeys.get(raw);
  if (!key) {
    assert(raw.length === KEY_BYTES, 'key-encryption keys are 32 bytes');
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['wrapKey', 'unwrapKey']);
    wrappingKeys.set(raw, key);
  }
  return key;
}

function wrapAdditionalData(input: { kekId: string; holderId: string; version: number }) {
  return utf8.encode(`${WRAP_FORMAT}|${input.kekId}|${input.holderId}|${input.version}`);
}

/** A fresh random data key. Extractable only so that it can be wrapped; never exported raw. */
export async function generateDataKey(): Promise<CryptoKey> {
  const key = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, true, [
    'encrypt',
    'decrypt',
  ]);
  assert(key instanceof CryptoKey, 'AES-GCM generation yields one secret key');
  return key;
}

/** Wraps a data key under the ring's current KEK, bound to its holder and version. */
export async function wrapDataKey(
  ring: FieldKeyRing,
  binding: { holderId: string; version: number },
  dataKey: CryptoKey,
): Promise<{ kekId: string; wrappedKey: string }> {
  const kekId = ring.currentKeyId;
  const raw = ring.keys.get(kekId);
  assert(raw, 'the current key-encryption key id must be in the ring');
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const wrapped = await crypto.subtle.wrapKey('raw', dataKey, await importWrappingKey(raw), {
    name: 'AES-GCM',
    iv,
    additionalData: wrapAdditionalData({ kekId, ...binding }),
  });
  assert(wrapped.byteLength === KEY_BYTES + 16, 'a wrapped key is the key plus a 16-byte tag');
  const parts = [WRAP_FORMAT, bytesToBase64Url(iv), bytesToBase64Url(new Uint8Array(wrapped))];
  return { kekId, wrappedKey: parts.join('.') };
}

/**
 * Unwraps a stored data key. Throws DataKeyUnwrapError when its KEK is not in the ring, or the
 * row was tampered with or moved. `extractable` is for rewrapping only.
 */
export async function unwrapDataKey(
  ring: FieldKeyRing,
  stored: WrappedDataKey,
  options: { extractable: boolean } = { extractable: false },
): Promise<HolderDataKey> {
  const raw = ring.keys.get(stored.kekId);
  if (!raw) throw new DataKeyUnwrapError(`key-encryption key ${stored.kekId} is not in the ring`);
  const [format, ivText = '', wrappedText = ''] = stored.wrappedKey.split('.');
  const iv = base64ToBytes(ivText);
  const wrapped = base64ToBytes(wrappedText);
  if (format !== WRAP_FORMAT || iv?.length !== IV_BYTES || !wrapped) {
    throw new DataKeyUnwrapError('malformed wrapped data key');
  }
  try {
    const key = await crypto.subtle.unwrapKey(
      'raw',
      wrapped,
      await importWrappingKey(raw),
      { name: 'AES-GCM', iv, additionalData: wrapAdditionalData(stored) },
      { name: 'AES-GCM', length: 256 },
      options.extractable,
      ['encrypt', 'decrypt'],
    );
    return { holderId: stored.holderId, version: stored.version, key };
  } catch (error) {
    throw new DataKeyUnwrapError('wrapped data key failed authentication', { cause: error });
  }
}

/** Moves a wrapped data key onto the ring's current KEK; the data key itself is unchanged. */
export async function rewrapDataKey(
  ring: FieldKeyRing,
  stored: WrappedDataKey,
): Promise<{ kekId: string; wrappedKey: string }> {
  const dataKey = await unwrapDataKey(ring, stored, { extractable: true });
  return wrapDataKey(ring, { holderId: stored.holderId, version: stored.version }, dataKey.key);
}
