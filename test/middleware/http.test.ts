import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { BODY_BYTES_MAX } from '../../src/lib/limits';

const BASE_URL = 'https://bank.test';
// The only origin in CORS_ORIGINS under vitest.config.ts.
const APP_ORIGIN = 'https://app.invisible-bank.test';
// A path no route will ever claim: requests to it reach every global middleware, then 404.
const UNROUTED_PATH = '/api/v1/no-such-route';
const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const SECURITY_HEADERS = {
  'strict-transport-security': 'max-age=31536000; includeSubDomains',
  'x-content-type-options': 'nosniff',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-store',
};

function send(path: string, init: RequestInit = {}): Promise<Response> {
  return SELF.fetch(`${BASE_URL}${path}`, init);
}

function securityHeadersOf(response: Response): Record<string, string | null> {
  const names = [...Object.keys(SECURITY_HEADERS), 'x-powered-by'];
  return Object.fromEntries(names.map((name) => [name, response.headers.get(name)]));
}

interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  request_id: string;
}

/**
 * Reads an error response as RFC 9457 problem+json, checking the members every error carries
 * and that its request_id is the one in the X-Request-Id header.
 */
async function problemOf(response: Response): Promise<Problem> {
  expect(response.headers.get('Content-Type')).toBe('application/problem+json; charset=utf-8');
  const problem = (await response.json()) as Problem;
  expect(Object.keys(problem).sort()).toEqual(['detail', 'request_id', 'status', 'title', 'type']);
  expect(problem.status).toBe(response.status);
  expect(problem.request_id).toBe(response.headers.get('X-Request-Id'));
  return problem;
}

/** A body of `totalBytes` bytes sent in 16 KiB chunks, with no length known in advance. */
function streamOf(totalBytes: number): ReadableStream<Uint8Array> {
  let sentBytes = 0;
  return new ReadableStream<Uint8Array>({
    pull(controller) {
      if (sentBytes >= totalBytes) {
        controller.close();
        return;
      }
      const chunkBytes = Math.min(16 * 1024, totalBytes - sentBytes);
      sentBytes += chunkBytes;
      controller.enqueue(new Uint8Array(chunkBytes).fill(0x20));
    },
  });
}

