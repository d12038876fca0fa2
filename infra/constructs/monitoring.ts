/**
 * Alarms and a one-screen dashboard for one deployment. Alarms fire on the things that lose
 * requests or money: gateway errors and throttles, recorder failures, and any usage event parked
 * in the dead-letter queue (each on its first occurrence); and, from the functions' own EMF
 * metrics, a sustained rate of server-side errors and a recorder falling behind (thresholds from
 * the stack config). With an SNS topic configured (`alarmTopicArn`) they notify it.
 *
 * @example
 * ```ts
 * new Monitoring(this, 'Monitoring', { stage, gateway, usage, tables, alarmThresholds: DEFAULT_ALARM_THRESHOLDS });
 * ```
 */
import { Duration } from 'aws-cdk-lib';
import {
  Alarm,
  AlarmStatusWidget,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { Construct } from 'constructs';
import { METRIC_NAMES } from '#shared/observability/gateway-metrics.ts';
import type { AlarmThresholds } from '../stack-config.ts';
import { notifyAlarms } from './alarm-topic.ts';
import type { Gateway } from './gateway.ts';
import { EmfMetrics, type GatewayMetricName } from './monitoring-metrics.ts';
import { METRICS_NAMESPACE } from './quotagate-function.ts';
import type { QuotagateTables } from './quotagate-tables.ts';
import type { UsagePipeline } from './usage-pipeline.ts';

const PERIOD = Duration.minutes(5);
/** The EMF alarms fire on a condition that held in 2 of the last 3 periods, not on one blip. */
const SUSTAINED = { evaluationPeriods: 3, datapointsToAlarm: 2 } as const;

export interface MonitoringProps {
  readonly stage: string;
  readonly gateway: Gateway;
  readonly usage: UsagePipeline;
  readonly tables: QuotagateTables;
  /** Topic the alarms notify; none means the alarms only change state. */
  readonly alarmTopicArn?: string;
  readonly alarmThresholds: AlarmThresholds;
}

export class Monitoring extends Construct {
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stage, gateway, usage, tables, alarmThresholds: thresholds } = props;
    const gatewayFn = gateway.function;
    const recorderFn = usage.recorder;
    const emf = new EmfMetrics({
      namespace: METRICS_NAMESPACE,
      gatewayService: gatewayFn.serviceName,
      recorderService: recorderFn.serviceName,
      period: PERIOD,
    });
    const serverErrorRate = emf.serverErrorRate(
      gatewayFn.metricInvocations({ statistic: 'Sum', period: PERIOD }),
      thresholds.serverErrorMinRequests,
    );
    const lagThresholdMs = thresholds.recorderLagSeconds * 1000;

    const ruleMetric = (metricName: string): Metric =>
      new Metric({
        namespace: 'AWS/Events',
        metricName,
        dimensionsMap: { EventBusName: usage.bus.eventBusName, RuleName: usage.ruleName },
        statistic: 'Sum',
        period: PERIOD,
      });
    const deadLetters = usage.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
      statistic: 'Maximum',
      period: PERIOD,
    });

    // Each alarm trips on the first occurrence: every one of these is a failed request or a
    // usage record not (yet) written, and none happens in normal operation.
    const alarm = (id: string, name: string, metric: IMetric, description: string): Alarm =>
      new Alarm(this, id, {
        alarmName: `quotagate-${stage}-${name}`,
        alarmDescription: description,
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
    this.alarms = [
      alarm(
        'GatewayErrors',
        'gateway-errors',
        gatewayFn.metricErrors({ statistic: 'Sum', period: PERIOD }),
        'The gateway function failed (uncaught error or timeout); the client got no proper answer.',
      ),
      alarm(
        'GatewayThrottles',
        'gateway-throttles',
        gatewayFn.metricThrottles({ statistic: 'Sum', period: PERIOD }),
        'Gateway invocations were throttled (reserved or account concurrency exhausted); clients got 429 from Lambda.',
      ),
      alarm(
        'RecorderErrors',
        'recorder-errors',
        recorderFn.metricErrors({ statistic: 'Sum', period: PERIOD }),
        'The recorder threw while recording usage; Lambda retries, then parks the event in the dead-letter queue.',
      ),
      alarm(
        'UsageDeadLetters',
        'usage-dead-letters',
        deadLetters,
        `Usage events sit in ${usage.deadLetterQueue.queueName}: they are not recorded or charged until redriven.`,
      ),
      new Alarm(this, 'GatewayServerErrorRate', {
        alarmName: `quotagate-${stage}-gateway-server-error-rate`,
        alarmDescription:
          `More than ${thresholds.serverErrorRatePercent}% of gateway requests failed with api_error or ` +
          `upstream_error (HTTP 5xx) in 2 of 3 five-minute periods with at least ` +
          `${thresholds.serverErrorMinRequests} requests: upstream accounts or the gateway itself are failing.`,
        metric: serverErrorRate,
        threshold: thresholds.serverErrorRatePercent,
        ...SUSTAINED,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
      new Alarm(this, 'RecorderLag', {
        alarmName: `quotagate-${stage}-recorder-lag`,
        alarmDescription:
          `Usage records are applied more than ${thresholds.recorderLagSeconds} s (p99) after their ` +
          'response ended, in 2 of 3 five-minute periods: balances and quotas lag behind spending.',
        metric: emf.recorderLag('p99'),
        threshold: lagThresholdMs,
        ...SUSTAINED,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      }),
    ];
    notifyAlarms(this, props.alarmTopicArn, this.alarms);

    const graph = (title: string, left: IMetric[], right: IMetric[] = [], threshold?: number): GraphWidget =>
      new GraphWidget({
        title,
        left,
        right,
        width: 8,
        height: 6,
        ...(threshold === undefined ? {} : { leftAnnotations: [{ value: threshold, label: 'alarm' }] }),
      });
    const percentiles = (title: string, metric: GatewayMetricName) =>
      graph(
        title,
        ['p50', 'p99'].map((statistic) => emf.gatewayByRoute(metric, statistic)),
      );
    const tableList = [tables.byId.config, tables.byId.state, tables.byId.usage];
    this.dashboard = new Dashboard(this, 'Dashboard', {
      dashboardName: `quotagate-${stage}`,
      defaultInterval: Duration.hours(3),
    });
    this.dashboard.addWidgets(
      new AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms], width: 24, height: 3 }),
    );
    this.dashboard.addWidgets(
      graph(
        'Gateway requests',
        [gatewayFn.metricInvocations({ statistic: 'Sum', period: PERIOD })],
        [
          gatewayFn.metricErrors({ statistic: 'Sum', period: PERIOD }),
          gatewayFn.metricThrottles({ statistic: 'Sum', period: PERIOD }),
        ],
      ),
      graph(
        'Gateway duration (whole stream)',
        ['p50', 'p90', 'p99'].map((statistic) => gatewayFn.metricDuration({ statistic, period: PERIOD })),
      ),
      graph('Gateway concurrency', [
        gatewayFn.metric('ConcurrentExecutions', { statistic: 'Maximum', period: PERIOD }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Requests by route', [emf.gatewayByRoute(METRIC_NAMES.requests, 'Sum')]),
      graph('Errors by type', [emf.errorsByType()]),
      graph('Server errors (% of requests)', [serverErrorRate], [], thresholds.serverErrorRatePercent),
    );
    this.dashboard.addWidgets(
      percentiles('Upstream latency p50 / p99 (ms)', METRIC_NAMES.upstreamLatency),
      percentiles('Time to first token p50 / p99 (ms)', METRIC_NAMES.timeToFirstToken),
      graph('Slot wait p99 (ms)', [emf.gatewayByRoute(METRIC_NAMES.slotWaitTime, 'p99')]),
    );
    this.dashboard.addWidgets(
      graph('Failovers by route', [emf.gatewayByRoute(METRIC_NAMES.failovers, 'Sum')]),
      graph('Session guesses: hit / moved / none', [
        emf.gatewayByRoute(METRIC_NAMES.sessionGuessHit, 'Sum', 'hit'),
        emf.gatewayByRoute(METRIC_NAMES.sessionGuessMoved, 'Sum', 'moved'),
        emf.gatewayByRoute(METRIC_NAMES.sessionGuessNone, 'Sum', 'none'),
      ]),
      graph(
        'Recorder lag p50 / p99 (ms)',
        [emf.recorderLag('p50'), emf.recorderLag('p99')],
        [],
        lagThresholdMs,
      ),
    );
    this.dashboard.addWidgets(
      graph('Usage events delivered', [ruleMetric('Invocations')], [ruleMetric('FailedInvocations')]),
      graph(
        'Recorder',
        [recorderFn.metricInvocations({ statistic: 'Sum', period: PERIOD })],
        [recorderFn.metricErrors({ statistic: 'Sum', period: PERIOD }), deadLetters],
      ),
      graph(
        'DynamoDB throttle events',
        tableList.flatMap((table) =>
          ['ReadThrottleEvents', 'WriteThrottleEvents'].map((name) =>
            table.metric(name, { statistic: 'Sum', period: PERIOD }),
          ),
        ),
      ),
    );
    this.dashboard.addWidgets(
      graph(
        'DynamoDB write units',
        tableList.map((table) =>
          table.metricConsumedWriteCapacityUnits({ statistic: 'Sum', period: PERIOD }),
        ),
      ),
      graph(
        'DynamoDB read units',
        tableList.map((table) => table.metricConsumedReadCapacityUnits({ statistic: 'Sum', period: PERIOD })),
      ),
      graph('Lease contention (State conditional check failures)', [
        tables.byId.state.metricConditionalCheckFailedRequests({ statistic: 'Sum', period: PERIOD }),
      ]),
    );
  }
}
