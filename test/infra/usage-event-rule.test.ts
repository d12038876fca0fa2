import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { PutEventsEntry } from '#shared/events/eventbridge-client.ts';
import { buildUsageEventEntry } from '#shared/events/eventbridge-publisher.ts';
import type { UsageEventDetail } from '#shared/events/usage-event.ts';
import { matchesEventPattern } from './support/event-pattern.ts';
import { envelopeOf } from './support/eventbridge-envelope.ts';
import { logicalIdByPath, resourcesOfType, synthQuotagate } from './support/synth-quotagate.ts';

const detail: UsageEventDetail = {
  version: 1,
  requestId: 'req_01',
  startedAt: '2026-01-05T10:00:00.000Z',
  endedAt: '2026-01-05T10:00:42.000Z',
  userId: 'usr_1',
  apiKeyId: 'key_1',
  groupId: 'grp_1',
  accountId: 'acc_1',
  billingMode: 'balance',
  rateMultiplier: 1,
  modelRequested: 'gpt-5-codex',
  modelSent: 'gpt-5-codex',
  stream: true,
  status: 200,
  upstreamStatus: 200,
  usage: { inputTokens: 1200, cachedInputTokens: 1000, outputTokens: 300, reasoningTokens: 120 },
  cutShort: false,
  durationMs: 42_000,
  firstTokenMs: 900,
  failovers: 0,
};

/** The PutEvents entry the gateway's publisher sends for one served request. */
function gatewayEntry(): PutEventsEntry {
  return buildUsageEventEntry(detail, 'quotagate-test');
}

describe('usage event rule', () => {
  let pattern: unknown;
  before(() => {
    const { template } = synthQuotagate({ stage: 'test' });
    const ruleId = logicalIdByPath(template, 'AWS::Events::Rule', 'Usage/Rule/Resource');
    pattern = resourcesOfType(template, 'AWS::Events::Rule')[ruleId]?.Properties.EventPattern;
  });

  it('matches the usage event the gateway puts on the bus, as EventBridge delivers it', () => {
    // Prepare
    const delivered = envelopeOf(gatewayEntry());

    // Act
    const matched = matchesEventPattern(pattern, delivered);

    // Assess
    assert.equal(matched, true);
    assert.deepEqual(delivered.detail, detail);
  });

  it('rejects events from any other source', () => {
    for (const source of ['quotagate.admin', 'aws.lambda', 'quotagate.gateway.test']) {
      const delivered = envelopeOf({ ...gatewayEntry(), Source: source });
      assert.equal(matchesEventPattern(pattern, delivered), false, source);
    }
  });

  it('rejects other detail types, including a future version of the usage event', () => {
    for (const detailType of ['quotagate.usage.v2', 'quotagate.account.v1', 'Quotagate.Usage.V1']) {
      const delivered = envelopeOf({ ...gatewayEntry(), DetailType: detailType });
      assert.equal(matchesEventPattern(pattern, delivered), false, detailType);
    }
  });

  it('rejects the parked-event drain schedule, which reaches the recorder by its own rule', () => {
    const scheduled = {
      ...envelopeOf({ Source: 'aws.events', DetailType: 'Scheduled Event', Detail: '{}' }),
      resources: ['arn:aws:events:eu-west-1:123456789012:rule/quotagate-test-drain-parked'],
    };
    assert.equal(matchesEventPattern(pattern, scheduled), false);
  });

  it('rejects an event that carries no detail-type', () => {
    const { 'detail-type': _omitted, ...withoutType } = envelopeOf(gatewayEntry());
    assert.equal(matchesEventPattern(pattern, withoutType), false);
  });
});

describe('event pattern matcher (test support)', () => {
  it('requires every pattern field and ignores fields the pattern does not name', () => {
    const pattern = { source: ['a'], detail: { kind: ['x', 'y'] } };
    assert.equal(
      matchesEventPattern(pattern, { source: 'a', detail: { kind: 'y', extra: 1 }, more: true }),
      true,
    );
    assert.equal(matchesEventPattern(pattern, { source: 'a', detail: {} }), false);
    assert.equal(matchesEventPattern(pattern, { source: 'a' }), false);
  });

  it('matches an array field when any of its values is listed', () => {
    assert.equal(matchesEventPattern({ resources: ['r2'] }, { resources: ['r1', 'r2'] }), true);
    assert.equal(matchesEventPattern({ resources: ['r3'] }, { resources: ['r1', 'r2'] }), false);
  });

  it('compares values exactly, type included', () => {
    assert.equal(matchesEventPattern({ detail: { version: [1] } }, { detail: { version: 1 } }), true);
    assert.equal(matchesEventPattern({ detail: { version: [1] } }, { detail: { version: '1' } }), false);
  });

  it('refuses content filters it does not implement rather than guessing', () => {
    assert.throws(() => matchesEventPattern({ source: [{ prefix: 'quota' }] }, { source: 'quotagate' }));
  });
});
