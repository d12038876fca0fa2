/**
 * Thousands of mixed usage events (stream and not, cut short, failed over, refused upstream,
 * unknown models, both billing modes), delivered one to three times, some at once, with recorder
 * crashes injected after random writes and redeliveries after the crashed leases end. Then the
 * books must balance exactly, to the nano-USD.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { CutShortReason, UsageEventDetail } from '#shared/events/usage-event.ts';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { AGGREGATE_COUNTERS, aggregateCountersOf } from '#shared/recorder/usage-record.ts';
import { LAST_USED_RESOLUTION_MS } from '#shared/store/dynamo/usage-ledger-account.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { keys, shardOf, USAGE_SHARDS } from '#shared/tables/keys.ts';
import {
  expectedNano,
  PUBLISHED_DEFAULT_PRICE,
  PUBLISHED_PRICES,
  type PublishedPrice,
} from '../support/expected-charge.ts';
import { runPool, seededRandom } from '../support/reconciliation-plan.ts';
import {
  ACCOUNTS,
  KEYS,
  type RecorderWorld,
  SimulatedCrash,
  SUBSCRIPTIONS,
  startRecorderWorld,
  storedTotals,
  T0,
  TestClock,
  USERS,
  usageEvent,
} from './recorder-harness.ts';

const EVENTS = 2000;
const CONCURRENCY = 8;
const CRASH_RATE = 0.15;
/** Redelivery rounds before the test gives up: a healthy recorder needs two or three. */
const MAX_PASSES = 8;
const MODELS = [
  'gpt-5.1-codex',
  'gpt-5.1-codex-max',
  'gpt-5.2-codex-high',
  'gpt-5-mini',
  'gpt-5.2',
  'gpt-9-preview',
];
/**
 * The published price each model above is billed at: a reasoning-effort suffix names the same
 * model, and a model no table knows pays the default price.
 */
const PRICE_OF: Record<string, PublishedPrice | undefined> = {
  'gpt-5.1-codex': PUBLISHED_PRICES['gpt-5.1-codex'],
  'gpt-5.1-codex-max': PUBLISHED_PRICES['gpt-5.1-codex-max'],
  'gpt-5.2-codex-high': PUBLISHED_PRICES['gpt-5.2-codex'],
  'gpt-5-mini': PUBLISHED_PRICES['gpt-5-mini'],
  'gpt-5.2': PUBLISHED_PRICES['gpt-5.2'],
  'gpt-9-preview': undefined,
};
const CUT_SHORT: CutShortReason[] = ['client_disconnect', 'upstream_error', 'idle_timeout', 'deadline'];

function generateEvents(rand: () => number): UsageEventDetail[] {
  const int = (max: number) => Math.floor(rand() * max);
  const pick = <T>(items: readonly T[]): T => items[int(items.length)] as T;
  return Array.from({ length: EVENTS }, (_, index) => {
    const key = pick(KEYS);
    const refused = rand() < 0.04;
    const cutShort = !refused && rand() < 0.15;
    const inputTokens = refused ? 0 : int(200_000);
    const outputTokens = refused || (cutShort && rand() < 0.3) ? 0 : int(20_000);
    const startedAt = T0 - int(12 * 3_600_000);
    const failovers = rand() < 0.2 ? 1 + int(3) : 0;
    return usageEvent(`rec-${index}`, key, {
      startedAt: new Date(startedAt).toISOString(),
      endedAt: new Date(startedAt + 200 + int(60_000)).toISOString(),
      accountId: pick(ACCOUNTS).id,
      modelRequested: pick(MODELS),
      modelSent: pick(MODELS),
      stream: rand() < 0.7,
      status: refused ? 400 : 200,
      upstreamStatus: refused ? 400 : 200,
      usage: {
        inputTokens,
        cachedInputTokens: int(inputTokens + 1),
        outputTokens,
        reasoningTokens: int(outputTokens + 1),
      },
      cutShort,
      ...(cutShort ? { cutShortReason: pick(CUT_SHORT) } : {}),
      failovers,
      ...(rand() < 0.5 ? { codexHeaders: { 'x-codex-primary-used-percent': String(int(100)) } } : {}),
    });
  });
}

interface Delivery {
  event: UsageEventDetail;
  /** Crash after this many writes; absent for a healthy delivery. */
  crashAfter?: number;
}

