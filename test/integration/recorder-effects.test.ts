import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKey } from '#shared/domain/types.ts';
import { createRecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import { DynamoPriceOverrides } from '#shared/store/dynamo/billing-prices.ts';
import { configItems } from '#shared/store/dynamo/config-items.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { keys } from '#shared/tables/keys.ts';
import {
  DEFAULT_EVENT_BILLED_NANO,
  KEYS,
  type RecorderWorld,
  recorderWorldForSuite,
  SimulatedCrash,
  startRecorderWorld,
  storedTotals,
  T0,
  TestClock,
  usageEvent,
} from './recorder-harness.ts';

const HOUR = 3_600_000;
const balanceKey = KEYS[0] as ApiKey;
const subscriptionKey = KEYS[2] as ApiKey;
const at = (ms: number) => ({
  startedAt: new Date(ms).toISOString(),
  endedAt: new Date(ms + 1000).toISOString(),
});

describe('subscription windows as the recorder keeps them', () => {
  const world = recorderWorldForSuite(new TestClock(true));

  it('start every window on first use and restart only the ones that ran out', async () => {
    // Prepare
    const recorder = world.runtime();
    const first = usageEvent('win-1', subscriptionKey, at(T0 - 30 * HOUR));
    const second = usageEvent('win-2', subscriptionKey, at(T0 - 29 * HOUR));
    const third = usageEvent('win-3', subscriptionKey, at(T0));

    // Act
    const [a, b] = [await recorder.record(first), await recorder.record(second)];
    const c = await recorder.record(third);

    // Assess: the daily window restarted at the third request; the weekly and monthly kept all three.
    const subscription = await world.getItem('config', keys.subscription('u_3', 'g_sub'));
    const all = a.record.billedNano + b.record.billedNano + c.record.billedNano;
    assert.equal(all, 3 * (DEFAULT_EVENT_BILLED_NANO.g_sub ?? 0));
    assert.equal(subscription?.dailyWindowStartMs, Date.parse(third.startedAt));
    assert.equal(subscription?.dailyUsedNano, c.record.billedNano);
    assert.equal(subscription?.weeklyWindowStartMs, Date.parse(first.startedAt));
    assert.equal(subscription?.weeklyUsedNano, all);
    assert.equal(subscription?.monthlyUsedNano, all);
    assert.equal(subscription?.usedNano, all);
  });

  it('counts every request when many start the windows at the same moment', async () => {
    // Prepare: a fresh subscription and 16 requests recorded at once.
    await world.client.send(
      new DeleteCommand({ TableName: world.tables.config, Key: keys.subscription('u_4', 'g_sub') }),
    );
    await world.client.send(
      new PutCommand({
        TableName: world.tables.config,
        Item: configItems.subscription({
          userId: 'u_4',
          groupId: 'g_sub',
          status: 'active',
          expiresAt: '2027-06-01T00:00:00.000Z',
          createdAt: '2026-01-01T00:00:00.000Z',
        }),
      }),
    );
    const events = Array.from({ length: 16 }, (_, index) =>
      usageEvent(`race-${index}`, KEYS[3] as ApiKey, at(T0 - index * 1000)),
    );

    // Act
    const outcomes = await Promise.all(events.map((event) => world.runtime().record(event)));

    // Assess
    const subscription = await world.getItem('config', keys.subscription('u_4', 'g_sub'));
    const total = outcomes.reduce((sum, outcome) => sum + outcome.record.billedNano, 0);
    assert.equal(total, events.length * (DEFAULT_EVENT_BILLED_NANO.g_sub ?? 0));
    assert.equal(subscription?.dailyUsedNano, total);
    assert.equal(subscription?.weeklyUsedNano, total);
    assert.equal(subscription?.monthlyUsedNano, total);
  });
});

describe('what the recorder writes besides money', () => {
  const world = recorderWorldForSuite();

  it('keeps the account at its newest request and Codex snapshot, whatever order they arrive in', async () => {
    // Prepare
    const recorder = world.runtime();
    const newer = usageEvent('acct-new', balanceKey, {
      ...at(T0),
      accountId: 'a_2',
      codexHeaders: { 'x-codex-primary-used-percent': '61', 'x-codex-primary-window-minutes': '300' },
    });
    const older = usageEvent('acct-old', balanceKey, {
      ...at(T0 - HOUR),
      accountId: 'a_2',
      codexHeaders: { 'x-codex-primary-used-percent': '10', 'x-codex-primary-window-minutes': '300' },
    });

    // Act
    await recorder.record(newer);
    const late = await recorder.record(older);

    // Assess
    const account = await world.getItem('config', keys.account('a_2'));
    assert.equal(account?.lastUsedAt, Date.parse(newer.endedAt));
    assert.deepEqual(account?.codexUsage, {
      updatedAt: Date.parse(newer.endedAt),
      fiveHour: { usedPercent: 61, windowMinutes: 300 },
    });
    assert.equal(late.record.effects?.account, 'stale');
  });

  it("writes an account's last use once it moves by the resolution, not on every request", async () => {
    // Prepare: one recorder, three requests on account a_3 ending 0 s, 4 s and 11 s after T0.
    const recorder = world.runtime();
    const lastUsed = async () => (await world.getItem('config', keys.account('a_3')))?.lastUsedAt;
    const ending = (id: string, ms: number) =>
      usageEvent(id, balanceKey, { ...at(ms - 1000), accountId: 'a_3' });

    // Act and assess: the 4 s one is within the 10 s resolution of what this recorder wrote.
    await recorder.record(ending('used-0', T0));
    assert.equal(await lastUsed(), T0);
    const close = await recorder.record(ending('used-4', T0 + 4000));
    assert.equal(await lastUsed(), T0);
    assert.equal(close.record.effects?.account, 'stale');
    await recorder.record(ending('used-11', T0 + 11_000));
    assert.equal(await lastUsed(), T0 + 11_000);
  });

  it('charges nothing for a request without usage but still counts it', async () => {
    // Prepare
    const before = await storedTotals(world);
    const refused = usageEvent('no-usage', balanceKey, {
      status: 400,
      upstreamStatus: 400,
      usage: { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 },
    });

    const beforeDays = await new DynamoUsageReader(world.client, world.tables).dailyAggregates(
      'user',
      'u_1',
      refused.startedAt.slice(0, 10),
      refused.startedAt.slice(0, 10),
    );

    // Act
    const { record } = await world.runtime().record(refused);

    // Assess
    const after = await storedTotals(world);
    assert.equal(record.billedNano, 0);
    assert.equal(record.effects?.balance, 'skipped');
    assert.deepEqual(after.balances, before.balances);
    const afterDays = await new DynamoUsageReader(world.client, world.tables).dailyAggregates(
      'user',
      'u_1',
      record.day,
      record.day,
    );
    assert.equal((afterDays[0]?.failedRequests ?? 0) - (beforeDays[0]?.failedRequests ?? 0), 1);
  });

  it('records a charge it cannot apply and logs an error, never loses the record', async () => {
    // Prepare: a user deleted between the request and its record.
    await world.client.send(
      new PutCommand({
        TableName: world.tables.config,
        Item: configItems.user({
          id: 'u_gone',
          email: 'gone@example.com',
          status: 'active',
          concurrency: 0,
          balanceNano: 1,
          createdAt: '2026-01-01T00:00:00.000Z',
        }),
      }),
    );
    await world.client.send(new DeleteCommand({ TableName: world.tables.config, Key: keys.user('u_gone') }));
    const errors: unknown[][] = [];
    const logger = { info: () => {}, warn: () => {}, error: (...args: unknown[]) => errors.push(args) };
    const recorder = createRecorderRuntime({
      tables: world.tables,
      client: world.client,
      logger,
      now: world.clock.now,
    });
    const orphan = usageEvent('orphan', { ...balanceKey, userId: 'u_gone', id: 'k_gone' });

    // Act
    const { record } = await recorder.record(orphan);

    // Assess
    assert.equal(record.state, 'applied');
    assert.equal(record.effects?.balance, 'missing');
    assert.equal(record.effects?.keyQuota, 'missing');
    assert.equal((await world.getItem('config', keys.user('u_gone'))) === undefined, true);
    assert.ok(errors.some(([, details]) => (details as { effect?: string }).effect === 'balance'));
  });
});

describe('prices and parked events', () => {
  let world: RecorderWorld;
  let overrides: DynamoPriceOverrides;
  before(async () => {
    world = await startRecorderWorld();
    overrides = new DynamoPriceOverrides(world.client, world.tables.config);
  });
  after(() => world.close());

  it('charges the price in force at the first delivery, even if it changes before a redelivery', async () => {
    // Prepare: the first delivery writes the pending record and dies.
    const event = usageEvent('price-fixed', balanceKey, { modelRequested: 'gpt-5.2', modelSent: 'gpt-5.2' });
    await assert.rejects(world.runtime(world.crashAfterWrites(1)).record(event), SimulatedCrash);
    await overrides.setPrice('gpt-5.2', {
      inputPicoPerToken: 99_000_000,
      cachedInputPicoPerToken: 99_000_000,
      outputPicoPerToken: 99_000_000,
    });
    world.clock.advance(60_000);

    // Act: a fresh recorder (no cached prices) finishes the record.
    const fresh = createRecorderRuntime({
      tables: world.tables,
      client: world.client,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
      now: world.clock.now,
    });
    const { outcome, record } = await fresh.record(event);

    // Assess
    assert.equal(outcome, 'completed');
    assert.equal(record.priceSource, 'builtin');
    assert.equal(record.inputPicoPerToken, 1_750_000);
    await overrides.removePrice('gpt-5.2');
  });

  it('prices an unknown model at the default, the admin-set one when there is one', async () => {
    const unknown = { modelRequested: 'gpt-99', modelSent: 'gpt-99' };
    const builtin = await world.runtime().record(usageEvent('unknown-1', balanceKey, unknown));
    await overrides.setPrice('*', {
      inputPicoPerToken: 1,
      cachedInputPicoPerToken: 1,
      outputPicoPerToken: 1,
    });
    const fresh = createRecorderRuntime({
      tables: world.tables,
      client: world.client,
      logger: { info: () => {}, warn: () => {}, error: () => {} },
    });
    const admin = await fresh.record(usageEvent('unknown-2', balanceKey, unknown));
    assert.equal(builtin.record.priceSource, 'default');
    assert.equal(builtin.record.pricedModel, '*');
    assert.equal(builtin.record.outputPicoPerToken, 30_000_000);
    assert.equal(admin.record.priceSource, 'default');
    assert.equal(admin.record.outputPicoPerToken, 1);
    await overrides.removePrice('*');
  });

  it('records parked events once, including one EventBridge delivered meanwhile, and empties the parking', async () => {
    // Prepare: three parked events, one of which the recorder already has.
    const recorder = world.runtime();
    const events = [1, 2, 3].map((index) => usageEvent(`parked-${index}`, balanceKey));
    await recorder.record(events[0]);
    for (const event of events) await recorder.parked.park(event, 'ThrottlingException');
    const before = await storedTotals(world);

    // Act
    const summary = await recorder.drainParked();

    // Assess
    const after = await storedTotals(world);
    assert.deepEqual(summary, { recorded: 3, failed: 0, more: false });
    assert.deepEqual(await recorder.parked.list(10), []);
    const charge = (await world.records()).find((record) => record.requestId === 'parked-2')?.billedNano ?? 0;
    assert.equal((before.balances.get('u_1') ?? 0) - (after.balances.get('u_1') ?? 0), 2 * charge);
  });
});
