import { describe, expect, it } from 'vitest';
import { ConfigError, getConfig, parseConfig, publicJwks } from '../src/config';
import type { Env } from '../src/env';
import {
  ED25519_KEY_1,
  ED25519_KEY_2,
  ED25519_KEY_UNLISTED,
  P256_KEY,
  publicPart,
  publishedJwk,
  RSA_KEY,
  signingKeyText,
  verifyKeysText,
  type TestJwk,
} from './signing-keys';

// base64 of the bytes 00 01 … 1f, of 1f 1e … 00, and of 31 and 33 bytes of 00 01 ….
const KEY_ASCENDING = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const KEY_DESCENDING = 'Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA';
const BYTES_31 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHg';
const BYTES_33 = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8g';

const GOOD_VARS: Record<string, string> = {
  ENVIRONMENT: 'production',
  CORS_ORIGINS: 'https://app.invisible-bank.test, http://localhost:3000',
  JWT_ISSUER: 'https://api.invisible-bank.test',
  JWT_AUDIENCE: 'invisible-bank-api',
  ACCESS_TOKEN_TTL_SECONDS: '900',
  REFRESH_TOKEN_TTL_SECONDS: '604800',
  JWT_SECRET: KEY_ASCENDING,
  FIELD_ENCRYPTION_KEYS: `k2:${KEY_ASCENDING}, k1:${KEY_DESCENDING}`,
  FIELD_ENCRYPTION_CURRENT_KEY_ID: 'k2',
  BLIND_INDEX_KEY: KEY_DESCENDING,
};

/** The good vars with some replaced, or removed where the replacement is undefined. */
function envWith(changes: Record<string, string | undefined>): Env {
  const vars: Record<string, string | undefined> = { ...GOOD_VARS, ...changes };
  for (const name of Object.keys(vars)) if (vars[name] === undefined) delete vars[name];
  // parseConfig reads only vars and secrets; the bindings are not needed here.
  return vars as unknown as Env;
}

/** The ConfigError message parseConfig throws for this env. */
function configErrorFor(env: Env): string {
  try {
    parseConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as ConfigError).message;
  }
  throw new Error('parseConfig accepted the env');
}

function ascendingBytes(length: number): Uint8Array {
  return Uint8Array.from({ length }, (_, index) => index);
}

