import { describe, expect, it } from 'vitest';
import { createApp } from '../../src/app';
import { AUTH_LIMITED_PATHS } from '../../src/middleware/rate-limit';
import { capturedLogLines } from '../setup';
import { expectProblem, signupBody, type ApiResponse } from '../helpers';
import { freshIp, limitedApp } from '../rate-limit-helpers';

const JWKS = 'https://bank.test/.well-known/jwks.json';
const MINUTE_MS = 60_000;

function expectRateLimited(response: ApiResponse, retryAfterSeconds: number): void {
  expectProblem(response, 429, 'rate-limited');
  expect(response.body.title).toBe('Rate limited');
  expect(response.headers.get('Retry-After')).toBe(String(retryAfterSeconds));
}

describe('general limit per client IP', () => {
  it('refuses the 61st request of a minute: 429, Retry-After, RateLimit fields', async () => {
    const { call } = limitedApp();
    const ip = freshIp();
    for (let request = 1; request <= 60; request++) {
      const response = await call('GET', JWKS, { ip });
      expect(response.status).toBe(200);
      expect(response.headers.get('RateLimit')).toBe(`"general";r=${60 - request};t=60`);
    }

    const refused = await call('GET', JWKS, { ip });
    expectRateLimited(refused, 60);
    expect(refused.body).toEqual({
      type: 'https://invisible-bank.dev/problems/rate-limited',
      title: 'Rate limited',
      status: 429,
      detail: 'Too many requests from this client.',
      request_id: refused.headers.get('X-Request-Id'),
    });
    expect(refused.headers.get('RateLimit-Policy')).toBe('"general";q=60;w=60');
    expect(refused.headers.get('RateLimit')).toBe('"general";r=0;t=60');
    expect(refused.headers.get('Cache-Control')).toBe('no-store');
  });

  it('shows the remaining quota falling and the reset nearing on successful answers', async () => {
    const { call, clock } = limitedApp();
    const ip = freshIp();
    const seen: (string | null)[] = [];
    for (let request = 0; request < 3; request++) {
      const response = await call('GET', JWKS, { ip });
      expect(response.status).toBe(200);
      expect(response.headers.get('RateLimit-Policy')).toBe('"general";q=60;w=60');
      seen.push(response.headers.get('RateLimit'));
      clock.advanceMs(10_000);
    }
    expect(seen).toEqual(['"general";r=59;t=60', '"general";r=58;t=50', '"general";r=57;t=40']);
  });

  it('puts the headers on error answers that went through the limiter too', async () => {
    const { call } = limitedApp();
    const response = await call('GET', '/no-such-route', { ip: freshIp() });
    expectProblem(response, 404, 'not-found');
    expect(response.headers.get('RateLimit')).toBe('"general";r=59;t=60');
  });

  it('slides: each request leaves the count one window after it was made', async () => {
    const { call, clock } = limitedApp({ general: 5 });
    const ip = freshIp();
    for (let request = 0; request < 3; request++) {
      expect((await call('GET', JWKS, { ip })).status).toBe(200);
    }
    clock.advanceMs(30_000);
    for (let request = 0; request < 2; request++) {
      expect((await call('GET', JWKS, { ip })).status).toBe(200);
    }
    expectRateLimited(await call('GET', JWKS, { ip }), 30);

    clock.advanceMs(30_000 - 1);
    expectRateLimited(await call('GET', JWKS, { ip }), 1);

    // The three from the start have left; the two from thirty seconds later have not.
    clock.advanceMs(1);
    for (let request = 0; request < 3; request++) {
      expect((await call('GET', JWKS, { ip })).status).toBe(200);
    }
    expectRateLimited(await call('GET', JWKS, { ip }), 30);
  });

  it('lets exactly the quota through when requests arrive at the same moment', async () => {
    const { call } = limitedApp({ general: 10 });
    const ip = freshIp();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => call('GET', JWKS, { ip })),
    );
    const statuses = responses.map((response) => response.status).sort();
    expect(statuses).toEqual([...Array<number>(10).fill(200), ...Array<number>(10).fill(429)]);
    const remaining = responses
      .filter((response) => response.status === 200)
      .map((response) => response.headers.get('RateLimit'))
      .sort();
    expect(remaining).toEqual(
      Array.from({ length: 10 }, (_, index) => `"general";r=${index};t=60`).sort(),
    );
  });

  it('does not limit the liveness probe, and adds no RateLimit fields to it', async () => {
    const { call } = limitedApp({ general: 2 });
    const ip = freshIp();
    for (let request = 0; request < 5; request++) {
      const response = await call('GET', 'https://bank.test/health', { ip });
      expect(response.status).toBe(200);
      expect(response.headers.get('RateLimit')).toBeNull();
    }
    expect((await call('GET', 'https://bank.test/health/ready', { ip })).status).toBe(200);
    expect((await call('GET', 'https://bank.test/health/ready', { ip })).status).toBe(200);
    expectRateLimited(await call('GET', 'https://bank.test/health/ready', { ip }), 60);
  });

  it('logs the refusal with its reason and never the client IP', async () => {
    const { call } = limitedApp({ general: 1 });
    const ip = '198.51.100.77';
    await call('GET', JWKS, { ip });
    expectRateLimited(await call('GET', JWKS, { ip }), 60);
    const refusal = capturedLogLines
      .map((line) => JSON.parse(line))
      .find((line) => line.event === 'request_refused' && line.status === 429);
    expect(refusal).toMatchObject({ errorType: 'rate-limited', reason: 'quota_exhausted:general' });
    expect(capturedLogLines.join('\n')).not.toContain(ip);
  });
});