/** One to three deliveries per event; duplicates placed side by side run at once. */
function planDeliveries(events: UsageEventDetail[], rand: () => number): Delivery[] {
  const delivery = (event: UsageEventDetail): Delivery =>
    rand() < CRASH_RATE ? { event, crashAfter: 1 + Math.floor(rand() * 16) } : { event };
  const together: Delivery[][] = [];
  const apart: Delivery[] = [];
  for (const event of events) {
    const roll = rand();
    const copies = roll < 0.55 ? 1 : roll < 0.85 ? 2 : 3;
    const group = Array.from({ length: copies }, () => delivery(event));
    if (rand() < 0.5) together.push(group);
    else apart.push(...group);
  }
  for (let index = apart.length - 1; index > 0; index -= 1) {
    const other = Math.floor(rand() * (index + 1));
    [apart[index], apart[other]] = [apart[other] as Delivery, apart[index] as Delivery];
  }
  const plan: Delivery[] = [];
  for (const group of together) {
    plan.push(...group, ...apart.splice(0, 2));
  }
  return [...plan, ...apart];
}

function sumOf(
  records: UsageRecord[],
  field: 'billedNano',
  filter: (record: UsageRecord) => boolean,
): number {
  return records.filter(filter).reduce((sum, record) => sum + record[field], 0);
}

/** The deliveries took 3.5 minutes on a busy 2-core machine: far beyond the test command's default timeout. */
const RUN_TIMEOUT_MS = 15 * 60_000;

