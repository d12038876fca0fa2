import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_PRICES, type ModelPrice } from '#shared/billing/price-table.ts';
import {
  USAGE_EVENT_DETAIL_TYPE,
  USAGE_EVENT_SOURCE,
  type UsageEventDetail,
} from '#shared/events/usage-event.ts';
import { codexUsageSnapshot } from '#shared/recorder/codex-usage.ts';
import { InvalidUsageEventError, usageDetailOf } from '#shared/recorder/usage-event-input.ts';
import { aggregateCountersOf, buildUsageRecord } from '#shared/recorder/usage-record.ts';

const detail: UsageEventDetail = {
  version: 1,
  requestId: 'req_1',
  startedAt: '2026-11-27T23:59:59.500+00:00',
  endedAt: '2026-11-28T00:00:02.000Z',
  userId: 'u',
  apiKeyId: 'k',
  groupId: 'g',
  accountId: 'a',
  billingMode: 'balance',
  rateMultiplier: 1.5,
  modelRequested: 'gpt-5.1-codex',
  modelSent: 'gpt-5.1-codex',
  stream: true,
  status: 200,
  upstreamStatus: 200,
  usage: { inputTokens: 10_000, cachedInputTokens: 2_000, outputTokens: 1_000, reasoningTokens: 200 },
  cutShort: true,
  cutShortReason: 'client_disconnect',
  durationMs: 2500,
  firstTokenMs: 400,
  failovers: 1,
};

const envelope = {
  version: '0',
  id: 'evt-1',
  'detail-type': USAGE_EVENT_DETAIL_TYPE,
  source: USAGE_EVENT_SOURCE,
  account: '123456789012',
  time: '2026-11-28T00:00:02Z',
  region: 'eu-west-1',
  resources: [],
  detail,
};

describe('usageDetailOf', () => {
  it('reads the detail of an EventBridge envelope and a bare detail alike', () => {
    assert.deepEqual(usageDetailOf(envelope), detail);
    assert.deepEqual(usageDetailOf(detail), detail);
  });

  it('refuses an envelope from another source or of another detail-type', () => {
    assert.throws(() => usageDetailOf({ ...envelope, source: 'someone.else' }), InvalidUsageEventError);
    assert.throws(
      () => usageDetailOf({ ...envelope, 'detail-type': 'quotagate.usage.v2' }),
      InvalidUsageEventError,
    );
  });

  it('refuses details that would make an untrustworthy record', () => {
    const broken: unknown[] = [
      { ...detail, version: 2 },
      { ...detail, requestId: '' },
      { ...detail, startedAt: 'yesterday' },
      { ...detail, billingMode: 'credit' },
      { ...detail, rateMultiplier: -1 },
      { ...detail, usage: { ...detail.usage, outputTokens: -3 } },
      { ...detail, usage: { ...detail.usage, inputTokens: 1.5 } },
      { ...detail, cutShortReason: 'bored' },
      { ...detail, codexHeaders: { 'x-codex-primary-used-percent': 5 } },
      { ...detail, route: 'v1/responses' },
      { ...detail, route: '/v1/chat/completions?x=<script>' },
      { ...detail, route: 42 },
      'not an object',
    ];
    for (const candidate of broken) assert.throws(() => usageDetailOf(candidate), InvalidUsageEventError);
  });
});

describe('buildUsageRecord', () => {
  const price = {
    model: 'gpt-5.1-codex',
    price: BUILTIN_PRICES['gpt-5.1-codex'] as ModelPrice,
    source: 'builtin' as const,
  };

  it('carries every field finance needs, with cost by part and the charge after the multiplier', () => {
    const record = buildUsageRecord(detail, price, Date.parse('2026-11-28T00:00:03Z'));
    assert.equal(record.startedAt, '2026-11-27T23:59:59.500Z');
    assert.equal(record.day, '2026-11-27');
    assert.equal(
      record.inputCostPico + record.cachedInputCostPico + record.outputCostPico,
      record.totalCostPico,
    );
    assert.equal(record.costNano, 20_250_000);
    assert.equal(record.chargeNano, 30_375_000);
    assert.equal(record.billedNano, 30_375_000);
    assert.equal(record.multiplierPpm, 1_500_000);
    assert.equal(record.cutShort, true);
    assert.equal(record.cutShortReason, 'client_disconnect');
    assert.equal(record.state, 'pending');
    assert.equal(record.pricedModel, 'gpt-5.1-codex');
    assert.equal(record.priceSource, 'builtin');
    assert.equal(record.route, undefined);
    assert.equal(
      buildUsageRecord({ ...detail, route: '/v1/chat/completions' }, price, 0).route,
      '/v1/chat/completions',
    );
  });

  it('bills a subscription the cost before the multiplier', () => {
    const record = buildUsageRecord({ ...detail, billingMode: 'subscription' }, price, 0);
    assert.equal(record.billedNano, record.costNano);
  });

  it('counts one request in the aggregates, flagged cut short or failed', () => {
    const counters = aggregateCountersOf(buildUsageRecord({ ...detail, status: 502 }, price, 0));
    assert.equal(counters.requests, 1);
    assert.equal(counters.cutShortRequests, 1);
    assert.equal(counters.failedRequests, 1);
    assert.equal(counters.reasoningTokens, 200);
  });
});

describe('codexUsageSnapshot', () => {
  const at = Date.parse('2026-11-27T12:00:00Z');

  it('maps the shorter window to 5 h and the longer to 7 d, whatever their order', () => {
    const snapshot = codexUsageSnapshot(
      {
        'x-codex-primary-used-percent': '40',
        'x-codex-primary-window-minutes': '10080',
        'x-codex-primary-reset-after-seconds': '3600',
        'x-codex-secondary-used-percent': '12.5',
        'x-codex-secondary-window-minutes': '300',
        'x-codex-primary-over-secondary-limit-percent': '80',
      },
      at,
    );
    assert.deepEqual(snapshot, {
      updatedAt: at,
      fiveHour: { usedPercent: 12.5, windowMinutes: 300 },
      sevenDay: { usedPercent: 40, windowMinutes: 10080, resetAfterSeconds: 3600, resetsAt: at + 3_600_000 },
      primaryOverSecondaryPercent: 80,
    });
  });

  it('classifies a lone window by the 6-hour threshold', () => {
    const primaryShort = codexUsageSnapshot({ 'X-Codex-Primary-Window-Minutes': '300' }, at);
    assert.deepEqual(primaryShort?.fiveHour, { windowMinutes: 300 });
    const secondaryShort = codexUsageSnapshot(
      { 'x-codex-secondary-window-minutes': '300', 'x-codex-primary-used-percent': '9' },
      at,
    );
    assert.deepEqual(secondaryShort?.fiveHour, { windowMinutes: 300 });
    assert.deepEqual(secondaryShort?.sevenDay, { usedPercent: 9 });
  });

  it('falls back to primary = 7 d without window sizes, and to nothing without usage headers', () => {
    const legacy = codexUsageSnapshot(
      { 'x-codex-primary-used-percent': '70', 'x-codex-secondary-used-percent': '5' },
      at,
    );
    assert.equal(legacy?.sevenDay?.usedPercent, 70);
    assert.equal(legacy?.fiveHour?.usedPercent, 5);
    assert.equal(codexUsageSnapshot({ 'x-codex-plan-type': 'pro' }, at), undefined);
    assert.equal(codexUsageSnapshot(undefined, at), undefined);
  });
});
