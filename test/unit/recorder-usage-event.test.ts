import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BUILTIN_PRICES, type ModelPrice } from '#shared/billing/price-table.ts';
import {
  InvalidUsageEventError,
  parseUsageEvent,
  USAGE_EVENT_DETAIL_TYPE,
  USAGE_EVENT_SOURCE,
  type UsageEventDetail,
} from '#shared/events/usage-event.ts';
import { usageEventOfRecord, usageEventOfServed } from '#shared/events/usage-event-builders.ts';
import { codexUsageSnapshot } from '#shared/recorder/codex-usage.ts';
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

describe('parseUsageEvent', () => {
  it('reads the detail of an EventBridge envelope and a bare detail alike', () => {
    assert.deepEqual(parseUsageEvent(envelope), detail);
    assert.deepEqual(parseUsageEvent(detail), detail);
  });

  it('refuses an envelope from another source or of another detail-type', () => {
    assert.throws(() => parseUsageEvent({ ...envelope, source: 'someone.else' }), InvalidUsageEventError);
    assert.throws(
      () => parseUsageEvent({ ...envelope, 'detail-type': 'quotagate.usage.v2' }),
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
      { ...detail, usageSource: 'guessed' },
      { ...detail, codexHeaders: { 'x-codex-primary-used-percent': 5 } },
      { ...detail, route: 'v1/responses' },
      { ...detail, route: '/v1/chat/completions?x=<script>' },
      { ...detail, route: 42 },
      'not an object',
    ];
    for (const candidate of broken) assert.throws(() => parseUsageEvent(candidate), InvalidUsageEventError);
  });
});

describe('the usage event builders', () => {
  const served = {
    request: { requestId: 'req_2', receivedAt: Date.parse('2026-11-28T10:00:00.000Z') },
    caller: {
      user: { id: 'u' },
      key: { id: 'k', hash: 'b'.repeat(64) },
      group: { id: 'g', billingMode: 'subscription' as const, rateMultiplier: 2 },
    },
    body: { model: 'gpt-5.1-codex', stream: false },
    served: {
      accountId: 'a',
      modelSent: 'gpt-5.1-codex-max',
      clientStatus: 200,
      upstreamStatus: 200,
      usage: { inputTokens: 7, cachedInputTokens: 0, outputTokens: 3, reasoningTokens: 0 },
      usageSource: 'observed' as const,
      cutShortReason: 'upstream_error' as const,
      firstTokenAt: Date.parse('2026-11-28T10:00:00.250Z'),
      failovers: 2,
      codexHeaders: { 'x-codex-primary-used-percent': '12' },
      upstreamRequestId: 'up_1',
    },
    route: '/v1/responses',
  };
  const expected: UsageEventDetail = {
    version: 1,
    requestId: 'req_2',
    startedAt: '2026-11-28T10:00:00.000Z',
    endedAt: '2026-11-28T10:00:01.500Z',
    userId: 'u',
    apiKeyId: 'k',
    apiKeyHash: 'b'.repeat(64),
    groupId: 'g',
    accountId: 'a',
    billingMode: 'subscription',
    rateMultiplier: 2,
    modelRequested: 'gpt-5.1-codex',
    modelSent: 'gpt-5.1-codex-max',
    stream: false,
    route: '/v1/responses',
    status: 200,
    upstreamStatus: 200,
    usage: { inputTokens: 7, cachedInputTokens: 0, outputTokens: 3, reasoningTokens: 0 },
    usageSource: 'observed',
    cutShort: true,
    cutShortReason: 'upstream_error',
    durationMs: 1500,
    firstTokenMs: 250,
    failovers: 2,
    codexHeaders: { 'x-codex-primary-used-percent': '12' },
    upstreamRequestId: 'up_1',
  };

  it('builds the event of a served request, times relative to its arrival', () => {
    assert.deepEqual(usageEventOfServed(served, Date.parse('2026-11-28T10:00:01.500Z')), expected);
  });

  it('rebuilds from a stored record the event it was built from, except the key hash', () => {
    const price = {
      model: '*',
      price: BUILTIN_PRICES['gpt-5.1-codex'] as ModelPrice,
      source: 'default' as const,
    };
    const record = buildUsageRecord(expected, price, Date.parse('2026-11-28T10:00:02Z'));
    const { apiKeyHash: _hash, ...withoutHash } = expected;
    const rebuilt = usageEventOfRecord(record, { codexHeaders: expected.codexHeaders ?? {} });
    assert.deepEqual(rebuilt, withoutHash);
    assert.deepEqual(parseUsageEvent(rebuilt), withoutHash);
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
