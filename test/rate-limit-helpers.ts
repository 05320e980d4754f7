import { env } from 'cloudflare:test';
import { expect } from 'vitest';
import { createApp } from '../src/app';
import { fixedClock } from '../src/lib/time';
import { BASE, signupBody, type ApiResponse } from './helpers';

/**
 * An app with real quotas, on a copy of env (config is cached per env object, so the copy gets
 * its own), called in-process with a clock the test moves. The shared bindings keep quotas the
 * rest of the suite never reaches.
 */
export function limitedApp(
  quotas: { general?: number; auth?: number; money?: number } = {},
  startMs = Date.now(),
) {
  const bindings = {
    ...env,
    RATE_LIMIT_GENERAL_PER_MINUTE: String(quotas.general ?? 60),
    RATE_LIMIT_AUTH_PER_MINUTE: String(quotas.auth ?? 5),
    RATE_LIMIT_MONEY_PER_MINUTE: String(quotas.money ?? 30),
  };
  const clock = fixedClock(new Date(startMs).toISOString());
  const app = createApp({ clock });

  /** `ip: null` sends no CF-Connecting-IP at all. */
  async function call<T = any>(
    method: string,
    path: string,
    options: {
      ip: string | null;
      token?: string;
      body?: unknown;
      headers?: Record<string, string>;
    },
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...options.headers };
    if (options.ip !== null) headers['CF-Connecting-IP'] = options.ip;
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const url = path.startsWith('http') ? path : `${BASE}${path}`;
    const response = await app.request(url, { method, headers, body }, bindings);
    const text = await response.text();
    const contentType = response.headers.get('Content-Type') ?? '';
    const parsed = text && contentType.includes('json') ? JSON.parse(text) : text;
    return { status: response.status, headers: response.headers, body: parsed as T };
  }

  /** Signs a holder up from the given IP and opens a checking account. */
  async function newHolderWithAccount(ip: string) {
    const signup = await call('POST', '/auth/signup', { ip, body: signupBody() });
    expect(signup.status).toBe(201);
    const token: string = signup.body.access_token;
    const account = await call('POST', '/accounts', {
      ip,
      token,
      body: { account_type: 'checking' },
    });
    expect(account.status).toBe(201);
    return { token, accountId: account.body.id as string };
  }

  return { clock, call, newHolderWithAccount };
}

/**
 * An IPv6 address in a /64 of its own inside the documentation prefix 2001:db8::/32. Limiter
 * objects outlive a test, so every test takes fresh addresses rather than reusing one.
 */
export function freshIp(): string {
  const [high = 0, low = 0] = crypto.getRandomValues(new Uint16Array(2));
  return `2001:db8:${high.toString(16)}:${low.toString(16)}::7`;
}
