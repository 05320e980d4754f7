import { CompactSign, compactVerify, importJWK } from 'jose';
import { ConfigError, HMAC_KEY_ID, type Config, type Ed25519Jwk } from '../config';
import { assert } from '../lib/assert';
import { utf8 } from '../lib/encoding';

/**
 * JWT keys, imported with jose once per config. src/config.ts has already checked their shape;
 * what only an import can show (a "d" that does not belong to its "x") is a ConfigError here.
 */
export type JwtAlgorithm = 'HS256' | 'EdDSA';

/** An imported JWT key, bound to the one algorithm it may be used with (RFC 8725 §3.1). */
export interface JwtKey {
  kid: string;
  algorithm: JwtAlgorithm;
  key: CryptoKey | Uint8Array;
}

/** The keys a token's kid may name; a static map, never filled from a token (RFC 8725 §3.10). */
export interface JwtVerificationKeys {
  byKeyId: ReadonlyMap<string, JwtKey>;
  algorithms: JwtAlgorithm[];
}

const verificationKeysCache = new WeakMap<Config, Promise<JwtVerificationKeys>>();
const signingKeyCache = new WeakMap<Config, Promise<JwtKey>>();

/** Caches a promise per config, but forgets a rejected one, as getConfig never caches failure. */
function cachedPerConfig<T>(
  cache: WeakMap<Config, Promise<T>>,
  config: Config,
  load: () => Promise<T>,
): Promise<T> {
  let promise = cache.get(config);
  if (!promise) {
    promise = load();
    cache.set(config, promise);
    // The caller awaits the original promise and sees the failure; this branch only forgets it.
    promise.catch(() => cache.delete(config));
  }
  return promise;
}

/**
 * The HMAC secret as a CryptoKey. Given raw bytes, jose imports the key again for every
 * token; imported once per config, each verification is one HMAC and nothing more.
 */
function importHmacKey(secret: Uint8Array): Promise<CryptoKey> {
  return crypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, [
    'sign',
    'verify',
  ]);
}

async function importPublicKey(jwk: Ed25519Jwk, variable: string): Promise<CryptoKey | Uint8Array> {
  try {
    return await importJWK({ kty: jwk.kty, crv: jwk.crv, x: jwk.x }, 'EdDSA');
  } catch (error) {
    throw new ConfigError(`${variable} key "${jwk.kid}" is not a usable Ed25519 key`, {
      cause: error,
    });
  }
}

/**
 * Every key a token may be verified with, imported once per config: JWT_SECRET under kid hs1
 * while it is set, the public half of JWT_SIGNING_KEY and JWT_VERIFY_KEYS. Throws ConfigError.
 */
export function getJwtVerificationKeys(config: Config): Promise<JwtVerificationKeys> {
  return cachedPerConfig(verificationKeysCache, config, async () => {
    const { secret, signingKey, verifyKeys } = config.jwt;
    const byKeyId = new Map<string, JwtKey>();
    if (secret) {
      byKeyId.set(HMAC_KEY_ID, {
        kid: HMAC_KEY_ID,
        algorithm: 'HS256',
        key: await importHmacKey(secret),
      });
    }
    const named = [
      ...(signingKey ? [{ jwk: signingKey, variable: 'JWT_SIGNING_KEY' }] : []),
      ...verifyKeys.map((jwk) => ({ jwk, variable: 'JWT_VERIFY_KEYS' })),
    ];
    for (const { jwk, variable } of named) {
      const key = await importPublicKey(jwk, variable);
      byKeyId.set(jwk.kid, { kid: jwk.kid, algorithm: 'EdDSA', key });
    }
    const algorithms = [...new Set([...byKeyId.values()].map((entry) => entry.algorithm))];
    return { byKeyId, algorithms };
  });
}

/**
 * The key new tokens are signed with: JWT_SIGNING_KEY (EdDSA) when set, else JWT_SECRET (HS256).
 * Imported once per config. Throws ConfigError when the private part "d" of JWT_SIGNING_KEY does
 * not belong to its public part "x", which a signature over a probe reveals.
 */
export function getJwtSigningKey(config: Config): Promise<JwtKey> {
  return cachedPerConfig(signingKeyCache, config, async () => {
    const { secret, signingKey } = config.jwt;
    if (!signingKey) {
      assert(secret, 'parseConfig refuses an env with neither JWT_SECRET nor JWT_SIGNING_KEY');
      return { kid: HMAC_KEY_ID, algorithm: 'HS256', key: await importHmacKey(secret) };
    }
    const { kty, crv, x, d } = signingKey;
    let privateKey;
    try {
      privateKey = await importJWK({ kty, crv, x, d }, 'EdDSA');
    } catch (error) {
      throw new ConfigError('JWT_SIGNING_KEY is not a usable Ed25519 private key', {
        cause: error,
      });
    }
    await provePair(privateKey, await importPublicKey(signingKey, 'JWT_SIGNING_KEY'));
    return { kid: signingKey.kid, algorithm: 'EdDSA', key: privateKey };
  });
}

/**
 * Signs a probe with the private key and verifies it with the public one. WebCrypto imports a
 * private JWK from "d" alone, so a "d" copied from another key would otherwise go unnoticed
 * until every token it signed failed at verifiers that trust the published "x".
 */
async function provePair(
  privateKey: CryptoKey | Uint8Array,
  publicKey: CryptoKey | Uint8Array,
): Promise<void> {
  const probe = await new CompactSign(utf8.encode('invisible-bank signing key probe'))
    .setProtectedHeader({ alg: 'EdDSA' })
    .sign(privateKey);
  try {
    await compactVerify(probe, publicKey, { algorithms: ['EdDSA'] });
  } catch (error) {
    throw new ConfigError('JWT_SIGNING_KEY has a "d" that does not belong to its "x"', {
      cause: error,
    });
  }
}
