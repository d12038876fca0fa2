/**
 * Alarms and a one-screen dashboard for one deployment. Alarms fire on the things that lose
 * requests or money: gateway errors and throttles, recorder failures, and any usage event parked
 * in the dead-letter queue. With an SNS topic configured (`alarmTopicArn`) they notify it.
 *
 * @example
 * ```ts
 * new Monitoring(this, 'Monitoring', { stage, gateway, usage, tables });
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
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import type { Gateway } from './gateway.ts';
import type { QuotagateTables } from './quotagate-tables.ts';
import type { UsagePipeline } from './usage-pipeline.ts';

const PERIOD = Duration.minutes(5);

export interface MonitoringProps {
  readonly stage: string;
  readonly gateway: Gateway;
  readonly usage: UsagePipeline;
  readonly tables: QuotagateTables;
  /** Topic the alarms notify; none means the alarms only change state. */
  readonly alarmTopicArn?: string;
}

export class Monitoring extends Construct {
  readonly alarms: readonly Alarm[];
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: MonitoringProps) {
    super(scope, id);
    const { stage, gateway, usage, tables } = props;
    const gatewayFn = gateway.function;
    const recorderFn = usage.recorder;

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
    ];
    if (props.alarmTopicArn) {
      const action = new SnsAction(Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn));
      for (const each of this.alarms) {
        each.addAlarmAction(action);
        each.addOkAction(action);
      }
    }

    const graph = (title: string, left: IMetric[], right: IMetric[] = []): GraphWidget =>
      new GraphWidget({ title, left, right, width: 8, height: 6 });
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
