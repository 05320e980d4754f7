import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';

const BASELINE_URL = 'https://bank.test/bench/ledger-baseline';

/**
 * Calls an app built in this isolate with the given bindings, and reads the body (an unread body
 * breaks the plugin's per-test storage). getConfig caches per env object, so each spread below
 * is parsed afresh.
 */
async function callBaseline(method: string, bindings: Cloudflare.Env) {
  const response = await createApp().request(BASELINE_URL, { method }, bindings);
  const text = await response.text();
  return { status: response.status, type: response.headers.get('Content-Type'), text };
}

describe('POST /bench/ledger-baseline', () => {
  it('answers 404 when BENCH_ROUTES is not set', async () => {
    const response = await callBaseline('POST', { ...env });
    expect(response.status).toBe(404);
    expect(response.type).toBe('application/problem+json; charset=utf-8');
    expect(JSON.parse(response.text).type).toBe('https://invisible-bank.dev/problems/not-found');
  });

  it('answers 404, not 405, to another method when BENCH_ROUTES is not set', async () => {
    const response = await callBaseline('GET', { ...env });
    expect(response.status).toBe(404);
  });

  it('answers 404 in production even when BENCH_ROUTES is true', async () => {
    const response = await callBaseline('POST', {
      ...env,
      BENCH_ROUTES: 'true',
      ENVIRONMENT: 'production',
    });
    expect(response.status).toBe(404);
    expect(JSON.parse(response.text).type).toBe('https://invisible-bank.dev/problems/not-found');
  });

  it('answers the ledger queue depth and the batch size when BENCH_ROUTES is true', async () => {
    const response = await callBaseline('POST', { ...env, BENCH_ROUTES: 'true' });
    expect(response.status).toBe(200);
    expect(JSON.parse(response.text)).toEqual({ queue_depth: 0, statements: 5 });
  });
});