describe('client IP', () => {
  it('ignores X-Forwarded-For and the other client-set IP headers', async () => {
    const { call } = limitedApp({ general: 3 });
    const ip = freshIp();
    for (let request = 0; request < 3; request++) {
      expect((await call('GET', JWKS, { ip })).status).toBe(200);
    }
    const spoofed = await call('GET', JWKS, {
      ip,
      headers: {
        'X-Forwarded-For': '192.0.2.1',
        'X-Real-IP': '192.0.2.2',
        'True-Client-IP': '192.0.2.3',
        Forwarded: 'for=192.0.2.4',
      },
    });
    expectRateLimited(spoofed, 60);
  });

  it('puts requests without a usable CF-Connecting-IP into one shared bucket', async () => {
    // Far from the rest of the suite's clock, so that the shared bucket starts out empty.
    const { call } = limitedApp({ general: 4 }, Date.now() + 24 * 60 * MINUTE_MS);
    expect((await call('GET', JWKS, { ip: null })).status).toBe(200);
    expect((await call('GET', JWKS, { ip: null })).status).toBe(200);
    const forwarded = { 'X-Forwarded-For': '192.0.2.10' };
    expect((await call('GET', JWKS, { ip: null, headers: forwarded })).status).toBe(200);
    expect((await call('GET', JWKS, { ip: 'not an address' })).status).toBe(200);

    expectRateLimited(await call('GET', JWKS, { ip: null }), 60);
    expectRateLimited(await call('GET', JWKS, { ip: '<script>' }), 60);
    expect((await call('GET', JWKS, { ip: freshIp() })).status).toBe(200);
  });

  it('counts different IPs apart', async () => {
    const { call } = limitedApp({ general: 2 });
    const first = freshIp();
    await call('GET', JWKS, { ip: first });
    await call('GET', JWKS, { ip: first });
    expectRateLimited(await call('GET', JWKS, { ip: first }), 60);
    expect((await call('GET', JWKS, { ip: freshIp() })).status).toBe(200);
    expect((await call('GET', JWKS, { ip: '198.51.100.23' })).status).toBe(200);
  });

  it('counts an IPv6 /64 as one client, in any spelling of its addresses', async () => {
    const { call } = limitedApp({ general: 3 });
    const prefix = freshIp().replace(/::7$/, '');
    const [, , third = '', fourth = ''] = prefix.split(':');
    const spellings = [
      `${prefix}::1`,
      `${prefix}:ffff:1:2:3`,
      `2001:0DB8:${third.padStart(4, '0')}:${fourth.padStart(4, '0')}:0:0:0:9`,
    ];
    for (const ip of spellings) expect((await call('GET', JWKS, { ip })).status).toBe(200);
    expectRateLimited(await call('GET', JWKS, { ip: `${prefix}::abcd` }), 60);
  });

  it('counts an IPv4-mapped IPv6 address as its IPv4 address', async () => {
    const { call } = limitedApp({ general: 1 });
    const [high = 0, low = 0] = crypto.getRandomValues(new Uint8Array(2));
    const ipv4 = `10.77.${high}.${low}`;
    expect((await call('GET', JWKS, { ip: ipv4 })).status).toBe(200);
    expectRateLimited(await call('GET', JWKS, { ip: `::ffff:${ipv4}` }), 60);
  });
});

