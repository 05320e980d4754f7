import { describe, expect, it } from 'vitest';
import {
  ACCESS_HEADER,
  claimsOf,
  clockedApp,
  forgeToken,
  hmacToken,
  unsignedToken,
} from '../auth-helpers';
import { api, expectProblem, newCustomer, signupBody, type ApiResponse } from '../helpers';

const ME = '/account-holders/me';

/** Every refusal of an access token looks the same: which check failed is only logged. */
function expectTokenRefused(response: ApiResponse): void {
  expectProblem(response, 401, 'unauthorized');
  expect(response.headers.get('WWW-Authenticate')).toBe('Bearer error="invalid_token"');
  expect(response.body.detail).toBe('The access token is missing, invalid, expired or revoked.');
}

async function getMe(authorization: string | undefined): Promise<ApiResponse> {
  const headers: Record<string, string> = authorization ? { Authorization: authorization } : {};
  return api('GET', ME, { headers });
}

/** A live holder and the claims of their real access token, to forge variations of. */
async function liveClaims() {
  const customer = await newCustomer();
  return { customer, claims: claimsOf(customer.accessToken) };
}

describe('access tokens on GET /account-holders/me', () => {
  it('accepts a token forged with the test key and real claims, so forging is sound', async () => {
    const { claims } = await liveClaims();
    const response = await getMe(`Bearer ${await forgeToken({ claims })}`);
    expect(response.status).toBe(200);
    expect(response.body.id).toBe(claims.sub);
  });

  it('refuses a request without an Authorization header', async () => {
    expectTokenRefused(await getMe(undefined));
  });

  it('refuses the Basic scheme', async () => {
    expectTokenRefused(await getMe(`Basic ${btoa('ada@example.com:password')}`));
  });

  it('refuses a token without a scheme', async () => {
    const { customer } = await liveClaims();
    expectTokenRefused(await getMe(customer.accessToken));
  });

  it('accepts the scheme name in any case, as RFC 9110 §11.1 allows', async () => {
    const { customer } = await liveClaims();
    for (const scheme of ['bearer', 'BEARER', 'BeArEr']) {
      expect((await getMe(`${scheme} ${customer.accessToken}`)).status).toBe(200);
    }
  });

  it('refuses two tokens in one header', async () => {
    const { customer } = await liveClaims();
    const token = customer.accessToken;
    expectTokenRefused(await getMe(`Bearer ${token} ${token}`));
    expectTokenRefused(await getMe(`Bearer ${token}, Bearer ${token}`));
  });

  it('refuses a double space after the scheme and a trailing dot after the token', async () => {
    const { customer } = await liveClaims();
    expectTokenRefused(await getMe(`Bearer  ${customer.accessToken}`));
    expectTokenRefused(await getMe(`Bearer ${customer.accessToken}x.`));
  });

  it('refuses a refresh token used as an access token', async () => {
    const { customer } = await liveClaims();
    expectTokenRefused(await getMe(`Bearer ${customer.refreshToken}`));
  });

  it('refuses a token claiming to be an access token but with the refresh typ header', async () => {
    const { claims } = await liveClaims();
    const token = await forgeToken({ claims, header: { typ: 'rt+jwt' } });
    expectTokenRefused(await getMe(`Bearer ${token}`));
  });

  it('refuses an access-typed header over refresh claims', async () => {
    const { claims } = await liveClaims();
    const token = await forgeToken({ claims: { ...claims, typ: 'refresh' } });
    expectTokenRefused(await getMe(`Bearer ${token}`));
  });

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses an unsigned alg "%s" token', async (alg) => {
    const { claims } = await liveClaims();
    const header = { ...ACCESS_HEADER, alg };
    expectTokenRefused(await getMe(`Bearer ${unsignedToken(header, claims)}`));
    expectTokenRefused(await getMe(`Bearer ${unsignedToken(header, claims, 'AAAA')}`));
  });

  it('refuses an HS512 token made with the right key', async () => {
    const { claims } = await liveClaims();
    const token = await forgeToken({ claims, header: { alg: 'HS512' } });
    expectTokenRefused(await getMe(`Bearer ${token}`));
  });

  it('refuses a token signed with another secret', async () => {
    const { claims } = await liveClaims();
    const otherSecret = crypto.getRandomValues(new Uint8Array(32));
    const token = await forgeToken({ claims, secret: otherSecret });
    expectTokenRefused(await getMe(`Bearer ${token}`));
  });

  it('refuses a token whose payload was changed after signing', async () => {
    const { customer } = await liveClaims();
    const other = await newCustomer();
    const [header, , signature] = customer.accessToken.split('.');
    const [, otherPayload] = other.accessToken.split('.');
    expectTokenRefused(await getMe(`Bearer ${header}.${otherPayload}.${signature}`));
  });

  it('refuses a wrong audience', async () => {
    const { claims } = await liveClaims();
    const token = await forgeToken({ claims: { ...claims, aud: 'another-api' } });
    expectTokenRefused(await getMe(`Bearer ${token}`));
  });

  it('refuses a wrong issuer', async () => {
    const { claims } = await liveClaims();
    const token = await forgeToken({ claims: { ...claims, iss: 'https://evil.example' } });
    expectTokenRefused(await getMe(`Bearer ${token}`));
  });

  it('refuses an unknown key id', async () => {
    const { claims } = await liveClaims();
    const token = await forgeToken({ claims, header: { kid: 'hs2' } });
    expectTokenRefused(await getMe(`Bearer ${token}`));
  });

  it.each([
    ['jku', { jku: 'https://evil.example/jwks.json' }],
    ['jwk', { jwk: { kty: 'oct', k: 'AAAA' } }],
    ['x5u', { x5u: 'https://evil.example/cert.pem' }],
    ['x5c', { x5c: ['AAAA'] }],
  ])('refuses a header carrying %s', async (_name, extraHeader) => {
    const { claims } = await liveClaims();
    const token = await forgeToken({ claims, header: extraHeader });
    expectTokenRefused(await getMe(`Bearer ${token}`));
  });

  it('accepts a token signed outside jose with the usual header', async () => {
    const { claims } = await liveClaims();
    const response = await getMe(`Bearer ${await hmacToken(ACCESS_HEADER, claims)}`);
    expect(response.status).toBe(200);
  });

  it('refuses a header with a crit extension it does not understand', async () => {
    const { claims } = await liveClaims();
    const header = { ...ACCESS_HEADER, crit: ['urn:example:policy'], 'urn:example:policy': 1 };
    expectTokenRefused(await getMe(`Bearer ${await hmacToken(header, claims)}`));
  });

  it.each(['sub', 'sid', 'jti', 'exp', 'iat'])('refuses a token without %s', async (claim) => {
    const { claims } = await liveClaims();
    const { [claim]: _dropped, ...rest } = claims;
    expectTokenRefused(await getMe(`Bearer ${await forgeToken({ claims: rest })}`));
  });

  it('refuses a token that is not yet valid', async () => {
    const { claims } = await liveClaims();
    const nbf = Math.floor(Date.now() / 1000) + 120;
    expectTokenRefused(await getMe(`Bearer ${await forgeToken({ claims: { ...claims, nbf } })}`));
  });

  it('refuses a token offered in the query string', async () => {
    const { customer } = await liveClaims();
    const token = customer.accessToken;
    for (const name of ['access_token', 'token', 'authorization']) {
      expectTokenRefused(await api('GET', `${ME}?${name}=${token}`));
    }
  });

  it('refuses an oversized Authorization header', async () => {
    const { customer } = await liveClaims();
    const padded = `${customer.accessToken}${'A'.repeat(4096)}`;
    expectTokenRefused(await getMe(`Bearer ${padded}`));
  });
});

describe('access token expiry', () => {
  const START = '2026-03-01T10:00:00.000Z';

  it('accepts a token until 15 minutes and 29 seconds after issue', async () => {
    const { call, clock } = clockedApp(START);
    const signup = await call('POST', '/auth/signup', { body: signupBody() });
    clock.advanceMs((15 * 60 + 29) * 1000);
    expect((await call('GET', ME, { token: signup.body.access_token })).status).toBe(200);
  });

  it('refuses a token 15 minutes and 30 seconds after issue', async () => {
    const { call, clock } = clockedApp(START);
    const signup = await call('POST', '/auth/signup', { body: signupBody() });
    clock.advanceMs((15 * 60 + 30) * 1000);
    expectTokenRefused(await call('GET', ME, { token: signup.body.access_token }));
  });

  it('issues tokens that expire 900 seconds after issue', async () => {
    const { call } = clockedApp(START);
    const signup = await call('POST', '/auth/signup', { body: signupBody() });
    const claims = claimsOf(signup.body.access_token);
    expect(claims.iat).toBe(Date.parse(START) / 1000);
    expect(claims.exp).toBe(Date.parse(START) / 1000 + 900);
  });
});
