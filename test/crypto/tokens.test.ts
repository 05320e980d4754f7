import { compactVerify, decodeProtectedHeader, importJWK, SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig, type Config } from '../../src/config';
import {
  HMAC_KEY_ID,
  signToken,
  TokenInvalidError,
  verifyToken,
  type IssueTokenInput,
  type TokenKind,
} from '../../src/crypto/tokens';
import type { Env } from '../../src/env';
import { base64ToBytes, utf8 } from '../../src/lib/encoding';
import {
  ED25519_KEY_1,
  ED25519_KEY_2,
  ED25519_KEY_MISMATCHED,
  ED25519_KEY_UNLISTED,
  publicPart,
  publishedJwk,
  signingKeyText,
  verifyKeysText,
  type TestJwk,
} from '../signing-keys';

// base64 of the bytes 00 01 … 1f, and of 1f 1e … 00.
const SECRET_ASCENDING = 'AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8';
const SECRET_DESCENDING = 'Hx4dHBsaGRgXFhUUExIREA8ODQwLCgkIBwYFBAMCAQA';

/** A config with the given JWT secrets; a variable set to undefined is left out. */
function configWith(secrets: Record<string, string | undefined>): Config {
  const vars: Record<string, string | undefined> = {
    ENVIRONMENT: 'test',
    CORS_ORIGINS: 'https://app.invisible-bank.test',
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

const SECRET_BYTES = Uint8Array.from({ length: 32 }, (_, index) => index);
const CONFIG = configWith({});
const OTHER_CONFIG = configWith({ JWT_SECRET: SECRET_DESCENDING });

const NOW_MS = Date.UTC(2026, 11, 3, 16, 20, 0);
const NOW_SECONDS = NOW_MS / 1000;
const SECOND_MS = 1000;

function issueInput(kind: TokenKind, overrides: Partial<IssueTokenInput> = {}): IssueTokenInput {
  return {
    kind,
    holderId: '0190c7e2-4c1a-7000-8000-0000000000aa',
    sessionId: '0190c7e2-4c1a-7000-8000-0000000000bb',
    tokenId: '0190c7e2-4c1a-7000-8000-0000000000cc',
    nowMs: NOW_MS,
    ttlSeconds: 900,
    ...overrides,
  };
}

interface CraftOptions {
  header?: Record<string, unknown>;
  claims?: JWTPayload;
  key?: CryptoKey | Uint8Array;
}

/** Signs a token the way signToken does, with chosen header fields and claims replaced. */
function craftToken(options: CraftOptions = {}): Promise<string> {
  const claims: JWTPayload = {
    sid: '0190c7e2-4c1a-7000-8000-0000000000bb',
    typ: 'access',
    iss: CONFIG.jwt.issuer,
    aud: CONFIG.jwt.audience,
    sub: '0190c7e2-4c1a-7000-8000-0000000000aa',
    jti: '0190c7e2-4c1a-7000-8000-0000000000cc',
    iat: NOW_SECONDS,
    exp: NOW_SECONDS + 900,
    ...options.claims,
  };
  const header = { alg: 'HS256', typ: 'at+jwt', kid: HMAC_KEY_ID, ...options.header };
  return new SignJWT(claims).setProtectedHeader(header).sign(options.key ?? SECRET_BYTES);
}

function base64UrlJson(value: unknown): string {
  return btoa(JSON.stringify(value)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

const FIXED_REASON = new RegExp(
  '^(token rejected: ERR_[A-Z_]+|unexpected header parameter|unknown key id|' +
    'key algorithm mismatch|token kind mismatch|missing claims)$',
);

/** Verifies a token that must be refused and returns the TokenInvalidError's message. */
async function refusal(
  token: string,
  options: { kind?: TokenKind; nowMs?: number; config?: Config } = {},
): Promise<string> {
  const attempt = verifyToken(
    options.config ?? CONFIG,
    options.kind ?? 'access',
    token,
    options.nowMs ?? NOW_MS,
  );
  const outcome = await attempt.then(
    (claims) => ({ claims }),
    (error: unknown) => ({ error }),
  );
  if (!('error' in outcome)) throw new Error(`token accepted: ${JSON.stringify(outcome.claims)}`);
  expect(outcome.error).toBeInstanceOf(TokenInvalidError);
  const message = (outcome.error as TokenInvalidError).message;
  // The message goes to logs, so it is one of a few fixed reasons and never carries the token.
  expect(message).toMatch(FIXED_REASON);
  return message;
}

describe('HS256 through jose and WebCrypto (RFC 7515 appendix A.1)', () => {
  const JWK = {
    kty: 'oct',
    k: 'AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQLr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow',
  };
  const JWS =
    'eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9' +
    '.eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb' +
    '290Ijp0cnVlfQ' +
    '.dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk';

  it('verifies the example JWS with the example key and yields its exact payload', async () => {
    const key = await importJWK(JWK, 'HS256');
    const { payload, protectedHeader } = await compactVerify(JWS, key, { algorithms: ['HS256'] });
    expect(protectedHeader).toEqual({ typ: 'JWT', alg: 'HS256' });
    expect(new TextDecoder().decode(payload)).toBe(
      '{"iss":"joe",\r\n "exp":1300819380,\r\n "http://example.com/is_root":true}',
    );
  });

  it('refuses the example JWS with its last signature character changed', async () => {
    const key = await importJWK(JWK, 'HS256');
    const tampered = JWS.slice(0, -1) + 'j';
    await expect(compactVerify(tampered, key, { algorithms: ['HS256'] })).rejects.toThrow(
      'signature verification failed',
    );
  });
});

describe('signToken', () => {
  it('signs HS256 with the at+jwt type and the current key id in the header', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    const { protectedHeader } = await compactVerify(token, SECRET_BYTES);
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'at+jwt', kid: 'hs1' });
  });

  it('signs refresh tokens with the rt+jwt type', async () => {
    const token = await signToken(CONFIG, issueInput('refresh'));
    const { protectedHeader } = await compactVerify(token, SECRET_BYTES);
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'rt+jwt', kid: 'hs1' });
  });
});