describe('parseConfig', () => {
  it('parses a complete env into typed values', () => {
    const config = parseConfig(envWith({}));
    expect(config.environment).toBe('production');
    expect(config.corsOrigins).toEqual([
      'https://app.invisible-bank.test',
      'http://localhost:3000',
    ]);
    expect(config.jwt).toEqual({
      issuer: 'https://api.invisible-bank.test',
      audience: 'invisible-bank-api',
      secret: ascendingBytes(32),
      signingKey: null,
      verifyKeys: [],
      accessTtlSeconds: 900,
      refreshTtlSeconds: 604_800,
    });
    expect(config.fieldEncryption.currentKeyId).toBe('k2');
    expect([...config.fieldEncryption.keys.keys()]).toEqual(['k2', 'k1']);
    expect(config.fieldEncryption.keys.get('k2')).toEqual(ascendingBytes(32));
    expect(config.blindIndex.currentKeyId).toBe('b0');
    expect(config.blindIndex.keys.get('b0')).toEqual(ascendingBytes(32).reverse());
  });

  it('accepts a JWT_SECRET longer than 32 bytes, with surrounding spaces', () => {
    const config = parseConfig(envWith({ JWT_SECRET: ` ${BYTES_33} ` }));
    expect(config.jwt.secret).toEqual(ascendingBytes(33));
  });

  it('accepts an empty CORS_ORIGINS as no allowed origin', () => {
    expect(parseConfig(envWith({ CORS_ORIGINS: '' })).corsOrigins).toEqual([]);
    expect(parseConfig(envWith({ CORS_ORIGINS: undefined })).corsOrigins).toEqual([]);
  });

  it('accepts token lifetimes of exactly 60 seconds, the KV minimum', () => {
    const config = parseConfig(
      envWith({ ACCESS_TOKEN_TTL_SECONDS: '60', REFRESH_TOKEN_TTL_SECONDS: '60' }),
    );
    expect(config.jwt.accessTtlSeconds).toBe(60);
    expect(config.jwt.refreshTtlSeconds).toBe(60);
  });

  it.each([
    'FIELD_ENCRYPTION_KEYS',
    'FIELD_ENCRYPTION_CURRENT_KEY_ID',
    'ACCESS_TOKEN_TTL_SECONDS',
    'REFRESH_TOKEN_TTL_SECONDS',
  ])('names %s when it is not set', (name) => {
    expect(configErrorFor(envWith({ [name]: undefined }))).toBe(
      `Invalid configuration: ${name} is not set`,
    );
  });

  it('names JWT_SECRET and JWT_SIGNING_KEY when neither is set', () => {
    expect(configErrorFor(envWith({ JWT_SECRET: undefined }))).toBe(
      'Invalid configuration: JWT_SECRET is not set, and neither is JWT_SIGNING_KEY',
    );
  });

  it.each(['ENVIRONMENT', 'JWT_ISSUER', 'JWT_AUDIENCE'])(
    'names %s when it is not set, even though zod words the problem',
    (name) => {
      expect(configErrorFor(envWith({ [name]: undefined }))).toMatch(
        new RegExp(`^Invalid configuration: ${name}: `),
      );
    },
  );

  it('names ENVIRONMENT when it is not one of the four environments', () => {
    expect(configErrorFor(envWith({ ENVIRONMENT: 'prod' }))).toMatch(
      /^Invalid configuration: ENVIRONMENT: /,
    );
  });

  it('lists every problem of an empty env, each with its variable name', () => {
    const message = configErrorFor({} as Env);
    for (const name of Object.keys(GOOD_VARS).filter((name) => name !== 'CORS_ORIGINS')) {
      expect(message).toContain(name);
    }
  });

  it.each([
    ['31 bytes', BYTES_31],
    ['the empty string', ''],
    ['text that is not base64', 'correct horse battery staple, 32+ characters long'],
  ])('refuses a JWT_SECRET of %s', (_name, secret) => {
    expect(configErrorFor(envWith({ JWT_SECRET: secret }))).toBe(
      'Invalid configuration: JWT_SECRET must be base64 of at least 32 random bytes',
    );
  });

  it('names both blind index variables when neither is set', () => {
    expect(configErrorFor(envWith({ BLIND_INDEX_KEY: undefined }))).toBe(
      'Invalid configuration: BLIND_INDEX_KEY is not set, and neither is BLIND_INDEX_KEYS',
    );
  });

  it('reads BLIND_INDEX_KEYS as a ring and ignores BLIND_INDEX_KEY beside it', () => {
    const config = parseConfig(
      envWith({
        BLIND_INDEX_KEYS: `b2:${KEY_ASCENDING},b0:${KEY_DESCENDING}`,
        BLIND_INDEX_CURRENT_KEY_ID: 'b2',
      }),
    );
    expect(config.blindIndex.currentKeyId).toBe('b2');
    expect([...config.blindIndex.keys.keys()]).toEqual(['b2', 'b0']);
    expect(config.blindIndex.keys.get('b2')).toEqual(ascendingBytes(32));
  });

  it('refuses a BLIND_INDEX_CURRENT_KEY_ID that names no key in BLIND_INDEX_KEYS', () => {
    const env = envWith({
      BLIND_INDEX_KEYS: `b2:${KEY_ASCENDING}`,
      BLIND_INDEX_CURRENT_KEY_ID: 'b9',
    });
    expect(configErrorFor(env)).toBe('BLIND_INDEX_CURRENT_KEY_ID names no key in BLIND_INDEX_KEYS');
  });

  it('refuses an OPS_API_TOKEN under 32 bytes and accepts one of 32', () => {
    expect(configErrorFor(envWith({ OPS_API_TOKEN: BYTES_31 }))).toBe(
      'Invalid configuration: OPS_API_TOKEN must be base64 of at least 32 random bytes',
    );
    expect(parseConfig(envWith({ OPS_API_TOKEN: KEY_ASCENDING })).opsApiToken).toBe(KEY_ASCENDING);
    expect(parseConfig(envWith({})).opsApiToken).toBe(null);
  });

  it('refuses a BLIND_INDEX_KEY under 32 bytes', () => {
    expect(configErrorFor(envWith({ BLIND_INDEX_KEY: BYTES_31 }))).toBe(
      'Invalid configuration: BLIND_INDEX_KEY must be base64 of at least 32 random bytes',
    );
  });

  it.each([
    ['an entry without a key id', KEY_ASCENDING],
    ['an empty key id', `:${KEY_ASCENDING}`],
    ['a key id with a dot', `k.1:${KEY_ASCENDING}`],
    ['a key id over 16 characters', `k12345678901234567:${KEY_ASCENDING}`],
    ['a 31-byte key', `k2:${BYTES_31}`],
    ['a 33-byte key', `k2:${BYTES_33}`],
    ['a key that is not base64', 'k2:not*base64'],
    ['a repeated key id', `k2:${KEY_ASCENDING},k2:${KEY_DESCENDING}`],
    ['an empty entry after a comma', `k2:${KEY_ASCENDING},`],
    ['the empty string', ''],
  ])('refuses FIELD_ENCRYPTION_KEYS with %s', (_name, keys) => {
    expect(configErrorFor(envWith({ FIELD_ENCRYPTION_KEYS: keys }))).toBe(
      'Invalid configuration: ' +
        'FIELD_ENCRYPTION_KEYS entries must be keyId:base64 of 32 random bytes',
    );
  });

  it('refuses a FIELD_ENCRYPTION_CURRENT_KEY_ID that names no key in the ring', () => {
    expect(configErrorFor(envWith({ FIELD_ENCRYPTION_CURRENT_KEY_ID: 'k3' }))).toBe(
      'FIELD_ENCRYPTION_CURRENT_KEY_ID names no key in FIELD_ENCRYPTION_KEYS',
    );
  });

  it.each(['ACCESS_TOKEN_TTL_SECONDS', 'REFRESH_TOKEN_TTL_SECONDS'])(
    'refuses %s of 59, under the 60-second KV minimum',
    (name) => {
      expect(configErrorFor(envWith({ [name]: '59' }))).toBe(
        `Invalid configuration: ${name} must be at least 60`,
      );
    },
  );

  it.each([
    ['a negative number', '-900'],
    ['a fraction', '900.5'],
    ['an exponent', '9e2'],
    ['a ten-digit number', '1000000000'],
    ['the empty string', ''],
  ])('refuses an ACCESS_TOKEN_TTL_SECONDS of %s as not whole seconds', (_name, value) => {
    expect(configErrorFor(envWith({ ACCESS_TOKEN_TTL_SECONDS: value }))).toBe(
      'Invalid configuration: ACCESS_TOKEN_TTL_SECONDS must be a whole number of seconds',
    );
  });

  it.each([
    ['the wildcard', '*'],
    ['"null"', 'null'],
    ['a wildcard beside a good origin', 'https://app.invisible-bank.test,*'],
    ['an origin with a path', 'https://app.invisible-bank.test/'],
    ['a scheme-less host', 'app.invisible-bank.test'],
    ['a subdomain wildcard', 'https://*.invisible-bank.test'],
  ])('refuses %s in CORS_ORIGINS, naming the variable', (_name, origins) => {
    const entry = origins.split(',').at(-1);
    expect(configErrorFor(envWith({ CORS_ORIGINS: origins }))).toBe(
      `CORS_ORIGINS entry "${entry}" is not an exact http(s) origin`,
    );
  });
});

