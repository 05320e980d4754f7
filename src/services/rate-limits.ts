import type { Config } from '../config';
import type { RateDecision, RatePolicy } from '../durable/rate-limiter';
import type { Env } from '../env';
import { RATE_LIMIT_WINDOW_SECONDS } from '../lib/limits';

export type { RateDecision, RatePolicyState } from '../durable/rate-limiter';

/** What a limiter call needs; a narrow part of ServiceDeps, so it runs before any D1 work. */
export interface RateLimitDeps {
  env: Env;
  config: Config;
  nowMs: number;
}

/**
 * Requests without a usable CF-Connecting-IP all share this one key, so leaving the header out
 * buys a client nothing: it joins everyone else who did, under the same quotas.
 */
export const UNKNOWN_CLIENT_KEY = 'ip:unknown';

/**
 * The limiter key of a client IP. An IPv4 address is its own key. An IPv6 address is keyed by
 * its /64, the prefix one subscriber is usually given: keyed per address, one home connection
 * could draw fresh quota from 2^64 addresses.
 */
export function clientKey(ip: string | null): string {
  if (ip === null) return UNKNOWN_CLIENT_KEY;
  if (!ip.includes(':')) return `ip:${ip}`;
  const groups = expandIpv6(ip);
  if (groups === null) return `ip:${ip.toLowerCase()}`;
  const isMappedIpv4 = groups.slice(0, 5).every((group) => group === 0) && groups[5] === 0xffff;
  if (isMappedIpv4) {
    const [high = 0, low = 0] = groups.slice(6);
    return `ip:${[high >> 8, high & 0xff, low >> 8, low & 0xff].join('.')}`;
  }
  return `ip:${groups
    .slice(0, 4)
    .map((group) => group.toString(16))
    .join(':')}::/64`;
}

/** The eight 16-bit groups of an IPv6 address, or null when it is not one. */
function expandIpv6(ip: string): number[] | null {
  let text = ip.toLowerCase();
  // A trailing dotted IPv4 part (::ffff:192.0.2.1) stands for the last two groups.
  const dotted = /^(.*:)(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (dotted) {
    const octets = dotted.slice(2, 6).map(Number);
    if (octets.some((octet) => octet > 255)) return null;
    const [a = 0, b = 0, c = 0, d = 0] = octets;
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return null;
  const parse = (part: string | undefined) => (part ? part.split(':') : []);
  const head = parse(halves[0]);
  const tail = parse(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return null;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (!groups.every((group) => /^[0-9a-f]{1,4}$/.test(group))) return null;
  return groups.map((group) => parseInt(group, 16));
}

function policy(name: RatePolicy['name'], quota: number): RatePolicy {
  return { name, quota, windowSeconds: RATE_LIMIT_WINDOW_SECONDS };
}

/**
 * Counts a request against its client's quotas: the general one always, the auth one too on the
 * credential routes. One Durable Object call answers both. Throws only if the object fails.
 */
export async function takeClientQuota(
  deps: RateLimitDeps,
  request: { clientIp: string | null; isAuthRoute: boolean },
): Promise<RateDecision> {
  const { generalPerMinute, authPerMinute } = deps.config.rateLimits;
  const policies = [policy('general', generalPerMinute)];
  if (request.isAuthRoute) policies.push(policy('auth', authPerMinute));
  return clientLimiter(deps, request.clientIp).take(deps.nowMs, policies);
}

/**
 * Counts a request against its client's credential quota alone, for a route whose body shows
 * it is a credential request only once read (an email change); takeClientQuota has already
 * counted it in the general quota.
 */
export async function takeClientCredentialQuota(
  deps: RateLimitDeps,
  clientIp: string | null,
): Promise<RateDecision> {
  const policies = [policy('auth', deps.config.rateLimits.authPerMinute)];
  return clientLimiter(deps, clientIp).take(deps.nowMs, policies);
}

function clientLimiter(deps: RateLimitDeps, clientIp: string | null) {
  const namespace = deps.env.RATE_LIMITER;
  return namespace.get(namespace.idFromName(clientKey(clientIp)));
}

/** Counts a money-moving request against its holder's quota, wherever it comes from. */
export async function takeHolderMoneyQuota(
  deps: RateLimitDeps,
  holderId: string,
): Promise<RateDecision> {
  const policies = [policy('money', deps.config.rateLimits.moneyPerMinute)];
  const namespace = deps.env.RATE_LIMITER;
  const limiter = namespace.get(namespace.idFromName(`holder:${holderId}`));
  return limiter.take(deps.nowMs, policies);
}
