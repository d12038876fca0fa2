import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { budgetWindow, checkKeyBudget } from '#shared/billing/key-budget.ts';
import type { ApiKey } from '#shared/domain/types.ts';
import { GatewayError } from '#shared/errors.ts';

describe('key budget periods', { timeout: 10_000 }, () => {
  // 2026-12-03 is a Thursday; the ISO week starts on Monday 2026-11-30.
  for (const [period, at, fromDay, toDay, endsAt] of [
    ['daily', '2026-12-03T10:00:00Z', '2026-12-03', '2026-12-03', '2026-12-04T00:00:00Z'],
    ['weekly', '2026-12-03T10:00:00Z', '2026-11-30', '2026-12-03', '2026-12-07T00:00:00Z'],
    ['weekly', '2026-12-06T23:59:59Z', '2026-11-30', '2026-12-06', '2026-12-07T00:00:00Z'], // Sunday
    ['weekly', '2026-11-30T00:00:00Z', '2026-11-30', '2026-11-30', '2026-12-07T00:00:00Z'], // Monday
    ['monthly', '2026-12-03T10:00:00Z', '2026-12-01', '2026-12-03', '2027-01-01T00:00:00Z'],
    ['monthly', '2024-02-29T12:00:00Z', '2024-02-01', '2024-02-29', '2024-03-01T00:00:00Z'],
  ] as const) {
    it(`${period} at ${at} covers ${fromDay}..${toDay} and resets at ${endsAt}`, () => {
      assert.deepEqual(budgetWindow(period, Date.parse(at)), {
        fromDay,
        toDay,
        endsAt: Date.parse(endsAt),
      });
    });
  }

  it('refuses at the budget with a Retry-After at the reset, and not below it', () => {
    const key = { budget: { period: 'daily', limitNano: 1_000 } } as ApiKey;
    const now = Date.parse('2026-12-03T23:00:00Z');
    assert.doesNotThrow(() => checkKeyBudget(key, 999, now));
    assert.throws(
      () => checkKeyBudget(key, 1_000, now),
      (error: unknown) =>
        error instanceof GatewayError &&
        error.status === 429 &&
        error.code === 'API_KEY_BUDGET_EXHAUSTED' &&
        error.retryAfterSeconds === 3_600,
    );
    assert.doesNotThrow(() => checkKeyBudget({} as ApiKey, 10 ** 12, now), 'no budget, no check');
  });
});