/** ED25519_KEY_1 as JWT_SIGNING_KEY text, with members replaced or, when undefined, removed. */
function signingKeyWith(changes: Record<string, unknown>): string {
  return signingKeyText({ ...ED25519_KEY_1, ...changes } as TestJwk);
}

describe('parseConfig with Ed25519 signing keys', () => {
  it('parses JWT_SIGNING_KEY and JWT_VERIFY_KEYS into their JWKs', () => {
    const config = parseConfig(
      envWith({
        JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2),
        JWT_VERIFY_KEYS: verifyKeysText(ED25519_KEY_1, ED25519_KEY_UNLISTED),
      }),
    );
    expect(config.jwt.signingKey).toEqual(ED25519_KEY_2);
    expect(config.jwt.verifyKeys).toEqual([
      publicPart(ED25519_KEY_1),
      publicPart(ED25519_KEY_UNLISTED),
    ]);
    expect(config.jwt.secret).toEqual(ascendingBytes(32));
  });

  it('accepts JWT_SIGNING_KEY without JWT_SECRET, leaving no HMAC secret', () => {
    const config = parseConfig(
      envWith({ JWT_SECRET: undefined, JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1) }),
    );
    expect(config.jwt.secret).toBeNull();
    expect(config.jwt.signingKey?.kid).toBe('test-ed-1');
  });

  it('keeps only kty, crv, kid, x and d of a key that has alg, use and key_ops', () => {
    const text = signingKeyWith({ alg: 'EdDSA', use: 'sig', key_ops: ['sign'] });
    expect(parseConfig(envWith({ JWT_SIGNING_KEY: text })).jwt.signingKey).toEqual(ED25519_KEY_1);
  });

  it('accepts a kid of 64 characters, the maximum', () => {
    const kid = 'k'.repeat(64);
    const config = parseConfig(envWith({ JWT_SIGNING_KEY: signingKeyWith({ kid }) }));
    expect(config.jwt.signingKey?.kid).toBe(kid);
  });

  it('accepts keys copied from /.well-known/jwks.json as JWT_VERIFY_KEYS', () => {
    const text = JSON.stringify([publishedJwk(ED25519_KEY_1)]);
    const config = parseConfig(
      envWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2), JWT_VERIFY_KEYS: text }),
    );
    expect(config.jwt.verifyKeys).toEqual([publicPart(ED25519_KEY_1)]);
  });

  it('accepts JWT_VERIFY_KEYS without JWT_SIGNING_KEY, for a return to HS256', () => {
    const config = parseConfig(envWith({ JWT_VERIFY_KEYS: verifyKeysText(ED25519_KEY_1) }));
    expect(config.jwt.signingKey).toBeNull();
    expect(config.jwt.verifyKeys).toEqual([publicPart(ED25519_KEY_1)]);
  });

  it('accepts an empty JWT_VERIFY_KEYS array and up to 8 retired keys', () => {
    const eight = Array.from({ length: 8 }, (_, index) => ({ ...ED25519_KEY_1, kid: `r${index}` }));
    const withEmpty = parseConfig(envWith({ JWT_VERIFY_KEYS: '[]' }));
    const withEight = parseConfig(envWith({ JWT_VERIFY_KEYS: verifyKeysText(...eight) }));
    expect(withEmpty.jwt.verifyKeys).toEqual([]);
    expect(withEight.jwt.verifyKeys.map((key) => key.kid)).toEqual([
      'r0',
      'r1',
      'r2',
      'r3',
      'r4',
      'r5',
      'r6',
      'r7',
    ]);
  });

  it('still refuses a JWT_SECRET under 32 bytes beside a signing key', () => {
    const env = envWith({ JWT_SECRET: BYTES_31, JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1) });
    expect(configErrorFor(env)).toBe(
      'Invalid configuration: JWT_SECRET must be base64 of at least 32 random bytes',
    );
  });

  it.each([
    ['text that is not JSON', 'not json'],
    ['the empty string', ''],
    ['a JSON array holding the key', `[${signingKeyText(ED25519_KEY_1)}]`],
    ['JSON null', 'null'],
  ])('refuses %s as JWT_SIGNING_KEY', (_name, text) => {
    expect(configErrorFor(envWith({ JWT_SIGNING_KEY: text }))).toBe(
      'Invalid configuration: JWT_SIGNING_KEY must be a JSON Web Key object',
    );
  });

  it.each([
    ['an RSA key', RSA_KEY],
    ['a P-256 key', P256_KEY],
    ['an X25519 key', { ...ED25519_KEY_1, crv: 'X25519' }],
    ['an Ed448 key', { ...ED25519_KEY_1, crv: 'Ed448' }],
    ['an Ed25519 key without kty', { ...ED25519_KEY_1, kty: undefined }],
  ])('refuses %s as JWT_SIGNING_KEY, which must be Ed25519', (_name, jwk) => {
    expect(configErrorFor(envWith({ JWT_SIGNING_KEY: signingKeyText(jwk as TestJwk) }))).toBe(
      'Invalid configuration: JWT_SIGNING_KEY must be an Ed25519 key (kty "OKP", crv "Ed25519")',
    );
  });

  it.each([
    ['alg RS256', { alg: 'RS256' }, 'names an alg other than EdDSA'],
    ['alg HS256', { alg: 'HS256' }, 'names an alg other than EdDSA'],
    ['use enc', { use: 'enc' }, 'has a use other than "sig"'],
    ['no kid', { kid: undefined }, 'needs a kid of 1 to 64 letters, digits, ".", "_" or "-"'],
    ['an empty kid', { kid: '' }, 'needs a kid of 1 to 64 letters, digits, ".", "_" or "-"'],
    [
      'a 65-character kid',
      { kid: 'k'.repeat(65) },
      'needs a kid of 1 to 64 letters, digits, ".", "_" or "-"',
    ],
    [
      'a kid with a space',
      { kid: 'test ed' },
      'needs a kid of 1 to 64 letters, digits, ".", "_" or "-"',
    ],
    ['a numeric kid', { kid: 1 }, 'needs a kid of 1 to 64 letters, digits, ".", "_" or "-"'],
    ['the kid of JWT_SECRET', { kid: 'hs1' }, 'may not use kid "hs1", which names JWT_SECRET'],
    ['no x', { x: undefined }, 'needs an "x" of 32 bytes in base64url'],
    [
      'an x of 31 bytes',
      { x: ED25519_KEY_1.x.slice(0, 42) },
      'needs an "x" of 32 bytes in base64url',
    ],
    ['a padded x', { x: `${ED25519_KEY_1.x}=` }, 'needs an "x" of 32 bytes in base64url'],
    [
      'a non-canonical x',
      { x: `${ED25519_KEY_1.x.slice(0, 42)}R` },
      'needs an "x" of 32 bytes in base64url',
    ],
    ['no d, a public key only', { d: undefined }, 'has no private part "d"'],
    ['a d of 33 bytes', { d: `${ED25519_KEY_1.d}AA` }, 'needs a "d" of 32 bytes in base64url'],
    [
      'a d in standard base64',
      { d: ED25519_KEY_1.d.replace('-', '+') },
      'needs a "d" of 32 bytes in base64url',
    ],
  ])('refuses a JWT_SIGNING_KEY with %s', (_name, changes, problem) => {
    expect(configErrorFor(envWith({ JWT_SIGNING_KEY: signingKeyWith(changes) }))).toBe(
      `Invalid configuration: JWT_SIGNING_KEY ${problem}`,
    );
  });

  it('refuses a JWT_SIGNING_KEY of 4097 characters, over the limit', () => {
    const unpadded = signingKeyWith({ pad: '' });
    const padded = signingKeyWith({ pad: 'p'.repeat(4097 - unpadded.length) });
    expect(padded.length).toBe(4097);
    expect(configErrorFor(envWith({ JWT_SIGNING_KEY: padded }))).toBe(
      'Invalid configuration: JWT_SIGNING_KEY must be at most 4096 characters',
    );
  });

  it.each([
    ['text that is not JSON', 'not json'],
    ['one key instead of an array', JSON.stringify(publicPart(ED25519_KEY_1))],
    [
      '9 keys',
      verifyKeysText(
        ...Array.from({ length: 9 }, (_, index) => ({ ...ED25519_KEY_1, kid: `r${index}` })),
      ),
    ],
  ])('refuses %s as JWT_VERIFY_KEYS', (_name, text) => {
    expect(configErrorFor(envWith({ JWT_VERIFY_KEYS: text }))).toBe(
      'Invalid configuration: JWT_VERIFY_KEYS must be a JSON array of at most 8 public JWKs',
    );
  });

  it.each([
    [
      'a private key',
      [publicPart(ED25519_KEY_1), ED25519_KEY_2],
      'entry 1 must hold public keys only, without "d"',
    ],
    [
      'an RSA key',
      [publicPart(RSA_KEY)],
      'entry 0 must be an Ed25519 key (kty "OKP", crv "Ed25519")',
    ],
    [
      'a key without kid',
      [{ ...publicPart(ED25519_KEY_1), kid: undefined }],
      'entry 0 needs a kid of 1 to 64 letters, digits, ".", "_" or "-"',
    ],
    [
      'a repeated kid',
      [publicPart(ED25519_KEY_1), { ...publicPart(ED25519_KEY_2), kid: 'test-ed-1' }],
      'repeats kid "test-ed-1"',
    ],
  ])('refuses JWT_VERIFY_KEYS holding %s', (_name, keys, problem) => {
    expect(configErrorFor(envWith({ JWT_VERIFY_KEYS: JSON.stringify(keys) }))).toBe(
      `Invalid configuration: JWT_VERIFY_KEYS ${problem}`,
    );
  });

  it('refuses JWT_VERIFY_KEYS holding another key under the kid of JWT_SIGNING_KEY', () => {
    const env = envWith({
      JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1),
      JWT_VERIFY_KEYS: verifyKeysText(ED25519_KEY_UNLISTED, { ...ED25519_KEY_2, kid: 'test-ed-1' }),
    });
    expect(configErrorFor(env)).toBe(
      'JWT_VERIFY_KEYS holds another key under the kid of JWT_SIGNING_KEY',
    );
  });

  it('drops the public half of JWT_SIGNING_KEY from JWT_VERIFY_KEYS, so it is listed once', () => {
    const config = parseConfig(
      envWith({
        JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2),
        JWT_VERIFY_KEYS: verifyKeysText(ED25519_KEY_1, ED25519_KEY_2),
      }),
    );
    expect(config.jwt.verifyKeys).toEqual([publicPart(ED25519_KEY_1)]);
    expect(publicJwks(config)).toEqual([publishedJwk(ED25519_KEY_2), publishedJwk(ED25519_KEY_1)]);
  });

  it('never quotes key material in its message', () => {
    const message = configErrorFor(envWith({ JWT_SIGNING_KEY: signingKeyWith({ use: 'enc' }) }));
    expect(message).not.toContain(ED25519_KEY_1.d);
    expect(message).not.toContain(ED25519_KEY_1.x);
  });
});

