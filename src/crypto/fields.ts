import { assert } from '../lib/assert';
import { base64ToBytes, bytesToBase64Url, bytesToHex, utf8 } from '../lib/encoding';

/**
 * Field encryption with AES-256-GCM, in two formats:
 *
 * - `v2.<dataKeyVersion>.<iv>.<ciphertext+tag>`: sealed with the holder's own data key
 *   (envelope encryption, see crypto/envelope.ts). Every value written now has this form.
 * - `v1.<keyId>.<iv>.<ciphertext+tag>`: sealed directly with a key of the FIELD_ENCRYPTION_KEYS
 *   ring, as before envelope encryption. Such values are still read, and the rewrap job
 *   (services/key-rotation.ts) moves them onto the holder's data key.
 *
 * The table, column and row id are bound in as additional data, with the format, and the key
 * id or data-key version: a ciphertext copied to another row or column, or relabelled with
 * another key, no longer decrypts.
 */
export interface FieldKeyRing {
  currentKeyId: string;
  keys: Map<string, Uint8Array>;
}

/** A holder's unwrapped data key. `key` is a non-extractable AES-GCM key. */
export interface HolderDataKey {
  holderId: string;
  version: number;
  key: CryptoKey;
}

/** What can open a field: the ring (for v1) and the holder's data key (for v2), if any. */
export interface FieldKeys {
  ring: FieldKeyRing;
  dataKey: HolderDataKey | null;
}

export interface FieldContext {
  table: string;
  column: string;
  rowId: string;
}

export class FieldDecryptionError extends Error {
  override name = 'FieldDecryptionError';
}

const RING_FORMAT = 'v1';
const DATA_KEY_FORMAT = 'v2';
const IV_BYTES = 12;
const KEY_BYTES = 32;

const importedKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importAesKey(raw: Uint8Array): Promise<CryptoKey> {
  let key = importedKeys.get(raw);
  if (!key) {
    assert(raw.length === KEY_BYTES, 'field encryption keys are 32 bytes');
    key = crypto.subtle.importKey('raw', raw, 'AES-GCM', false, ['encrypt', 'decrypt']);
    importedKeys.set(raw, key);
  }
  return key;
}

function additionalData(format: string, keyLabel: string, context: FieldContext): Uint8Array {
  return utf8.encode(`${format}|${keyLabel}|${context.table}|${context.column}|${context.rowId}`);
}

async function seal(
  key: CryptoKey,
  header: { format: string; keyLabel: string },
  context: FieldContext,
  plaintext: string,
): Promise<string> {
  // A fresh random 96-bit IV for every value. Reusing an IV under one key breaks GCM.
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    {
      name: 'AES-GCM',
      iv,
      additionalData: additionalData(header.format, header.keyLabel, context),
    },
    key,
    utf8.encode(plaintext),
  );
  const parts = [
    header.keyLabel,
    bytesToBase64Url(iv),
    bytesToBase64Url(new Uint8Array(ciphertext)),
  ];
  return `${header.format}.${parts.join('.')}`;
}

/** Seals a field of a holder with their data key (format v2). */
export function encryptField(
  dataKey: HolderDataKey,
  context: FieldContext,
  plaintext: string,
): Promise<string> {
  assert(Number.isSafeInteger(dataKey.version) && dataKey.version >= 1, 'data key version');
  const header = { format: DATA_KEY_FORMAT, keyLabel: String(dataKey.version) };
  return seal(dataKey.key, header, context, plaintext);
}

/**
 * Seals a field directly with the ring's current key (format v1), the way values were written
 * before envelope encryption. Only tests call it, to make rows like those of an older release.
 */
export async function encryptFieldWithRingKey(
  ring: FieldKeyRing,
  context: FieldContext,
  plaintext: string,
): Promise<string> {
  const raw = ring.keys.get(ring.currentKeyId);
  assert(raw, 'the current field key id must be in the key ring');
  const header = { format: RING_FORMAT, keyLabel: ring.currentKeyId };
  return seal(await importAesKey(raw), header, context, plaintext);
}

