import { env } from 'cloudflare:test';
import { decodeProtectedHeader, importJWK, SignJWT, type JWTPayload } from 'jose';
import { describe, expect, it } from 'vitest';
import { base64ToBytes, utf8 } from '../../src/lib/encoding';
import { ACCESS_HEADER, claimsOf, clockedApp, forgeToken, unsignedToken } from '../auth-helpers';
import { expectProblem, signupBody, type ApiResponse } from '../helpers';
import { capturedLogLines } from '../setup';
import {
  bindingsWith,
  ED25519_KEY_1,
  ED25519_KEY_2,
  ED25519_KEY_MISMATCHED,
  ED25519_KEY_UNLISTED,
  publishedJwk,
  signingKeyText,
  verifyKeysText,
  type TestJwk,
} from '../signing-keys';

const ME = '/account-holders/me';
const START_ISO = '2026-12-03T16:20:00.000Z';
const SECOND_MS = 1000;
const ACCESS_TTL_SECONDS = 900;

// One env per stage of a move from HS256 to Ed25519 and on to a second Ed25519 key.
const SWITCH_OVER = bindingsWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1) });
const KEY_1_ONLY = bindingsWith({
  JWT_SECRET: undefined,
  JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1),
});
const ROTATED = bindingsWith({
  JWT_SECRET: undefined,
  JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2),
  JWT_VERIFY_KEYS: verifyKeysText(ED25519_KEY_1),
});
const RETIRED_KEY_REMOVED = bindingsWith({
  JWT_SECRET: undefined,
  JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2),
});

/** Every refusal of an access token looks the same: which check failed is only logged. */
function expectTokenRefused(response: ApiResponse, reason: string): void {
  expectProblem(response, 401, 'unauthorized');
  expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  const refusals = capturedLogLines
    .map((line) => JSON.parse(line))
    .filter((line) => line.event === 'request_refused');
  expect(refusals.at(-1)?.reason).toBe(reason);
}

/** Signs up a holder through an app with these bindings and returns its tokens. */
async function signUp(bindings: typeof env, startIso = START_ISO) {
  const app = clockedApp(startIso, bindings);
  const response = await app.call('POST', '/auth/signup', { body: signupBody() });
  expect(response.status).toBe(201);
  return {
    accessToken: response.body.access_token as string,
    refreshToken: response.body.refresh_token as string,
  };
}

/** EdDSA over claims, with the header fields given. */
async function signEdDsa(jwk: TestJwk, claims: JWTPayload, header: Record<string, string>) {
  const key = await importJWK(jwk, 'EdDSA');
  return new SignJWT(claims).setProtectedHeader({ ...ACCESS_HEADER, ...header }).sign(key);
}

