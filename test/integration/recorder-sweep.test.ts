/**
 * The sweep of records whose event was lost: a delivery dies part-way and no redelivery ever
 * comes, so only the sweep can finish the record. It must wait for the dead delivery's lease, charge
 * each record exactly once whatever the dead delivery already applied, leave a live delivery's
 * record alone, and stay exactly-once when sweeps and redeliveries run at the same moment.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKey } from '#shared/domain/types.ts';
import { RecordBusyError } from '#shared/recorder/record-usage.ts';
import { keys, USAGE_LIST, USAGE_SHARDS } from '#shared/tables/keys.ts';
import {
  DEFAULT_EVENT_BILLED_NANO,
  isWrite,
  KEYS,
  type RecorderWorld,
  recorderWorldForSuite,
  SimulatedCrash,
  storedTotals,
  T0,
  TestClock,
  usageEvent,
} from './recorder-harness.ts';

const LEASE_OVER_MS = 60_000;
const DAY_MS = 86_400_000;

/** Request ids still marked on some item (a record's markers go once it is applied). */
async function markedRequests(world: RecorderWorld): Promise<Set<string>> {
  const items = await world.markedItems();
  return new Set(items.flatMap((item) => [...(item.usageMarks as Set<string>)]));
}

async function recordsOf(world: RecorderWorld, prefix: string) {
  return (await world.records()).filter((record) => record.requestId.startsWith(prefix));
}

async function pendingIds(world: RecorderWorld, prefix: string): Promise<string[]> {
  const records = await recordsOf(world, prefix);
  return records.filter((record) => record.state === 'pending').map((record) => record.requestId);
}

/** Request ids in the sparse `pending` index, every shard. */
async function pendingListing(world: RecorderWorld): Promise<string[]> {
  const ids: string[] = [];
  for (let shard = 0; shard < USAGE_SHARDS; shard += 1) {
    const { Items: items = [] } = await world.client.send(
      new QueryCommand({
        TableName: world.tables.usage,
        IndexName: 'pending',
        KeyConditionExpression: 'pendingPk = :shard',
        ExpressionAttributeValues: { ':shard': USAGE_LIST.pending(shard) },
      }),
    );
    ids.push(...items.map((item) => String(item.pk).slice('REQ#'.length)));
  }
  return ids;
}

