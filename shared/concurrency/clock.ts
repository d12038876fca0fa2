/**
 * Time as the concurrency code sees it, injectable so unit tests can pin it. Lease expiries are
 * whole epoch seconds (the State table's TTL attribute); deadlines and backoff are milliseconds.
 *
 * @example
 * ```ts
 * const fixed: Clock = { now: () => Date.parse('2026-01-01T00:00:00Z') };
 * epochSeconds(fixed.now()); // 1767225600
 * ```
 */
export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export function epochSeconds(epochMs: number): number {
  return Math.floor(epochMs / 1000);
}
