/**
 * The gateway's CloudWatch metrics, as Embedded Metric Format lines written by Powertools
 * Metrics: no API call, no extra latency, CloudWatch extracts them from the function's log.
 *
 * | metric             | unit         | dimensions                 | when                            |
 * | ------------------ | ------------ | -------------------------- | ------------------------------- |
 * | `Requests`         | Count        | service, route             | every request                   |
 * | `UpstreamLatency`  | Milliseconds | service, route             | an upstream answered            |
 * | `TimeToFirstToken` | Milliseconds | service, route             | a first output token was seen   |
 * | `SlotWaitTime`     | Milliseconds | service, route             | the request held a user slot    |
 * | `Failovers`        | Count        | service, route             | every request (0 when none)     |
 * | `SessionGuessHit`  | Count        | service, route             | session, account selected (0/1) |
 * | `SessionGuessMoved`| Count        | service, route             | session, account selected (0/1) |
 * | `SessionGuessNone` | Count        | service, route             | session, account selected (0/1) |
 * | `Errors`           | Count        | service, errorType         | the request failed or was refused |
 * | `RecorderLag`      | Milliseconds | service                    | the recorder wrote a record     |
 *
 * The three `SessionGuess*` metrics say what this instance's memory of a session did for the
 * request's account selection (account-selector.ts): it guessed the account the binding named
 * (`Hit`, the request saved a round trip), guessed another (`Moved`: the binding moved or lapsed,
 * one Put and one Delete spent for nothing), or had nothing to guess (`None`). Exactly one is 1 on
 * each line that has them, so each one's Average is its share of requests with a session.
 *
 * Each call emits its line at once (one per request, two for a failed one), so metrics of
 * concurrent requests in one process (the local stack) never mix in a shared buffer. The request
 * id and the status go along as EMF metadata: searchable in the log, free of dimension cost.
 *
 * Dimension values become separate CloudWatch metrics, so pass the matched route (never a raw
 * client path) and an error type from a fixed set; as a guard, the 21st distinct route or 31st
 * distinct error type a process sees is reported as `other`.
 *
 * @example
 * ```ts
 * const metrics = createGatewayMetrics(); // namespace from POWERTOOLS_METRICS_NAMESPACE
 * metrics.requestEnded({ requestId, route: '/v1/responses', status: 200, upstreamLatencyMs: 420, ttftMs: 610, slotWaitMs: 3, failovers: 0 });
 * ```
 */
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EmfOutput } from '@aws-lambda-powertools/metrics/types';
import type { SessionGuess } from '../concurrency/contracts.ts';

/** Where EMF lines go: stdout (Lambda), nowhere (local stack), or a function (tests). */
export type MetricsSink = 'stdout' | 'none' | ((emf: EmfOutput) => void);

export interface RequestEndedMetrics {
  /** Carried as metadata, so a metric sample can be traced to its request. */
  requestId?: string;
  /** The matched route, e.g. `/v1/responses`; `unmatched` for unknown paths. */
  route: string;
  status: number;
  /** Set when the request failed or was refused (also after the stream started). */
  errorType?: string;
  /** Time until the (last) upstream's response headers. */
  upstreamLatencyMs?: number;
  ttftMs?: number;
  slotWaitMs?: number;
  /** Accounts switched after upstream failures. */
  failovers?: number;
  /** For a request with a session that got an account (a failed selection leaves it out). */
  sessionGuess?: SessionGuess;
}

export interface GatewayMetrics {
  requestEnded(metrics: RequestEndedMetrics): void;
  /** Time from the end of a request to its usage record being written. */
  recorderLag(ms: number, requestId?: string): void;
}

export interface GatewayMetricsOptions {
  /** Defaults to POWERTOOLS_METRICS_NAMESPACE, else `Quotagate`. */
  namespace?: string;
  /** Defaults to POWERTOOLS_SERVICE_NAME (Powertools reads it), else `gateway`. */
  serviceName?: string;
  sink?: MetricsSink;
}