export type FieldFormat =
  | { format: 'v1'; keyId: string }
  | { format: 'v2'; dataKeyVersion: number }
  | { format: 'unknown' };

/** Which format and key a stored value names, without opening it. */
export function fieldFormat(stored: string): FieldFormat {
  const [version, label = ''] = stored.split('.', 2);
  if (version === RING_FORMAT && label !== '') return { format: 'v1', keyId: label };
  if (version === DATA_KEY_FORMAT && /^[1-9]\d{0,8}$/.test(label)) {
    return { format: 'v2', dataKeyVersion: Number(label) };
  }
  return { format: 'unknown' };
}

/** Decrypts a field. Throws FieldDecryptionError for an unknown key, a tamper or a moved value. */
export async function decryptField(
  keys: FieldKeys,
  context: FieldContext,
  stored: string,
): Promise<string> {
  const [format, label = '', ivText = '', ciphertextText = ''] = stored.split('.');
  const key = await openingKey(keys, fieldFormat(stored));
  const iv = base64ToBytes(ivText);
  const ciphertext = base64ToBytes(ciphertextText);
  if (!key || iv?.length !== IV_BYTES || !ciphertext) {
    throw new FieldDecryptionError('malformed ciphertext or unknown key id');
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: additionalData(format ?? '', label, context) },
      key,
      ciphertext,
    );
    return utf8.decode(new Uint8Array(plaintext));
  } catch (error) {
    throw new FieldDecryptionError('authentication failed', { cause: error });
  }
}

async function openingKey(keys: FieldKeys, format: FieldFormat): Promise<CryptoKey | null> {
  if (format.format === 'v1') {
    const raw = keys.ring.keys.get(format.keyId);
    return raw ? importAesKey(raw) : null;
  }
  if (format.format === 'v2' && keys.dataKey?.version === format.dataKeyVersion) {
    return keys.dataKey.key;
  }
  return null;
}

const importedHmacKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

/**
 * A keyed blind index: HMAC-SHA-256 over a purpose label and the value, in hex. It lets the
 * database enforce uniqueness of an SSN or card number without being able to read it.
 */
export async function blindIndex(key: Uint8Array, purpose: string, value: string): Promise<string> {
  let cryptoKey = importedHmacKeys.get(key);
  if (!cryptoKey) {
    cryptoKey = crypto.subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, [
      'sign',
    ]);
    importedHmacKeys.set(key, cryptoKey);
  }
  const mac = await crypto.subtle.sign(
    'HMAC',
    await cryptoKey,
    utf8.encode(`${purpose}\u0000${value}`),
  );
  return bytesToHex(new Uint8Array(mac));
}

/** Named HMAC keys for blind indexes; see config.ts `blindIndex`. */
export interface BlindIndexKeyRing {
  currentKeyId: string;
  keys: Map<string, Uint8Array>;
}

/**
 * The stored form of a blind index: `<keyId>:<hex>`, so that rotating the key can find the
 * values made by an older one. Values made before keys had ids are bare hex.
 */
export async function currentBlindIndex(
  ring: BlindIndexKeyRing,
  purpose: string,
  value: string,
): Promise<string> {
  const key = ring.keys.get(ring.currentKeyId);
  assert(key, 'the current blind index key id must be in its ring');
  return `${ring.currentKeyId}:${await blindIndex(key, purpose, value)}`;
}

/**
 * Every stored form the value can have under the ring: one per key, with its id and bare.
 * Lookups match any of them, so an index made before or during a rotation is still found.
 */
export async function blindIndexCandidates(
  ring: BlindIndexKeyRing,
  purpose: string,
  value: string,
): Promise<string[]> {
  const candidates: string[] = [];
  for (const [keyId, key] of ring.keys) {
    const hex = await blindIndex(key, purpose, value);
    candidates.push(`${keyId}:${hex}`, hex);
  }
  return candidates;
}

/** The key id of a stored blind index, or null for a bare one made before key ids. */
export function blindIndexKeyId(stored: string): string | null {
  const separator = stored.indexOf(':');
  return separator > 0 ? stored.slice(0, separator) : null;
}
