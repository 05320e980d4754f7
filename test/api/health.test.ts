import { SELF } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';

describe('GET /health', () => {
  it('answers ok with the security headers', async () => {
    const response = await SELF.fetch('https://bank.test/health');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
    expect(response.headers.get('Cache-Control')).toBe('no-store');
    expect(response.headers.get('X-Request-Id')).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe('GET /health/ready', () => {
  it('answers ready when D1 and KV answer', async () => {
    const response = await SELF.fetch('https://bank.test/health/ready');
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({
      status: 'ready',
      checks: { d1: 'ok', kv: 'ok', keys: 'ok' },
    });
  });
});