export const METRIC_NAMES = {
  requests: 'Requests',
  errors: 'Errors',
  upstreamLatency: 'UpstreamLatency',
  timeToFirstToken: 'TimeToFirstToken',
  slotWaitTime: 'SlotWaitTime',
  failovers: 'Failovers',
  sessionGuessHit: 'SessionGuessHit',
  sessionGuessMoved: 'SessionGuessMoved',
  sessionGuessNone: 'SessionGuessNone',
  recorderLag: 'RecorderLag',
} as const;

/**
 * Dimension names, as the dashboard and alarms must spell them. `service` is Powertools' own
 * default dimension (the service name); the others are added per line.
 */
export const METRIC_DIMENSIONS = {
  service: 'service',
  route: 'route',
  errorType: 'errorType',
} as const;

const MAX_ROUTES = 20;
const MAX_ERROR_TYPES = 30;

/** Keeps a dimension's values to a bounded set: new values past the bound read `other`. */
function boundedValues(max: number): (value: string) => string {
  const seen = new Set<string>();
  return (raw) => {
    const value = raw.trim().slice(0, 100) || 'unknown';
    if (seen.has(value)) return value;
    if (seen.size >= max) return 'other';
    seen.add(value);
    return value;
  };
}

function milliseconds(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 0 ? value : undefined;
}

export function createGatewayMetrics(options: GatewayMetricsOptions = {}): GatewayMetrics {
  const sink = options.sink ?? 'stdout';
  const metrics = new Metrics({
    namespace: options.namespace ?? (process.env.POWERTOOLS_METRICS_NAMESPACE || 'Quotagate'),
    serviceName: options.serviceName ?? (process.env.POWERTOOLS_SERVICE_NAME || 'gateway'),
  });
  const route = boundedValues(MAX_ROUTES);
  const errorType = boundedValues(MAX_ERROR_TYPES);

  const flush = () => {
    if (sink === 'stdout') {
      metrics.publishStoredMetrics();
      return;
    }
    try {
      if (typeof sink === 'function') sink(metrics.serializeMetrics());
    } finally {
      metrics.clearMetrics();
      metrics.clearDimensions();
      metrics.clearMetadata();
    }
  };
  const add = (
    name: string,
    unit: (typeof MetricUnit)[keyof typeof MetricUnit],
    value: number | undefined,
  ) => {
    if (value !== undefined) metrics.addMetric(name, unit, value);
  };

  return {
    requestEnded(request) {
      const routeValue = route(request.route);
      const common = (): void => {
        if (request.requestId) metrics.addMetadata('requestId', request.requestId);
        metrics.addMetadata('status', String(request.status));
      };
      metrics.addDimension(METRIC_DIMENSIONS.route, routeValue);
      common();
      add(METRIC_NAMES.requests, MetricUnit.Count, 1);
      add(METRIC_NAMES.upstreamLatency, MetricUnit.Milliseconds, milliseconds(request.upstreamLatencyMs));
      add(METRIC_NAMES.timeToFirstToken, MetricUnit.Milliseconds, milliseconds(request.ttftMs));
      add(METRIC_NAMES.slotWaitTime, MetricUnit.Milliseconds, milliseconds(request.slotWaitMs));
      add(METRIC_NAMES.failovers, MetricUnit.Count, Math.max(0, Math.trunc(request.failovers ?? 0)));
      const guess = request.sessionGuess;
      if (guess !== undefined) {
        add(METRIC_NAMES.sessionGuessHit, MetricUnit.Count, guess === 'hit' ? 1 : 0);
        add(METRIC_NAMES.sessionGuessMoved, MetricUnit.Count, guess === 'moved' ? 1 : 0);
        add(METRIC_NAMES.sessionGuessNone, MetricUnit.Count, guess === 'none' ? 1 : 0);
      }
      flush();
      if (request.errorType === undefined) return;
      metrics.addDimension(METRIC_DIMENSIONS.errorType, errorType(request.errorType));
      common();
      metrics.addMetadata('route', routeValue);
      add(METRIC_NAMES.errors, MetricUnit.Count, 1);
      flush();
    },
    recorderLag(ms, requestId) {
      const lag = milliseconds(ms);
      if (lag === undefined) return;
      if (requestId) metrics.addMetadata('requestId', requestId);
      add(METRIC_NAMES.recorderLag, MetricUnit.Milliseconds, lag);
      flush();
    },
  };
}