describe('auth limit per client IP', () => {
  const AUTH_ROUTES = [
    '/auth/signup',
    '/auth/login',
    '/auth/refresh',
    '/auth/mfa/verify',
    '/auth/password/forgot',
    '/auth/password/reset',
  ];

  it.each(AUTH_ROUTES)(
    'refuses the 6th POST %s of a minute, before reading its body',
    async (path) => {
      const { call } = limitedApp();
      const ip = freshIp();
      for (let request = 1; request <= 5; request++) {
        const response = await call('POST', path, { ip, body: {} });
        expectProblem(response, 422, 'validation-failed');
        expect(response.headers.get('RateLimit')).toBe(
          `"general";r=${60 - request};t=60, "auth";r=${5 - request};t=60`,
        );
      }

      // Malformed and oversized: a request that read its body would answer 400 or 413.
      const malformed = await call('POST', path, { ip, body: '{"email": ' });
      expectRateLimited(malformed, 60);
      const oversized = await call('POST', path, { ip, body: `"${'x'.repeat(70_000)}"` });
      expectRateLimited(oversized, 60);
      expect(oversized.headers.get('RateLimit-Policy')).toBe(
        '"general";q=60;w=60, "auth";q=5;w=60',
      );
      expect(oversized.headers.get('RateLimit')).toBe('"general";r=55;t=60, "auth";r=0;t=60');
    },
  );

  it('writes nothing for a refused signup: the same email signs up later', async () => {
    const { call, clock } = limitedApp({ auth: 1 });
    const ip = freshIp();
    expect((await call('POST', '/auth/signup', { ip, body: {} })).status).toBe(422);
    const body = signupBody();
    expectRateLimited(await call('POST', '/auth/signup', { ip, body }), 60);
    clock.advanceMs(MINUTE_MS);
    expect((await call('POST', '/auth/signup', { ip, body })).status).toBe(201);
  });

  it('leaves other routes, and other methods on auth paths, to the general quota', async () => {
    const { call } = limitedApp({ auth: 1 });
    const ip = freshIp();
    expect((await call('POST', '/auth/login', { ip, body: {} })).status).toBe(422);
    const sessions = await call('GET', '/auth/sessions', { ip });
    expectProblem(sessions, 401, 'unauthorized');
    expect(sessions.headers.get('RateLimit-Policy')).toBe('"general";q=60;w=60');
    const wrongMethod = await call('GET', '/auth/login', { ip });
    expectProblem(wrongMethod, 405, 'method-not-allowed');
    expect(wrongMethod.headers.get('RateLimit')).toBe('"general";r=57;t=60');
  });

  it('counts an email change against the credential quota, other profile changes not', async () => {
    const { call } = limitedApp({ auth: 2 });
    const signup = await call('POST', '/auth/signup', { ip: freshIp(), body: signupBody() });
    expect(signup.status).toBe(201);
    const token: string = signup.body.access_token;
    const ip = freshIp();
    for (let change = 0; change < 3; change++) {
      const renamed = await call('PATCH', '/account-holders/me', {
        ip,
        token,
        body: { name: `Renamed ${change}` },
      });
      expect(renamed.status).toBe(200);
    }
    // A wrong password keeps the email, so each attempt is a fresh probe of the same one.
    const probe = { email: `probe.${crypto.randomUUID()}@example.com`, current_password: 'nope' };
    for (let attempt = 0; attempt < 2; attempt++) {
      const refused = await call('PATCH', '/account-holders/me', { ip, token, body: probe });
      expectProblem(refused, 401);
      expect(refused.headers.get('RateLimit')).toContain(`"auth";r=${1 - attempt}`);
    }
    expectRateLimited(await call('PATCH', '/account-holders/me', { ip, token, body: probe }), 60);
  });

  it('recovers once a minute has passed since the first counted request', async () => {
    const { call, clock } = limitedApp({ auth: 2 });
    const ip = freshIp();
    await call('POST', '/auth/login', { ip, body: {} });
    clock.advanceMs(20_000);
    await call('POST', '/auth/login', { ip, body: {} });
    expectRateLimited(await call('POST', '/auth/login', { ip, body: {} }), 40);
    clock.advanceMs(40_000);
    expectProblem(await call('POST', '/auth/login', { ip, body: {} }), 422, 'validation-failed');
    expectRateLimited(await call('POST', '/auth/login', { ip, body: {} }), 20);
  });

  it('counts a percent-encoded credential path as the route it reaches', async () => {
    const { call } = limitedApp({ auth: 1 });
    const ip = freshIp();
    expectProblem(await call('POST', '/auth/%6Cogin', { ip, body: {} }), 422, 'validation-failed');
    expectRateLimited(await call('POST', '/auth/log%69n', { ip, body: {} }), 60);
  });

  it('names only paths that are POST routes of the app', () => {
    const postPaths = new Set(
      createApp()
        .routes.filter((route) => route.method === 'POST')
        .map((route) => route.path),
    );
    for (const path of AUTH_LIMITED_PATHS) expect(postPaths).toContain(path);
    expect(AUTH_LIMITED_PATHS.size).toBe(AUTH_ROUTES.length);
  });
});

