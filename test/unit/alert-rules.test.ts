import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { dueKeyPercent, keyAlertLevels, lowBalanceDue } from '#shared/alerts/alert.ts';

describe('alert rules', () => {
  it('alerts a key at its percent and at 100 %, 80 by default, 100 alone when asked for 100', () => {
    assert.deepEqual(keyAlertLevels(undefined), [80, 100]);
    assert.deepEqual(keyAlertLevels(50), [50, 100]);
    assert.deepEqual(keyAlertLevels(100), [100]);
  });

  it('reaches a level exactly at its share of the limit and not one nano before', () => {
    // 80 % of 1 USD is 800,000,000 nano; of 3 nano it is 2.4, so 3 nano reach it only at 3.
    const cases: [number, number, number | undefined][] = [
      [799_999_999, 1_000_000_000, undefined],
      [800_000_000, 1_000_000_000, 80],
      [999_999_999, 1_000_000_000, 80],
      [1_000_000_000, 1_000_000_000, 100],
      [5_000_000_000, 1_000_000_000, 100],
      [2, 3, undefined],
      [3, 3, 100],
      [0, 0, undefined],
    ];
    for (const [spent, limit, expected] of cases) {
      assert.equal(dueKeyPercent(spent, limit, [80, 100]), expected, `${spent} of ${limit}`);
    }
  });

  it('decides near 2^53 nano without float rounding', () => {
    // 9,007,199,254,740,991 × 0.8 is not exact as a double; the integer comparison is.
    const limit = Number.MAX_SAFE_INTEGER;
    const needed = 7_205_759_403_792_793; // ceil(limit × 80 / 100), by hand
    assert.equal(dueKeyPercent(needed - 1, limit, [80, 100]), undefined);
    assert.equal(dueKeyPercent(needed, limit, [80, 100]), 80);
  });

  it('alerts a balance below its threshold once until re-armed, and never without a threshold', () => {
    assert.equal(lowBalanceDue({ balanceNano: 999 }, 1000), true);
    assert.equal(lowBalanceDue({ balanceNano: 1000 }, 1000), false);
    assert.equal(lowBalanceDue({ balanceNano: -5 }, 1000), true);
    assert.equal(
      lowBalanceDue({ balanceNano: 999, lowBalanceAlertedAt: '2026-12-03T10:00:00Z' }, 1000),
      false,
    );
    assert.equal(lowBalanceDue({ balanceNano: 0 }, undefined), false);
  });
});
