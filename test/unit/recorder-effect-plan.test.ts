import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ResolvedPrice } from '#shared/billing/price-book.ts';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { planEffects } from '#shared/recorder/effect-plan.ts';
import { buildUsageRecord } from '#shared/recorder/usage-record.ts';

// 800 uncached input × 2000 + 200 cached × 500 + 100 output × 8000 = 2 500 000 pico = 2 500 nano
// list cost; × 1.5 = 3 750 nano charged.
const PRICE: ResolvedPrice = {
  model: 'gpt-test',
  source: 'override',
  price: { inputPicoPerToken: 2000, cachedInputPicoPerToken: 500, outputPicoPerToken: 8000 },
};
const HASH = 'a'.repeat(64);

function detail(overrides: Partial<UsageEventDetail> = {}): UsageEventDetail {
  return {
    version: 1,
    requestId: 'req_plan',
    startedAt: '2026-11-27T23:59:59.000Z',
    endedAt: '2026-11-28T00:00:01.000Z',
    userId: 'u1',
    apiKeyId: 'k1',
    groupId: 'g1',
    accountId: 'acc1',
    billingMode: 'balance',
    rateMultiplier: 1.5,
    modelRequested: 'gpt-test',
    modelSent: 'gpt-test-2',
    stream: true,
    status: 200,
    upstreamStatus: 200,
    usage: { inputTokens: 1000, cachedInputTokens: 200, outputTokens: 100, reasoningTokens: 30 },
    cutShort: false,
    durationMs: 2000,
    failovers: 0,
    ...overrides,
  };
}

const recordOf = (overrides: Partial<UsageEventDetail> = {}) =>
  buildUsageRecord(detail(overrides), PRICE, Date.parse('2026-11-28T00:00:02.000Z'));

const COUNTERS = {
  requests: 1,
  inputTokens: 1000,
  cachedInputTokens: 200,
  outputTokens: 100,
  reasoningTokens: 30,
  costNano: 2500,
  chargeNano: 3750,
  cutShortRequests: 0,
  failedRequests: 0,
};

// FNV-1a (32-bit) of 'req_plan' is 0x6d3df577 (worked out apart from the code), so its shard of
// 16 is 7.
const SHARD = 7;

function aggregates(counters: typeof COUNTERS & { billedNano: number }) {
  // Counted under the day the request arrived, not the day it ended.
  const day = '2026-11-27';
  return [
    { name: 'keyDaily', keyId: 'k1', day, counters },
    { name: 'modelAccountDaily', model: 'gpt-test', accountId: 'acc1', shard: SHARD, day, counters },
  ];
}

const ACCOUNT = {
  name: 'account',
  accountId: 'acc1',
  usedAt: Date.parse('2026-11-28T00:00:01.000Z'),
  codexUsage: undefined,
};

describe('the effect plan of a usage record', () => {
  it('takes a balance request from the balance and the key quota, by the key hash when known', () => {
    const plan = planEffects(recordOf(), { codexUsage: undefined, apiKeyHash: HASH });
    assert.deepEqual(plan, {
      requestId: 'req_plan',
      effects: [
        { name: 'balance', userId: 'u1', amountNano: 3750 },
        { name: 'keyQuota', key: { hash: HASH }, amountNano: 3750 },
        ...aggregates({ ...COUNTERS, billedNano: 3750 }),
        ACCOUNT,
      ],
      skipped: ['subscription'],
    });
  });

  it('counts a subscription request in the windows in force when it arrived, at list cost', () => {
    const plan = planEffects(recordOf({ billingMode: 'subscription' }), { codexUsage: undefined });
    assert.deepEqual(plan, {
      requestId: 'req_plan',
      effects: [
        {
          name: 'subscription',
          userId: 'u1',
          groupId: 'g1',
          amountNano: 2500,
          atMs: Date.parse('2026-11-27T23:59:59.000Z'),
        },
        { name: 'keyQuota', key: { userId: 'u1', keyId: 'k1' }, amountNano: 2500 },
        ...aggregates({ ...COUNTERS, billedNano: 2500 }),
        ACCOUNT,
      ],
      skipped: ['balance'],
    });
  });

  it('charges nothing for a request that cost nothing, and still counts it', () => {
    const noTokens = { inputTokens: 0, cachedInputTokens: 0, outputTokens: 0, reasoningTokens: 0 };
    const plan = planEffects(
      recordOf({ usage: noTokens, status: 502, cutShort: true, cutShortReason: 'upstream_error' }),
      { codexUsage: undefined, apiKeyHash: HASH },
    );
    const counters = {
      requests: 1,
      ...noTokens,
      costNano: 0,
      chargeNano: 0,
      billedNano: 0,
      cutShortRequests: 1,
      failedRequests: 1,
    };
    assert.deepEqual(plan.skipped, ['balance', 'subscription', 'keyQuota']);
    assert.deepEqual(plan.effects, [...aggregates(counters), ACCOUNT]);
  });

  it('hands the Codex usage snapshot to the account effect', () => {
    const codexUsage = { fiveHour: { usedPercent: 12 }, updatedAt: 1_700_000_000_000 };
    const plan = planEffects(recordOf(), { codexUsage });
    assert.deepEqual(plan.effects.at(-1), { ...ACCOUNT, codexUsage });
  });
});