describe('verifyToken', () => {
  it('returns the claims of an access token it signed', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    expect(await verifyToken(CONFIG, 'access', token, NOW_MS)).toEqual({
      sub: '0190c7e2-4c1a-7000-8000-0000000000aa',
      sid: '0190c7e2-4c1a-7000-8000-0000000000bb',
      jti: '0190c7e2-4c1a-7000-8000-0000000000cc',
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 900,
    });
  });

  it('returns the claims of a refresh token it signed', async () => {
    const token = await signToken(CONFIG, issueInput('refresh', { ttlSeconds: 604_800 }));
    const claims = await verifyToken(CONFIG, 'refresh', token, NOW_MS);
    expect(claims.exp).toBe(NOW_SECONDS + 604_800);
    expect(claims.sid).toBe('0190c7e2-4c1a-7000-8000-0000000000bb');
  });

  it('floors a sub-second issue time to whole seconds', async () => {
    const token = await signToken(CONFIG, issueInput('access', { nowMs: NOW_MS + 999 }));
    const claims = await verifyToken(CONFIG, 'access', token, NOW_MS);
    expect(claims.iat).toBe(NOW_SECONDS);
    expect(claims.exp).toBe(NOW_SECONDS + 900);
  });

  it('refuses an access token presented as a refresh token', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    expect(await refusal(token, { kind: 'refresh' })).toBe(
      'token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
  });

  it('refuses a refresh token presented as an access token', async () => {
    const token = await signToken(CONFIG, issueInput('refresh'));
    expect(await refusal(token, { kind: 'access' })).toBe(
      'token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
  });

  it('refuses a token whose typ claim contradicts its typ header', async () => {
    const token = await craftToken({ header: { typ: 'rt+jwt' }, claims: { typ: 'access' } });
    expect(await refusal(token, { kind: 'refresh' })).toBe('token kind mismatch');
  });

  it('refuses an unsigned token with alg "none"', async () => {
    const signed = await signToken(CONFIG, issueInput('access'));
    const payload = signed.split('.')[1];
    const header = base64UrlJson({ alg: 'none', typ: 'at+jwt', kid: HMAC_KEY_ID });
    expect(await refusal(`${header}.${payload}.`)).toBe('token rejected: ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('refuses a token signed with HS512 under the same secret', async () => {
    const token = await craftToken({ header: { alg: 'HS512' } });
    expect(await refusal(token)).toBe('token rejected: ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('refuses a token from another issuer', async () => {
    const token = await craftToken({ claims: { iss: 'https://evil.example' } });
    expect(await refusal(token)).toBe('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('refuses a token for another audience', async () => {
    const token = await craftToken({ claims: { aud: 'another-api' } });
    expect(await refusal(token)).toBe('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('accepts a token up to 29 seconds after it expired (30-second tolerance)', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    const expiresAtMs = NOW_MS + 900 * SECOND_MS;
    const claims = await verifyToken(CONFIG, 'access', token, expiresAtMs + 29 * SECOND_MS);
    expect(claims.exp).toBe(NOW_SECONDS + 900);
  });

  it('refuses a token 30 seconds or more after it expired', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    const expiresAtMs = NOW_MS + 900 * SECOND_MS;
    expect(await refusal(token, { nowMs: expiresAtMs + 30 * SECOND_MS })).toBe(
      'token rejected: ERR_JWT_EXPIRED',
    );
    expect(await refusal(token, { nowMs: expiresAtMs + 3600 * SECOND_MS })).toBe(
      'token rejected: ERR_JWT_EXPIRED',
    );
  });

  it('accepts a token whose nbf is at most 30 seconds ahead', async () => {
    const token = await craftToken({ claims: { nbf: NOW_SECONDS + 30 } });
    const claims = await verifyToken(CONFIG, 'access', token, NOW_MS);
    expect(claims.jti).toBe('0190c7e2-4c1a-7000-8000-0000000000cc');
  });

  it('refuses a token whose nbf is more than 30 seconds ahead', async () => {
    const token = await craftToken({ claims: { nbf: NOW_SECONDS + 31 } });
    expect(await refusal(token)).toBe('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('accepts a token whose iat is in the future while its exp is too', async () => {
    // jose checks iat only against maxTokenAge, which verifyToken does not set; the lifetime is
    // bounded by exp alone. Only our own secret can mint such a token (a clock running ahead).
    const issuedLater = issueInput('access', { nowMs: NOW_MS + 600 * SECOND_MS });
    const token = await signToken(CONFIG, issuedLater);
    const claims = await verifyToken(CONFIG, 'access', token, NOW_MS);
    expect(claims.iat).toBe(NOW_SECONDS + 600);
  });

  it('refuses a token with another key id', async () => {
    const token = await craftToken({ header: { kid: 'hs2' } });
    expect(await refusal(token)).toBe('unknown key id');
  });

  it('refuses a token without a key id', async () => {
    const token = await craftToken({ header: { kid: undefined } });
    expect(await refusal(token)).toBe('unknown key id');
  });

  it('refuses a token whose header names a key to fetch (jku)', async () => {
    const token = await craftToken({ header: { jku: 'https://evil.example/jwks.json' } });
    expect(await refusal(token)).toBe('unexpected header parameter');
  });

  it('refuses a token whose signature was changed', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    const [header, payload, signature = ''] = token.split('.');
    const flipped = (signature[0] === 'A' ? 'B' : 'A') + signature.slice(1);
    expect(await refusal(`${header}.${payload}.${flipped}`)).toBe(
      'token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
  });

  it('refuses a token whose payload was swapped for another holder', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    const other = await signToken(CONFIG, issueInput('access', { holderId: 'someone-else' }));
    const [header, , signature] = token.split('.');
    const spliced = `${header}.${other.split('.')[1]}.${signature}`;
    expect(await refusal(spliced)).toBe('token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signToken(OTHER_CONFIG, issueInput('access'));
    expect(await refusal(token)).toBe('token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED');
  });

  it('refuses a token without a session id claim', async () => {
    const token = await craftToken({ claims: { sid: undefined } });
    expect(await refusal(token)).toBe('token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('refuses a token whose session id is not a string', async () => {
    const token = await craftToken({ claims: { sid: 42 } });
    expect(await refusal(token)).toBe('missing claims');
  });

  it.each([
    ['a single word', 'not-a-token'],
    ['two segments', 'eyJhbGciOiJIUzI1NiJ9.e30'],
    ['the empty string', ''],
  ])('refuses %s as a malformed token', async (_name, token) => {
    expect(await refusal(token)).toBe('token rejected: ERR_JWS_INVALID');
  });
});

// Configs of a switch-over and a rotation. JWT_SECRET is the HS256 secret of CONFIG throughout.
const ED_CONFIG = configWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1) });
const ED_ONLY_CONFIG = configWith({
  JWT_SECRET: undefined,
  JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1),
});
const ROTATED_CONFIG = configWith({
  JWT_SECRET: undefined,
  JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2),
  JWT_VERIFY_KEYS: verifyKeysText(ED25519_KEY_1),
});
const RETIRED_KEY_REMOVED_CONFIG = configWith({
  JWT_SECRET: undefined,
  JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2),
});

