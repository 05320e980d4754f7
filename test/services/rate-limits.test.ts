import { env } from 'cloudflare:test';
import { describe, expect, it } from 'vitest';
import type { RatePolicy } from '../../src/durable/rate-limiter';
import { clientKey, UNKNOWN_CLIENT_KEY } from '../../src/services/rate-limits';

describe('clientKey', () => {
  it('keys an IPv4 address by itself', () => {
    expect(clientKey('203.0.113.10')).toBe('ip:203.0.113.10');
  });

  it('keys an IPv6 address by its /64, whatever its spelling', () => {
    const expected = 'ip:2001:db8:0:1a::/64';
    expect(clientKey('2001:db8:0:1a::1')).toBe(expected);
    expect(clientKey('2001:0DB8:0000:001A:ffff:0:0:2')).toBe(expected);
    expect(clientKey('2001:db8::1a:0:0:0:3')).toBe(expected);
    expect(clientKey('2001:db8:0:1b::1')).not.toBe(expected);
  });

  it('keys an IPv4-mapped IPv6 address as its IPv4 address', () => {
    expect(clientKey('::ffff:203.0.113.10')).toBe('ip:203.0.113.10');
    expect(clientKey('::ffff:cb00:710a')).toBe('ip:203.0.113.10');
  });

  it('puts a missing address into the shared unknown key', () => {
    expect(clientKey(null)).toBe(UNKNOWN_CLIENT_KEY);
  });

  it.each(['1::2::3', '1:2:3:4:5:6:7:8:9', '12345::1', '::ffff:300.1.1.1', ':::'])(
    'keys the unparsable IPv6 text %s by itself rather than failing',
    (text) => {
      expect(clientKey(text)).toBe(`ip:${text.toLowerCase()}`);
    },
  );
});

describe('RateLimiter', () => {
  const GENERAL: RatePolicy = { name: 'general', quota: 2, windowSeconds: 60 };

  function limiter() {
    return env.RATE_LIMITER.get(env.RATE_LIMITER.newUniqueId());
  }

  it('counts nothing for a refused request, in any of its policies', async () => {
    const stub = limiter();
    const auth: RatePolicy = { name: 'auth', quota: 1, windowSeconds: 60 };
    expect((await stub.take(0, [GENERAL, auth])).isAllowed).toBe(true);
    const refused = await stub.take(1000, [GENERAL, auth]);
    expect(refused.isAllowed).toBe(false);
    expect(refused.retryAfterSeconds).toBe(59);
    expect(refused.states.map((state) => state.remaining)).toEqual([1, 0]);
    const generalOnly = await stub.take(2000, [GENERAL]);
    expect(generalOnly).toMatchObject({ isAllowed: true, states: [{ remaining: 0 }] });
  });

  it('never lets a clock that runs behind re-admit what a later clock counted', async () => {
    const stub = limiter();
    await stub.take(100_000, [GENERAL]);
    await stub.take(100_000, [GENERAL]);
    const early = await stub.take(10_000, [GENERAL]);
    expect(early).toMatchObject({ isAllowed: false, retryAfterSeconds: 60 });
  });

  it('refuses until enough requests have left when the quota is lowered', async () => {
    const stub = limiter();
    const wide: RatePolicy = { ...GENERAL, quota: 3 };
    await stub.take(0, [wide]);
    await stub.take(10_000, [wide]);
    await stub.take(20_000, [wide]);
    const lowered = await stub.take(30_000, [{ ...GENERAL, quota: 1 }]);
    // A quota of 1 has room only when the log is empty: the last entry leaves at 80 s.
    expect(lowered).toMatchObject({ isAllowed: false, retryAfterSeconds: 50 });
    expect((await stub.take(79_999, [{ ...GENERAL, quota: 1 }])).isAllowed).toBe(false);
    expect((await stub.take(80_000, [{ ...GENERAL, quota: 1 }])).isAllowed).toBe(true);
  });
});
