import { env, SELF } from 'cloudflare:test';
import { decodeJwt, SignJWT, type JWTHeaderParameters, type JWTPayload } from 'jose';
import { expect } from 'vitest';
import { createApp } from '../src/app';
import { base64ToBytes, bytesToBase64Url, utf8 } from '../src/lib/encoding';
import { fixedClock } from '../src/lib/time';
import { BASE, inProcessApi, readResponse, requestInit, type ApiOptions } from './helpers';

/** Helpers for the auth and holder tests: a clock-controlled app and token forging. */

export type CallOptions = ApiOptions;

/**
 * The app built with a fixed clock and called in-process with the test bindings, so that
 * ages, expiries and timestamps can be asserted exactly, whatever the time of day. Other
 * bindings (a copy of env with other secrets) get a config of their own: it is cached per object.
 */
export function clockedApp(startIso: string, bindings: typeof env = env) {
  const clock = fixedClock(startIso);
  const app = createApp({ clock });
  return { clock, call: inProcessApi(app, bindings) };
}

/** Like api(), through the Worker's own fetch, but also returns the raw response text. */
export async function rawApi<T = any>(method: string, path: string, options: CallOptions = {}) {
  const url = path.startsWith('http') ? path : `${BASE}${path}`;
  return readResponse<T>(await SELF.fetch(url, requestInit(method, options)));
}

/** The HMAC key the Worker under test signs with, decoded the way src/config.ts decodes it. */
export function testJwtSecret(): Uint8Array {
  const secret = base64ToBytes(env.JWT_SECRET);
  expect(secret?.length).toBeGreaterThanOrEqual(32);
  return secret as Uint8Array;
}

export const ACCESS_HEADER = { alg: 'HS256', typ: 'at+jwt', kid: 'hs1' } as const;

/**
 * Signs claims the way the Worker would, with the header and key overridable. Starting from
 * a real token's claims keeps the session live, so only the overridden part can be at fault.
 */
export async function forgeToken(input: {
  claims: JWTPayload;
  header?: Partial<JWTHeaderParameters>;
  secret?: Uint8Array;
}): Promise<string> {
  const header = { ...ACCESS_HEADER, ...input.header } as JWTHeaderParameters;
  return new SignJWT(input.claims).setProtectedHeader(header).sign(input.secret ?? testJwtSecret());
}

/**
 * HS256 over any header, including ones jose refuses to sign (an unknown `crit` entry), so
 * that only the verifier decides whether such a token passes.
 */
export async function hmacToken(header: object, payload: object): Promise<string> {
  const signingInput = unsignedToken(header, payload).slice(0, -1);
  const key = await crypto.subtle.importKey(
    'raw',
    testJwtSecret(),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const mac = await crypto.subtle.sign('HMAC', key, utf8.encode(signingInput));
  return `${signingInput}.${bytesToBase64Url(new Uint8Array(mac))}`;
}

/** A compact JWS with the given header and payload and a signature of your choosing. */
export function unsignedToken(header: object, payload: object, signature = ''): string {
  const encode = (value: object) => bytesToBase64Url(utf8.encode(JSON.stringify(value)));
  return `${encode(header)}.${encode(payload)}.${signature}`;
}

export function claimsOf(token: string): JWTPayload {
  return decodeJwt(token);
}