describe('money limit per account holder', () => {
  async function balanceOf(
    call: ReturnType<typeof limitedApp>['call'],
    holder: { token: string; accountId: string },
  ) {
    const response = await call('GET', `/accounts/${holder.accountId}`, {
      ip: freshIp(),
      token: holder.token,
    });
    return response.body.balance as string;
  }

  it('refuses the 31st money request of a holder, moves no money, and spares others', async () => {
    const { call, newHolderWithAccount } = limitedApp({ general: 1000 });
    const ip = freshIp();
    const holder = await newHolderWithAccount(ip);
    const other = await newHolderWithAccount(freshIp());
    for (let request = 1; request <= 30; request++) {
      const response = await call('POST', '/transactions/deposit', {
        ip,
        token: holder.token,
        body: { account_id: holder.accountId, amount: '1.00' },
      });
      expect(response.status).toBe(201);
      expect(response.headers.get('RateLimit')).toMatch(
        new RegExp(`^"general";r=\\d+;t=60, "money";r=${30 - request};t=60$`),
      );
    }

    const refused = await call('POST', '/transactions/withdraw', {
      ip,
      token: holder.token,
      body: { account_id: holder.accountId, amount: '5.00' },
    });
    expectRateLimited(refused, 60);
    expect(refused.body.detail).toBe('Too many money movements for this account holder.');
    expect(refused.headers.get('RateLimit-Policy')).toBe(
      '"general";q=1000;w=60, "money";q=30;w=60',
    );
    expect(refused.headers.get('RateLimit')).toMatch(/^"general";r=\d+;t=60, "money";r=0;t=60$/);
    const unparsed = await call('POST', '/transactions/transfer', {
      ip,
      token: holder.token,
      body: '{"amount": ',
    });
    expectRateLimited(unparsed, 60);
    expect(await balanceOf(call, holder)).toBe('30.00');

    const spared = await call('POST', '/transactions/deposit', {
      ip,
      token: other.token,
      body: { account_id: other.accountId, amount: '2.00' },
    });
    expect(spared.status).toBe(201);
    expect(await balanceOf(call, other)).toBe('2.00');
  });

  it('holds the holder limit across IPs', async () => {
    const { call, clock, newHolderWithAccount } = limitedApp({ money: 4 });
    const holder = await newHolderWithAccount(freshIp());
    const [first, second] = [freshIp(), freshIp()];
    for (const ip of [first, second, first, second]) {
      const response = await call('POST', '/transactions/deposit', {
        ip,
        token: holder.token,
        body: { account_id: holder.accountId, amount: '1.00' },
      });
      expect(response.status).toBe(201);
    }
    const deposit = { account_id: holder.accountId, amount: '1.00' };
    const third = freshIp();
    expectRateLimited(
      await call('POST', '/transactions/deposit', {
        ip: third,
        token: holder.token,
        body: deposit,
      }),
      60,
    );
    expect(await balanceOf(call, holder)).toBe('4.00');

    clock.advanceMs(MINUTE_MS);
    const later = await call('POST', '/transactions/deposit', {
      ip: third,
      token: holder.token,
      body: deposit,
    });
    expect(later.status).toBe(201);
  });

  it('counts the holder after authentication: a bad token spends no money quota', async () => {
    const { call, newHolderWithAccount } = limitedApp({ money: 1 });
    const holder = await newHolderWithAccount(freshIp());
    const ip = freshIp();
    const unauthenticated = await call('POST', '/transactions/deposit', {
      ip,
      token: 'not.a.token',
      body: { account_id: holder.accountId, amount: '1.00' },
    });
    expectProblem(unauthenticated, 401, 'unauthorized');
    expect(unauthenticated.headers.get('RateLimit-Policy')).toBe('"general";q=60;w=60');
    const deposit = await call('POST', '/transactions/deposit', {
      ip,
      token: holder.token,
      body: { account_id: holder.accountId, amount: '1.00' },
    });
    expect(deposit.status).toBe(201);
  });
});