describe('parseConfig rate limits', () => {
  it("defaults to API.md's 60, 5 and 30 requests a minute", () => {
    expect(parseConfig(envWith({})).rateLimits).toEqual({
      generalPerMinute: 60,
      authPerMinute: 5,
      moneyPerMinute: 30,
    });
  });

  it('reads each quota from its variable, from 1 up to 100000', () => {
    const config = parseConfig(
      envWith({
        RATE_LIMIT_GENERAL_PER_MINUTE: '100000',
        RATE_LIMIT_AUTH_PER_MINUTE: '1',
        RATE_LIMIT_MONEY_PER_MINUTE: '007',
      }),
    );
    expect(config.rateLimits).toEqual({
      generalPerMinute: 100_000,
      authPerMinute: 1,
      moneyPerMinute: 7,
    });
  });

  it.each([
    ['RATE_LIMIT_GENERAL_PER_MINUTE', '0'],
    ['RATE_LIMIT_GENERAL_PER_MINUTE', '100001'],
    ['RATE_LIMIT_AUTH_PER_MINUTE', '-5'],
    ['RATE_LIMIT_AUTH_PER_MINUTE', '5.5'],
    ['RATE_LIMIT_AUTH_PER_MINUTE', ' 5'],
    ['RATE_LIMIT_MONEY_PER_MINUTE', ''],
    ['RATE_LIMIT_MONEY_PER_MINUTE', 'thirty'],
    ['RATE_LIMIT_MONEY_PER_MINUTE', '1e3'],
  ])('refuses %s = "%s" with a message that names it and its range', (name, value) => {
    expect(configErrorFor(envWith({ [name]: value }))).toBe(
      `Invalid configuration: ${name} must be a whole number from 1 to 100000`,
    );
  });

  it('says to quote a quota written as a number in wrangler.toml', () => {
    const env = { ...envWith({}), RATE_LIMIT_AUTH_PER_MINUTE: 5 } as unknown as Env;
    expect(configErrorFor(env)).toBe(
      'Invalid configuration: RATE_LIMIT_AUTH_PER_MINUTE must be a whole number from 1 to ' +
        '100000, written as a string',
    );
  });
});

describe('getConfig', () => {
  it('parses each env object once and returns the same config afterwards', () => {
    const env = envWith({});
    expect(getConfig(env)).toBe(getConfig(env));
    expect(getConfig(envWith({}))).not.toBe(getConfig(env));
  });

  it('throws the ConfigError of a bad env on every call, never caching a failure', () => {
    const env = envWith({ JWT_SECRET: BYTES_31 });
    expect(() => getConfig(env)).toThrow(ConfigError);
    expect(() => getConfig(env)).toThrow(ConfigError);
  });
});