describe('reconciliation over thousands of mixed, duplicated and crashed deliveries', {
  timeout: RUN_TIMEOUT_MS,
}, () => {
  let world: RecorderWorld;
  let events: UsageEventDetail[];
  let records: UsageRecord[];
  let opening: Awaited<ReturnType<typeof storedTotals>>;
  let closing: Awaited<ReturnType<typeof storedTotals>>;
  let crashes = 0;

  before(
    async () => {
      // Prepare
      world = await startRecorderWorld(new TestClock(true), { dynaliteProcess: true });
      // Seeded, so a failure can be replayed.
      const rand = seededRandom(20261127);
      events = generateEvents(rand);
      let pending = planDeliveries(events, rand);
      opening = await storedTotals(world);

      // Act: deliver; whatever failed is delivered again (healthy) once the failed leases ended.
      for (let pass = 1; pending.length > 0; pass += 1) {
        const again: Delivery[] = [];
        let lastError: unknown;
        await runPool(pending, CONCURRENCY, async ({ event, crashAfter }) => {
          const client = crashAfter === undefined ? world.client : world.crashAfterWrites(crashAfter);
          try {
            await world.runtime(client).record(event);
          } catch (error) {
            if (error instanceof SimulatedCrash) crashes += 1;
            else lastError = error;
            again.push({ event });
          }
        });
        if (pass >= MAX_PASSES && again.length > 0) {
          throw new Error(`${again.length} events still unrecorded after ${pass} passes`, {
            cause: lastError,
          });
        }
        world.clock.advance(60_000);
        pending = again;
      }
      records = await world.records();
      closing = await storedTotals(world);
    },
    { timeout: RUN_TIMEOUT_MS },
  );
  after(() => world.close());

  it('holds one applied record per event, priced as its event', () => {
    assert.ok(crashes > 100, `${crashes} crashes were injected`);
    assert.equal(records.length, EVENTS);
    assert.ok(records.every((record) => record.state === 'applied'));
    const byId = new Map(events.map((event) => [event.requestId, event]));
    for (const record of records) {
      const event = byId.get(record.requestId) as UsageEventDetail;
      assert.equal(record.outputTokens, event.usage.outputTokens);
      const price = PRICE_OF[event.modelRequested] ?? PRICE_OF[event.modelSent] ?? PUBLISHED_DEFAULT_PRICE;
      const expected = expectedNano(event.usage, price, String(event.rateMultiplier));
      assert.deepEqual(
        [record.costNano, record.chargeNano],
        [expected.costNano, expected.chargeNano],
        record.requestId,
      );
      assert.equal(
        record.billedNano,
        record.billingMode === 'balance' ? expected.chargeNano : expected.costNano,
      );
      assert.equal(record.cutShort, event.cutShort);
    }
    assert.ok(records.some((record) => record.priceSource === 'default'));
    assert.ok(
      records.filter((record) => record.billedNano > 0).length > EVENTS / 2,
      'most records bill something',
    );
  });

  it('moves each balance by exactly the sum of its balance-mode records', () => {
    for (const user of USERS) {
      const billed = sumOf(records, 'billedNano', (r) => r.userId === user.id && r.billingMode === 'balance');
      assert.equal(
        (opening.balances.get(user.id) ?? 0) - (closing.balances.get(user.id) ?? 0),
        billed,
        user.id,
      );
    }
  });

  it('fills each subscription window with exactly the sum of its subscription records', () => {
    for (const subscription of SUBSCRIPTIONS) {
      const billed = sumOf(
        records,
        'billedNano',
        (r) =>
          r.userId === subscription.userId &&
          r.groupId === subscription.groupId &&
          r.billingMode === 'subscription',
      );
      const stored = closing.subscriptions.get(subscription.userId) ?? {};
      assert.ok(billed > 0);
      for (const field of ['usedNano', 'dailyUsedNano', 'weeklyUsedNano', 'monthlyUsedNano']) {
        assert.equal(stored[field], billed, `${subscription.userId} ${field}`);
      }
    }
  });

  it('counts exactly the sum of its records against each key', () => {
    for (const key of KEYS) {
      assert.equal(
        closing.keySpend.get(key.id),
        sumOf(records, 'billedNano', (r) => r.apiKeyId === key.id),
        key.id,
      );
    }
  });

  it('keeps every daily aggregate equal to the sum of its records, counter by counter', async () => {
    const expected = new Map<string, Record<string, number>>();
    const subjects = (r: UsageRecord) =>
      [
        ['user', r.userId],
        ['key', r.apiKeyId],
        ['account', r.accountId],
        ['model', r.modelRequested],
      ] as const;
    for (const record of records) {
      const counters = aggregateCountersOf(record);
      for (const [dimension, id] of subjects(record)) {
        const name = JSON.stringify([dimension, id, record.day]);
        const sums =
          expected.get(name) ?? Object.fromEntries(AGGREGATE_COUNTERS.map((counter) => [counter, 0]));
        for (const counter of AGGREGATE_COUNTERS) sums[counter] = (sums[counter] ?? 0) + counters[counter];
        expected.set(name, sums);
      }
    }
    // Stored: a key's day items and one item per model, account, shard and day; read back the
    // way every reader does, a user as the sum of its keys, an account and a model over shards.
    const stored = (await world.scan('usage')).filter((item) => item.kind === 'aggregate');
    const keyDays = new Set(records.map((r) => `${r.apiKeyId} ${r.day}`));
    const modelItems = new Set(
      records.map((r) => `${r.modelRequested} ${r.accountId} ${r.day} ${shardOf(r.requestId, USAGE_SHARDS)}`),
    );
    assert.equal(stored.length, keyDays.size + modelItems.size);
    const reader = new DynamoUsageReader(world.client, world.tables);
    for (const [name, sums] of expected) {
      const [dimension, id, day] = JSON.parse(name) as ['user' | 'key' | 'account' | 'model', string, string];
      const [aggregate, ...more] = await reader.dailyAggregates(dimension, id, day, day);
      assert.equal(more.length, 0, name);
      for (const counter of AGGREGATE_COUNTERS)
        assert.equal(aggregate?.[counter], sums[counter], `${name} ${counter}`);
    }
  });

  it('leaves each account at its latest request and no marker anywhere', async () => {
    for (const account of ACCOUNTS) {
      const latest = Math.max(
        ...records.filter((r) => r.accountId === account.id).map((r) => Date.parse(r.endedAt)),
      );
      // Written when it moves by the resolution as far as each recorder knows: never ahead of
      // the latest request, never further behind than the resolution.
      const stored = (await world.getItem('config', keys.account(account.id)))?.lastUsedAt as number;
      assert.ok(
        stored <= latest && latest - stored < LAST_USED_RESOLUTION_MS,
        `${account.id}: ${stored} vs ${latest}`,
      );
    }
    assert.equal((await world.markedItems()).length, 0);
  });

  it('balances overall: records billed = balances taken + subscription use', () => {
    const total = records.reduce((sum, record) => sum + record.billedNano, 0);
    const balances = USERS.reduce(
      (sum, user) => sum + (opening.balances.get(user.id) ?? 0) - (closing.balances.get(user.id) ?? 0),
      0,
    );
    const subscriptions = SUBSCRIPTIONS.reduce(
      (sum, s) => sum + ((closing.subscriptions.get(s.userId)?.usedNano as number | undefined) ?? 0),
      0,
    );
    assert.equal(balances + subscriptions, total);
    assert.ok(Number.isSafeInteger(total));
  });
});
