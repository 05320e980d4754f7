import { describe, expect, it } from 'vitest';
import {
  ARGON2_PARAMETERS,
  argon2id,
  DUMMY_PASSWORD_HASH,
  hashPassword,
  needsRehash,
  normalizePassword,
  verifyPassword,
} from '../../src/crypto/passwords';

const utf8 = new TextEncoder();

function toHex(bytes: Uint8Array): string {
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, '0')).join('');
}

/** The salt of a PHC string, decoded from its unpadded standard base64. */
function saltOf(encoded: string): Uint8Array {
  const saltText = encoded.split('$')[4] ?? '';
  return Uint8Array.from(atob(saltText), (char) => char.charCodeAt(0));
}

/** Argon2id with the current cost parameters over raw bytes, as hashPassword should run it. */
function currentArgon2id(password: Uint8Array, salt: Uint8Array): string {
  return argon2id({
    password,
    salt,
    iterations: ARGON2_PARAMETERS.iterations,
    memoryKib: ARGON2_PARAMETERS.memoryKib,
    parallelism: ARGON2_PARAMETERS.parallelism,
    hashBytes: ARGON2_PARAMETERS.hashBytes,
  }).encoded;
}

const CURRENT_PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

describe('argon2id (known answers)', () => {
  // Argon2id, version 0x13, from the reference implementation's own tests: the hashtest() calls
  // under "Test Argon2id version number" in P-H-C/phc-winner-argon2 src/test.c. Password
  // "password", salt "somesalt", 32-byte tag. The m=2^18 case is left out to keep the suite fast.
  it.each([
    {
      iterations: 2,
      memoryKib: 256,
      parallelism: 1,
      hex: '9dfeb910e80bad0311fee20f9c0e2b12c17987b4cac90c2ef54d5b3021c68bfe',
      encoded:
        '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    },
    {
      iterations: 2,
      memoryKib: 256,
      parallelism: 2,
      hex: '6d093c501fd5999645e0ea3bf620d7b8be7fd2db59c20d9fff9539da2bf57037',
      encoded:
        '$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc',
    },
    {
      iterations: 2,
      memoryKib: 65_536,
      parallelism: 1,
      hex: '09316115d5cf24ed5a15a31a3ba326e5cf32edc24702987c02b6566f61913cf7',
      encoded:
        '$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc',
    },
  ])(
    'matches the reference tag for t=$iterations m=$memoryKib p=$parallelism',
    ({ iterations, memoryKib, parallelism, hex, encoded }) => {
      const result = argon2id({
        password: utf8.encode('password'),
        salt: utf8.encode('somesalt'),
        iterations,
        memoryKib,
        parallelism,
        hashBytes: 32,
      });
      expect(toHex(result.hash)).toBe(hex);
      expect(result.encoded).toBe(encoded);
    },
  );

  it('verifies the reference PHC strings for "password" and refuses "differentpassword"', () => {
    const references = [
      '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
      '$argon2id$v=19$m=256,t=2,p=2$c29tZXNhbHQ$bQk8UB/VmZZF4Oo79iDXuL5/0ttZwg2f/5U52iv1cDc',
    ];
    for (const reference of references) {
      expect(verifyPassword(reference, 'password')).toBe(true);
      expect(verifyPassword(reference, 'differentpassword')).toBe(false);
    }
  });

  // RFC 9106 section 5.3 gives an Argon2id vector that also uses a secret key (8 bytes of 0x03)
  // and associated data (12 bytes of 0x04). argon2id() takes neither, because argon2_hash() in
  // the reference code has no parameters for them, so that vector cannot be expressed here. The
  // reference implementation's vectors above cover the same algorithm without those inputs.
});

describe('hashPassword', () => {
  it('produces a PHC string with the pinned parameters, a 16-byte salt and a 32-byte tag', () => {
    const encoded = hashPassword('correct horse battery staple');
    expect(encoded.startsWith('$argon2id$v=19$m=19456,t=2,p=1$')).toBe(true);
    expect(encoded).toMatch(CURRENT_PHC);
    expect(saltOf(encoded).length).toBe(16);
  });

  it('draws a fresh salt for every hash of the same password', () => {
    const first = hashPassword('correct horse battery staple');
    const second = hashPassword('correct horse battery staple');
    expect(toHex(saltOf(second))).not.toBe(toHex(saltOf(first)));
    expect(second).not.toBe(first);
  });

  it('hashes the full UTF-8 bytes of a non-ASCII password', () => {
    // 'päßwörd-🔑' is 10 UTF-16 code units but 15 UTF-8 bytes. The package's own wrapper passed
    // the former as the byte length and so hashed only the first 10 bytes.
    const password = 'päßwörd-🔑';
    const encoded = hashPassword(password);
    const bytes = utf8.encode(password);
    expect(bytes.length).toBe(15);
    expect(currentArgon2id(bytes, saltOf(encoded))).toBe(encoded);
    expect(currentArgon2id(bytes.slice(0, password.length), saltOf(encoded))).not.toBe(encoded);
  });

  it('hashes the NFKC form of the password', () => {
    // U+FB01 (the "fi" ligature) and fullwidth "１" normalize to "fi" and "1" under NFKC.
    const encoded = hashPassword('\uFB01nance\uFF11');
    expect(currentArgon2id(utf8.encode('finance1'), saltOf(encoded))).toBe(encoded);
  });
});

describe('verifyPassword', () => {
  const encoded = hashPassword('correct horse battery staple');

  it('accepts the password that was hashed', () => {
    expect(verifyPassword(encoded, 'correct horse battery staple')).toBe(true);
  });

  it.each([
    ['a different password', 'correct horse battery stapler'],
    ['a case change', 'Correct horse battery staple'],
    ['a prefix', 'correct horse battery'],
    ['the empty string', ''],
  ])('refuses %s as the password', (_name, attempt) => {
    expect(verifyPassword(encoded, attempt)).toBe(false);
  });

  it.each([
    ['a composed "é" against its decomposed form', 'caf\u00e9-pass', 'cafe\u0301-pass'],
    ['a decomposed "é" against its composed form', 'cafe\u0301-pass', 'caf\u00e9-pass'],
    ['the "fi" ligature against plain "fi"', '\uFB01nance-2024', 'finance-2024'],
    ['fullwidth letters against ASCII', '\uFF50\uFF41\uFF53\uFF53word', 'password'],
  ])('accepts %s (NFKC)', (_name, hashed, attempt) => {
    expect(normalizePassword(attempt)).toBe(normalizePassword(hashed));
    expect(verifyPassword(hashPassword(hashed), attempt)).toBe(true);
  });

  it('refuses a non-ASCII password that shares only its first UTF-16-length bytes', () => {
    // Each is 11 UTF-16 code units and 17 UTF-8 bytes. With String.length taken as the byte
    // length, both would hash only their first 11 bytes, all inside "ääääää", and so match.
    const hashed = 'ääääää-tail';
    const attempt = 'ääääää-TAIL';
    expect(utf8.encode(hashed).slice(0, hashed.length)).toEqual(
      utf8.encode(attempt).slice(0, attempt.length),
    );
    expect(verifyPassword(hashPassword(hashed), attempt)).toBe(false);
  });

  it.each([
    ['the empty string', ''],
    ['plain text', 'not a hash'],
    ['a PHC string with no tag', '$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0c2FsdA$'],
    ['a PHC string missing the "$" before the salt', '$argon2id$v=19$m=256,t=2,p=1c29tZXNhbHQ'],
    [
      'a PHC string with the tag cut short',
      '$argon2id$v=19$m=256,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQ',
    ],
    [
      'an argon2i PHC string for the right password',
      '$argon2i$v=19$m=256,t=2,p=1$c29tZXNhbHQ$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8',
    ],
    [
      'a PHC string with letters where numbers belong',
      '$argon2id$v=19$m=abc,t=2,p=1$c29tZXNhbHQ$nf65EOgLrQMR/uIPnA4rEsF5h7TKyQwu9U1bMCHGi/4',
    ],
  ])('returns false without throwing for %s as the stored hash', (_name, stored) => {
    expect(verifyPassword(stored, 'password')).toBe(false);
  });
});

describe('needsRehash', () => {
  it('is false for a hash made with the current parameters', () => {
    expect(needsRehash(hashPassword('correct horse battery staple'))).toBe(false);
  });

  it.each([
    ['t=1', { iterations: 1, memoryKib: 19_456, parallelism: 1 }],
    ['a smaller m', { iterations: 2, memoryKib: 12_288, parallelism: 1 }],
    ['p=2', { iterations: 2, memoryKib: 19_456, parallelism: 2 }],
  ])('is true for a hash made with %s, which still verifies', (_name, cost) => {
    const { encoded } = argon2id({
      password: utf8.encode('correct horse battery staple'),
      salt: utf8.encode('0123456789abcdef'),
      hashBytes: 32,
      ...cost,
    });
    expect(needsRehash(encoded)).toBe(true);
    expect(verifyPassword(encoded, 'correct horse battery staple')).toBe(true);
  });

  it('is true for a hash of another Argon2 variant', () => {
    const argon2i =
      '$argon2i$v=19$m=19456,t=2,p=1$c29tZXNhbHRzYWx0c2FsdA' +
      '$iekCn0Y3spW+sCcFanM2xBT63UP2sghkUoHLIUpWRS8';
    expect(needsRehash(argon2i)).toBe(true);
  });
});

describe('DUMMY_PASSWORD_HASH', () => {
  it('carries the current parameters, so it costs what a real verification costs', () => {
    expect(DUMMY_PASSWORD_HASH).toMatch(CURRENT_PHC);
    expect(needsRehash(DUMMY_PASSWORD_HASH)).toBe(false);
    expect(saltOf(DUMMY_PASSWORD_HASH).length).toBe(16);
  });

  it.each(['password', '', 'correct horse battery staple'])('does not verify "%s"', (attempt) => {
    expect(verifyPassword(DUMMY_PASSWORD_HASH, attempt)).toBe(false);
  });
});
