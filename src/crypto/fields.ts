import { assert } from '../lib/assert';
import { base64ToBytes, bytesToBase64Url, bytesToHex, utf8 } from '../lib/encoding';

/**
 * Field encryption with AES-256-GCM. A ciphertext reads `v1.<keyId>.<iv>.<ciphertext+tag>`
 * (base64url parts), so the key that made it can be found after the current key changes.
 * The table, column and row id are bound in as additional data: a ciphertext copied to another
 * row or column no longer decrypts.
 */
export interface FieldKeyRing {
  currentKeyId: string;
  keys: Map<string, Uint8Array>;
}

export interface FieldContext {
  table: string;
  column: string;
  rowId: string;
}

export class FieldDecryptionError extends Error {
  override name = 'FieldDecryptionError';
}

const FORMAT_VERSION = 'v1';
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

function additionalData(keyId: string, context: FieldContext): Uint8Array {
  return utf8.encode(
    `${FORMAT_VERSION}|${keyId}|${context.table}|${context.column}|${context.rowId}`,
  );
}

export async function encryptField(
  ring: FieldKeyRing,
  context: FieldContext,
  plaintext: string,
): Promise<string> {
  const raw = ring.keys.get(ring.currentKeyId);
  assert(raw, 'the current field key id must be in the key ring');
  // A fresh random 96-bit IV for every value. Reusing an IV under one key breaks GCM.
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: 'AES-GCM', iv, additionalData: additionalData(ring.currentKeyId, context) },
    await importAesKey(raw),
    utf8.encode(plaintext),
  );
  const parts = [
    ring.currentKeyId,
    bytesToBase64Url(iv),
    bytesToBase64Url(new Uint8Array(ciphertext)),
  ];
  return `${FORMAT_VERSION}.${parts.join('.')}`;
}

/** Decrypts a field. Throws FieldDecryptionError for an unknown key, a tamper or a moved value. */
export async function decryptField(
  ring: FieldKeyRing,
  context: FieldContext,
  stored: string,
): Promise<string> {
  const [version, keyId = '', ivText = '', ciphertextText = ''] = stored.split('.');
  const raw = ring.keys.get(keyId);
  const iv = base64ToBytes(ivText);
  const ciphertext = base64ToBytes(ciphertextText);
  if (version !== FORMAT_VERSION || !raw || iv?.length !== IV_BYTES || !ciphertext) {
    throw new FieldDecryptionError('malformed ciphertext or unknown key id');
  }
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: 'AES-GCM', iv, additionalData: additionalData(keyId, context) },
      await importAesKey(raw),
      ciphertext,
    );
    return utf8.decode(new Uint8Array(plaintext));
  } catch (error) {
    throw new FieldDecryptionError('authentication failed', { cause: error });
  }
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
