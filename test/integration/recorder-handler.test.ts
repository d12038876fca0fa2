/**
 * The recorder's Lambda handler as Lambda runs it: an EventBridge rule-target event in, with a
 * Lambda context, configured through the environment the stack sets; DynamoDB is dynalite. Its
 * EMF metric lines on stdout are caught and checked, not printed.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { ApiKey } from '#shared/domain/types.ts';
import {
  InvalidUsageEventError,
  USAGE_EVENT_DETAIL_TYPE,
  USAGE_EVENT_SOURCE,
} from '#shared/events/usage-event.ts';
import { METRIC_NAMES } from '#shared/observability/gateway-metrics.ts';
import { keys } from '#shared/tables/keys.ts';
import { emfOf, metricNamesOf } from '../support/emf-capture.ts';
import { KEYS, recorderWorldForSuite, usageEvent } from './recorder-harness.ts';
import { lambdaContext, loadRecorderHandler, type RecorderHandler, ruleEvent } from './recorder-lambda.ts';

describe('the recorder Lambda handler', () => {
  const world = recorderWorldForSuite();
  let handler: RecorderHandler;
  before(async () => {
    handler = await loadRecorderHandler(world);
  });

  it('records a usage event delivered by the EventBridge rule, once however often it comes', async () => {
    // Prepare
    const event = ruleEvent(
      USAGE_EVENT_DETAIL_TYPE,
      USAGE_EVENT_SOURCE,
      usageEvent('lambda-1', KEYS[0] as ApiKey),
    );

    // Act
    const first = await emfOf(() => handler(event, lambdaContext()));
    const again = await emfOf(() => handler(event, lambdaContext()));

    // Assess
    assert.deepEqual(first.result, { outcome: 'recorded', requestId: 'lambda-1' });
    assert.deepEqual(again.result, { outcome: 'duplicate', requestId: 'lambda-1' });
    assert.deepEqual(first.emf.map(metricNamesOf), [[METRIC_NAMES.recorderLag]]);
    assert.equal(first.emf[0]?.requestId, 'lambda-1');
    assert.deepEqual(again.emf, []);
    assert.equal((await world.getItem('usage', keys.usageRecord('lambda-1')))?.state, 'applied');
  });

  it('throws on an event it cannot record, so Lambda retries and dead-letters it', async () => {
    const foreign = ruleEvent('Something Else', 'someone.else', {});
    await assert.rejects(handler(foreign, lambdaContext()), InvalidUsageEventError);
  });

  it('drains the parked events when the schedule invokes it', async () => {
    // Prepare
    await world.runtime().parked.park(usageEvent('lambda-parked', KEYS[1] as ApiKey), 'ThrottlingException');

    // Act
    const { result: summary, emf } = await emfOf(() =>
      handler(ruleEvent('Scheduled Event', 'aws.events', {}), lambdaContext()),
    );

    // Assess
    assert.deepEqual(summary, { recorded: 1, failed: 0, more: false });
    assert.deepEqual(
      emf.map((line) => [metricNamesOf(line), line.requestId]),
      [[[METRIC_NAMES.recorderLag], 'lambda-parked']],
    );
    assert.equal((await world.getItem('usage', keys.usageRecord('lambda-parked')))?.state, 'applied');
  });
});
