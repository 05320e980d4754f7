import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import {
  blockSession,
  blockToken,
  isBlocked,
  kvTtlSeconds,
  type BlocklistStore,
} from '../../src/services/revocation';

function recordingStore(): BlocklistStore & { ttls: number[] } {
  const ttls: number[] = [];
  return {
    ttls,
    get: async (keys) => new Map(keys.map((key) => [key, null])),
    put: async (_key, _value, options) => {
      ttls.push(options.expirationTtl);
    },
  };
}

describe('kvTtlSeconds', () => {
  it.each([
    [0, 60],
    [1, 60],
    [30, 60],
    [59, 60],
    [59.9, 60],
    [60, 60],
    [60.2, 61],
    [61, 61],
    [900, 900],
  ])('turns a wish of %s seconds into %s whole seconds, never under KV’s 60', (wish, ttl) => {
    expect(kvTtlSeconds(wish)).toBe(ttl);
  });
});

describe('blockToken', () => {
  it('blocks for the rest of the token’s life in whole seconds, at least 60', async () => {
    const store = recordingStore();
    const nowMs = Date.parse('2026-12-03T12:00:00.000Z');
    const nowSeconds = nowMs / 1000;
    for (const remainingSeconds of [0, 1, 59, 61, 899]) {
      await blockToken(store, {
        tokenId: 't',
        expiresAtSeconds: nowSeconds + remainingSeconds,
        nowMs,
      });
    }
    expect(store.ttls).toEqual([60, 60, 60, 61, 899]);
    expect(store.ttls.every(Number.isInteger)).toBe(true);
  });

  it('is accepted by the real KV binding and seen by isBlocked', async () => {
    const nowMs = Date.now();
    await blockToken(env.REVOKED_TOKENS, {
      tokenId: 'jti-1',
      expiresAtSeconds: Math.floor(nowMs / 1000) + 5,
      nowMs,
    });
    await blockSession(env.REVOKED_TOKENS, { sessionId: 'sid-1', accessTtlSeconds: 900 });
    expect(await isBlocked(env.REVOKED_TOKENS, { tokenId: 'jti-1', sessionId: 'other' })).toBe(
      true,
    );
    expect(await isBlocked(env.REVOKED_TOKENS, { tokenId: 'other', sessionId: 'sid-1' })).toBe(
      true,
    );
    expect(await isBlocked(env.REVOKED_TOKENS, { tokenId: 'x', sessionId: 'y' })).toBe(false);
  });

  it('is the only way in: the KV binding itself refuses a TTL under 60 seconds', async () => {
    await expect(
      env.REVOKED_TOKENS.put('revoked:jti:direct', '1', { expirationTtl: 59 }),
    ).rejects.toThrow();
  });
});
