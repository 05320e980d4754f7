import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { assert } from '../lib/assert';
import { SlidingWindowLog } from '../lib/sliding-window';

/** The policies of API.md "Limits", named as the RateLimit header fields name them. */
export type RatePolicyName = 'general' | 'auth' | 'money';

export interface RatePolicy {
  name: RatePolicyName;
  /** Requests allowed in any window of windowSeconds. */
  quota: number;
  windowSeconds: number;
}

export interface RatePolicyState extends RatePolicy {
  /** Requests still allowed now, this one already counted when it was let through. */
  remaining: number;
  /** Seconds until `remaining` next grows: the client can use no more than it until then. */
  resetSeconds: number;
}

export interface RateDecision {
  isAllowed: boolean;
  states: RatePolicyState[];
  /** When refused, whole seconds until every refusing policy has a free slot; else zero. */
  retryAfterSeconds: number;
}

/**
 * Counts the requests of one key against one or more policies: one object per client IP (the
 * general and the auth policy together, so one call answers both) and one per account holder
 * (money). The caller passes the time, so tests can step past a window. take() has no await, so
 * concurrent calls to one object run one after another and none can slip past a full window.
 *
 * LIMITATION: the logs live in memory only. When the runtime evicts the object (after it has
 * been idle for a while, or when a new version of the Worker is deployed) its counts are lost,
 * so a client may get up to one extra window's quota right after an eviction. Traffic from the
 * client keeps its object alive, so a client cannot cause the eviction it would profit from.
 * Keeping the logs in the object's SQLite storage would survive evictions, but would add a
 * storage write, billed per row, to every request; for one-minute windows that is not worth it.
 */
export class RateLimiter extends DurableObject<Env> {
  #logs = new Map<RatePolicyName, SlidingWindowLog>();
  /**
   * The latest time seen. Callers' clocks may disagree by a little; time never runs backwards
   * here, so the logs stay in order and an early clock cannot re-admit what a late one counted.
   */
  #latestMs = 0;

  /** Lets the request through only if every policy has room, and then counts it in all. */
  take(nowMs: number, policies: RatePolicy[]): RateDecision {
    assert(Number.isFinite(nowMs), 'the time is a number of milliseconds');
    assert(policies.length > 0, 'at least one policy is asked for');
    this.#latestMs = Math.max(this.#latestMs, nowMs);
    const timeMs = this.#latestMs;

    const entries = policies.map((policy) => {
      assert(Number.isSafeInteger(policy.quota) && policy.quota > 0, 'a quota is positive');
      const log = this.#logFor(policy);
      log.slide(timeMs);
      return { policy, log, hasRoom: log.count < policy.quota };
    });

    const isAllowed = entries.every((entry) => entry.hasRoom);
    if (isAllowed) for (const entry of entries) entry.log.record(timeMs);

    const states = entries.map(({ policy, log }) => {
      const untilMs = log.msUntilSlotFrees({ quota: policy.quota, nowMs: timeMs });
      return {
        ...policy,
        remaining: Math.max(0, policy.quota - log.count),
        resetSeconds: untilMs > 0 ? Math.ceil(untilMs / 1000) : policy.windowSeconds,
      };
    });
    const refused = states.filter((state, index) => !entries[index]!.hasRoom);
    const retryAfterSeconds = Math.max(0, ...refused.map((state) => state.resetSeconds));
    return { isAllowed, states, retryAfterSeconds };
  }

  #logFor(policy: RatePolicy): SlidingWindowLog {
    const windowMs = policy.windowSeconds * 1000;
    let log = this.#logs.get(policy.name);
    // A policy keeps its window; a new one (a deploy that changed it) starts a new log.
    if (log?.windowMs !== windowMs) {
      log = new SlidingWindowLog(windowMs);
      this.#logs.set(policy.name, log);
    }
    return log;
  }
}
