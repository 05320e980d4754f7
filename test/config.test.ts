import { describe, expect, it } from 'vitest';
import { ConfigError, getConfig, parseConfig } from '../src/config';
import type { Env } from '../src/env';

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
      accessTtlSeconds: 900,
      refreshTtlSeconds: 604_800,
    });
    expect(config.fieldEncryption.currentKeyId).toBe('k2');
    expect([...config.fieldEncryption.keys.keys()]).toEqual(['k2', 'k1']);
    expect(config.fieldEncryption.keys.get('k2')).toEqual(ascendingBytes(32));
    expect(config.blindIndexKey).toEqual(ascendingBytes(32).reverse());
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
    'JWT_SECRET',
    'BLIND_INDEX_KEY',
    'FIELD_ENCRYPTION_KEYS',
    'FIELD_ENCRYPTION_CURRENT_KEY_ID',
    'ACCESS_TOKEN_TTL_SECONDS',
    'REFRESH_TOKEN_TTL_SECONDS',
  ])('names %s when it is not set', (name) => {
    expect(configErrorFor(envWith({ [name]: undefined }))).toBe(
      `Invalid configuration: ${name} is not set`,
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
