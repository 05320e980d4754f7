import { describe, expect, it } from 'vitest';
import {
  blindIndex,
  decryptField,
  encryptFieldWithRingKey,
  FieldDecryptionError,
  type FieldContext,
  type FieldKeyRing,
} from '../../src/crypto/fields';
import { AssertionError } from '../../src/lib/assert';

// Local codecs, so that a fault in src/lib/encoding.ts cannot hide itself behind these tests.
function fromHex(hex: string): Uint8Array {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

function toHex(bytes: ArrayBuffer | Uint8Array): string {
  return Array.from(new Uint8Array(bytes), (byte) => byte.toString(16).padStart(2, '0')).join('');
}

function fromBase64Url(text: string): Uint8Array {
  const binary = atob(text.replace(/-/g, '+').replace(/_/g, '/'));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

function toBase64Url(bytes: Uint8Array): string {
  const binary = String.fromCharCode(...bytes);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const KEY_K1 = Uint8Array.from({ length: 32 }, (_, index) => index);
const KEY_K0 = Uint8Array.from({ length: 32 }, (_, index) => 31 - index);
const RING: FieldKeyRing = {
  currentKeyId: 'k1',
  keys: new Map([
    ['k1', KEY_K1],
    ['k0', KEY_K0],
  ]),
};
const LEGACY_KEYS = { ring: RING, dataKey: null };
const SSN_FIELD: FieldContext = {
  table: 'account_holders',
  column: 'ssn',
  rowId: '0190c7e2-4c1a-7000-8000-000000000001',
};

// Sealed outside this module (Node's WebCrypto) with key k1, IV a0a1…ab and the additional data
// "v1|k1|account_holders|ssn|<row id>", plaintext "123-45-6789".
const GOLDEN_IV = 'oKGio6Slpqeoqaqr';
const GOLDEN_SEALED = '1ypPAHH-L4lVXb4A0EoHJn2kRuwt79ZiqOl6';
const MALFORMED = 'malformed ciphertext or unknown key id';

interface StoredParts {
  version: string;
  keyId: string;
  iv: Uint8Array;
  sealed: Uint8Array;
}

function splitStored(stored: string): StoredParts {
  const [version = '', keyId = '', iv = '', sealed = ''] = stored.split('.');
  return { version, keyId, iv: fromBase64Url(iv), sealed: fromBase64Url(sealed) };
}

function joinStored(parts: StoredParts): string {
  return [parts.version, parts.keyId, toBase64Url(parts.iv), toBase64Url(parts.sealed)].join('.');
}

function withBitFlipped(bytes: Uint8Array, bitIndex: number): Uint8Array {
  const copy = bytes.slice();
  copy[bitIndex >> 3] = (copy[bitIndex >> 3] ?? 0) ^ (1 << (bitIndex & 7));
  return copy;
}

/** Awaits a decryption that must fail and returns the FieldDecryptionError's message. */
async function decryptionFailure(attempt: Promise<string>): Promise<string> {
  const outcome = await attempt.then(
    (plaintext) => ({ plaintext }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`decryption succeeded with "${outcome.plaintext}"`);
  expect(outcome.error).toBeInstanceOf(FieldDecryptionError);
  return (outcome.error as FieldDecryptionError).message;
}

describe('AES-256-GCM under WebCrypto (known answers)', () => {
  // The GCM specification's test case 16 (McGrew and Viega, "The Galois/Counter Mode of
  // Operation", appendix B): a 256-bit key, a 96-bit IV, 20 bytes of additional data.
  const CASE_16 = {
    key: 'feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308',
    iv: 'cafebabefacedbaddecaf888',
    additionalData: 'feedfacedeadbeeffeedfacedeadbeefabaddad2',
    plaintext:
      'd9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72' +
      '1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39',
    ciphertext:
      '522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa' +
      '8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662',
    tag: '76fc6ece0f4e1768cddf8853bb2d551b',
  };

  // NIST CAVP gcmEncryptExtIV256.rsp, [Keylen = 256] [IVlen = 96] [PTlen = 128]
  // [AADlen = 128] [Taglen = 128], Count = 0.
  const CAVP_COUNT_0 = {
    key: '92e11dcdaa866f5ce790fd24501f92509aacf4cb8b1339d50c9c1240935dd08b',
    iv: 'ac93a1a6145299bde902f21a',
    additionalData: '1e0889016f67601c8ebea4943bc23ad6',
    plaintext: '2d71bcfa914e4ac045b2aa60955fad24',
    ciphertext: '8995ae2e6df3dbf96fac7b7137bae67f',
    tag: 'eca5aa77d51d4a0a14d9c51e1da474ab',
  };

  type Vector = typeof CAVP_COUNT_0;

  async function importKey(vector: Vector): Promise<CryptoKey> {
    return crypto.subtle.importKey('raw', fromHex(vector.key), 'AES-GCM', false, [
      'encrypt',
      'decrypt',
    ]);
  }

  function parameters(vector: Vector) {
    return {
      name: 'AES-GCM',
      iv: fromHex(vector.iv),
      additionalData: fromHex(vector.additionalData),
      tagLength: 128,
    };
  }

  it.each([
    ['GCM spec test case 16', CASE_16],
    ['CAVP gcmEncryptExtIV256 count 0', CAVP_COUNT_0],
  ])('encrypts %s to the published ciphertext and tag', async (_name, vector) => {
    const sealed = await crypto.subtle.encrypt(
      parameters(vector),
      await importKey(vector),
      fromHex(vector.plaintext),
    );
    expect(toHex(sealed)).toBe(vector.ciphertext + vector.tag);
  });

  it.each([
    ['GCM spec test case 16', CASE_16],
    ['CAVP gcmEncryptExtIV256 count 0', CAVP_COUNT_0],
  ])('decrypts %s back to the published plaintext', async (_name, vector) => {
    const plaintext = await crypto.subtle.decrypt(
      parameters(vector),
      await importKey(vector),
      fromHex(vector.ciphertext + vector.tag),
    );
    expect(toHex(plaintext)).toBe(vector.plaintext);
  });

  it('refuses the published test case 16 ciphertext under other additional data', async () => {
    const otherData = fromHex('feedfacedeadbeeffeedfacedeadbeefabaddad3');
    const attempt = crypto.subtle.decrypt(
      { ...parameters(CASE_16), additionalData: otherData },
      await importKey(CASE_16),
      fromHex(CASE_16.ciphertext + CASE_16.tag),
    );
    await expect(attempt).rejects.toThrow();
  });
});

describe('encryptFieldWithRingKey (format v1) and decryptField', () => {
  it('decrypts a value stored in the v1 format, so existing rows stay readable', async () => {
    // A change to the format or to the additional data would make every stored SSN and card
    // number unreadable; this value, sealed outside the module, pins both.
    const stored = `v1.k1.${GOLDEN_IV}.${GOLDEN_SEALED}`;
    expect(await decryptField(LEGACY_KEYS, SSN_FIELD, stored)).toBe('123-45-6789');
  });

  it.each([
    ['an SSN', '123-45-6789'],
    ['the empty string', ''],
    ['non-ASCII text', 'Zoë Ørsted, 東京都 🏦'],
    ['a 10,000-character text', 'x'.repeat(10_000)],
  ])('round-trips %s', async (_name, plaintext) => {
    const stored = await encryptFieldWithRingKey(RING, SSN_FIELD, plaintext);
    expect(await decryptField(LEGACY_KEYS, SSN_FIELD, stored)).toBe(plaintext);
  });

  it('writes v1.<current key id>.<12-byte IV>.<ciphertext and 16-byte tag>', async () => {
    const stored = await encryptFieldWithRingKey(RING, SSN_FIELD, '123-45-6789');
    const parts = splitStored(stored);
    expect(stored).toMatch(/^v1\.k1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]+$/);
    expect(parts.iv.length).toBe(12);
    expect(parts.sealed.length).toBe('123-45-6789'.length + 16);
  });

  it('draws a fresh IV for each of 10,000 encryptions of the same value', async () => {
    const ivs = new Set<string>();
    const ciphertexts = new Set<string>();
    for (let count = 0; count < 10_000; count++) {
      const parts = splitStored(await encryptFieldWithRingKey(RING, SSN_FIELD, '123-45-6789'));
      expect(parts.iv.length).toBe(12);
      ivs.add(toHex(parts.iv));
      ciphertexts.add(toHex(parts.sealed));
    }
    expect(ivs.size).toBe(10_000);
    expect(ciphertexts.size).toBe(10_000);
  });

  it('refuses a value with any single ciphertext bit flipped', async () => {
    const parts = splitStored(await encryptFieldWithRingKey(RING, SSN_FIELD, 'card'));
    const ciphertextBits = (parts.sealed.length - 16) * 8;
    for (let bit = 0; bit < ciphertextBits; bit++) {
      const tampered = joinStored({ ...parts, sealed: withBitFlipped(parts.sealed, bit) });
      expect(await decryptionFailure(decryptField(LEGACY_KEYS, SSN_FIELD, tampered))).toBe(
        'authentication failed',
      );
    }
  });

  it('refuses a value with any single tag bit flipped', async () => {
    const parts = splitStored(await encryptFieldWithRingKey(RING, SSN_FIELD, 'card'));
    const firstTagBit = (parts.sealed.length - 16) * 8;
    for (let bit = firstTagBit; bit < parts.sealed.length * 8; bit++) {
      const tampered = joinStored({ ...parts, sealed: withBitFlipped(parts.sealed, bit) });
      expect(await decryptionFailure(decryptField(LEGACY_KEYS, SSN_FIELD, tampered))).toBe(
        'authentication failed',
      );
    }
  });

  it('refuses a value with any single IV bit flipped', async () => {
    const parts = splitStored(await encryptFieldWithRingKey(RING, SSN_FIELD, 'card'));
    for (let bit = 0; bit < 96; bit++) {
      const tampered = joinStored({ ...parts, iv: withBitFlipped(parts.iv, bit) });
      expect(await decryptionFailure(decryptField(LEGACY_KEYS, SSN_FIELD, tampered))).toBe(
        'authentication failed',
      );
    }
  });

  it('refuses a value whose tag was cut off', async () => {
    const parts = splitStored(await encryptFieldWithRingKey(RING, SSN_FIELD, '123-45-6789'));
    const truncated = joinStored({ ...parts, sealed: parts.sealed.slice(0, -16) });
    expect(await decryptionFailure(decryptField(LEGACY_KEYS, SSN_FIELD, truncated))).toBe(
      'authentication failed',
    );
  });

  it.each([
    ['another row', { ...SSN_FIELD, rowId: '0190c7e2-4c1a-7000-8000-000000000002' }],
    ['another column', { ...SSN_FIELD, column: 'card_number' }],
    ['another table', { ...SSN_FIELD, table: 'cards' }],
  ])('refuses a value moved to %s', async (_name, movedTo) => {
    const stored = await encryptFieldWithRingKey(RING, SSN_FIELD, '123-45-6789');
    expect(await decryptionFailure(decryptField(LEGACY_KEYS, movedTo, stored))).toBe(
      'authentication failed',
    );
  });

  it('refuses a value relabelled with the id of another key in the ring', async () => {
    const parts = splitStored(await encryptFieldWithRingKey(RING, SSN_FIELD, '123-45-6789'));
    const relabelled = joinStored({ ...parts, keyId: 'k0' });
    expect(await decryptionFailure(decryptField(LEGACY_KEYS, SSN_FIELD, relabelled))).toBe(
      'authentication failed',
    );
  });

  it('refuses a value whose key id is not in the ring', async () => {
    const stored = await encryptFieldWithRingKey(RING, SSN_FIELD, '123-45-6789');
    const ringWithoutK1: FieldKeyRing = { currentKeyId: 'k0', keys: new Map([['k0', KEY_K0]]) };
    expect(
      await decryptionFailure(
        decryptField({ ring: ringWithoutK1, dataKey: null }, SSN_FIELD, stored),
      ),
    ).toBe(MALFORMED);
  });

  it.each([
    ['another format version', `v2.k1.${GOLDEN_IV}.${GOLDEN_SEALED}`, MALFORMED],
    ['an 11-byte IV', `v1.k1.oKGio6Slpqeoqaq.${GOLDEN_SEALED}`, MALFORMED],
    ['a 13-byte IV', `v1.k1.oKGio6Slpqeoqaqrqw.${GOLDEN_SEALED}`, MALFORMED],
    ['an IV that is not base64', `v1.k1.oKGio6Slpqeoqa!r.${GOLDEN_SEALED}`, MALFORMED],
    ['a ciphertext that is not base64', `v1.k1.${GOLDEN_IV}.1ypPAHH*L4lVXb4A0E`, MALFORMED],
    ['the empty string', '', MALFORMED],
    // An absent part decodes to zero bytes, which WebCrypto then refuses as too short.
    ['a missing ciphertext part', `v1.k1.${GOLDEN_IV}`, 'authentication failed'],
  ])('refuses %s as a stored value', async (_name, stored, message) => {
    expect(await decryptionFailure(decryptField(LEGACY_KEYS, SSN_FIELD, stored))).toBe(message);
  });

  it('still decrypts values of the old key after the current key id changes', async () => {
    const ringBefore: FieldKeyRing = { currentKeyId: 'k0', keys: RING.keys };
    const ringAfter: FieldKeyRing = { currentKeyId: 'k1', keys: RING.keys };
    const oldValue = await encryptFieldWithRingKey(ringBefore, SSN_FIELD, '123-45-6789');
    const newValue = await encryptFieldWithRingKey(ringAfter, SSN_FIELD, '987-65-4321');

    expect(splitStored(oldValue).keyId).toBe('k0');
    expect(splitStored(newValue).keyId).toBe('k1');
    expect(await decryptField({ ring: ringAfter, dataKey: null }, SSN_FIELD, oldValue)).toBe(
      '123-45-6789',
    );
    expect(await decryptField({ ring: ringAfter, dataKey: null }, SSN_FIELD, newValue)).toBe(
      '987-65-4321',
    );
  });

  it('refuses to encrypt when the current key id is missing from the ring', async () => {
    const broken: FieldKeyRing = { currentKeyId: 'k9', keys: RING.keys };
    await expect(encryptFieldWithRingKey(broken, SSN_FIELD, 'x')).rejects.toThrow(
      new AssertionError('the current field key id must be in the key ring'),
    );
  });

  it('refuses to encrypt under a key that is not 32 bytes', async () => {
    const shortKey: FieldKeyRing = {
      currentKeyId: 'k1',
      keys: new Map([['k1', new Uint8Array(16)]]),
    };
    await expect(encryptFieldWithRingKey(shortKey, SSN_FIELD, 'x')).rejects.toThrow(
      new AssertionError('field encryption keys are 32 bytes'),
    );
  });
});

describe('blindIndex', () => {
  it('computes HMAC-SHA-256 over "<purpose>\\0<value>" in lowercase hex', async () => {
    // Computed independently: printf 'ssn\x00123-45-6789' | openssl dgst -sha256 -mac HMAC
    // -macopt hexkey:000102…1f. Stored indexes must never change, or uniqueness checks break.
    expect(await blindIndex(KEY_K1, 'ssn', '123-45-6789')).toBe(
      '9eb52a929ccdd12e475da078bbd8272ff94fe4e0dffa0b25a02a5ae15589dbcd',
    );
  });

  it('gives the same index for the same key, purpose and value every time', async () => {
    const first = await blindIndex(KEY_K1, 'ssn', '123-45-6789');
    const second = await blindIndex(KEY_K1, 'ssn', '123-45-6789');
    const underCopiedKey = await blindIndex(KEY_K1.slice(), 'ssn', '123-45-6789');
    expect(second).toBe(first);
    expect(underCopiedKey).toBe(first);
  });

  it('gives different indexes for the same value under different purposes', async () => {
    const asSsn = await blindIndex(KEY_K1, 'ssn', '4111111111111111');
    const asCard = await blindIndex(KEY_K1, 'card_number', '4111111111111111');
    expect(asCard).not.toBe(asSsn);
  });

  it('gives different indexes for the same value under different keys', async () => {
    const underK1 = await blindIndex(KEY_K1, 'ssn', '123-45-6789');
    const underK0 = await blindIndex(KEY_K0, 'ssn', '123-45-6789');
    expect(underK0).not.toBe(underK1);
  });

  it('gives different indexes for different values', async () => {
    const first = await blindIndex(KEY_K1, 'ssn', '123-45-6789');
    const second = await blindIndex(KEY_K1, 'ssn', '123-45-6780');
    expect(second).not.toBe(first);
  });
});
