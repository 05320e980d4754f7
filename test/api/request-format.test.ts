import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { rawApi } from '../auth-helpers';
import { api, BASE, expectProblem, signupBody, type ApiResponse } from '../helpers';

const SIGNUP = '/auth/signup';
const BODY_BYTES_MAX = 64 * 1024;

type RawResponse = ApiResponse & { text: string };

/**
 * A refused request answers a problem carrying the client's request id, and nothing of the
 * machinery behind it: no stack frame, no SQL error and no library name.
 */
function expectCleanProblem(response: RawResponse, status: number, typeSlug: string): void {
  expectProblem(response, status, typeSlug);
  expect(response.body.request_id).toBe('format-test');
  for (const leak of ['SQLITE', 'at ', 'ZodError', 'SyntaxError', 'JSON.parse']) {
    expect(response.text).not.toContain(leak);
  }
}

async function postSignup(body: string, headers: Record<string, string> = {}) {
  return rawApi('POST', SIGNUP, {
    body,
    headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'format-test', ...headers },
  });
}

/** A valid signup body padded with trailing JSON whitespace to exactly `bytes` bytes. */
function signupBodyOfBytes(bytes: number): string {
  const json = JSON.stringify(signupBody());
  return json + ' '.repeat(bytes - json.length);
}

describe('JSON request bodies', () => {
  it('refuses valid JSON sent as text/plain with 415', async () => {
    const response = await postSignup(JSON.stringify(signupBody()), {
      'Content-Type': 'text/plain',
    });
    expectCleanProblem(response, 415, 'unsupported-media-type');
    expect(response.body.detail).toBe('Send the request body as application/json in UTF-8.');
  });

  it('refuses valid JSON sent as a form with 415', async () => {
    const response = await postSignup(JSON.stringify(signupBody()), {
      'Content-Type': 'application/x-www-form-urlencoded',
    });
    expectCleanProblem(response, 415, 'unsupported-media-type');
  });

  it('accepts application/json with a charset parameter', async () => {
    const response = await postSignup(JSON.stringify(signupBody()), {
      'Content-Type': 'application/json; charset=utf-8',
    });
    expect(response.status).toBe(201);
  });

  it('refuses a charset other than UTF-8 with 415, and takes a quoted UTF-8 one', async () => {
    const latin1 = await postSignup(JSON.stringify(signupBody()), {
      'Content-Type': 'application/json; charset=iso-8859-1',
    });
    expectCleanProblem(latin1, 415, 'unsupported-media-type');
    const quoted = await postSignup(JSON.stringify(signupBody()), {
      'Content-Type': 'application/json; charset="UTF-8"',
    });
    expect(quoted.status).toBe(201);
  });

  it('refuses bytes that are not UTF-8 with 400 instead of storing U+FFFD', async () => {
    const json = JSON.stringify(signupBody({ name: 'Ada NAME' }));
    const [before, after] = json.split('NAME') as [string, string];
    const encoder = new TextEncoder();
    // 0xFF and 0xFE never occur in UTF-8.
    const bytes = new Uint8Array([...encoder.encode(before), 0xff, 0xfe, ...encoder.encode(after)]);
    const response = await SELF.fetch(`${BASE}${SIGNUP}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'X-Request-Id': 'format-test' },
      body: bytes,
    });
    const text = await response.text();
    expectCleanProblem(
      { status: response.status, headers: response.headers, body: JSON.parse(text), text },
      400,
      'bad-request',
    );
    expect(JSON.parse(text).detail).toBe('The request body is not valid UTF-8.');
  });

  it('refuses malformed JSON with 400', async () => {
    const response = await postSignup('{"name": "Ada", "email": ');
    expectCleanProblem(response, 400, 'bad-request');
    expect(response.body.detail).toBe('The request body is not valid JSON.');
  });

  it('refuses a body that repeats a member name with 400', async () => {
    const body = JSON.stringify(signupBody()).replace(/}$/, ',"name":"Eve"}');
    expect(JSON.parse(body).name).toBe('Eve');
    const response = await postSignup(body);
    expectCleanProblem(response, 400, 'bad-request');
    expect(response.body.detail).toBe('The request body repeats a member name.');
  });

  it('refuses a __proto__ member with 400', async () => {
    const body = JSON.stringify(signupBody()).replace(/}$/, ',"__proto__":{"mfa_enabled":true}}');
    const response = await postSignup(body);
    expectCleanProblem(response, 400, 'bad-request');
    expect(response.body.detail).toBe('The request body uses a reserved member name.');
  });

  it('refuses a constructor member nested inside a field with 400', async () => {
    const body = JSON.stringify(signupBody({ name: { constructor: { prototype: 1 } } }));
    const response = await postSignup(body);
    expectCleanProblem(response, 400, 'bad-request');
    expect(response.body.detail).toBe('The request body uses a reserved member name.');
  });

  it('refuses a JSON array body with 422', async () => {
    const response = await postSignup('[]');
    expectCleanProblem(response, 422, 'validation-failed');
    expect(response.body.errors).toEqual([
      { path: '', message: 'Invalid input: expected object, received array' },
    ]);
  });

  it('accepts a body of exactly 64 KiB', async () => {
    const response = await postSignup(signupBodyOfBytes(BODY_BYTES_MAX));
    expect(response.status).toBe(201);
  });

  it('refuses a body one byte over 64 KiB with 413', async () => {
    const response = await postSignup(signupBodyOfBytes(BODY_BYTES_MAX + 1));
    expectCleanProblem(response, 413, 'payload-too-large');
  });

  it('refuses a large body before checking its media type', async () => {
    const response = await postSignup('x'.repeat(BODY_BYTES_MAX + 1), {
      'Content-Type': 'text/plain',
    });
    expectCleanProblem(response, 413, 'payload-too-large');
  });

  it('answers a validation failure without echoing the rejected values', async () => {
    const response = await postSignup(
      JSON.stringify(signupBody({ email: 'not-an-email-7c1e', ssn: '999-99-9999' })),
    );
    expectCleanProblem(response, 422, 'validation-failed');
    expect(response.text).not.toContain('not-an-email-7c1e');
    expect(response.text).not.toContain('999-99-9999');
  });

  it('puts Cache-Control no-store on a refusal', async () => {
    const response = await api('POST', SIGNUP, { body: '{', headers: { 'X-Request-Id': 'x' } });
    expect(response.status).toBe(400);
    expect(response.headers.get('Cache-Control')).toBe('no-store');
  });
});
