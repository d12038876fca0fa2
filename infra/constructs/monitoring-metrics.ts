/**
 * The gateway's and recorder's own (EMF) metrics as CloudWatch stores them, for the dashboard and
 * the alarms. Names and dimensions come from shared/observability, the code that writes them;
 * namespace and service names from the stack, which hands them to the functions as
 * POWERTOOLS_METRICS_NAMESPACE and POWERTOOLS_SERVICE_NAME.
 *
 * The gateway's timings carry a `route` dimension, so one CloudWatch metric exists per route. A
 * graph finds them all with a SEARCH expression (new routes appear by themselves); an alarm
 * cannot use SEARCH, so the alarms use metrics without `route` (`Errors`, `RecorderLag`) and
 * Lambda's own invocation count.
 *
 * @example
 * ```ts
 * const emf = new EmfMetrics({ namespace: METRICS_NAMESPACE, gatewayService: 'gateway', recorderService: 'recorder', period });
 * new GraphWidget({ title: 'Requests by route', left: [emf.gatewayByRoute(METRIC_NAMES.requests, 'Sum')] });
 * ```
 */
import type { Duration } from 'aws-cdk-lib';
import { type IMetric, MathExpression, Metric, SearchExpression } from 'aws-cdk-lib/aws-cloudwatch';
import type { ErrorType } from '#shared/errors.ts';
import { METRIC_DIMENSIONS, METRIC_NAMES } from '#shared/observability/gateway-metrics.ts';

export type GatewayMetricName = (typeof METRIC_NAMES)[keyof typeof METRIC_NAMES];

/** The error types that mean the gateway or its upstreams failed the client (HTTP 5xx). */
export const SERVER_ERROR_TYPES: readonly ErrorType[] = ['api_error', 'upstream_error'];

export interface EmfMetricsProps {
  readonly namespace: string;
  readonly gatewayService: string;
  readonly recorderService: string;
  readonly period: Duration;
}

/** CloudWatch's dynamic label: each series of a SEARCH is named by its value of `dimension`. */
function dimensionLabel(dimension: string): string {
  return `\${PROP('Dim.${dimension}')}`;
}

export class EmfMetrics {
  constructor(private readonly props: EmfMetricsProps) {}

  /**
   * One series per route of a gateway metric, labelled with the route (graphs only), after
   * `prefix` where one graph shows several metrics.
   */
  gatewayByRoute(metricName: GatewayMetricName, statistic: string, prefix?: string): SearchExpression {
    const route = `${prefix ? `${prefix} ` : ''}${dimensionLabel(METRIC_DIMENSIONS.route)}`;
    const label = statistic === 'Sum' ? route : `${route} ${statistic}`;
    return this.search([METRIC_DIMENSIONS.route], metricName, statistic, label);
  }

  /** One series per error type of `Errors` (graphs only). */
  errorsByType(): SearchExpression {
    const label = dimensionLabel(METRIC_DIMENSIONS.errorType);
    return this.search([METRIC_DIMENSIONS.errorType], METRIC_NAMES.errors, 'Sum', label);
  }

  /** Requests that failed with `errorType`, summed per period. */
  errors(errorType: string): Metric {
    return new Metric({
      namespace: this.props.namespace,
      metricName: METRIC_NAMES.errors,
      dimensionsMap: {
        [METRIC_DIMENSIONS.service]: this.props.gatewayService,
        [METRIC_DIMENSIONS.errorType]: errorType,
      },
      statistic: 'Sum',
      period: this.props.period,
      label: errorType,
    });
  }

  /** Milliseconds from a response's end to its usage record being applied. */
  recorderLag(statistic: string): Metric {
    return new Metric({
      namespace: this.props.namespace,
      metricName: METRIC_NAMES.recorderLag,
      dimensionsMap: { [METRIC_DIMENSIONS.service]: this.props.recorderService },
      statistic,
      period: this.props.period,
      label: `Recorder lag ${statistic}`,
    });
  }

  /**
   * Percent of requests that ended in a server-side error; 0 while fewer than `minRequests`
   * arrived, so a quiet deployment's single failure stays below any threshold. `requests` is
   * Lambda's invocation count: one invocation per request behind the Function URL.
   */
  serverErrorRate(requests: IMetric, minRequests: number): MathExpression {
    const usingMetrics: Record<string, IMetric> = { requests };
    for (const [index, errorType] of SERVER_ERROR_TYPES.entries()) {
      usingMetrics[`errors${index}`] = this.errors(errorType);
    }
    // FILL: an error type without failures in a period has no datapoint, not a 0.
    const errors = SERVER_ERROR_TYPES.map((_, index) => `FILL(errors${index}, 0)`).join(' + ');
    return new MathExpression({
      expression: `IF(requests >= ${minRequests}, 100 * (${errors}) / requests, 0)`,
      usingMetrics,
      period: this.props.period,
      label: 'Server errors (% of requests)',
    });
  }

  private search(dimensions: string[], metricName: string, statistic: string, label: string) {
    const { namespace, gatewayService, period } = this.props;
    const schema = [`"${namespace}"`, METRIC_DIMENSIONS.service, ...dimensions].join(',');
    const query = `{${schema}} MetricName="${metricName}" ${METRIC_DIMENSIONS.service}="${gatewayService}"`;
    return new SearchExpression({
      expression: `SEARCH('${query}', '${statistic}', ${period.toSeconds()})`,
      label,
      period,
    });
  }
}