function importPrivateKey(jwk: TestJwk): Promise<CryptoKey> {
  return importJWK(jwk, 'EdDSA') as Promise<CryptoKey>;
}

/**
 * The two keys an attacker might feed to HMAC after reading our JWKS: the raw 32 public-key
 * bytes, and the JWK text as /.well-known/jwks.json serves it.
 */
const PUBLIC_KEY_AS_HMAC_SECRET: [string, Uint8Array][] = [
  ['the raw public key bytes', base64ToBytes(ED25519_KEY_1.x) as Uint8Array],
  ['the public JWK text', utf8.encode(JSON.stringify(publishedJwk(ED25519_KEY_1)))],
];

describe('EdDSA tokens with JWT_SIGNING_KEY', () => {
  it('signs EdDSA under the kid of JWT_SIGNING_KEY, verifiable with its public half', async () => {
    const token = await signToken(ED_CONFIG, issueInput('access'));
    const publicKey = await importJWK(publicPart(ED25519_KEY_1), 'EdDSA');
    const { protectedHeader } = await compactVerify(token, publicKey, { algorithms: ['EdDSA'] });
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: 'test-ed-1' });
  });

  it('returns the claims of an EdDSA access token it signed', async () => {
    const token = await signToken(ED_ONLY_CONFIG, issueInput('access'));
    expect(await verifyToken(ED_ONLY_CONFIG, 'access', token, NOW_MS)).toEqual({
      sub: '0190c7e2-4c1a-7000-8000-0000000000aa',
      sid: '0190c7e2-4c1a-7000-8000-0000000000bb',
      jti: '0190c7e2-4c1a-7000-8000-0000000000cc',
      iat: NOW_SECONDS,
      exp: NOW_SECONDS + 900,
    });
  });

  it('returns the claims of an EdDSA refresh token it signed, under the rt+jwt type', async () => {
    const token = await signToken(ED_ONLY_CONFIG, issueInput('refresh', { ttlSeconds: 604_800 }));
    expect(decodeProtectedHeader(token)).toEqual({ alg: 'EdDSA', typ: 'rt+jwt', kid: 'test-ed-1' });
    const claims = await verifyToken(ED_ONLY_CONFIG, 'refresh', token, NOW_MS);
    expect(claims.exp).toBe(NOW_SECONDS + 604_800);
  });

  it('refuses an EdDSA access token presented as a refresh token', async () => {
    const token = await signToken(ED_ONLY_CONFIG, issueInput('access'));
    expect(await refusal(token, { kind: 'refresh', config: ED_ONLY_CONFIG })).toBe(
      'token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
  });

  it('accepts an HS256 token under hs1 while JWT_SECRET is still set', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    const claims = await verifyToken(ED_CONFIG, 'access', token, NOW_MS);
    expect(claims.sub).toBe('0190c7e2-4c1a-7000-8000-0000000000aa');
  });

  it('refuses an HS256 token once JWT_SECRET is removed', async () => {
    const token = await signToken(CONFIG, issueInput('access'));
    expect(await refusal(token, { config: ED_ONLY_CONFIG })).toBe(
      'token rejected: ERR_JOSE_ALG_NOT_ALLOWED',
    );
  });

  it('accepts a token of a retired key listed in JWT_VERIFY_KEYS until it expires', async () => {
    const token = await signToken(ED_ONLY_CONFIG, issueInput('access'));
    const lastAcceptedMs = NOW_MS + (900 + 29) * SECOND_MS;
    const claims = await verifyToken(ROTATED_CONFIG, 'access', token, lastAcceptedMs);
    expect(claims.exp).toBe(NOW_SECONDS + 900);
  });

  it('refuses a token of a retired key 30 seconds after it expired', async () => {
    const token = await signToken(ED_ONLY_CONFIG, issueInput('access'));
    const nowMs = NOW_MS + (900 + 30) * SECOND_MS;
    expect(await refusal(token, { config: ROTATED_CONFIG, nowMs })).toBe(
      'token rejected: ERR_JWT_EXPIRED',
    );
  });

  it('refuses a token of a retired key once the key leaves JWT_VERIFY_KEYS', async () => {
    const token = await signToken(ED_ONLY_CONFIG, issueInput('access'));
    expect(await refusal(token, { config: RETIRED_KEY_REMOVED_CONFIG })).toBe('unknown key id');
  });

  it('refuses a token signed by an unlisted key under its own kid', async () => {
    const key = await importPrivateKey(ED25519_KEY_UNLISTED);
    const token = await craftToken({ header: { alg: 'EdDSA', kid: 'test-ed-other' }, key });
    expect(await refusal(token, { config: ED_CONFIG })).toBe('unknown key id');
  });

  it('refuses a token signed by an unlisted key under the current kid', async () => {
    const key = await importPrivateKey(ED25519_KEY_UNLISTED);
    const token = await craftToken({ header: { alg: 'EdDSA', kid: 'test-ed-1' }, key });
    expect(await refusal(token, { config: ED_CONFIG })).toBe(
      'token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
    );
  });

  it('refuses a token that brings its own key in a jwk header', async () => {
    const key = await importPrivateKey(ED25519_KEY_UNLISTED);
    const header = { alg: 'EdDSA', kid: 'test-ed-1', jwk: publicPart(ED25519_KEY_UNLISTED) };
    const token = await craftToken({ header, key });
    expect(await refusal(token, { config: ED_CONFIG })).toBe('unexpected header parameter');
  });

  it('refuses an unsigned alg "none" token naming the current kid', async () => {
    const signed = await signToken(ED_CONFIG, issueInput('access'));
    const header = base64UrlJson({ alg: 'none', typ: 'at+jwt', kid: 'test-ed-1' });
    const unsigned = `${header}.${signed.split('.')[1]}.`;
    expect(await refusal(unsigned, { config: ED_CONFIG })).toBe(
      'token rejected: ERR_JOSE_ALG_NOT_ALLOWED',
    );
  });

  it.each(PUBLIC_KEY_AS_HMAC_SECRET)(
    'refuses an HS256 token under the Ed25519 kid with %s as HMAC secret',
    async (_name, publicSecret) => {
      const token = await craftToken({ header: { kid: 'test-ed-1' }, key: publicSecret });
      // The forgery is sound: a verifier that took the key for an HMAC secret would accept it.
      const { protectedHeader } = await compactVerify(token, publicSecret);
      expect(protectedHeader.alg).toBe('HS256');

      expect(await refusal(token, { config: ED_CONFIG })).toBe('key algorithm mismatch');
      expect(await refusal(token, { config: ED_ONLY_CONFIG })).toBe(
        'token rejected: ERR_JOSE_ALG_NOT_ALLOWED',
      );
    },
  );

  it.each(PUBLIC_KEY_AS_HMAC_SECRET)(
    'refuses an HS256 token under hs1 with %s as HMAC secret',
    async (_name, publicSecret) => {
      const token = await craftToken({ key: publicSecret });
      expect(await refusal(token, { config: ED_CONFIG })).toBe(
        'token rejected: ERR_JWS_SIGNATURE_VERIFICATION_FAILED',
      );
    },
  );

  it('refuses an EdDSA token that names the HMAC kid hs1', async () => {
    const key = await importPrivateKey(ED25519_KEY_1);
    const token = await craftToken({ header: { alg: 'EdDSA', kid: HMAC_KEY_ID }, key });
    expect(await refusal(token, { config: ED_CONFIG })).toBe('key algorithm mismatch');
  });

  it('refuses the fully specified alg "Ed25519", which no key is bound to', async () => {
    const key = await importPrivateKey(ED25519_KEY_1);
    const token = await craftToken({ header: { alg: 'Ed25519', kid: 'test-ed-1' }, key });
    expect(await refusal(token, { config: ED_CONFIG })).toBe(
      'token rejected: ERR_JOSE_ALG_NOT_ALLOWED',
    );
  });

  it('refuses an EdDSA token for another audience', async () => {
    const key = await importPrivateKey(ED25519_KEY_1);
    const header = { alg: 'EdDSA', kid: 'test-ed-1' };
    const token = await craftToken({ header, key, claims: { aud: 'another-api' } });
    expect(await refusal(token, { config: ED_CONFIG })).toBe(
      'token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED',
    );
  });

  it('refuses to sign with a JWT_SIGNING_KEY whose "d" belongs to another key', async () => {
    const config = configWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_MISMATCHED) });
    const error = await signToken(config, issueInput('access')).then(
      () => new Error('signed with a mismatched key'),
      (refusal: unknown) => refusal,
    );
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).message).toBe(
      'JWT_SIGNING_KEY has a "d" that does not belong to its "x"',
    );
  });
});
