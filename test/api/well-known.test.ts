import { env } from 'cloudflare:test';
import { createLocalJWKSet, jwtVerify } from 'jose';
import { describe, expect, it } from 'vitest';
import { clockedApp, rawApi } from '../auth-helpers';
import { expectProblem, signupBody } from '../helpers';
import {
  bindingsWith,
  ED25519_KEY_1,
  ED25519_KEY_2,
  ED25519_KEY_UNLISTED,
  publishedJwk,
  signingKeyText,
  verifyKeysText,
} from '../signing-keys';

const JWKS_URL = 'https://bank.test/.well-known/jwks.json';
const START_ISO = '2026-12-03T16:20:00.000Z';

describe('GET /.well-known/jwks.json', () => {
  it('answers an empty key set while tokens are HS256 only', async () => {
    const response = await rawApi('GET', JWKS_URL);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ keys: [] });
    expect(response.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
  });

  it('lists the current key first, then the retired ones, as public JWKs', async () => {
    const bindings = bindingsWith({
      JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_2),
      JWT_VERIFY_KEYS: verifyKeysText(ED25519_KEY_1, ED25519_KEY_UNLISTED),
    });
    const response = await clockedApp(START_ISO, bindings).call('GET', JWKS_URL);
    expect(response.status).toBe(200);
    expect(response.body).toEqual({
      keys: [
        publishedJwk(ED25519_KEY_2),
        publishedJwk(ED25519_KEY_1),
        publishedJwk(ED25519_KEY_UNLISTED),
      ],
    });
    expect(response.text).not.toContain('"d"');
    expect(response.text).not.toContain(ED25519_KEY_2.d);
  });

  it('answers no-store like every other response, as the contract asks', async () => {
    const response = await rawApi('GET', JWKS_URL);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
  });

  it('keeps an error on the same path uncacheable', async () => {
    const response = await rawApi('POST', JWKS_URL);
    expectProblem(response, 405, 'method-not-allowed');
    expect(response.headers.get('Cache-Control')).toBe('no-store');
  });

  it('is not served under the API base path', async () => {
    const response = await rawApi('GET', '/.well-known/jwks.json');
    expectProblem(response, 404, 'not-found');
    expect(response.headers.get('Cache-Control')).toBe('no-store');
  });

  it('verifies an issued access token with jose outside the Worker', async () => {
    const app = clockedApp(
      START_ISO,
      bindingsWith({ JWT_SIGNING_KEY: signingKeyText(ED25519_KEY_1) }),
    );
    const signup = await app.call('POST', '/auth/signup', { body: signupBody() });
    expect(signup.status).toBe(201);
    const me = await app.call('GET', '/account-holders/me', { token: signup.body.access_token });
    expect(me.status).toBe(200);

    // Only what a separate service would have: the JWKS document, the issuer and the audience.
    const jwks = await app.call('GET', JWKS_URL);
    const { payload, protectedHeader } = await jwtVerify(
      signup.body.access_token,
      createLocalJWKSet(jwks.body),
      {
        issuer: env.JWT_ISSUER,
        audience: env.JWT_AUDIENCE,
        algorithms: ['EdDSA'],
        typ: 'at+jwt',
        currentDate: new Date(START_ISO),
      },
    );
    expect(protectedHeader).toEqual({ alg: 'EdDSA', typ: 'at+jwt', kid: 'test-ed-1' });
    expect(payload.sub).toBe(me.body.id);
  });
});
