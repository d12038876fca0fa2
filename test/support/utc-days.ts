/**
 * UTC days for tests that reach code reading the wall clock (the local stack, gateway children):
 * such a test cannot pin the clock, so it either reads every day its window touched or keeps its
 * window off midnight. A test that assumed one day failed when run across midnight UTC.
 *
 * @example
 * ```ts
 * const since = Date.now();
 * … act …
 * for (const day of utcDaysSince(since)) …
 * ```
 */
import { setTimeout as sleep } from 'node:timers/promises';

export const DAY_MS = 86_400_000;

/** `YYYY-MM-DD` of an instant, in UTC. */
export const utcDayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** Each UTC day from the day of `sinceMs` to today, oldest first: one, or two across a midnight. */
export function utcDaysSince(sinceMs: number, nowMs = Date.now()): string[] {
  const days: string[] = [];
  for (let at = Math.floor(sinceMs / DAY_MS) * DAY_MS; at <= nowMs; at += DAY_MS) days.push(utcDayOf(at));
  return days;
}

/** Far longer than a handful of requests through the local stack take on a loaded machine. */
export const MIDNIGHT_MARGIN_MS = 30_000;

/**
 * Waits for the next UTC midnight when it is nearer than `marginMs`, so what the test does next
 * (well within `marginMs`) and its reads of "today" fall on one day. It waits at most `marginMs`
 * and a tenth of a second; the test's timeout has to allow for that.
 */
export function clearOfMidnight(marginMs = MIDNIGHT_MARGIN_MS, nowMs = Date.now()): Promise<void> {
  return clearOfBoundary(DAY_MS, marginMs, nowMs);
}

/**
 * The same for any UTC period that starts on a multiple of `periodMs` since the epoch (a minute
 * for a per-minute request counter): waits for the next start when it is nearer than `marginMs`.
 */
export async function clearOfBoundary(periodMs: number, marginMs: number, nowMs = Date.now()): Promise<void> {
  const toBoundary = periodMs - (nowMs % periodMs);
  if (toBoundary < marginMs) await sleep(toBoundary + 100);
}
