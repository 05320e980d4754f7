import { env } from 'cloudflare:test';

/**
 * Signing keys for tests only. The Ed25519, P-256 and RSA keys were made once with node's
 * crypto.generateKeyPairSync and exported as JWKs; they sign nothing outside this suite and must
 * never be deployed. Fixed keys keep the tests deterministic and their expected values exact.
 */

export interface TestJwk {
  kty: string;
  crv?: string;
  kid?: string;
  x?: string;
  d?: string;
  [member: string]: unknown;
}

/** The signing key of most Ed25519 tests. */
export const ED25519_KEY_1 = {
  kty: 'OKP',
  crv: 'Ed25519',
  kid: 'test-ed-1',
  d: '68SOu8-poDlnizxyZSzbB8eB_PEhGIL_Caz1DVrf74s',
  x: 'GQm0NcDhJWuIZpJ9OP68CcTHxBYQC5-7XcP4yvfNqrQ',
} as const;

/** The key that replaces ED25519_KEY_1 in rotation tests. */
export const ED25519_KEY_2 = {
  kty: 'OKP',
  crv: 'Ed25519',
  kid: 'test-ed-2',
  d: 'rY43P_GWIPndrR-1f13214rS9DQslZucKF9LVSKO_C4',
  x: 'ClWSv47vr94Pbwb9WNTdpdZvEiprnmOfb_ruLunNVHs',
} as const;

/** A key no test configuration lists: what an attacker could generate. */
export const ED25519_KEY_UNLISTED = {
  kty: 'OKP',
  crv: 'Ed25519',
  kid: 'test-ed-other',
  d: 'XoF3jY2a2flH8BrsdGARvJA6QlYoyTbPKi_R7KrEObk',
  x: 'L57bT-oh3yZhng7ZX-MxPxPHZO9dPDdsWS-0rLhwbt0',
} as const;

/** RFC 8037 appendix A.1: the private key of the A.4 signing example. */
export const RFC8037_KEY = {
  kty: 'OKP',
  crv: 'Ed25519',
  d: 'nWGxne_9WmC6hEr0kuwsxERJxWl7MmkZcDusAxyuf2A',
  x: '11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo',
} as const;

/** RFC 8037 appendix A.4: {"alg":"EdDSA"} over "Example of Ed25519 signing", with that key. */
export const RFC8037_JWS =
  'eyJhbGciOiJFZERTQSJ9.RXhhbXBsZSBvZiBFZDI1NTE5IHNpZ25pbmc' +
  '.hgyY0il_MGCjP0JzlnLWG1PPOt7-09PGcvMg3AIbQR6dWbhijcNR4ki4iylGjg5BhVsPt9g7sVvpAr_MuM0KAg';

/** A P-256 private key, which JWT_SIGNING_KEY must refuse. */
export const P256_KEY = {
  kty: 'EC',
  crv: 'P-256',
  kid: 'test-p256',
  x: 'Y5tLF6a4KbCGX9nVnSCSefsyOcegTMIL9e6CE4m0Rb4',
  y: 'lRYhbiAGCyEwqDja5YtWDHW_pGcgZlkH0iwGpGnijxQ',
  d: '9udcxWkcFioz640QOZPeV7gu4M6oRC5h1s-Cnfiirxk',
} as const;

/** A (deliberately small, 512-bit) RSA private key, which JWT_SIGNING_KEY must refuse. */
export const RSA_KEY = {
  kty: 'RSA',
  kid: 'test-rsa',
  n: '3FLSb-U4uQs5D-j4zsnhIJ_hLSVg47Abe6OEf4ajFdXLlHgV47zaxYQwktgBorHId3sI9-C-U8Q2qqRfIqkZJw',
  e: 'AQAB',
  d: 'OpwlsvKNZlxf76WQGqKFqwIdCr94yNkeVoOnSa1tUO8ye9ZzOUI2JEBkWCXuWUVGSqq9g237dU3mF3YhMixLMQ',
  p: '8Suc_Ef9iLaVlKI1pl_QJzB1EHVLuEWp7K6iyZKvBB0',
  q: '6d8MRpMuImqy7MCknEsjp8xHmviH8SBR-rrV542bBxM',
  dp: 'r9CsrFpLIXyCBY5PcE_PLpKr9Oid3-OhYjNZ53tw7Z0',
  dq: 'j8bCIzkkaaAy833TNQq0ltntQ4Z6_HAkNgJasonJvuU',
  qi: 'kxP0W3Rl9CDguQSUqxmqeGgTcQc7TAyrHLbOo-V_mcg',
} as const;

/** The key without its private part "d", as JWT_VERIFY_KEYS holds it. */
export function publicPart(jwk: TestJwk): TestJwk {
  const { d: _d, ...rest } = jwk;
  return rest;
}

/** The value of JWT_SIGNING_KEY for a key. */
export function signingKeyText(jwk: TestJwk): string {
  return JSON.stringify(jwk);
}

/** The value of JWT_VERIFY_KEYS for keys, their private parts left out. */
export function verifyKeysText(...jwks: TestJwk[]): string {
  return JSON.stringify(jwks.map(publicPart));
}

/** What /.well-known/jwks.json lists for a key. */
export function publishedJwk(jwk: TestJwk) {
  return { kty: jwk.kty, crv: jwk.crv, x: jwk.x, kid: jwk.kid, alg: 'EdDSA', use: 'sig' };
}

/** A key with the private part of one key and the public part of another. */
export const ED25519_KEY_MISMATCHED = { ...ED25519_KEY_1, d: ED25519_KEY_2.d } as const;

/**
 * A copy of the test bindings with other JWT secrets; undefined removes one. The app parses a
 * config per bindings object, so the copy gets its own keys while the rest of the suite keeps
 * the HS256 setup of vitest.config.ts.
 */
export function bindingsWith(secrets: Record<string, string | undefined>): typeof env {
  const bindings: Record<string, unknown> = { ...env, ...secrets };
  for (const name of Object.keys(secrets)) if (secrets[name] === undefined) delete bindings[name];
  return bindings as unknown as typeof env;
}