describe('the sweep of records a lost event left pending', () => {
  const world = recorderWorldForSuite();

  const cases: [string, ApiKey][] = [
    ['balance', KEYS[0] as ApiKey],
    ['subscription', KEYS[2] as ApiKey],
  ];
  for (const [mode, key] of cases) {
    it(`charges a ${mode} record exactly once after its lease ended, whichever write its delivery died after`, async () => {
      // Prepare: one clean delivery tells how many writes a record takes and what it charges.
      const counting = world.countingClient();
      const reference = await world.runtime(counting.client).record(usageEvent(`sweep-${mode}-ref`, key));
      const writes = counting.writes();
      const charge = reference.record.billedNano;
      assert.equal(charge, DEFAULT_EVENT_BILLED_NANO[key.groupId]);
      const before = await storedTotals(world);
      const events = Array.from({ length: writes }, (_, index) =>
        usageEvent(`sweep-${mode}-${index + 1}`, key),
      );
      for (const [index, event] of events.entries()) {
        await assert.rejects(world.runtime(world.crashAfterWrites(index + 1)).record(event), SimulatedCrash);
      }
      // Those that died before marking their record applied left it pending.
      const stranded = await pendingIds(world, `sweep-${mode}-`);
      assert.ok(stranded.length > 1, `${stranded.length} of ${writes} records left pending`);

      // Act: a sweep while the dead deliveries' leases still run, then one after, then one more.
      const early = await world.runtime().sweepPending();
      world.clock.advance(LEASE_OVER_MS);
      const swept = await world.runtime().sweepPending();
      const again = await world.runtime().sweepPending();
      const redelivered = await world.runtime().record(events[0]);
      const marked = await markedRequests(world);

      // Assess
      assert.deepEqual(early, { found: 0, completed: 0, skipped: 0, failed: 0, lost: 0, more: false });
      assert.deepEqual(swept, {
        found: stranded.length,
        completed: stranded.length,
        skipped: 0,
        failed: 0,
        lost: 0,
        more: false,
      });
      assert.equal(again.found, 0);
      assert.equal(redelivered.outcome, 'duplicate');
      assert.deepEqual(await pendingIds(world, `sweep-${mode}-`), []);
      const after = await storedTotals(world);
      const spent = (after.keySpend.get(key.id) ?? 0) - (before.keySpend.get(key.id) ?? 0);
      assert.equal(spent, writes * charge);
      if (mode === 'balance') {
        const drop = (before.balances.get(key.userId) ?? 0) - (after.balances.get(key.userId) ?? 0);
        assert.equal(drop, writes * charge);
      } else {
        const used = (item: Record<string, unknown> | undefined) =>
          (item?.usedNano as number | undefined) ?? 0;
        assert.equal(
          used(after.subscriptions.get(key.userId)) - used(before.subscriptions.get(key.userId)),
          writes * charge,
        );
      }
      const keyDay = await world.getItem('usage', keys.aggregate('key', key.id, reference.record.day));
      assert.equal(keyDay?.requests, writes + 1);
      assert.equal(keyDay?.billedNano, (writes + 1) * charge);
      assert.deepEqual(
        stranded.filter((id) => marked.has(id)),
        [],
      );
    });
  }

  it('leaves a record to the slow delivery that holds it, which then charges it once', async () => {
    // Prepare: a delivery that stalls before its third write, holding the record's lease.
    const key = KEYS[1] as ApiKey;
    let writes = 0;
    let stalled!: () => void;
    const reachedStall = new Promise<void>((resolve) => {
      stalled = resolve;
    });
    let resume!: () => void;
    const resumed = new Promise<void>((resolve) => {
      resume = resolve;
    });
    const slowClient = world.intercepted(async (operation, _input, send) => {
      if (isWrite(operation) && ++writes === 3) {
        stalled();
        await resumed;
      }
      return send();
    });
    const before = await storedTotals(world);
    const delivery = world.runtime(slowClient).record(usageEvent('sweep-slow', key));
    await reachedStall;

    // Act: sweep while the delivery is stalled (its lease runs), then let it go on.
    const swept = await world.runtime().sweepPending();
    resume();
    const recorded = await delivery;

    // Assess
    assert.equal(swept.found, 0);
    assert.equal(recorded.outcome, 'recorded');
    const after = await storedTotals(world);
    assert.equal(
      (before.balances.get(key.userId) ?? 0) - (after.balances.get(key.userId) ?? 0),
      recorded.record.billedNano,
    );
    assert.equal(
      (after.keySpend.get(key.id) ?? 0) - (before.keySpend.get(key.id) ?? 0),
      recorded.record.billedNano,
    );
  });

  it('finds stranded records of any age from the pending listing, which holds only records not yet applied', async () => {
    // Prepare: five records applied normally, then three stranded 20 minutes, 3 hours and 3 days back.
    const key = KEYS[0] as ApiKey;
    for (let n = 0; n < 5; n += 1) await world.runtime().record(usageEvent(`sweep-listed-ok-${n}`, key));
    const at = (minutesBack: number) => ({
      startedAt: new Date(world.clock.now() - minutesBack * 60_000 - 2000).toISOString(),
      endedAt: new Date(world.clock.now() - minutesBack * 60_000 - 500).toISOString(),
    });
    for (const minutesBack of [20, 180, 3 * 24 * 60]) {
      const event = usageEvent(`sweep-listed-${minutesBack}`, key, at(minutesBack));
      await assert.rejects(world.runtime(world.crashAfterWrites(2)).record(event), SimulatedCrash);
    }
    const listedBefore = await pendingListing(world);
    world.clock.advance(LEASE_OVER_MS);

    // Act
    const swept = await world.runtime().sweepPending();

    // Assess: the listing held the three stranded records and none of the applied ones.
    assert.deepEqual(listedBefore.filter((id) => id.startsWith('sweep-listed')).sort(), [
      'sweep-listed-180',
      'sweep-listed-20',
      'sweep-listed-4320',
    ]);
    assert.equal(swept.completed, 3);
    for (const minutesBack of [20, 180, 3 * 24 * 60]) {
      assert.equal(
        (await world.getItem('usage', keys.usageRecord(`sweep-listed-${minutesBack}`)))?.state,
        'applied',
      );
    }
    assert.deepEqual(
      (await pendingListing(world)).filter((id) => id.startsWith('sweep-listed')),
      [],
      'an applied record leaves the listing',
    );
  });

  it('sweeps a record written before the pending listing only when asked for its days', async () => {
    // Prepare: a stranded record as an older deployment left it: in the unsharded day listing only.
    const key = KEYS[0] as ApiKey;
    const startedAt = new Date(world.clock.now() - DAY_MS - 2000).toISOString();
    const event = usageEvent('sweep-legacy', key, {
      startedAt,
      endedAt: new Date(world.clock.now() - DAY_MS - 500).toISOString(),
    });
    await assert.rejects(world.runtime(world.crashAfterWrites(2)).record(event), SimulatedCrash);
    await world.client.send(
      new UpdateCommand({
        TableName: world.tables.usage,
        Key: keys.usageRecord('sweep-legacy'),
        UpdateExpression: 'SET gsi1pk = :legacy REMOVE pendingPk, pendingSk',
        ExpressionAttributeValues: { ':legacy': USAGE_LIST.legacyRecordsOfDay(startedAt.slice(0, 10)) },
      }),
    );
    world.clock.advance(LEASE_OVER_MS);

    // Act
    const byDefault = await world.runtime().sweepPending();
    const asked = await world.runtime().sweepPending({ legacyDays: 1 });

    // Assess
    assert.equal(byDefault.found, 0);
    assert.equal(asked.completed, 1);
    assert.equal((await world.getItem('usage', keys.usageRecord('sweep-legacy')))?.state, 'applied');
  });

  it("keeps the event's Codex headers on the pending record and applies them when it sweeps it", async () => {
    // Prepare: the delivery dies right after writing the pending record.
    const codexHeaders = { 'x-codex-primary-used-percent': '42', 'x-codex-primary-window-minutes': '300' };
    const event = usageEvent('sweep-codex', KEYS[0] as ApiKey, {
      accountId: 'a_3',
      endedAt: new Date(T0 + 1000).toISOString(),
      codexHeaders,
    });
    await assert.rejects(world.runtime(world.crashAfterWrites(1)).record(event), SimulatedCrash);
    const pending = await world.getItem('usage', keys.usageRecord('sweep-codex'));
    world.clock.advance(LEASE_OVER_MS);

    // Act
    const swept = await world.runtime().sweepPending();

    // Assess
    assert.deepEqual(pending?.pendingContext, { codexHeaders });
    assert.equal(swept.completed, 1);
    const account = await world.getItem('config', keys.account('a_3'));
    const codexUsage = account?.codexUsage as { fiveHour?: { usedPercent: number } } | undefined;
    assert.equal(codexUsage?.fiveHour?.usedPercent, 42);
    const applied = await world.getItem('usage', keys.usageRecord('sweep-codex'));
    assert.equal(applied?.state, 'applied');
    assert.equal(applied?.pendingContext, undefined);
  });
});

