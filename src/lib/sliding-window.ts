import { assert } from './assert';

/**
 * A sliding-window log: the times of the requests one policy let through, oldest first, kept
 * for one window. "At most N in any window" then holds exactly, for every window and not only
 * for windows aligned to a clock: a fixed window would let 2N through around its boundary, and
 * a token bucket (GCRA) of the same rate lets a full burst through and then keeps refilling, so
 * a minute that starts with a burst can see almost 2N. The price is memory: up to N timestamps
 * per policy, which RATE_LIMIT_PER_MINUTE_MAX bounds, since a refused request is not recorded.
 *
 * Times must not go backwards; the caller makes them monotonic (see the rate limiter).
 */
export class SlidingWindowLog {
  readonly windowMs: number;
  #timesMs: number[] = [];
  /** Index of the oldest entry still in the window; entries before it wait for compaction. */
  #head = 0;

  constructor(windowMs: number) {
    assert(Number.isSafeInteger(windowMs) && windowMs > 0, 'a window is a positive duration');
    this.windowMs = windowMs;
  }

  get count(): number {
    return this.#timesMs.length - this.#head;
  }

  /** Forgets the entries that left the window ending at nowMs. */
  slide(nowMs: number): void {
    const windowStartMs = nowMs - this.windowMs;
    while (this.#head < this.#timesMs.length && this.#timesMs[this.#head]! <= windowStartMs) {
      this.#head += 1;
    }
    // Dropping the front of an array copies the rest, so it is done rarely and in bulk.
    if (this.#head > 64 && this.#head * 2 > this.#timesMs.length) {
      this.#timesMs = this.#timesMs.slice(this.#head);
      this.#head = 0;
    }
  }

  record(nowMs: number): void {
    const newestMs = this.#timesMs[this.#timesMs.length - 1];
    assert(newestMs === undefined || nowMs >= newestMs, 'the log is kept in time order');
    this.#timesMs.push(nowMs);
  }

  /**
   * Milliseconds from nowMs until fewer than `quota` entries are in the window, or until the
   * oldest one leaves it when there are already fewer; zero for an empty log.
   */
  msUntilSlotFrees(at: { quota: number; nowMs: number }): number {
    if (this.count === 0) return 0;
    const index = this.#head + Math.max(0, this.count - at.quota);
    return this.#timesMs[index]! + this.windowMs - at.nowMs;
  }
}
