import type { Context } from 'hono';
import { createMiddleware } from 'hono/factory';
import { RateLimitedError, UnavailableError } from '../errors';
import {
  takeClientCredentialQuota,
  takeClientQuota,
  takeHolderMoneyQuota,
  type RateDecision,
  type RateLimitDeps,
  type RatePolicyState,
} from '../services/rate-limits';
import { clientIp } from './auth';
import type { AppEnv } from './context';

/** The credential routes of API.md "Limits", where the auth quota applies on top. */
export const AUTH_LIMITED_PATHS = new Set(
  ['signup', 'login', 'refresh', 'mfa/verify', 'password/forgot', 'password/reset'].map(
    (route) => `/api/v1/auth/${route}`,
  ),
);

/**
 * The liveness probe answers from memory with no I/O, so limiting it would cost more than
 * serving it, and a probe that met a 429 would report a live Worker as dead. /health/ready,
 * which does reach D1 and KV, stays limited.
 */
const UNLIMITED_PATHS = new Set(['/health']);

function rateLimitDeps(c: Context<AppEnv>): RateLimitDeps {
  return { env: c.env, config: c.get('config'), nowMs: c.get('clock').nowMs() };
}

/**
 * The RateLimit-Policy and RateLimit fields of draft-ietf-httpapi-ratelimit-headers (revision
 * 11 and later): Structured Field Lists with one quoted policy name per member, every policy
 * that counted this request listed, so a client sees whichever is nearest its end.
 */
export function rateLimitHeaders(states: RatePolicyState[]): Record<string, string> {
  return {
    'RateLimit-Policy': states
      .map((state) => `"${state.name}";q=${state.quota};w=${state.windowSeconds}`)
      .join(', '),
    RateLimit: states
      .map((state) => `"${state.name}";r=${state.remaining};t=${state.resetSeconds}`)
      .join(', '),
  };
}

async function decide(work: Promise<RateDecision>): Promise<RateDecision> {
  try {
    return await work;
  } catch (error) {
    // Fail closed: without a count, the limit cannot be shown to hold.
    throw new UnavailableError('The service is busy. Try again shortly.', {
      reason: `rate_limiter_failed:${error instanceof Error ? error.name : 'unknown'}`,
    });
  }
}

function refusal(detail: string, decision: RateDecision, states: RatePolicyState[]) {
  const exhausted = decision.states.filter((state) => state.remaining === 0);
  return new RateLimitedError(detail, {
    reason: `quota_exhausted:${exhausted.map((state) => state.name).join(',')}`,
    headers: {
      ...rateLimitHeaders(states),
      // The draft asks that Retry-After not point before the refusing policy's reset.
      'Retry-After': String(Math.max(1, decision.retryAfterSeconds)),
    },
  });
}

/**
 * Counts every request against its client IP (CF-Connecting-IP only) before the body is read
 * or any D1, KV or Argon2 work is done, and refuses it with 429 when a quota is spent. Adds the
 * RateLimit fields of every limiter the request went through to the answer, errors included.
 */
export const limitByClient = createMiddleware<AppEnv>(async (c, next) => {
  if (UNLIMITED_PATHS.has(c.req.path)) return next();
  const isAuthRoute = c.req.method === 'POST' && AUTH_LIMITED_PATHS.has(c.req.path);
  const decision = await decide(
    takeClientQuota(rateLimitDeps(c), { clientIp: clientIp(c), isAuthRoute }),
  );
  c.set('rateLimits', decision.states);
  if (!decision.isAllowed) {
    throw refusal('Too many requests from this client.', decision, decision.states);
  }

  await next();
  const headers = rateLimitHeaders(c.get('rateLimits'));
  for (const [name, value] of Object.entries(headers)) c.res.headers.set(name, value);
});

/**
 * Counts a money-moving request against its account holder, after authentication, so the
 * quota follows the holder across IPs. The body is still unread when it refuses.
 */
export const limitMoneyByHolder = createMiddleware<AppEnv>(async (c, next) => {
  const decision = await decide(takeHolderMoneyQuota(rateLimitDeps(c), c.get('auth').holderId));
  const states = [...(c.get('rateLimits') ?? []), ...decision.states];
  c.set('rateLimits', states);
  if (!decision.isAllowed) {
    throw refusal('Too many money movements for this account holder.', decision, states);
  }
  await next();
});

/**
 * Counts a request against its client's credential quota from inside a route, once the body
 * shows it is one. An email change answers 409 for a registered email, as signup does, so it
 * gets signup's quota: without it, an account would find out which emails are registered at
 * the general rate.
 */
export async function limitCredentialRequest(c: Context<AppEnv>): Promise<void> {
  const decision = await decide(takeClientCredentialQuota(rateLimitDeps(c), clientIp(c)));
  const states = [...(c.get('rateLimits') ?? []), ...decision.states];
  c.set('rateLimits', states);
  if (!decision.isAllowed) throw refusal('Too many requests from this client.', decision, states);
}
