import { describe, expect, it } from 'vitest';
import {
  DataKeyUnwrapError,
  generateDataKey,
  rewrapDataKey,
  unwrapDataKey,
  wrapDataKey,
  type WrappedDataKey,
} from '../../src/crypto/envelope';
import {
  decryptField,
  encryptField,
  fieldFormat,
  FieldDecryptionError,
  type FieldKeyRing,
} from '../../src/crypto/fields';

const RING: FieldKeyRing = {
  currentKeyId: 'k2',
  keys: new Map([
    ['k2', Uint8Array.from({ length: 32 }, (_, index) => index + 1)],
    ['k1', Uint8Array.from({ length: 32 }, (_, index) => 200 - index)],
  ]),
};
const HOLDER = '01a23d84-4c1e-73b3-a9e1-20be8b01d9c5';
const OTHER_HOLDER = '01a23d84-4c1e-73b3-a9e1-20be8b01d9c6';
const SSN_FIELD = { table: 'account_holders', column: 'ssn', rowId: HOLDER };

async function storedKey(version = 1): Promise<{ stored: WrappedDataKey; key: CryptoKey }> {
  const key = await generateDataKey();
  const wrapped = await wrapDataKey(RING, { holderId: HOLDER, version }, key);
  return { stored: { holderId: HOLDER, version, ...wrapped }, key };
}

function flipLastCharacter(text: string): string {
  const last = text.at(-1) === 'A' ? 'B' : 'A';
  return text.slice(0, -1) + last;
}

describe('envelope encryption', () => {
  it('wraps under the current KEK and unwraps to a key that opens what it sealed', async () => {
    const { stored, key } = await storedKey();
    expect(stored.kekId).toBe('k2');
    expect(stored.wrappedKey).toMatch(/^w1\.[\w-]{16}\.[\w-]{64}$/);
    const sealed = await encryptField(
      { holderId: HOLDER, version: 1, key },
      SSN_FIELD,
      '123456789',
    );
    expect(fieldFormat(sealed)).toEqual({ format: 'v2', dataKeyVersion: 1 });

    const opened = await unwrapDataKey(RING, stored);
    expect(opened.key.extractable).toBe(false);
    expect(await decryptField({ ring: RING, dataKey: opened }, SSN_FIELD, sealed)).toBe(
      '123456789',
    );
  });

  it('refuses a wrapped key moved to another holder, relabelled or re-versioned', async () => {
    const { stored } = await storedKey();
    const moved = { ...stored, holderId: OTHER_HOLDER };
    const relabelled = { ...stored, kekId: 'k1' };
    const otherVersion = { ...stored, version: 2 };
    const tampered = { ...stored, wrappedKey: flipLastCharacter(stored.wrappedKey) };
    for (const candidate of [moved, relabelled, otherVersion, tampered]) {
      await expect(unwrapDataKey(RING, candidate)).rejects.toThrow(DataKeyUnwrapError);
    }
  });

  it('names a KEK missing from the ring, and never quotes key material', async () => {
    const { stored } = await storedKey();
    const withoutK2: FieldKeyRing = {
      currentKeyId: 'k1',
      keys: new Map([['k1', RING.keys.get('k1')!]]),
    };
    const failure = await unwrapDataKey(withoutK2, stored).catch((error: Error) => error);
    expect(failure).toBeInstanceOf(DataKeyUnwrapError);
    expect((failure as Error).message).toBe('key-encryption key k2 is not in the ring');
  });

  it('rewraps onto the current KEK without changing the data key', async () => {
    const before: FieldKeyRing = { ...RING, currentKeyId: 'k1' };
    const key = await generateDataKey();
    const onK1 = await wrapDataKey(before, { holderId: HOLDER, version: 3 }, key);
    expect(onK1.kekId).toBe('k1');
    const sealed = await encryptField({ holderId: HOLDER, version: 3, key }, SSN_FIELD, 'x');

    const onK2 = await rewrapDataKey(RING, { holderId: HOLDER, version: 3, ...onK1 });
    expect(onK2.kekId).toBe('k2');
    const opened = await unwrapDataKey(RING, { holderId: HOLDER, version: 3, ...onK2 });
    expect(await decryptField({ ring: RING, dataKey: opened }, SSN_FIELD, sealed)).toBe('x');
  });

  it('refuses a v2 value under a data key of another version or another holder', async () => {
    const { key } = await storedKey();
    const sealed = await encryptField({ holderId: HOLDER, version: 1, key }, SSN_FIELD, 'x');
    const newer = { holderId: HOLDER, version: 2, key };
    await expect(decryptField({ ring: RING, dataKey: newer }, SSN_FIELD, sealed)).rejects.toThrow(
      FieldDecryptionError,
    );
    const { key: otherKey } = await storedKey();
    const other = { holderId: HOLDER, version: 1, key: otherKey };
    await expect(decryptField({ ring: RING, dataKey: other }, SSN_FIELD, sealed)).rejects.toThrow(
      FieldDecryptionError,
    );
    await expect(decryptField({ ring: RING, dataKey: null }, SSN_FIELD, sealed)).rejects.toThrow(
      FieldDecryptionError,
    );
  });

  it('draws a fresh IV for every wrap of the same key', async () => {
    const key = await generateDataKey();
    const binding = { holderId: HOLDER, version: 1 };
    const first = await wrapDataKey(RING, binding, key);
    const second = await wrapDataKey(RING, binding, key);
    expect(first.wrappedKey.split('.')[1]).not.toBe(second.wrappedKey.split('.')[1]);
  });
});
