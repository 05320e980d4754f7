import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';

async function send(url: string, environment: string) {
  const response = await createApp().request(
    url,
    { method: 'POST', headers: { Authorization: 'Bearer x.y.z' } },
    { ...env, ENVIRONMENT: environment },
  );
  return { status: response.status, headers: response.headers, body: await response.text() };
}

describe('HTTPS only', () => {
  it.each(['production', 'staging'])(
    'refuses a plain-HTTP request in %s with a problem and no redirect',
    async (environment) => {
      const response = await send('http://api.invisible-bank.test/api/v1/auth/logout', environment);
      expect(response.status).toBe(403);
      expect(response.headers.get('Location')).toBeNull();
      expect(response.headers.get('Content-Type')).toBe('application/problem+json; charset=utf-8');
      expect(JSON.parse(response.body).type).toBe('https://invisible-bank.dev/problems/forbidden');
    },
  );

  it('lets an HTTPS request through in production', async () => {
    const response = await send('https://api.invisible-bank.test/api/v1/auth/logout', 'production');
    expect(response.status).toBe(401);
  });

  it('serves plain HTTP in development, where wrangler dev listens without TLS', async () => {
    const response = await send('http://127.0.0.1:8787/api/v1/auth/logout', 'development');
    expect(response.status).toBe(401);
  });
});