describe('sweeps racing each other and a redelivery', () => {
  const world = recorderWorldForSuite(new TestClock(true));

  it('finish each stranded record once between them', async () => {
    // Prepare: records stranded after different writes, in both billing modes.
    const before = await storedTotals(world);
    const events = [0, 1, 2, 3].flatMap((keyIndex) =>
      [2, 4, 6].map((stopAfter) => ({
        key: KEYS[keyIndex] as ApiKey,
        stopAfter,
        event: usageEvent(`race-${keyIndex}-${stopAfter}`, KEYS[keyIndex] as ApiKey),
      })),
    );
    for (const { event, stopAfter } of events) {
      await assert.rejects(world.runtime(world.crashAfterWrites(stopAfter)).record(event), SimulatedCrash);
    }
    world.clock.advance(LEASE_OVER_MS);
    const otherRecorder = world.runtime(world.countingClient().client);

    // Act: two sweeps on two recorders and a redelivery of every event, all at once.
    const [first, second, ...redeliveries] = await Promise.allSettled([
      world.runtime().sweepPending(),
      otherRecorder.sweepPending(),
      ...events.map(({ event }) => world.runtime(world.countingClient().client).record(event)),
    ]);

    // Assess: every redelivery finished the record, found it done, or was told to retry later.
    assert.equal(first?.status, 'fulfilled');
    assert.equal(second?.status, 'fulfilled');
    for (const settled of redeliveries) {
      if (settled.status === 'rejected')
        assert.ok(settled.reason instanceof RecordBusyError, String(settled.reason));
    }
    const records = await recordsOf(world, 'race-');
    assert.equal(records.length, events.length);
    assert.ok(records.every((record) => record.state === 'applied'));
    const after = await storedTotals(world);
    const billed = (field: 'apiKeyId' | 'userId', id: string) =>
      records.filter((record) => record[field] === id).reduce((sum, record) => sum + record.billedNano, 0);
    for (const key of KEYS.slice(0, 4)) {
      assert.equal(
        (after.keySpend.get(key.id) ?? 0) - (before.keySpend.get(key.id) ?? 0),
        billed('apiKeyId', key.id),
      );
    }
    for (const userId of ['u_1', 'u_2']) {
      const drop = (before.balances.get(userId) ?? 0) - (after.balances.get(userId) ?? 0);
      assert.equal(drop, billed('userId', userId));
    }
    // Each record was finished by exactly one of them.
    const finishedBySweeps =
      (first.status === 'fulfilled' ? first.value.completed : 0) +
      (second.status === 'fulfilled' ? second.value.completed : 0);
    const finishedByRedeliveries = redeliveries.filter(
      (settled) => settled.status === 'fulfilled' && settled.value.outcome === 'completed',
    ).length;
    assert.equal(finishedBySweeps + finishedByRedeliveries, events.length);
    assert.equal((await markedRequests(world)).size, 0);
  });
});
