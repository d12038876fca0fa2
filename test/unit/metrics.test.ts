import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import { createGatewayMetrics } from '#shared/observability/gateway-metrics.ts';

interface Line {
  _aws: {
    Timestamp: number;
    CloudWatchMetrics: {
      Namespace: string;
      Dimensions: string[][];
      Metrics: { Name: string; Unit: string }[];
    }[];
  };
  [key: string]: unknown;
}

function collect() {
  const lines: Line[] = [];
  const metrics = createGatewayMetrics({
    namespace: 'QuotagateTest',
    serviceName: 'gateway',
    sink: (emf: EmfOutput) => lines.push(JSON.parse(JSON.stringify(emf)) as Line),
  });
  return { lines, metrics };
}

const definition = (line: Line | undefined) => line?._aws.CloudWatchMetrics[0];

describe('GatewayMetrics', () => {
  it('emits one EMF line per successful request with its timings, by service and route', () => {
    // Prepare
    const { lines, metrics } = collect();

    // Act
    metrics.requestEnded({
      requestId: 'req_1',
      route: '/v1/responses',
      status: 200,
      upstreamLatencyMs: 420,
      ttftMs: 610,
      slotWaitMs: 3,
      failovers: 1,
    });

    // Assess
    assert.equal(lines.length, 1);
    const line = lines[0] as Line;
    assert.equal(definition(line)?.Namespace, 'QuotagateTest');
    assert.deepEqual(definition(line)?.Dimensions, [['service', 'route']]);
    assert.deepEqual(
      definition(line)
        ?.Metrics.map(({ Name, Unit }) => `${Name}:${Unit}`)
        .sort(),
      [
        'Failovers:Count',
        'Requests:Count',
        'SlotWaitTime:Milliseconds',
        'TimeToFirstToken:Milliseconds',
        'UpstreamLatency:Milliseconds',
      ],
    );
    assert.equal(line.service, 'gateway');
    assert.equal(line.route, '/v1/responses');
    assert.equal(line.Requests, 1);
    assert.equal(line.UpstreamLatency, 420);
    assert.equal(line.TimeToFirstToken, 610);
    assert.equal(line.SlotWaitTime, 3);
    assert.equal(line.Failovers, 1);
    assert.equal(line.requestId, 'req_1');
    assert.equal(line.status, '200');
  });

  it('adds an Errors line by error type for a failed request, and leaves out timings it lacks', () => {
    // Prepare
    const { lines, metrics } = collect();

    // Act
    metrics.requestEnded({
      requestId: 'req_2',
      route: '/v1/responses',
      status: 429,
      errorType: 'rate_limit_error',
    });

    // Assess
    assert.equal(lines.length, 2);
    const [request, error] = lines as [Line, Line];
    assert.deepEqual(
      definition(request)
        ?.Metrics.map((metric) => metric.Name)
        .sort(),
      ['Failovers', 'Requests'],
    );
    assert.deepEqual(definition(error)?.Dimensions, [['service', 'errorType']]);
    assert.deepEqual(
      definition(error)?.Metrics.map((metric) => metric.Name),
      ['Errors'],
    );
    assert.equal(error.errorType, 'rate_limit_error');
    assert.equal(error.Errors, 1);
    assert.equal(error.requestId, 'req_2');
    assert.equal(error.route, '/v1/responses');
  });

  it('keeps requests apart: no dimension or metric of one request leaks into the next line', () => {
    // Prepare
    const { lines, metrics } = collect();

    // Act
    metrics.requestEnded({ route: '/v1/responses', status: 500, errorType: 'api_error', ttftMs: 9 });
    metrics.requestEnded({ route: '/v1/models', status: 200 });

    // Assess
    const last = lines.at(-1) as Line;
    assert.equal(last.route, '/v1/models');
    assert.equal(last.errorType, undefined);
    assert.equal(last.TimeToFirstToken, undefined);
  });

  it('reports recorder lag on its own line', () => {
    // Prepare
    const { lines, metrics } = collect();

    // Act
    metrics.recorderLag(1250, 'req_3');

    // Assess
    assert.deepEqual(definition(lines[0])?.Metrics, [{ Name: 'RecorderLag', Unit: 'Milliseconds' }]);
    assert.equal(lines[0]?.RecorderLag, 1250);
  });

  it('reports the 21st distinct route as "other", bounding dimension cardinality', () => {
    // Prepare
    const { lines, metrics } = collect();

    // Act
    for (let index = 0; index < 21; index += 1) metrics.requestEnded({ route: `/r${index}`, status: 404 });

    // Assess
    assert.equal(lines.at(-2)?.route, '/r19');
    assert.equal(lines.at(-1)?.route, 'other');
  });

  it('writes EMF JSON to stdout by default, as Lambda expects', () => {
    // Prepare: Powertools' console writes through process.stdout
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    const previousDev = process.env.POWERTOOLS_DEV;
    delete process.env.POWERTOOLS_DEV;
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      // Act
      createGatewayMetrics({ namespace: 'QuotagateTest' }).requestEnded({ route: '/health', status: 200 });
    } finally {
      process.stdout.write = original;
      if (previousDev !== undefined) process.env.POWERTOOLS_DEV = previousDev;
    }

    // Assess
    const line = JSON.parse(written.join('').trim()) as Line;
    assert.equal(definition(line)?.Namespace, 'QuotagateTest');
    assert.equal(line.Requests, 1);
  });

  it('writes nothing with the "none" sink', () => {
    // Prepare
    const written: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: string | Uint8Array) => {
      written.push(String(chunk));
      return true;
    }) as typeof process.stdout.write;
    try {
      // Act
      createGatewayMetrics({ sink: 'none' }).requestEnded({ route: '/health', status: 200, errorType: 'x' });
    } finally {
      process.stdout.write = original;
    }

    // Assess
    assert.deepEqual(written, []);
  });
});
