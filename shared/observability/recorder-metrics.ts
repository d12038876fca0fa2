/**
 * The recorder's CloudWatch metric, `RecorderLag`: how long after a response ended its usage
 * record was applied, i.e. how stale balances and quotas can be. One sample per record a delivery
 * applied (`recorded`, or `completed` after an earlier delivery died), none for a duplicate that
 * found the record already applied, so redeliveries neither add samples nor count twice.
 *
 * The lag runs from the event's `endedAt` (the gateway's clock) to the record's `appliedAt` (the
 * recorder's clock, written in the same call that applied it). The two clocks can disagree by a
 * few milliseconds, so a negative difference reads 0.
 *
 * Written through {@link createGatewayMetrics}, the one place metric names and dimensions are
 * spelled; the `service` dimension is the function's POWERTOOLS_SERVICE_NAME, else `recorder`.
 *
 * @example
 * ```ts
 * const metrics = createRecorderMetrics(); // EMF on stdout, namespace from POWERTOOLS_METRICS_NAMESPACE
 * const runtime = createRecorderRuntime({ tables, client, logger, onRecorded: metrics.recorded });
 * ```
 */
import type { RecordOutcome } from '../recorder/record-usage.ts';
import type { UsageRecord } from '../recorder/usage-record.ts';
import { createGatewayMetrics, type MetricsSink } from './gateway-metrics.ts';

/** The `service` dimension of the recorder's metrics when POWERTOOLS_SERVICE_NAME is unset. */
export const RECORDER_SERVICE_NAME = 'recorder';

export interface RecorderMetricsOptions {
  /** Defaults to POWERTOOLS_METRICS_NAMESPACE, else `Quotagate`. */
  namespace?: string;
  /** Defaults to POWERTOOLS_SERVICE_NAME, else {@link RECORDER_SERVICE_NAME}. */
  serviceName?: string;
  /** Defaults to stdout (Lambda). */
  sink?: MetricsSink;
}

/** The part of a `record()` result ({@link RecordOutcome}) the metric reads. */
export interface RecordedUsage {
  outcome: RecordOutcome['outcome'];
  record: Pick<UsageRecord, 'requestId' | 'endedAt' | 'appliedAt'>;
}

export interface RecorderMetrics {
  /** Reports one result of `record()`; needs no `this`, ready to pass as `onRecorded`. */
  readonly recorded: (result: RecordedUsage) => void;
}

/**
 * The lag of a record this delivery applied, in milliseconds; `undefined` for a duplicate (or a
 * record without `appliedAt`, which an applied one always has).
 */
export function recorderLagMs(result: RecordedUsage): number | undefined {
  if (result.outcome === 'duplicate' || result.record.appliedAt === undefined) return undefined;
  const lag = Date.parse(result.record.appliedAt) - Date.parse(result.record.endedAt);
  return Number.isFinite(lag) ? Math.max(0, lag) : undefined;
}

export function createRecorderMetrics(options: RecorderMetricsOptions = {}): RecorderMetrics {
  const metrics = createGatewayMetrics({
    serviceName: options.serviceName ?? (process.env.POWERTOOLS_SERVICE_NAME || RECORDER_SERVICE_NAME),
    ...(options.namespace ? { namespace: options.namespace } : {}),
    ...(options.sink ? { sink: options.sink } : {}),
  });
  return {
    recorded(result) {
      const lag = recorderLagMs(result);
      if (lag === undefined) return;
      try {
        metrics.recorderLag(lag, result.record.requestId);
      } catch {
        // A lost sample must not fail a delivery whose record is written: its retry would be a
        // duplicate, and the error would only page someone about a metric.
      }
    },
  };
}
