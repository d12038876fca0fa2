import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ApiKey } from '#shared/domain/types.ts';
import { RecordBusyError } from '#shared/recorder/record-usage.ts';
import { keys } from '#shared/tables/keys.ts';
import {
  DEFAULT_EVENT_BILLED_NANO,
  isWrite,
  KEYS,
  recorderWorldForSuite,
  SimulatedCrash,
  storedTotals,
  TestClock,
  usageEvent,
} from './recorder-harness.ts';

const LEASE_OVER_MS = 60_000;

describe('the recorder stopped after each of its writes, then redelivered', () => {
  const world = recorderWorldForSuite();

  const cases: [string, ApiKey][] = [
    ['balance', KEYS[0] as ApiKey],
    ['subscription', KEYS[2] as ApiKey],
  ];
  for (const [mode, key] of cases) {
    it(`charges a ${mode} request exactly once whichever write it stopped after`, async () => {
      // Prepare: one clean delivery tells how many writes a record takes.
      const counting = world.countingClient();
      const reference = await world.runtime(counting.client).record(usageEvent(`${mode}-reference`, key));
      const writes = counting.writes();
      assert.ok(writes >= 8, `a record takes ${writes} writes`);
      const before = await storedTotals(world);

      // Act: stop after write 1, 2, … n; redeliver once the dead delivery's lease has ended.
      const outcomes: string[] = [];
      for (let stopAfter = 1; stopAfter <= writes; stopAfter += 1) {
        const event = usageEvent(`${mode}-stop-${stopAfter}`, key);
        await assert.rejects(world.runtime(world.crashAfterWrites(stopAfter)).record(event), SimulatedCrash);
        world.clock.advance(LEASE_OVER_MS);
        outcomes.push((await world.runtime().record(event)).outcome);
        outcomes.push((await world.runtime().record(event)).outcome);
      }

      // Assess: every redelivery finished or found the record done, and each charge landed once.
      const after = await storedTotals(world);
      const charge = reference.record.billedNano;
      assert.equal(charge, DEFAULT_EVENT_BILLED_NANO[key.groupId]);
      assert.ok(outcomes.every((outcome) => outcome === 'completed' || outcome === 'duplicate'));
      assert.ok(outcomes.includes('completed') && outcomes.includes('duplicate'));
      const spent = (after.keySpend.get(key.id) ?? 0) - (before.keySpend.get(key.id) ?? 0);
      assert.equal(spent, writes * charge);
      if (mode === 'balance') {
        const balanceDrop = (before.balances.get(key.userId) ?? 0) - (after.balances.get(key.userId) ?? 0);
        assert.equal(balanceDrop, writes * charge);
      } else {
        const used = (item: Record<string, unknown> | undefined) =>
          (item?.usedNano as number | undefined) ?? 0;
        const subscriptionUse =
          used(after.subscriptions.get(key.userId)) - used(before.subscriptions.get(key.userId));
        assert.equal(subscriptionUse, writes * charge);
        assert.equal(after.subscriptions.get(key.userId)?.dailyUsedNano, (writes + 1) * charge);
      }
      const keyDay = await world.getItem('usage', keys.aggregate('key', key.id, reference.record.day));
      assert.equal(keyDay?.requests, writes + 1);
      assert.equal(keyDay?.billedNano, (writes + 1) * charge);
      const records = (await world.records()).filter((record) => record.requestId.startsWith(`${mode}-`));
      assert.equal(records.length, writes + 1);
      assert.ok(records.every((record) => record.state === 'applied'));
      assert.equal((await world.markedItems()).length, 0);
    });
  }

  it('hands the record over at once when a live delivery fails on a write error', async () => {
    // Prepare: a client whose fourth write is refused (throttled) before it reaches DynamoDB.
    let writes = 0;
    const flaky = world.intercepted((operation, _input, send) => {
      if (isWrite(operation)) {
        writes += 1;
        if (writes === 4) throw Object.assign(new Error('throttled'), { name: 'ThrottlingException' });
      }
      return send();
    });
    const event = usageEvent('failed-and-released', KEYS[0] as ApiKey);
    const before = await storedTotals(world);

    // Act: the failing delivery throws; a redelivery right away (no clock change) takes over.
    await assert.rejects(world.runtime(flaky).record(event), /throttled/);
    const redelivered = await world.runtime().record(event);

    // Assess
    const after = await storedTotals(world);
    assert.equal(redelivered.outcome, 'completed');
    assert.equal(
      (before.balances.get('u_1') ?? 0) - (after.balances.get('u_1') ?? 0),
      redelivered.record.billedNano,
    );
  });
});

describe('several redeliveries of a stopped delivery at once', () => {
  const world = recorderWorldForSuite(new TestClock(true));

  it('finish the record once between them', async () => {
    // Prepare
    const event = usageEvent('stopped-then-three-at-once', KEYS[3] as ApiKey);
    await assert.rejects(world.runtime(world.crashAfterWrites(5)).record(event), SimulatedCrash);
    world.clock.advance(LEASE_OVER_MS);

    // Act: the two that lose wait for the winner; on a loaded machine its writes can take longer
    // than the default 5 s wait, which would make them busy instead of duplicates.
    Object.assign(world.runtime().deps, { maxWaitMs: 60_000 });
    const outcomes = await Promise.all([1, 2, 3].map(() => world.runtime().record(event)));

    // Assess
    const after = await storedTotals(world);
    assert.deepEqual(outcomes.map((outcome) => outcome.outcome).sort(), [
      'completed',
      'duplicate',
      'duplicate',
    ]);
    // The stopped delivery may have applied part of it before dying; in total it lands once.
    assert.equal(after.subscriptions.get('u_4')?.usedNano, outcomes[0]?.record.billedNano);
    assert.equal((await world.markedItems()).length, 0);
  });

  it('makes a redelivery wait while the stopped delivery may still write, then lets it finish', async () => {
    // Prepare: a delivery dies after its third write, holding the record.
    const event = usageEvent('stopped-and-waited-for', KEYS[1] as ApiKey);
    const before = await storedTotals(world);
    await assert.rejects(world.runtime(world.crashAfterWrites(3)).record(event), SimulatedCrash);

    // Act: a redelivery arriving within the lease is refused as busy; after it, it completes.
    const early = world.runtime().record(event);
    await assert.rejects(early, RecordBusyError);
    world.clock.advance(LEASE_OVER_MS);
    const late = await world.runtime().record(event);

    // Assess
    const after = await storedTotals(world);
    assert.equal(late.outcome, 'completed');
    assert.equal(late.record.state, 'applied');
    assert.equal(
      (before.balances.get('u_2') ?? 0) - (after.balances.get('u_2') ?? 0),
      late.record.billedNano,
    );
  });
});
