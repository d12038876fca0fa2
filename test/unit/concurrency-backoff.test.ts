import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { POLL_INITIAL_MS, POLL_MAX_MS, pollDelayMs } from '#shared/concurrency/backoff.ts';
import { epochSeconds } from '#shared/concurrency/clock.ts';
import { leaseExpiry } from '#shared/concurrency/lease.ts';
import { freeIndexes } from '#shared/concurrency/lease-pools.ts';

const lowest = () => 0;
const highest = () => 0.999_999;

describe('pollDelayMs', () => {
  it('starts at 100 ms and doubles to a 2 s ceiling', () => {
    // Act
    const ceilings = [0, 1, 2, 3, 4, 5, 6, 40].map((attempt) => pollDelayMs(attempt, highest));

    // Assess
    assert.deepEqual(ceilings, [100, 200, 400, 800, 1600, 2000, 2000, 2000]);
    assert.equal(POLL_INITIAL_MS, 100);
    assert.equal(POLL_MAX_MS, 2000);
  });

  it('jitters each delay within the upper half of its ceiling', () => {
    // Act
    const floors = [0, 3, 9].map((attempt) => pollDelayMs(attempt, lowest));

    // Assess
    assert.deepEqual(floors, [50, 400, 1000]);
  });

  it('keeps one waiter under one DynamoDB Query per second over a 30 s wait', () => {
    // Prepare
    const mean = () => 0.5;
    let elapsed = 0;
    let polls = 0;

    // Act
    while (elapsed < 30_000) elapsed += pollDelayMs(polls++, mean);

    // Assess
    assert.ok(polls / 30 < 1, `${polls} polls in 30 s`);
    assert.ok(polls >= 20, 'still notices a freed slot within about 1.5 s');
  });
});

describe('freeIndexes', () => {
  it('lists the indexes below the limit that hold no live lease', () => {
    // Prepare
    const live = [
      { index: 1, holder: 'a', expiresAt: 0 },
      { index: 3, holder: 'b', expiresAt: 0 },
    ];

    // Act
    const free = freeIndexes(live, 5, Math.random);

    // Assess
    assert.deepEqual([...free].sort(), [0, 2, 4]);
  });

  it('reports none when as many leases are live as the limit allows, even above a lowered limit', () => {
    // Prepare
    const live = [
      { index: 4, holder: 'a', expiresAt: 0 },
      { index: 5, holder: 'b', expiresAt: 0 },
    ];

    // Act
    const free = freeIndexes(live, 2, Math.random);

    // Assess
    assert.deepEqual(free, []);
  });
});

describe('leaseExpiry', () => {
  it('frees a lease within leaseSeconds of its last renewal, and not a second earlier', () => {
    // Prepare
    const renewals = [Date.UTC(2026, 0, 1, 0, 0, 0, 0), Date.UTC(2026, 0, 1, 0, 0, 0, 999)];

    // Act
    const freeFrom = renewals.map((at) => (leaseExpiry(at, 90) + 1) * 1000);

    // Assess
    for (const [i, at] of renewals.entries()) {
      const lasts = (freeFrom[i] as number) - at;
      assert.ok(lasts <= 90_000 && lasts > 89_000, `lasts ${lasts} ms`);
    }
  });

  it('stores whole epoch seconds, as the TTL attribute requires', () => {
    // Act
    const expiresAt = leaseExpiry(Date.UTC(2026, 0, 1, 0, 0, 0, 500), 2.5);

    // Assess
    assert.ok(Number.isInteger(expiresAt));
    assert.equal(expiresAt, epochSeconds(Date.UTC(2026, 0, 1, 0, 0, 3)) - 1);
  });
});
