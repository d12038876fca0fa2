/**
 * `RecorderLag`: one sample per record a delivery applied, none for a duplicate, measured from
 * the event's end to the record's `appliedAt`; through the recorder runtime on dynalite, and
 * through the Lambda handler as EMF on stdout.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import type { ApiKey } from '#shared/domain/types.ts';
import { USAGE_EVENT_DETAIL_TYPE, USAGE_EVENT_SOURCE } from '#shared/events/usage-event.ts';
import { METRIC_NAMES } from '#shared/observability/gateway-metrics.ts';
import { createRecorderMetrics } from '#shared/observability/recorder-metrics.ts';
import type { RecordOutcome } from '#shared/recorder/record-usage.ts';
import { createRecorderRuntime, type RecorderRuntime } from '#shared/recorder/recorder-runtime.ts';
import type { DocumentClient } from '#shared/store/dynamo/document-client.ts';
import { emfOf } from '../support/emf-capture.ts';
import {
  KEYS,
  type RecorderWorld,
  SimulatedCrash,
  silentLogger,
  startRecorderWorld,
  T0,
  usageEvent,
} from './recorder-harness.ts';
import { lambdaContext, loadRecorderHandler, type RecorderHandler, ruleEvent } from './recorder-lambda.ts';

interface LagSample {
  namespace: string | undefined;
  dimensions: string[][] | undefined;
  service: unknown;
  requestId: unknown;
  lagMs: unknown;
}

function lagSample(emf: EmfOutput): LagSample {
  const line = JSON.parse(JSON.stringify(emf)) as Record<string, unknown> & {
    _aws: { CloudWatchMetrics: { Namespace: string; Dimensions: string[][] }[] };
  };
  const definition = line._aws.CloudWatchMetrics[0];
  return {
    namespace: definition?.Namespace,
    dimensions: definition?.Dimensions,
    service: line.service,
    requestId: line.requestId,
    lagMs: line[METRIC_NAMES.recorderLag],
  };
}

/** Event end (the fixtures' T0 − 500 ms) to the test clock's `now` when the record is applied. */
const endedAt = T0 - 500;

describe('RecorderLag from the recorder runtime', () => {
  let world: RecorderWorld;
  let samples: LagSample[];
  let runtimeOn: (client?: DocumentClient) => RecorderRuntime;

  before(async () => {
    world = await startRecorderWorld();
    samples = [];
    const metrics = createRecorderMetrics({
      namespace: 'QuotagateTest',
      serviceName: 'recorder',
      sink: (emf) => samples.push(lagSample(emf)),
    });
    runtimeOn = (client = world.recorderClient) =>
      createRecorderRuntime({
        tables: world.tables,
        client,
        logger: silentLogger,
        now: world.clock.now,
        onRecorded: metrics.recorded,
      });
  });
  after(() => world.close());

  it('emits one RecorderLag for a recorded event and none for its duplicate deliveries', async () => {
    // Prepare
    samples.length = 0;
    const runtime = runtimeOn();
    const event = usageEvent('lag-1', KEYS[0] as ApiKey);
    world.clock.advance(4_000);

    // Act
    const first = await runtime.record(event);
    const again = await runtime.record(event);
    const viaOther = await runtimeOn().record(event);

    // Assess
    assert.deepEqual(
      [first, again, viaOther].map((result: RecordOutcome) => result.outcome),
      ['recorded', 'duplicate', 'duplicate'],
    );
    assert.deepEqual(samples, [
      {
        namespace: 'QuotagateTest',
        dimensions: [['service']],
        service: 'recorder',
        requestId: 'lag-1',
        lagMs: Date.parse(first.record.appliedAt as string) - endedAt,
      },
    ]);
    assert.equal(samples[0]?.lagMs, world.clock.now() - endedAt);
  });

  it('emits one RecorderLag when a redelivery completes a record a dead delivery left pending', async () => {
    // Prepare
    samples.length = 0;
    const event = usageEvent('lag-2', KEYS[2] as ApiKey);
    await assert.rejects(runtimeOn(world.crashAfterWrites(2)).record(event), SimulatedCrash);
    world.clock.advance(60_000);

    // Act
    const completed = await runtimeOn().record(event);
    const duplicate = await runtimeOn().record(event);

    // Assess
    assert.equal(completed.outcome, 'completed');
    assert.equal(duplicate.outcome, 'duplicate');
    assert.deepEqual(
      samples.map(({ requestId, lagMs }) => ({ requestId, lagMs })),
      [{ requestId: 'lag-2', lagMs: world.clock.now() - endedAt }],
    );
  });

  it('emits one RecorderLag per parked event a drain records', async () => {
    // Prepare
    samples.length = 0;
    const runtime = runtimeOn();
    await runtime.parked.park(usageEvent('lag-parked-1', KEYS[1] as ApiKey), 'ThrottlingException');
    await runtime.parked.park(usageEvent('lag-parked-2', KEYS[3] as ApiKey), 'ThrottlingException');
    world.clock.advance(300_000);

    // Act
    const summary = await runtime.drainParked();

    // Assess
    assert.deepEqual(summary, { recorded: 2, failed: 0, more: false });
    assert.deepEqual(
      samples
        .map(({ requestId, lagMs }) => ({ requestId, lagMs }))
        .sort((a, b) => String(a.requestId).localeCompare(String(b.requestId))),
      [
        { requestId: 'lag-parked-1', lagMs: world.clock.now() - endedAt },
        { requestId: 'lag-parked-2', lagMs: world.clock.now() - endedAt },
      ],
    );
  });
});

describe('RecorderLag from the recorder Lambda handler', () => {
  let world: RecorderWorld;
  let handler: RecorderHandler;

  before(async () => {
    world = await startRecorderWorld();
    handler = await loadRecorderHandler(world, {
      POWERTOOLS_SERVICE_NAME: 'recorder',
      POWERTOOLS_METRICS_NAMESPACE: 'QuotagateHandlerTest',
    });
  });
  after(() => world.close());

  it('writes one RecorderLag EMF line for a recorded event and none for its redelivery', async () => {
    // Prepare
    const event = ruleEvent(
      USAGE_EVENT_DETAIL_TYPE,
      USAGE_EVENT_SOURCE,
      usageEvent('lag-lambda', KEYS[0] as ApiKey, { endedAt: new Date(Date.now() - 2_000).toISOString() }),
      'evt-lag',
    );

    // Act
    const first = await emfOf(() => handler(event, lambdaContext()));
    const again = await emfOf(() => handler(event, lambdaContext()));

    // Assess
    const emf = first.emf;
    assert.equal(emf.length, 1);
    const sample = lagSample(emf[0] as unknown as EmfOutput);
    assert.equal(sample.namespace, 'QuotagateHandlerTest');
    assert.deepEqual(sample.dimensions, [['service']]);
    assert.equal(sample.service, 'recorder');
    assert.equal(sample.requestId, 'lag-lambda');
    assert.ok(
      typeof sample.lagMs === 'number' && sample.lagMs >= 2_000 && sample.lagMs < 60_000,
      `lag ${sample.lagMs}`,
    );
    assert.equal(again.emf.length, 0);
  });
});
