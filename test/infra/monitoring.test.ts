/**
 * The dashboard and alarms on the functions' own EMF metrics: every metric the gateway and the
 * recorder write is graphed by the exact namespace, name and dimensions the code emits, and the
 * two alarms an operator is woken by use the thresholds from the context.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import { App } from 'aws-cdk-lib';
import { Match, type Template } from 'aws-cdk-lib/assertions';
import { createGatewayMetrics, METRIC_NAMES } from '#shared/observability/gateway-metrics.ts';
import { createRecorderMetrics } from '#shared/observability/recorder-metrics.ts';
import { readStackConfig } from '../../infra/stack-config.ts';
import {
  logicalIdByPath,
  resourcesOfType,
  type SynthesisedQuotagate,
  synthForSuite,
  synthTestStack,
  TEST_STAGE,
} from './support/synth-quotagate.ts';

interface Widget {
  type: string;
  properties: { title?: string; metrics?: unknown[][]; alarms?: string[] };
}

/** The dashboard body; a `Fn::GetAtt` reads as its logical id, any other token as `TOKEN`. */
function dashboardWidgets(template: Template): Widget[] {
  const [dashboard] = Object.values(resourcesOfType(template, 'AWS::CloudWatch::Dashboard'));
  const body = dashboard?.Properties.DashboardBody as { 'Fn::Join': [string, unknown[]] };
  const text = body['Fn::Join'][1]
    .map((part) => {
      if (typeof part === 'string') return part;
      const getAtt = (part as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
      return getAtt ? getAtt[0] : 'TOKEN';
    })
    .join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

function widget(widgets: Widget[], title: string): Widget {
  const found = widgets.find((candidate) => candidate.properties.title === title);
  assert.ok(found, `no widget "${title}"`);
  return found;
}

/** The function's environment as the stack sets it. */
function environmentOf(synth: SynthesisedQuotagate, pathSuffix: string): Record<string, string> {
  const id = logicalIdByPath(synth.template, 'AWS::Lambda::Function', pathSuffix);
  const fn = resourcesOfType(synth.template, 'AWS::Lambda::Function')[id];
  assert.ok(fn, `no function ${id}`);
  return (fn.Properties.Environment as { Variables: Record<string, string> }).Variables;
}

interface EmittedMetric {
  namespace: string;
  name: string;
  dimensions: Record<string, string>;
}

/** What the code writes, with the environment a function gets from the stack. */
function emittedMetrics(env: Record<string, string>, serviceName: string): EmittedMetric[] {
  const lines: EmfOutput[] = [];
  const sink = (emf: EmfOutput) => lines.push(JSON.parse(JSON.stringify(emf)) as EmfOutput);
  const namespace = env.POWERTOOLS_METRICS_NAMESPACE as string;
  if (serviceName === 'recorder') {
    createRecorderMetrics({ namespace, serviceName, sink }).recorded({
      outcome: 'recorded',
      record: { requestId: 'r', endedAt: '2026-11-27T12:00:00Z', appliedAt: '2026-11-27T12:00:01Z' },
    });
  } else {
    createGatewayMetrics({ namespace, serviceName, sink }).requestEnded({
      route: '/v1/responses',
      status: 502,
      errorType: 'upstream_error',
      upstreamLatencyMs: 1,
      ttftMs: 1,
      slotWaitMs: 1,
      failovers: 1,
      sessionGuess: 'hit',
    });
  }
  return lines.flatMap((line) => {
    const values = line as unknown as Record<string, string>;
    return line._aws.CloudWatchMetrics.flatMap((definition) =>
      definition.Metrics.map((metric) => ({
        namespace: definition.Namespace,
        name: metric.Name,
        dimensions: Object.fromEntries(
          (definition.Dimensions[0] ?? []).map((dimension) => [dimension, values[dimension] as string]),
        ),
      })),
    );
  });
}

/** Whether a dashboard metric row reads `metric`: a SEARCH over its schema, or the metric itself. */
function reads(row: unknown[], metric: EmittedMetric): boolean {
  const [first] = row;
  if (typeof first === 'object' && first !== null && 'expression' in first) {
    const expression = String((first as { expression: string }).expression);
    const match = /^SEARCH\('\{"([^"]+)",([^}]*)\} MetricName="([^"]+)" service="([^"]+)"'/.exec(expression);
    if (!match) return false;
    const [, namespace, schema, name, service] = match;
    return (
      namespace === metric.namespace &&
      name === metric.name &&
      service === metric.dimensions.service &&
      (schema ?? '').split(',').sort().join() === Object.keys(metric.dimensions).sort().join()
    );
  }
  const [namespace, name, ...rest] = row.filter((part) => typeof part === 'string') as string[];
  const dimensions: Record<string, string> = {};
  for (let index = 0; index + 1 < rest.length; index += 2) {
    dimensions[rest[index] as string] = rest[index + 1] as string;
  }
  return namespace === metric.namespace && name === metric.name && sameEntries(dimensions, metric.dimensions);
}

function sameEntries(a: Record<string, string>, b: Record<string, string>): boolean {
  return JSON.stringify(Object.entries(a).sort()) === JSON.stringify(Object.entries(b).sort());
}

describe('QuotagateStack: monitoring of the EMF metrics', () => {
  const synth = synthForSuite();
  let gatewayEnv: Record<string, string>;
  let recorderEnv: Record<string, string>;
  before(() => {
    gatewayEnv = environmentOf(synth, 'Gateway/Function/Resource');
    recorderEnv = environmentOf(synth, 'Usage/Recorder/Resource');
  });

  it('graphs every metric the gateway and the recorder emit, by the namespace and dimensions they write', () => {
    // Prepare
    const emitted = [
      ...emittedMetrics(gatewayEnv, gatewayEnv.POWERTOOLS_SERVICE_NAME as string),
      ...emittedMetrics(recorderEnv, recorderEnv.POWERTOOLS_SERVICE_NAME as string),
    ];
    const rows = dashboardWidgets(synth.template).flatMap((each) => each.properties.metrics ?? []);

    // Act
    const missing = emitted.filter((metric) => !rows.some((row) => reads(row, metric)));

    // Assess
    assert.deepEqual(
      [...new Set(emitted.map((metric) => metric.name))].sort(),
      Object.values(METRIC_NAMES).sort(),
    );
    assert.deepEqual(missing, []);
  });

  it('graphs percentiles for the timings and sums for the counts', () => {
    // Prepare
    const widgets = dashboardWidgets(synth.template);
    const statsOf = (title: string) =>
      (widget(widgets, title).properties.metrics ?? []).map((row) => {
        const options = row.at(-1) as { expression?: string; stat?: string };
        return options.expression ? /', '([^']+)', 300\)$/.exec(options.expression)?.[1] : options.stat;
      });

    // Assess
    assert.deepEqual(statsOf('Requests by route'), ['Sum']);
    assert.deepEqual(statsOf('Errors by type'), ['Sum']);
    assert.deepEqual(statsOf('Failovers by route'), ['Sum']);
    assert.deepEqual(statsOf('Session guesses: hit / moved / none'), ['Sum', 'Sum', 'Sum']);
    assert.deepEqual(statsOf('Upstream latency p50 / p99 (ms)'), ['p50', 'p99']);
    assert.deepEqual(statsOf('Time to first token p50 / p99 (ms)'), ['p50', 'p99']);
    assert.deepEqual(statsOf('Slot wait p99 (ms)'), ['p99']);
    assert.deepEqual(statsOf('Recorder lag p50 / p99 (ms)'), ['p50', 'p99']);
  });

  it('alarms when over 5% of at least 10 requests fail with a server-side error in 2 of 3 periods', () => {
    const gatewayId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Gateway/Function/Resource');
    const errors = (errorType: string) =>
      Match.objectLike({
        MetricStat: Match.objectLike({
          Metric: {
            Namespace: gatewayEnv.POWERTOOLS_METRICS_NAMESPACE,
            MetricName: METRIC_NAMES.errors,
            Dimensions: [
              { Name: 'errorType', Value: errorType },
              { Name: 'service', Value: gatewayEnv.POWERTOOLS_SERVICE_NAME },
            ],
          },
          Period: 300,
          Stat: 'Sum',
        }),
        ReturnData: false,
      });
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `quotagate-${TEST_STAGE}-gateway-server-error-rate`,
      Threshold: 5,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Metrics: Match.arrayWith([
        Match.objectLike({
          Expression: 'IF(requests >= 10, 100 * (FILL(errors0, 0) + FILL(errors1, 0)) / requests, 0)',
          ReturnData: true,
        }),
        Match.objectLike({
          Id: 'requests',
          MetricStat: Match.objectLike({
            Metric: {
              Namespace: 'AWS/Lambda',
              MetricName: 'Invocations',
              Dimensions: [{ Name: 'FunctionName', Value: { Ref: gatewayId } }],
            },
            Stat: 'Sum',
          }),
        }),
        errors('api_error'),
        errors('upstream_error'),
      ]),
    });
  });

  it('alarms when the recorder lag p99 stays above 5 minutes in 2 of 3 periods', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `quotagate-${TEST_STAGE}-recorder-lag`,
      Threshold: 300_000,
      ComparisonOperator: 'GreaterThanThreshold',
      EvaluationPeriods: 3,
      DatapointsToAlarm: 2,
      TreatMissingData: 'notBreaching',
      Metrics: [
        Match.objectLike({
          MetricStat: {
            Metric: {
              Namespace: recorderEnv.POWERTOOLS_METRICS_NAMESPACE,
              MetricName: METRIC_NAMES.recorderLag,
              Dimensions: [{ Name: 'service', Value: recorderEnv.POWERTOOLS_SERVICE_NAME }],
            },
            Period: 300,
            Stat: 'p99',
          },
        }),
      ],
    });
  });

  it('shows the two alarms in the dashboard status and marks their thresholds on the graphs', () => {
    // Prepare
    const widgets = dashboardWidgets(synth.template);
    const annotations = (title: string) =>
      (widget(widgets, title).properties as { annotations?: { horizontal: { value: number }[] } }).annotations
        ?.horizontal;

    // Assess
    const alarmIds = ['GatewayServerErrorRate', 'RecorderLag'].map((name) =>
      logicalIdByPath(synth.template, 'AWS::CloudWatch::Alarm', `Monitoring/${name}/Resource`),
    );
    for (const id of alarmIds) assert.ok(widget(widgets, 'Alarms').properties.alarms?.includes(id), id);
    assert.deepEqual(
      annotations('Server errors (% of requests)')?.map((line) => line.value),
      [5],
    );
    assert.deepEqual(
      annotations('Recorder lag p50 / p99 (ms)')?.map((line) => line.value),
      [300_000],
    );
  });

  it('takes the thresholds from the context', () => {
    // Act
    const tuned = synthTestStack({
      alarmServerErrorRatePercent: '2.5',
      alarmServerErrorMinRequests: 50,
      alarmRecorderLagSeconds: '120',
    });

    // Assess
    tuned.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `quotagate-${TEST_STAGE}-gateway-server-error-rate`,
      Threshold: 2.5,
      Metrics: Match.arrayWith([
        Match.objectLike({ Expression: Match.stringLikeRegexp('^IF\\(requests >= 50,') }),
      ]),
    });
    tuned.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `quotagate-${TEST_STAGE}-recorder-lag`,
      Threshold: 120_000,
    });
  });

  it('rejects thresholds that cannot work', () => {
    const configFrom = (context: Record<string, unknown>) => readStackConfig(new App({ context }).node);
    assert.throws(() => configFrom({ alarmServerErrorRatePercent: 0 }), /alarmServerErrorRatePercent/);
    assert.throws(() => configFrom({ alarmServerErrorRatePercent: 101 }), /alarmServerErrorRatePercent/);
    assert.throws(() => configFrom({ alarmServerErrorRatePercent: 'many' }), /alarmServerErrorRatePercent/);
    assert.throws(() => configFrom({ alarmServerErrorMinRequests: 0 }), /alarmServerErrorMinRequests/);
    assert.throws(() => configFrom({ alarmServerErrorMinRequests: 2.5 }), /alarmServerErrorMinRequests/);
    assert.throws(() => configFrom({ alarmRecorderLagSeconds: 0 }), /alarmRecorderLagSeconds/);
    assert.deepEqual(configFrom({}).alarmThresholds, {
      serverErrorRatePercent: 5,
      serverErrorMinRequests: 10,
      recorderLagSeconds: 300,
    });
  });
});
