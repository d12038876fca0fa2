/**
 * How often a waiting request looks for a free slot: 100 ms, doubling to a 2 s ceiling, each delay
 * drawn uniformly from the upper half of its ceiling ("equal jitter") so waiters that started
 * together drift apart instead of polling in lockstep.
 *
 * What one waiter costs in DynamoDB: each poll is one consistent Query of the slot partition, plus
 * one conditional Put only when that Query shows a free index. Mean delays run 75, 150, 300, 600,
 * 1200 ms, then 1500 ms: about 5 polls in the first 2.3 s and then 0.67 Query/s. A full 30 s wait
 * costs about 24 Queries plus the ticket's Put and Delete, the first slot attempt (Put, Query) and
 * at most one ticket renewal — roughly 28 requests, 0.9 requests/s on average — where a fixed
 * 100 ms spin would cost 10 requests/s (300 per wait).
 *
 * @example
 * ```ts
 * pollDelayMs(0); // 50..100
 * pollDelayMs(9); // 1000..2000
 * ```
 */
export const POLL_INITIAL_MS = 100;
export const POLL_MAX_MS = 2_000;

/** Delay before poll number `attempt` (0-based); `random` returns [0, 1) like Math.random. */
export function pollDelayMs(attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(POLL_MAX_MS, POLL_INITIAL_MS * 2 ** Math.min(attempt, 16));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}
