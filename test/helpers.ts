import { env, SELF } from 'cloudflare:test';
import { expect } from 'vitest';
import { createApp } from '../src/app';
import type { Clock } from '../src/lib/time';

export const BASE = 'https://bank.test/api/v1';

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/**
 * Calls the Worker through its own fetch and always reads the body: an unread body breaks
 * the plugin's per-test storage (workers-sdk#5629).
 */
export async function api<T = any>(
  method: string,
  path: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = {
    'CF-Connecting-IP': '203.0.113.10',
    ...options.headers,
  };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  const url = path.startsWith('http') ? path : `${BASE}${path}`;
  const response = await SELF.fetch(url, { method, headers, body });
  const text = await response.text();
  const contentType = response.headers.get('Content-Type') ?? '';
  const parsed = text && contentType.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body: parsed as T };
}

let sequence = 0;

/** A unique, SSA-valid SSN per call within a test file. */
export function nextSsn(): string {
  sequence += 1;
  const serial = String(1000 + (sequence % 9000)).padStart(4, '0');
  const group = String(10 + Math.floor(sequence / 9000)).padStart(2, '0');
  return `123-${group}-${serial}`;
}

export function nextEmail(label = 'holder'): string {
  sequence += 1;
  return `${label}.${sequence}@example.com`;
}

export const STRONG_PASSWORD = 'correct horse battery staple';

export function signupBody(overrides: Record<string, unknown> = {}) {
  return {
    name: 'Ada Lovelace',
    email: nextEmail(),
    password: STRONG_PASSWORD,
    ssn: nextSsn(),
    date_of_birth: '1990-12-10',
    mailing_address: '1 Analytical Engine Way, London',
    ...overrides,
  };
}

export interface Customer {
  email: string;
  accessToken: string;
  refreshToken: string;
}

/** Signs a new holder up and returns their tokens. */
export async function newCustomer(overrides: Record<string, unknown> = {}): Promise<Customer> {
  const body = signupBody(overrides);
  const response = await api('POST', '/auth/signup', { body });
  expect(response.status).toBe(201);
  return {
    email: body.email as string,
    accessToken: response.body.access_token,
    refreshToken: response.body.refresh_token,
  };
}

/** Asserts an RFC 9457 problem with the given status and type slug. */
export function expectProblem(response: ApiResponse, status: number, typeSlug?: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('Content-Type')).toBe('application/problem+json; charset=utf-8');
  expect(response.body.status).toBe(status);
  expect(response.body.request_id).toBe(response.headers.get('X-Request-Id'));
  if (typeSlug) expect(response.body.type).toBe(`https://invisible-bank.dev/problems/${typeSlug}`);
}

export interface ApiOptions {
  token?: string;
  body?: unknown;
  headers?: Record<string, string>;
}

/** The signature of api() and of the callers apiAt() returns. */
export type ApiCall = <T = any>(
  method: string,
  path: string,
  options?: ApiOptions,
) => Promise<ApiResponse<T> & { text: string }>;

/** A request as the tests send it: one client IP, a bearer token, a JSON body. */
export function requestInit(method: string, options: ApiOptions): RequestInit {
  const headers: Record<string, string> = {
    'CF-Connecting-IP': '203.0.113.10',
    ...options.headers,
  };
  if (options.token) headers.Authorization = `Bearer ${options.token}`;
  let body: string | undefined;
  if (options.body !== undefined) {
    body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
    headers['Content-Type'] ??= 'application/json';
  }
  return { method, headers, body };
}

/** Reads the whole body (see api()), parsed when it is JSON, and keeps the raw text. */
export async function readResponse<T>(
  response: Response,
): Promise<ApiResponse<T> & { text: string }> {
  const text = await response.text();
  const contentType = response.headers.get('Content-Type') ?? '';
  const body = text && contentType.includes('json') ? JSON.parse(text) : text;
  return { status: response.status, headers: response.headers, body: body as T, text };
}

/** Calls `app` in-process with `bindings` as its env, the way api() calls the Worker. */
export function inProcessApi(app: ReturnType<typeof createApp>, bindings: typeof env): ApiCall {
  return async function call<T = any>(method: string, path: string, options: ApiOptions = {}) {
    const url = path.startsWith('http') ? path : `${BASE}${path}`;
    return readResponse<T>(await app.request(url, requestInit(method, options), bindings));
  };
}

/**
 * Like api(), but in-process through an app built with the given clock and the test bindings,
 * so that dates and timestamps can be asserted exactly. Also returns the raw response text.
 * Sign up through the same caller: a token minted at real time may be in this clock's future.
 */
export function apiAt(clock: Clock): ApiCall {
  return inProcessApi(createApp({ clock }), env);
}

/** newCustomer() through a given caller, e.g. one from apiAt(). */
export async function newCustomerVia(
  call: ApiCall,
  overrides: Record<string, unknown> = {},
): Promise<Customer> {
  const body = signupBody(overrides);
  const response = await call('POST', '/auth/signup', { body });
  expect(response.status).toBe(201);
  return {
    email: body.email as string,
    accessToken: response.body.access_token,
    refreshToken: response.body.refresh_token,
  };
}

/**
 * Like apiAt(), but every request gets an execution context that keeps what the Worker hands to
 * waitUntil, and settle() waits for all of it: mail, audit appends and their log lines are then
 * in place before the test looks.
 */
export function apiSettledAt(clock: Clock): { call: ApiCall; settle: () => Promise<void> } {
  const app = createApp({ clock });
  const deferred: Promise<unknown>[] = [];
  const executionContext = {
    waitUntil: (work: Promise<unknown>) => void deferred.push(work),
    passThroughOnException: () => undefined,
    props: {},
  } as unknown as ExecutionContext;
  async function call<T = any>(method: string, path: string, options: ApiOptions = {}) {
    const headers: Record<string, string> = {
      'CF-Connecting-IP': '203.0.113.10',
      ...options.headers,
    };
    if (options.token) headers.Authorization = `Bearer ${options.token}`;
    let body: string | undefined;
    if (options.body !== undefined) {
      body = typeof options.body === 'string' ? options.body : JSON.stringify(options.body);
      headers['Content-Type'] ??= 'application/json';
    }
    const url = path.startsWith('http') ? path : `${BASE}${path}`;
    const response = await app.request(url, { method, headers, body }, env, executionContext);
    const text = await response.text();
    const contentType = response.headers.get('Content-Type') ?? '';
    const parsed = text && contentType.includes('json') ? JSON.parse(text) : text;
    return { status: response.status, headers: response.headers, body: parsed as T, text };
  }
  async function settle() {
    while (deferred.length > 0) await Promise.allSettled(deferred.splice(0));
  }
  return { call, settle };
}
