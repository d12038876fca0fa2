import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKey } from '#shared/domain/types.ts';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { ClaimExpiredError, RecordBusyError, type RecordOutcome } from '#shared/recorder/record-usage.ts';
import { configItems } from '#shared/store/dynamo/config-items.ts';
import { documentItemOf } from '#shared/store/dynamo/item-forms.ts';
import type { OperationInput } from '#shared/store/dynamo/json-protocol.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { keys, LIST } from '#shared/tables/keys.ts';
import {
  KEYS,
  type RecorderWorld,
  recorderWorldForSuite,
  storedTotals,
  TestClock,
  USERS,
  usageEvent,
} from './recorder-harness.ts';

/** How often a delivery refused as busy is tried before the test gives up on the event. */
const MAX_DELIVERIES = 100;

/** Delivers like the bus: a delivery refused as busy is delivered again a moment later. */
async function deliver(world: RecorderWorld, event: UsageEventDetail): Promise<RecordOutcome> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await world.runtime().record(event);
    } catch (error) {
      if (!(error instanceof RecordBusyError) || attempt >= MAX_DELIVERIES) throw error;
    }
  }
}

describe('duplicate deliveries', () => {
  const world = recorderWorldForSuite(new TestClock(true));

  it('record and charge each event once when it is delivered two or three times, some at once', async () => {
    // Prepare: 90 events over every key; each delivered 3× at once, 2× in a row, or 2× at once + 1× later.
    const events = Array.from({ length: 90 }, (_, index) =>
      usageEvent(`dup-${index}`, KEYS[index % KEYS.length] as ApiKey, {
        usage: {
          inputTokens: 1_000 + index * 37,
          cachedInputTokens: index * 11,
          outputTokens: 200 + index,
          reasoningTokens: 0,
        },
      }),
    );
    const before = await storedTotals(world);

    // Act
    const outcomes = await Promise.all(
      events.map(async (event, index) => {
        if (index % 3 === 0) return Promise.all([1, 2, 3].map(() => deliver(world, event)));
        if (index % 3 === 1) return [await deliver(world, event), await deliver(world, event)];
        const together = await Promise.all([deliver(world, event), deliver(world, event)]);
        return [...together, await deliver(world, event)];
      }),
    );

    // Assess: one delivery recorded each event, the others found it done.
    for (const perEvent of outcomes) {
      const kinds = perEvent.map((outcome) => outcome.outcome);
      assert.equal(kinds.filter((kind) => kind === 'recorded').length, 1, kinds.join(','));
      assert.equal(kinds.filter((kind) => kind === 'duplicate').length, kinds.length - 1, kinds.join(','));
    }
    const records = await world.records();
    assert.equal(records.length, events.length);
    const after = await storedTotals(world);
    for (const user of USERS) {
      const billed = records
        .filter((record) => record.userId === user.id && record.billingMode === 'balance')
        .reduce((sum, record) => sum + record.billedNano, 0);
      assert.equal((before.balances.get(user.id) ?? 0) - (after.balances.get(user.id) ?? 0), billed, user.id);
    }
    for (const key of KEYS) {
      const billed = records
        .filter((record) => record.apiKeyId === key.id)
        .reduce((sum, r) => sum + r.billedNano, 0);
      assert.equal(after.keySpend.get(key.id), billed, key.id);
      const day = await world.getItem('usage', keys.aggregate('key', key.id, records[0]?.day ?? ''));
      assert.equal(day?.billedNano, billed, key.id);
    }
  });
});

describe('a delivery that overran its deadline', () => {
  const world = recorderWorldForSuite();

  it('writes nothing more once it resumes, so the delivery that took over charges alone', async () => {
    // Prepare: a delivery that stalls (a long pause) right after creating the pending record.
    let resume: () => void = () => {};
    const paused = new Promise<void>((resolve) => {
      resume = resolve;
    });
    let created: () => void = () => {};
    const recordCreated = new Promise<void>((resolve) => {
      created = resolve;
    });
    const stalling = world.intercepted(async (operation, _input, send) => {
      const result = await send();
      if (operation === 'PutItem') {
        created();
        await paused;
      }
      return result;
    });
    const event = usageEvent('stalled', KEYS[0] as ApiKey);
    const before = await storedTotals(world);
    const day = event.startedAt.slice(0, 10);
    const userRequestsBefore =
      (await new DynamoUsageReader(world.client, world.tables).dailyAggregates('user', 'u_1', day, day))[0]
        ?.requests ?? 0;

    // Act: the stalled delivery's claim ends, another takes over and finishes; then it resumes.
    const stalled = world.runtime(stalling).record(event);
    await recordCreated;
    world.clock.advance(60_000);
    const takeover = await world.runtime().record(event);
    resume();
    await assert.rejects(stalled, ClaimExpiredError);

    // Assess
    const after = await storedTotals(world);
    assert.equal(takeover.outcome, 'completed');
    assert.equal(
      (before.balances.get('u_1') ?? 0) - (after.balances.get('u_1') ?? 0),
      takeover.record.billedNano,
    );
    assert.equal(
      (after.keySpend.get('k_1') ?? 0) - (before.keySpend.get('k_1') ?? 0),
      takeover.record.billedNano,
    );
    const userDay = async () =>
      (await new DynamoUsageReader(world.client, world.tables).dailyAggregates('user', 'u_1', day, day))[0]
        ?.requests ?? 0;
    assert.equal((await userDay()) - userRequestsBefore, 1);
  });

  it("charges the key named by the event's hash, and clears its marker there, without asking the index", async () => {
    // Prepare: a key whose item is known by its SHA-256, and a recorder that counts index queries.
    const key: ApiKey = { ...(KEYS[0] as ApiKey), id: 'k_hashed', hash: 'c'.repeat(64) };
    await world.client.send(
      new PutCommand({ TableName: world.tables.config, Item: configItems.apiKey(key) }),
    );
    const listsRead: unknown[] = [];
    const counted = world.intercepted((operation, input, send) => {
      // Typed form, as sent (`{ S: 'KEYS#…' }`), read back as the store wrote it.
      if (operation === 'Query') {
        const { ExpressionAttributeValues: values = {} } = input as OperationInput<'Query'>;
        listsRead.push(documentItemOf(values)[':list']);
      }
      return send();
    });
    const event = usageEvent('hashed-key', key, { apiKeyHash: key.hash });

    // Act: the first delivery records it, a second one finds it applied.
    const first = await world.runtime(counted).record(event);
    const second = await world.runtime(counted).record(event);

    // Assess: charged once on the hashed item, no marker left, and the index never read.
    assert.deepEqual([first.outcome, second.outcome], ['recorded', 'duplicate']);
    const item = await world.getItem('config', keys.apiKey(key.hash));
    assert.equal(item?.usedNano, first.record.billedNano);
    assert.equal(item?.usageMarks, undefined);
    assert.ok(!listsRead.includes(LIST.keysOf(key.userId)), `index read: ${listsRead.join(', ')}`);
  });
});
