import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { formatNanoAsUsd } from '#shared/admin/money.ts';
import type { ApiKey, Group, Subscription, User } from '#shared/domain/types.ts';
import { entityOf } from '#shared/store/dynamo/config-items.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { keys } from '#shared/tables/keys.ts';
import { usageReport } from '#shared/usage/report.ts';
import { GROUPS, KEYS, type RecorderWorld, startRecorderWorld, T0, usageEvent } from './recorder-harness.ts';

const DAY = 86_400_000;
const at = (ms: number) => ({
  startedAt: new Date(ms).toISOString(),
  endedAt: new Date(ms + 1000).toISOString(),
});

describe('GET /v1/usage report', () => {
  let world: RecorderWorld;
  let reader: DynamoUsageReader;

  async function callerOf(key: ApiKey) {
    const load = async <T>(itemKey: { pk: string; sk: string }) =>
      entityOf<T>(await world.getItem('config', itemKey)) as T;
    return {
      key: await load<ApiKey>(keys.apiKey(key.hash)),
      user: await load<User>(keys.user(key.userId)),
      group: GROUPS.find((group) => group.id === key.groupId) as Group,
      subscription: await load<Subscription | undefined>(keys.subscription(key.userId, key.groupId)),
    };
  }

  before(async () => {
    world = await startRecorderWorld();
    reader = new DynamoUsageReader(world.client, world.tables);
    const recorder = world.runtime();
    // k_1 (balance): two today, one three days ago, one last month.
    for (const [id, ms] of [
      ['b-today-1', T0 - 5000],
      ['b-today-2', T0 - 4000],
      ['b-earlier', T0 - 3 * DAY],
      ['b-last-month', T0 - 30 * DAY],
    ] as const) {
      await recorder.record(usageEvent(id, KEYS[0] as ApiKey, at(ms)));
    }
    // k_3 (subscription): one an hour ago.
    await recorder.record(usageEvent('s-today', KEYS[2] as ApiKey, at(T0 - 3_600_000)));
  });
  after(() => world.close());

  it('shows a balance key its balance, quota and today and this month usage', async () => {
    // Prepare
    const caller = await callerOf(KEYS[0] as ApiKey);
    caller.key = { ...caller.key, quotaNano: 1_000_000_000 };
    const records = await world.records();
    const billed = (ids: string[]) =>
      records.filter((record) => ids.includes(record.requestId)).reduce((sum, r) => sum + r.billedNano, 0);

    // Act
    const report = await usageReport({ ...caller, now: T0 }, reader);

    // Assess
    assert.equal(report.billing_mode, 'balance');
    assert.deepEqual(report.balance, { usd: formatNanoAsUsd(caller.user.balanceNano) });
    assert.equal(report.subscription, null);
    const spent = caller.key.usedNano ?? 0;
    assert.equal(spent, billed(['b-today-1', 'b-today-2', 'b-earlier', 'b-last-month']));
    assert.deepEqual(report.key.quota, {
      limit_usd: '1.00',
      used_usd: formatNanoAsUsd(spent),
      remaining_usd: formatNanoAsUsd(1_000_000_000 - spent),
    });
    assert.equal(report.usage.today.date, '2026-11-27');
    assert.equal(report.usage.today.requests, 2);
    assert.equal(report.usage.today.billed_usd, formatNanoAsUsd(billed(['b-today-1', 'b-today-2'])));
    assert.equal(report.usage.month.month, '2026-11');
    assert.equal(report.usage.month.requests, 3);
    assert.equal(report.usage.month.input_tokens, 3 * 12_000);
    assert.equal(
      report.usage.month.billed_usd,
      formatNanoAsUsd(billed(['b-today-1', 'b-today-2', 'b-earlier'])),
    );
  });

  it('shows a subscription key its windows with use, limit, what is left and reset times', async () => {
    const caller = await callerOf(KEYS[2] as ApiKey);
    const report = await usageReport({ ...caller, now: T0 }, reader);
    const used = caller.subscription?.dailyUsedNano ?? 0;
    assert.equal(report.balance, null);
    assert.equal(report.key.quota, null);
    assert.deepEqual(report.subscription?.windows[0], {
      window: 'daily',
      used_usd: formatNanoAsUsd(used),
      limit_usd: '50.00',
      remaining_usd: formatNanoAsUsd(50_000_000_000 - used),
      resets_at: new Date(T0 - 3_600_000 + DAY).toISOString(),
    });
    assert.equal(report.subscription?.windows[1]?.limit_usd, null);
    assert.equal(report.usage.today.requests, 1);
  });

  it('shows a window that ran out as empty, waiting for the next use', async () => {
    const caller = await callerOf(KEYS[2] as ApiKey);
    const report = await usageReport({ ...caller, now: T0 + 2 * DAY }, reader);
    assert.equal(report.subscription?.windows[0]?.used_usd, '0.00');
    assert.equal(report.subscription?.windows[0]?.resets_at, null);
    assert.equal(report.usage.today.requests, 0);
  });
});
