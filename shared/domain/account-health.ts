/**
 * When an account's health keeps it out of rotation. Every state the gateway writes ends at
 * `until` (an `error` too: the first request after it re-checks the account); a state without
 * `until` (a dead refresh token, an admin's word) waits for an admin.
 *
 * @example
 * ```ts
 * healthHolds({ state: 'error', until: Date.now() + 60_000 }, Date.now()); // true for a minute
 * ```
 */
import type { AccountHealth } from './types.ts';

export function healthHolds(health: AccountHealth | undefined, nowMs: number): boolean {
  if (!health || health.state === 'ok') return false;
  return health.until === undefined || health.until > nowMs;
}

/** An `error` state that still holds at `nowMs` (expired ones are re-checked, not errors). */
export function inErrorState(health: AccountHealth | undefined, nowMs: number): boolean {
  return health?.state === 'error' && healthHolds(health, nowMs);
}
