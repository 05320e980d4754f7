import { CompactSign, compactVerify, importJWK } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type Config } from '../../src/config';
import { getJwtSigningKey, getJwtVerificationKeys } from '../../src/crypto/signing-keys';
import type { Env } from '../../src/env';
import { utf8 } from '../../src/lib/encoding';
import {
  ED25519_KEY_1,
  ED25519_KEY_2,
  ED25519_KEY_MISMATCHED,
  RFC8037_JWS,
  RFC8037_KEY,
  signingKeyText,
  verifyKeysText,
} from '../signing-keys';

// base64 of the bytes 00 01 … 1f, and of 1f 1e … 00.
const SECRET_ASCENDING = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const SECRET_DESCENDING = 'Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA';

/** A config with the given JWT secrets; a variable set to undefined is left out. */
function configWith(secrets: Record<string, string | undefined>): Config {
  const vars: Record<string, string | undefined> = {
    ENVIRONMENT: 'test',
    JWT_ISSUER: 'https://api.invisible-bank.test',
    JWT_AUDIENCE: 'invisible-bank-api',
    ACCESS_TOKEN_TTL_SECONDS: '900',
    REFRESH_TOKEN_TTL_SECONDS: '604800',
    JWT_SECRET: SECRET_ASCENDING,
    FIELD_ENCRYPTION_KEYS: `k1:${SECRET_ASCENDING}`,
    FIELD_ENCRYPTION_CURRENT_KEY_ID: 'k1',
    BLIND_INDEX_KEY: SECRET_DESCENDING,
    ...secrets,
  };
  for (const name of Object.keys(vars)) if (vars[name] === undefined) delete vars[name];
  // parseConfig reads only vars and secrets; the bindings are not needed here.
  return parseConfig(vars as unknown as Env);
}

/** The kid → algorithm pairs of a config's verification keys, in insertion order. */
async function algorithmsByKeyId(config: Config): Promise<[string, string][]> {
  const keys = await getJwtVerificationKeys(config);
  return [...keys.byKeyId.values()].map((entry) => [entry.kid, entry.algorithm]);
}

describe('Ed25519 through jose and WebCrypto inside workerd (RFC 8037 appendix A)', () => {
  it('signs the A.4 example with the A.1 key to exactly the published JWS', async () => {
    // Ed25519 signatures are deterministic, so an exact match proves that workerd's Ed25519,
    // jose's EdDSA and our JWK import agree with the RFC, not only with each other.
    const privateKey = await importJWK(RFC8037_KEY, 'EdDSA');
    const jws = await new CompactSign(utf8.encode('Example of Ed25519 signing'))
      .setProtectedHeader({ alg: 'EdDSA' })
      .sign(privateKey);
    expect(jws).toBe(RFC8037_JWS);
  });

  it('verifies the A.4 example with the public half of the A.1 key', async () => {
    const publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_KEY.x }, 'EdDSA');
    const { payload } = await compactVerify(RFC8037_JWS, publicKey, { algorithms: ['EdDSA'] });
    expect(new TextDecoder().decode(payload)).toBe('Example of Ed25519 signing');
  });

  it('refuses the A.4 example with its last signature character changed', async () => {
    const publicKey = await importJWK({ kty: 'OKP', crv: 'Ed25519', x: RFC8037_KEY.x }, 'EdDSA');
    const tampered = RFC8037_JWS.slice(0, -1) + 'A';
    await expect(compactVerify(tampered, publicKey, { algorithms: ['EdDSA'] })).rejects.toThrow(
      'signature verification failed',
    );
  });
});

describe('getJwtSigningKey', () => {
  it('is JWT_SECRET under kid hs1 with HS256 when no signing key is set', async () => {
    const signing = await getJwtSigningKey(configWith({}));
    expect(signing.kid).toBe('hs1');
    expect(signing.algorithm).toBe('HS256');
    // Imported once as an HMAC key; it signs exactly as the raw secret does.
    const key = signing.key as CryptoKey;
    expect(key.algorithm).toEqual({ name: 'HMAC', hash: { name: 'SHA-256' }, length: 256 });
    const secret = Uint8Array.from({ length: 32 }, (_, index) => index);
    const message = new TextEncoder().encode('probe');
    const viaKey = await crypto.subtle.sign('HMAC', key, message);
    const rawKey = await crypto.subtle.importKey(
      'raw',
      secret,
      { name: 'HMAC', hash: 'SHA-256' },
      false,
      ['sign'],
    );
    expect(new Uint8Array(viaKey)).toEqual(
      new Uint8Array(await crypto.subtle.sign('HMAC', rawKey, message)),
    );
  });

  it('is the private Ed25519 key of JWT_SIGNING_KEY under its kid with EdDSA', async () => {
    const signing = await getJwtSigningKey(
      configWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1) }),
    );
    expect(signing.kid).toBe('test-ed-1');
    expect(signing.algorithm).toBe('EdDSA');
    const key = signing.key as CryptoKey;
    expect([key.type, key.algorithm.name, key.extractable]).toEqual(['private', 'Ed25519', false]);
  });

  it('imports the key once per config', async () => {
    const config = configWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1) });
    expect(await getJwtSigningKey(config)).toBe(await getJwtSigningKey(config));
  });

  it('refuses a JWT_SIGNING_KEY whose "d" belongs to another key, on every call', async () => {
    const config = configWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_MISMATCHED) });
    for (const attempt of [1, 2]) {
      const error = await getJwtSigningKey(config).then(
        () => new Error(`attempt ${attempt} accepted the key`),
        (refusal: unknown) => refusal,
      );
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as ConfigError).message).toBe(
        'JWT_SIGNING_KEY has a "d" that does not belong to its "x"',
      );
    }
  });
});

describe('getJwtVerificationKeys', () => {
  it('holds only JWT_SECRET under hs1 when no Ed25519 key is set', async () => {
    const config = configWith({});
    expect(await algorithmsByKeyId(config)).toEqual([['hs1', 'HS256']]);
    expect((await getJwtVerificationKeys(config)).algorithms).toEqual(['HS256']);
  });

  it('binds hs1 to HS256 and every Ed25519 kid to EdDSA during a switch-over', async () => {
    const config = configWith({
      JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2),
      JWT_VERIFY_KEYS: verifyKeysText(ED25519_KEY_1),
    });
    expect(await algorithmsByKeyId(config)).toEqual([
      ['hs1', 'HS256'],
      ['test-ed-2', 'EdDSA'],
      ['test-ed-1', 'EdDSA'],
    ]);
    expect((await getJwtVerificationKeys(config)).algorithms).toEqual(['HS256', 'EdDSA']);
  });

  it('drops hs1 and HS256 once JWT_SECRET is removed', async () => {
    const config = configWith({
      JWT_SECRET: undefined,
      JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1),
    });
    expect(await algorithmsByKeyId(config)).toEqual([['test-ed-1', 'EdDSA']]);
    expect((await getJwtVerificationKeys(config)).algorithms).toEqual(['EdDSA']);
  });

  it('imports only public keys for verifying', async () => {
    const config = configWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1) });
    const entry = (await getJwtVerificationKeys(config)).byKeyId.get('test-ed-1');
    expect((entry?.key as CryptoKey).type).toBe('public');
  });
});