describe('access tokens signed with Ed25519 keys', () => {
  it('keeps accepting a retired key until its token expires, then refuses it', async () => {
    const { accessToken } = await signUp(KEY_1_ONLY);
    expect(decodeProtectedHeader(accessToken).kid).toBe('test-ed-1');
    const app = clockedApp(START_ISO, ROTATED);
    expect((await app.call('GET', ME, { token: accessToken })).status).toBe(200);

    // The 30-second clock tolerance is the last grace a verifier gives.
    app.clock.advanceMs((ACCESS_TTL_SECONDS + 29) * SECOND_MS);
    expect((await app.call('GET', ME, { token: accessToken })).status).toBe(200);
    app.clock.advanceMs(SECOND_MS);
    expectTokenRefused(
      await app.call('GET', ME, { token: accessToken }),
      'token rejected: ERR_JWT_EXPIRED',
    );
  });

  it('refreshes a retired key token into tokens of the current key', async () => {
    const { refreshToken } = await signUp(KEY_1_ONLY);
    const app = clockedApp(START_ISO, ROTATED);
    const refreshed = await app.call('POST', '/auth/refresh', {
      body: { refresh_token: refreshToken },
    });
    expect(refreshed.status).toBe(200);
    expect(decodeProtectedHeader(refreshed.body.access_token).kid).toBe('test-ed-2');
    expect(decodeProtectedHeader(refreshed.body.refresh_token).kid).toBe('test-ed-2');
  });

  it('refuses a retired key token once the key leaves JWT_VERIFY_KEYS', async () => {
    const { accessToken } = await signUp(KEY_1_ONLY);
    const app = clockedApp(START_ISO, RETIRED_KEY_REMOVED);
    expectTokenRefused(await app.call('GET', ME, { token: accessToken }), 'unknown key id');
  });

  it('accepts HS256 tokens in the switch-over and refuses them without JWT_SECRET', async () => {
    const { accessToken } = await signUp(env);
    expect(decodeProtectedHeader(accessToken)).toEqual({ ...ACCESS_HEADER });
    const during = await clockedApp(START_ISO, SWITCH_OVER).call('GET', ME, { token: accessToken });
    expect(during.status).toBe(200);
    expectTokenRefused(
      await clockedApp(START_ISO, KEY_1_ONLY).call('GET', ME, { token: accessToken }),
      'token rejected: ERR_JOSE_ALG_NOT_ALLOWED',
    );
  });

  it('refuses a token signed by a key it does not know', async () => {
    const { accessToken } = await signUp(SWITCH_OVER);
    const claims = claimsOf(accessToken);
    const token = await signEdDsa(ED25519_KEY_UNLISTED, claims, {
      alg: 'EdDSA',
      kid: 'test-ed-other',
    });
    const response = await clockedApp(START_ISO, SWITCH_OVER).call('GET', ME, { token });
    expectTokenRefused(response, 'unknown key id');
  });

  it.each([
    ['the raw public key bytes', base64ToBytes(ED25519_KEY_1.x) as Uint8Array],
    ['the published JWK text', utf8.encode(JSON.stringify(publishedJwk(ED25519_KEY_1)))],
  ])('refuses an HS256 token forged with %s as HMAC secret', async (_name, publicSecret) => {
    const { accessToken } = await signUp(SWITCH_OVER);
    const claims = claimsOf(accessToken);
    const header = { kid: 'test-ed-1' };
    const token = await forgeToken({ claims, header, secret: publicSecret });
    const app = clockedApp(START_ISO, SWITCH_OVER);
    expect((await app.call('GET', ME, { token: accessToken })).status).toBe(200);
    expectTokenRefused(await app.call('GET', ME, { token }), 'key algorithm mismatch');
  });

  it('refuses an unsigned alg "none" token naming the Ed25519 kid', async () => {
    const { accessToken } = await signUp(SWITCH_OVER);
    const header = { ...ACCESS_HEADER, alg: 'none', kid: 'test-ed-1' };
    // A placeholder signature, so the token gets past the Bearer syntax check to the verifier.
    const token = unsignedToken(header, claimsOf(accessToken), 'AAAA');
    const response = await clockedApp(START_ISO, SWITCH_OVER).call('GET', ME, { token });
    expectTokenRefused(response, 'token rejected: ERR_JOSE_ALG_NOT_ALLOWED');
  });

  it('answers 401 to an EdDSA token for another audience', async () => {
    const { accessToken } = await signUp(SWITCH_OVER);
    const claims = { ...claimsOf(accessToken), aud: 'another-api' };
    const token = await signEdDsa(ED25519_KEY_1, claims, { alg: 'EdDSA', kid: 'test-ed-1' });
    const response = await clockedApp(START_ISO, SWITCH_OVER).call('GET', ME, { token });
    expectTokenRefused(response, 'token rejected: ERR_JWT_CLAIM_VALIDATION_FAILED');
  });

  it('fails signup with a 500 when JWT_SIGNING_KEY holds the "d" of another key', async () => {
    const app = clockedApp(
      START_ISO,
      bindingsWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_MISMATCHED) }),
    );
    const response = await app.call('POST', '/auth/signup', { body: signupBody() });
    expectProblem(response, 500, 'internal-error');
    const configLines = capturedLogLines
      .map((line) => JSON.parse(line))
      .filter((line) => line.event === 'config_invalid');
    expect(configLines.map((line) => line.reason)).toEqual([
      'JWT_SIGNING_KEY has a "d" that does not belong to its "x"',
    ]);
  });
});