function streamedPost(path: string, totalBytes: number): Request {
  return new Request(`${BASE_URL}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: streamOf(totalBytes),
  });
}

describe('security headers', () => {
  const expected = { ...SECURITY_HEADERS, 'x-powered-by': null };

  it('are set on a 200 from GET /health', async () => {
    const response = await send('/health');
    expect(response.status).toBe(200);
    expect(securityHeadersOf(response)).toEqual(expected);
    await response.body?.cancel();
  });

  it('are set on a 404 for an unknown route', async () => {
    const response = await send('/no-such-route');
    expect(response.status).toBe(404);
    expect(securityHeadersOf(response)).toEqual(expected);
    expect(await problemOf(response)).toMatchObject({
      type: 'https://invisible-bank.dev/problems/not-found',
      title: 'Not found',
    });
  });

  it('are set on a 405 for DELETE /health, which lists GET and HEAD in Allow', async () => {
    const response = await send('/health', { method: 'DELETE' });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, HEAD');
    expect(securityHeadersOf(response)).toEqual(expected);
    expect(await problemOf(response)).toMatchObject({
      type: 'https://invisible-bank.dev/problems/method-not-allowed',
      title: 'Method not allowed',
      detail: 'This route does not support that method.',
    });
  });

  it('are set on a 413 for a body over the limit', async () => {
    const response = await send(UNROUTED_PATH, { method: 'POST', body: 'x'.repeat(70_000) });
    expect(response.status).toBe(413);
    expect(securityHeadersOf(response)).toEqual(expected);
    expect((await problemOf(response)).title).toBe('Payload too large');
  });

  it('are set on a 401 for a protected route called without a token', async () => {
    const response = await send('/api/v1/account-holders/me');
    expect(response.status).toBe(401);
    expect(securityHeadersOf(response)).toEqual(expected);
    expect((await problemOf(response)).title).toBe('Unauthorized');
  });

  it('are set on a 204 CORS preflight, which the CORS middleware answers by itself', async () => {
    const response = await send('/health', {
      method: 'OPTIONS',
      headers: { Origin: APP_ORIGIN, 'Access-Control-Request-Method': 'GET' },
    });
    expect(response.status).toBe(204);
    expect(securityHeadersOf(response)).toEqual(expected);
  });
});

describe('X-Request-Id', () => {
  it.each([
    ['a short id of letters, digits, dot, dash and underscore', 'trace-0123_ABC.z'],
    ['a 64-character id', 'a'.repeat(64)],
    ['a one-character id', '7'],
  ])('echoes %s', async (_name, offered) => {
    const response = await send('/health', { headers: { 'X-Request-Id': offered } });
    expect(response.headers.get('X-Request-Id')).toBe(offered);
    await response.body?.cancel();
  });

  it.each([
    ['a 65-character id', 'a'.repeat(65)],
    ['an id with a space', 'trace 0123'],
    ['an id with a slash', 'trace/0123'],
    ['an id with a quote', 'trace"0123'],
    ['an id with a colon', 'trace:0123'],
    ['an id with markup', '<script>'],
    ['an empty id', ''],
  ])('replaces %s with a fresh UUID', async (_name, offered) => {
    const response = await send('/health', { headers: { 'X-Request-Id': offered } });
    expect(response.headers.get('X-Request-Id')).toMatch(UUID_PATTERN);
    await response.body?.cancel();
  });

  it('gives each request without an id a different one', async () => {
    const first = await send('/health');
    const second = await send('/health');
    expect(first.headers.get('X-Request-Id')).toMatch(UUID_PATTERN);
    expect(second.headers.get('X-Request-Id')).not.toBe(first.headers.get('X-Request-Id'));
    await Promise.all([first.body?.cancel(), second.body?.cancel()]);
  });

  it('puts the echoed id in the problem body of an error', async () => {
    const response = await send('/no-such-route', { headers: { 'X-Request-Id': 'trace-404' } });
    expect(response.headers.get('X-Request-Id')).toBe('trace-404');
    expect((await problemOf(response)).request_id).toBe('trace-404');
  });

  it('puts the replacement id, not the refused one, in the problem body of an error', async () => {
    const refused = 'a'.repeat(65);
    const response = await send('/no-such-route', { headers: { 'X-Request-Id': refused } });
    const problem = await problemOf(response);
    expect(problem.request_id).toMatch(UUID_PATTERN);
  });
});

describe('CORS', () => {
  it('echoes the allowed origin exactly, with Vary: Origin and no credentials', async () => {
    const response = await send('/health', { headers: { Origin: APP_ORIGIN } });
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('Vary')).toBe('Origin');
    expect(response.headers.get('Access-Control-Allow-Credentials')).toBeNull();
    expect(response.headers.get('Access-Control-Expose-Headers')).toBe(
      'X-Request-Id,Idempotent-Replayed,Retry-After,Location,RateLimit,RateLimit-Policy',
    );
    await response.body?.cancel();
  });

  it('answers a preflight from the allowed origin with its methods and headers', async () => {
    const response = await send('/api/v1/auth/login', {
      method: 'OPTIONS',
      headers: {
        Origin: APP_ORIGIN,
        'Access-Control-Request-Method': 'POST',
        'Access-Control-Request-Headers': 'content-type, authorization',
      },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(APP_ORIGIN);
    expect(response.headers.get('Access-Control-Allow-Methods')).toBe('GET,POST,PATCH,DELETE');
    expect(response.headers.get('Access-Control-Allow-Headers')).toBe(
      'Authorization,Content-Type,Idempotency-Key,X-Request-Id',
    );
    expect(response.headers.get('Access-Control-Max-Age')).toBe('600');
    expect(response.headers.get('Access-Control-Allow-Credentials')).toBeNull();
    expect(response.headers.get('Vary')).toBe('Origin, Access-Control-Request-Headers');
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['the opaque origin "null"', 'null'],
    ['the allowed host under plain http', 'http://app.invisible-bank.test'],
    ['the allowed host on another port', 'https://app.invisible-bank.test:8443'],
    ['a host that starts with the allowed one', 'https://app.invisible-bank.test.evil.example'],
    ['a parent domain of the allowed one', 'https://invisible-bank.test'],
  ])('gives %s no Access-Control-Allow-Origin and no credentials', async (_name, origin) => {
    const response = await send('/health', { headers: { Origin: origin } });
    expect(response.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(response.headers.get('Access-Control-Allow-Credentials')).toBeNull();
    expect(response.headers.get('Vary')).toBe('Origin');
    await response.body?.cancel();
  });

  it.each([
    ['another site', 'https://evil.example'],
    ['the opaque origin "null"', 'null'],
  ])('gives a preflight from %s no Access-Control-Allow-Origin', async (_name, origin) => {
    const response = await send('/api/v1/auth/login', {
      method: 'OPTIONS',
      headers: { Origin: origin, 'Access-Control-Request-Method': 'POST' },
    });
    expect(response.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(response.headers.get('Access-Control-Allow-Credentials')).toBeNull();
  });

  it('sends no Access-Control-Allow-Origin when the request has no Origin', async () => {
    const response = await send('/health');
    expect(response.headers.get('Access-Control-Allow-Origin')).toBeNull();
    expect(response.headers.get('Vary')).toBe('Origin');
    await response.body?.cancel();
  });

  it('echoes the allowed origin on an error response too', async () => {
    const response = await send('/no-such-route', { headers: { Origin: APP_ORIGIN } });
    expect(response.status).toBe(404);
    expect(response.headers.get('Access-Control-Allow-Origin')).toBe(APP_ORIGIN);
    await response.body?.cancel();
  });
});

describe('body limit', () => {
  // The limit is global middleware that runs before routing, so a path without a route shows
  // it on its own: under the limit the request goes on to the 404, over it stops at 413.

  it('refuses a declared body one byte over 64 KiB with 413 problem+json', async () => {
    const response = await send(UNROUTED_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: ' '.repeat(BODY_BYTES_MAX + 1),
    });
    expect(response.status).toBe(413);
    expect(await problemOf(response)).toMatchObject({
      type: 'https://invisible-bank.dev/problems/payload-too-large',
      title: 'Payload too large',
      detail: 'The request body is larger than 65536 bytes.',
    });
  });

  it('lets a declared body of exactly 64 KiB through to routing', async () => {
    const response = await send(UNROUTED_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: ' '.repeat(BODY_BYTES_MAX),
    });
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });

  it('refuses an oversized body on POST /api/v1/auth/login before its handler runs', async () => {
    const response = await send('/api/v1/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ email: 'a@example.com', password: 'x'.repeat(BODY_BYTES_MAX) }),
    });
    expect(response.status).toBe(413);
    expect((await problemOf(response)).type).toBe(
      'https://invisible-bank.dev/problems/payload-too-large',
    );
  });

  it('refuses a streamed body without Content-Length once it passes 64 KiB', async () => {
    const request = streamedPost(UNROUTED_PATH, BODY_BYTES_MAX + 1);
    // Without a declared length the middleware must count the bytes as they arrive.
    expect(request.headers.get('Content-Length')).toBeNull();
    const response = await SELF.fetch(request);
    expect(response.status).toBe(413);
    expect((await problemOf(response)).detail).toBe('The request body is larger than 65536 bytes.');
  });

  it('lets a streamed body of exactly 64 KiB through to routing', async () => {
    const request = streamedPost(UNROUTED_PATH, BODY_BYTES_MAX);
    expect(request.headers.get('Content-Length')).toBeNull();
    const response = await SELF.fetch(request);
    expect(response.status).toBe(404);
    await response.body?.cancel();
  });

  it.each([
    ['letters', 'abc'],
    ['a negative number', '-1'],
    ['an exponent', '1e9'],
    ['a fraction', '10.0'],
    ['a hexadecimal number', '0x10'],
    ['16 digits', '1000000000000000'],
  ])('refuses a Content-Length of %s with 400, not 2xx', async (_name, declared) => {
    // hono's bodyLimit parses the header with parseInt; NaN compares false and skips the limit.
    const response = await send(UNROUTED_PATH, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'Content-Length': declared },
      body: ' '.repeat(BODY_BYTES_MAX + 1),
    });
    expect(response.status).toBe(400);
    expect(await problemOf(response)).toMatchObject({
      type: 'https://invisible-bank.dev/problems/bad-request',
      detail: 'The Content-Length header is not a number.',
    });
  });
});

describe('unmatched methods and paths', () => {
  it('answers 404, not a 405 that lists the method, for a path with a trailing slash', async () => {
    const response = await SELF.fetch('https://bank.test/api/v1/transactions/');
    expect(response.status).toBe(404);
    expect(response.headers.get('Allow')).toBeNull();
    await response.text();
  });

  it('answers 405 with Allow for a method the route lacks', async () => {
    const id = '01900000-0000-7000-8000-000000000000';
    const response = await SELF.fetch(`https://bank.test/api/v1/transactions/${id}`, {
      method: 'DELETE',
    });
    expect(response.status).toBe(405);
    expect(response.headers.get('Allow')).toBe('GET, HEAD');
    await response.text();
  });
});
