/**
 * A key's budget with a reset period: at most `limitNano` billed per UTC day, ISO week (from
 * Monday) or calendar month, beside its lifetime quota. What the key spent in the period is the
 * sum of its daily usage aggregates (`AGG#key#<id>`, kept by the recorder), read in the user
 * slot's wave; like the quota, a request that starts below the budget may end above it (charges
 * land after the response) and the next one is refused, with a `Retry-After` at the reset.
 *
 * @example
 * ```ts
 * budgetWindow('weekly', Date.parse('2026-12-03T10:00:00Z')); // { fromDay: '2026-11-30', toDay: '2026-12-03', endsAt: … }
 * ```
 */
import type { ApiKey, BudgetPeriod } from '../domain/types.ts';
import { GatewayError } from '../errors.ts';

export const BUDGET_PERIODS: readonly BudgetPeriod[] = ['daily', 'weekly', 'monthly'];

const DAY_MS = 86_400_000;

const dayOf = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** The days of the period holding `now` (up to today) and the epoch ms at which it resets. */
export function budgetWindow(
  period: BudgetPeriod,
  now: number,
): { fromDay: string; toDay: string; endsAt: number } {
  const date = new Date(now);
  const today = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), date.getUTCDate());
  let start = today;
  let endsAt = today + DAY_MS;
  if (period === 'weekly') {
    start = today - ((date.getUTCDay() + 6) % 7) * DAY_MS;
    endsAt = start + 7 * DAY_MS;
  } else if (period === 'monthly') {
    start = Date.UTC(date.getUTCFullYear(), date.getUTCMonth(), 1);
    endsAt = Date.UTC(date.getUTCFullYear(), date.getUTCMonth() + 1, 1);
  }
  return { fromDay: dayOf(start), toDay: dayOf(today), endsAt };
}

/** Throws 429 `API_KEY_BUDGET_EXHAUSTED` when the key has spent its budget of the period. */
export function checkKeyBudget(key: ApiKey, spentNano: number, now: number): void {
  if (!key.budget || spentNano < key.budget.limitNano) return;
  const { endsAt } = budgetWindow(key.budget.period, now);
  throw GatewayError.rateLimited(
    `API key ${key.budget.period} budget exhausted`,
    'API_KEY_BUDGET_EXHAUSTED',
  ).retryAfter((endsAt - now) / 1000);
}
