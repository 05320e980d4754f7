import { DurableObject } from 'cloudflare:workers';
import type { Env } from '../env';
import { assert } from '../lib/assert';
import {
  LOGIN_FAILURE_WINDOW_SECONDS,
  LOGIN_FAILURES_MAX,
  LOGIN_LOCKOUT_SECONDS,
} from '../lib/limits';

/**
 * Counts failed logins for one email (one object per keyed hash of the email, so the same
 * for emails that exist and emails that do not). Five failures within fifteen minutes lock
 * the email for fifteen minutes; a successful login clears the count. The caller passes the
 * time, so tests can move the clock. Only storage is touched between reads and writes, so the
 * object's input gate keeps each call atomic.
 */
export interface ThrottleState {
  lockedForSeconds: number;
}

interface StoredState {
  failureTimesMs: number[];
  lockedUntilMs: number;
}

const STATE_KEY = 'state';

export class LoginThrottle extends DurableObject<Env> {
  async #load(): Promise<StoredState> {
    return (
      (await this.ctx.storage.get<StoredState>(STATE_KEY)) ?? {
        failureTimesMs: [],
        lockedUntilMs: 0,
      }
    );
  }

  /** How long the email stays locked, zero when it is not. */
  async check(nowMs: number): Promise<ThrottleState> {
    return { lockedForSeconds: secondsUntil((await this.#load()).lockedUntilMs, nowMs) };
  }

  /** Records one failure and answers whether the email is now locked. */
  async recordFailure(nowMs: number): Promise<ThrottleState> {
    const state = await this.#load();
    const windowStartMs = nowMs - LOGIN_FAILURE_WINDOW_SECONDS * 1000;
    const failureTimesMs = [...state.failureTimesMs.filter((time) => time > windowStartMs), nowMs];
    let lockedUntilMs = state.lockedUntilMs;
    if (failureTimesMs.length >= LOGIN_FAILURES_MAX) {
      lockedUntilMs = nowMs + LOGIN_LOCKOUT_SECONDS * 1000;
      failureTimesMs.length = 0;
    }
    assert(failureTimesMs.length < LOGIN_FAILURES_MAX, 'the failure list stays bounded');
    await this.ctx.storage.put<StoredState>(STATE_KEY, { failureTimesMs, lockedUntilMs });
    return { lockedForSeconds: secondsUntil(lockedUntilMs, nowMs) };
  }

  async reset(): Promise<void> {
    await this.ctx.storage.delete(STATE_KEY);
  }
}

function secondsUntil(untilMs: number, nowMs: number): number {
  return untilMs > nowMs ? Math.ceil((untilMs - nowMs) / 1000) : 0;
}
