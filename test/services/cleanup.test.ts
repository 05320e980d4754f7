import {
  createExecutionContext,
  createScheduledController,
  env,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import worker from '../../src/index';
import { api, newCustomer } from '../helpers';

const DAY_MS = 24 * 60 * 60 * 1000;

async function countRows(table: string): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${table}`).first<{ n: number }>();
  return row?.n ?? -1;
}

async function insertIdempotencyKey(holderId: string, key: string, expiresAt: string) {
  await env.DB.prepare(
    `INSERT INTO idempotency_keys (holder_id, idempotency_key, request_hash, state,
       lease_expires_at, expires_at, created_at, updated_at)
     VALUES (?, ?, 'hash', 'completed', ?, ?, ?, ?)`,
  )
    .bind(holderId, key, expiresAt, expiresAt, expiresAt, expiresAt)
    .run();
}

describe('scheduled cleanup', () => {
  it('deletes expired sessions and idempotency records and keeps live ones', async () => {
    const customer = await newCustomer();
    const me = await api('GET', '/account-holders/me', { token: customer.accessToken });
    const holderId = me.body.id as string;
    const nowMs = Date.now();
    const inTenDays = new Date(nowMs + 10 * DAY_MS).toISOString();
    const inTwentyDays = new Date(nowMs + 20 * DAY_MS).toISOString();
    for (let index = 0; index < 3; index++) {
      await insertIdempotencyKey(holderId, `old-${index}`, inTenDays);
    }
    await insertIdempotencyKey(holderId, 'young', inTwentyDays);
    const sessionsBefore = await countRows('sessions');
    expect(sessionsBefore).toBeGreaterThan(0);

    // Run as if fifteen days had passed: the 7-day sessions and the old keys are over.
    const controller = createScheduledController({ scheduledTime: nowMs + 15 * DAY_MS });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);

    expect(await countRows('sessions')).toBe(0);
    const keys = await env.DB.prepare('SELECT idempotency_key FROM idempotency_keys').all();
    expect(keys.results.map((row) => row.idempotency_key)).toEqual(['young']);
  });

  it('leaves everything alone when nothing has expired', async () => {
    const customer = await newCustomer();
    const sessionsBefore = await countRows('sessions');
    const controller = createScheduledController({ scheduledTime: Date.now() });
    const ctx = createExecutionContext();
    await worker.scheduled(controller, env, ctx);
    await waitOnExecutionContext(ctx);
    expect(await countRows('sessions')).toBe(sessionsBefore);
    expect((await api('GET', '/account-holders/me', { token: customer.accessToken })).status).toBe(
      200,
    );
  });
});
