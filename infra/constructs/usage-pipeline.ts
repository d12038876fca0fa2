/**
 * How a usage event becomes a usage record: the gateway puts it on a custom EventBridge bus, a
 * rule that matches exactly the gateway's usage events invokes the recorder asynchronously, and
 * an event that still fails after every retry lands in an encrypted SQS dead-letter queue, from
 * both places it can fail: the rule target (EventBridge could not invoke Lambda) and the
 * recorder's async invoke config (the recorder threw on every attempt). A schedule on the default
 * bus (scheduled rules live only there) has the recorder drain events the gateway parked.
 *
 * @example
 * ```ts
 * const usage = new UsagePipeline(this, 'Usage', { observability, tables });
 * usage.bus.eventBusName; // 'quotagate-<stage>'
 * ```
 */
import { Duration, Validations } from 'aws-cdk-lib';
import { EventBus, Rule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { DestinationConfig, IDestination, IFunction } from 'aws-cdk-lib/aws-lambda';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { USAGE_EVENT_DETAIL_TYPE, USAGE_EVENT_SOURCE } from '#shared/events/usage-event.ts';
import { FUNCTION_ENTRIES } from '../function-entries.ts';
import { RECORDER_MEMORY_MB } from '../function-memory.ts';
import { bindTables, RECORDER_TABLE_ACCESS } from '../table-access.ts';
import { intervalRule } from './interval-rule.ts';
import { type FunctionObservability, QuotagateFunction } from './quotagate-function.ts';
import type { QuotagateTables } from './quotagate-tables.ts';

/*
 * Retries are set to the maximum on both hops. The recorder is exactly-once by construction, so
 * a retry can never double-charge, while giving up loses a charge: a late record beats a missing
 * one. Whatever is still failing after that is parked in the dead-letter queue (and alarmed on).
 */
/** EventBridge → Lambda: retries only when the invoke itself fails (throttled, missing permission). */
export const RULE_TARGET_RETRY_ATTEMPTS = 185;
export const RULE_TARGET_MAX_EVENT_AGE = Duration.hours(24);
/** Lambda async invoke: retries after the recorder threw, with Lambda's own backoff. */
export const RECORDER_RETRY_ATTEMPTS = 2;
export const RECORDER_MAX_EVENT_AGE = Duration.hours(6);

/**
 * How often the recorder drains the usage events the gateway had to park in the Usage table
 * because EventBridge refused them. A drain that finds nothing costs one index query.
 */
export const PARKED_DRAIN_INTERVAL = Duration.minutes(5);

const RECORDER_TIMEOUT = Duration.seconds(30);

export interface UsagePipelineProps {
  readonly observability: FunctionObservability;
  readonly tables: QuotagateTables;
  /** Days after which applied usage records expire from the table; unset keeps them. */
  readonly usageRecordTtlDays?: number;
}

export class UsagePipeline extends Construct {
  readonly bus: EventBus;
  readonly rule: Rule;
  /** The rule's literal name: the rule's `Ref` on a custom bus is `bus|rule`, useless as a metric dimension. */
  readonly ruleName: string;
  /** The schedule that has the recorder drain parked usage events. */
  readonly drainRule: Rule;
  readonly recorder: QuotagateFunction;
  readonly deadLetterQueue: Queue;

  constructor(scope: Construct, id: string, props: UsagePipelineProps) {
    super(scope, id);
    const { stage } = props.observability;

    this.deadLetterQueue = new Queue(this, 'DeadLetterQueue', {
      queueName: `quotagate-${stage}-usage-dlq`,
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to fix the recorder and redrive before anything expires.
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge(
      {
        id: 'AwsSolutions-SQS3',
        reason:
          'This queue is the dead-letter queue: of both rule targets (usage events, parked-event drain) and of ' +
          'the recorder on-failure destination. The rule only recognises queues named in another queue redrive policy.',
      },
      {
        id: 'Serverless-SQSRedrivePolicy',
        reason:
          'This queue is itself the dead-letter queue and nothing consumes it automatically; an operator ' +
          'inspects and redrives its messages, so a redrive policy would only add a dead-letter queue of its own.',
      },
    );

    this.bus = new EventBus(this, 'Bus', {
      eventBusName: `quotagate-${stage}`,
      description: `quotagate ${stage}: one usage event per served request`,
    });

    this.recorder = new QuotagateFunction(this, 'Recorder', {
      ...props.observability,
      entry: FUNCTION_ENTRIES.recorder,
      serviceName: 'recorder',
      description: `quotagate ${stage}: records usage events and charges balances`,
      memorySize: RECORDER_MEMORY_MB,
      timeout: RECORDER_TIMEOUT,
      retryAttempts: RECORDER_RETRY_ATTEMPTS,
      maxEventAge: RECORDER_MAX_EVENT_AGE,
      onFailure: new SendOnlyQueueDestination(this.deadLetterQueue),
      environment: {
        ...(props.usageRecordTtlDays !== undefined
          ? { QG_USAGE_RECORD_TTL_DAYS: String(props.usageRecordTtlDays) }
          : {}),
      },
    });
    Validations.of(this.recorder).acknowledge({
      id: 'Serverless-LambdaDLQ',
      reason:
        'The recorder sends failed asynchronous invocations to the dead-letter queue through an on-failure ' +
        'destination (EventInvokeConfig), which records the error with the event; a legacy DeadLetterConfig ' +
        'as well would only repeat that with less information.',
    });
    bindTables(this.recorder, props.tables, RECORDER_TABLE_ACCESS);
    // The recorder puts alerts (low balance, key quota and budget) on the same bus.
    this.recorder.addEnvironment('QG_EVENT_BUS_NAME', this.bus.eventBusName);
    this.bus.grantPutEventsTo(this.recorder);

    this.ruleName = `quotagate-${stage}-usage-to-recorder`;
    this.rule = new Rule(this, 'Rule', {
      ruleName: this.ruleName,
      eventBus: this.bus,
      description: 'Usage events from the gateway, to the recorder',
      eventPattern: { source: [USAGE_EVENT_SOURCE], detailType: [USAGE_EVENT_DETAIL_TYPE] },
    });
    this.rule.addTarget(
      new LambdaFunction(this.recorder, {
        retryAttempts: RULE_TARGET_RETRY_ATTEMPTS,
        maxEventAge: RULE_TARGET_MAX_EVENT_AGE,
        deadLetterQueue: this.deadLetterQueue,
      }),
    );

    this.drainRule = intervalRule(this, 'DrainParkedRule', {
      ruleName: `quotagate-${stage}-drain-parked`,
      description: 'Has the recorder record usage events the gateway parked',
      interval: PARKED_DRAIN_INTERVAL,
      target: this.recorder,
      deadLetterQueue: this.deadLetterQueue,
    });
  }
}

/**
 * An SQS on-failure destination whose grant is `sqs:SendMessage` alone, the one call Lambda makes
 * with the function's role; `SqsDestination` also grants GetQueueAttributes and GetQueueUrl.
 */
class SendOnlyQueueDestination implements IDestination {
  constructor(private readonly queue: IQueue) {}

  bind(_scope: Construct, fn: IFunction): DestinationConfig {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }),
    );
    return { destination: this.queue.queueArn };
  }
}
