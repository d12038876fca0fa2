/**
 * The Usage table's exports to S3, where finance reads the ledger: the bucket, the hourly
 * EventBridge Scheduler schedule, the small function it invokes, and the alarms.
 *
 * Why a function and not the Scheduler's universal target (`aws-sdk:dynamodb:exportTableToPointInTime`)
 * alone: a schedule's input is fixed when it is deployed, and each run must compute its window
 * (the previous UTC day, `ExportFromTime`/`ExportToTime`) and whether the one full export has
 * been made yet, from the exports that exist. The function does that (shared/usage/export-schedule.ts)
 * and starts at most one export per run; DynamoDB does the export itself, reading no table capacity.
 *
 * - Bucket: S3-managed encryption (the exports are written with `AES256`, so neither DynamoDB nor
 *   a reader needs a KMS grant), public access blocked, TLS only, versioned, ACLs off, kept on
 *   `cdk destroy`; exports move to Standard-IA after `infrequentAccessAfterDays`, Athena results
 *   expire after {@link ATHENA_RESULT_DAYS}.
 * - IAM (the function): `ExportTableToPointInTime` on the Usage table, `DescribeExport` on its
 *   exports, `ListExports` (which has no resource-level permission), and the S3 writes DynamoDB
 *   makes as the caller (`PutObject`, `PutObjectAcl`, `AbortMultipartUpload`) under the export prefix only.
 * - Alarms: an export failed (`UsageExportFailures` ≥ 1, within the hour), the exports are behind
 *   (`UsageExportLagHours` above `lagAlarmHours`, or no run reported for two hours), the function failed.
 *
 * @example
 * ```ts
 * const exports = new UsageExports(this, 'UsageExports', { observability, tables, infrequentAccessAfterDays: 30, lagAlarmHours: 30 });
 * ```
 */
import { type CfnElement, Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Metric, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectOwnership,
  StorageClass,
} from 'aws-cdk-lib/aws-s3';
import { Schedule, ScheduleExpression } from 'aws-cdk-lib/aws-scheduler';
import { LambdaInvoke } from 'aws-cdk-lib/aws-scheduler-targets';
import type { Construct } from 'constructs';
import { USAGE_EXPORT_METRICS, USAGE_EXPORT_SERVICE } from '#shared/usage/export-schedule.ts';
import { FUNCTION_ENTRIES } from '../function-entries.ts';
import { notifyAlarms } from './alarm-topic.ts';
import { type FunctionObservability, METRICS_NAMESPACE } from './quotagate-function.ts';
import type { QuotagateTables } from './quotagate-tables.ts';
import { ScheduledFunction } from './scheduled-function.ts';

/** Key prefix of the exports (`usage/full/…`, `usage/incremental/…`) in the bucket. */
export const EXPORT_PREFIX = 'usage';
/** Key prefix of Athena's query results in the bucket. */
export const ATHENA_RESULT_PREFIX = 'athena-results';
/** Days Athena's query results are kept (a result is a CSV anyone can run again). */
export const ATHENA_RESULT_DAYS = 30;
/** The function runs at this minute of every hour. */
const RUN_MINUTE = '30';

export interface UsageExportsProps {
  readonly observability: FunctionObservability;
  readonly tables: QuotagateTables;
  /** Days after which export files move to S3 Standard-IA (at least 30, S3's minimum). */
  readonly infrequentAccessAfterDays: number;
  /** Hours the completed exports may lag behind now before the behind alarm fires. */
  readonly lagAlarmHours: number;
  readonly alarmTopicArn?: string;
}

export class UsageExports extends ScheduledFunction {
  readonly bucket: Bucket;
  readonly schedule: Schedule;
  readonly failedAlarm: Alarm;
  readonly behindAlarm: Alarm;

  constructor(scope: Construct, id: string, props: UsageExportsProps) {
    const { stage } = props.observability;
    const usage = props.tables.byId.usage;
    super(scope, id, {
      ...props.observability,
      entry: FUNCTION_ENTRIES.usageExport,
      serviceName: USAGE_EXPORT_SERVICE,
      description: `quotagate ${stage}: starts the Usage table's full and daily incremental exports to S3`,
      memorySize: 256,
      timeout: Duration.minutes(1),
      environment: {
        QG_USAGE_TABLE_ARN: usage.tableArn,
        QG_EXPORT_PREFIX: EXPORT_PREFIX,
      },
      interval: Duration.hours(1),
      noDeadLettersReason:
        'The usage-export function runs only on its hourly schedule with an empty input: the next run repeats the ' +
        'whole decision from the exports DynamoDB lists, so a parked copy of a failed run would hold nothing to ' +
        'redrive. Failed runs raise the usage-export errors alarm, and a missed export the behind alarm.',
      errorsAlarm: {
        name: `quotagate-${stage}-usage-export-errors`,
        description: 'A usage-export run failed (DynamoDB refused the export, or a permission is missing).',
      },
    });

    this.bucket = new Bucket(this, 'Bucket', {
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      versioned: true,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      // The exports are the ledger of record once the table's TTL is on: never deleted with the stack.
      removalPolicy: RemovalPolicy.RETAIN,
      lifecycleRules: [
        {
          id: 'exports-to-infrequent-access',
          prefix: `${EXPORT_PREFIX}/`,
          transitions: [
            {
              storageClass: StorageClass.INFREQUENT_ACCESS,
              transitionAfter: Duration.days(props.infrequentAccessAfterDays),
            },
          ],
          abortIncompleteMultipartUploadAfter: Duration.days(7),
        },
        {
          id: 'athena-results-expire',
          prefix: `${ATHENA_RESULT_PREFIX}/`,
          expiration: Duration.days(ATHENA_RESULT_DAYS),
          noncurrentVersionExpiration: Duration.days(1),
          abortIncompleteMultipartUploadAfter: Duration.days(1),
        },
      ],
    });
    Validations.of(this.bucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'Only DynamoDB (exports), Athena (query results) and the finance role read or write this bucket; every ' +
        'such call is an authenticated API call already in CloudTrail, and a second logging bucket would hold ' +
        'nothing an auditor needs beyond that.',
    });

    // The base class made the function before the bucket existed: the bucket's name reaches it here.
    this.function.addEnvironment('QG_EXPORT_BUCKET', this.bucket.bucketName);
    this.grantExports(usage);

    // Our own role, so its one finding is acknowledged here rather than on a stack-wide singleton.
    const schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com'),
      description: 'Lets EventBridge Scheduler invoke the usage-export function',
    });
    this.schedule = new Schedule(this, 'Schedule', {
      scheduleName: `quotagate-${stage}-usage-export`,
      description: "Starts the Usage table's next export to S3 when one is due",
      schedule: ScheduleExpression.cron({ minute: RUN_MINUTE }),
      target: new LambdaInvoke(this.function, {
        role: schedulerRole,
        retryAttempts: 0,
        maxEventAge: Duration.hours(1),
      }),
    });
    Validations.of(schedulerRole).acknowledge({
      id: `AwsSolutions-IAM5[Resource::<${Stack.of(this).getLogicalId(this.function.node.defaultChild as CfnElement)}.Arn>:*]`,
      reason:
        "The scheduler's role may invoke the usage-export function and its versions (ARN:*), as the Scheduler " +
        'target grants it; it can invoke nothing else.',
    });

    const metric = (metricName: string) =>
      new Metric({
        namespace: METRICS_NAMESPACE,
        metricName,
        dimensionsMap: { service: USAGE_EXPORT_SERVICE },
        statistic: 'Maximum',
        period: Duration.hours(1),
      });
    this.failedAlarm = new Alarm(this, 'FailedAlarm', {
      alarmName: `quotagate-${stage}-usage-export-failed`,
      alarmDescription:
        'A Usage table export to S3 failed; the next run starts its window again. Look up the export with ' +
        'aws dynamodb list-exports / describe-export (FailureCode, FailureMessage).',
      metric: metric(USAGE_EXPORT_METRICS.failures),
      threshold: 1,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.behindAlarm = new Alarm(this, 'BehindAlarm', {
      alarmName: `quotagate-${stage}-usage-export-behind`,
      alarmDescription:
        `The completed Usage table exports end more than ${props.lagAlarmHours} hours ago, or the export ` +
        "function has not reported for two hours: yesterday's export did not happen or did not finish.",
      metric: metric(USAGE_EXPORT_METRICS.lagHours),
      threshold: props.lagAlarmHours,
      evaluationPeriods: 2,
      datapointsToAlarm: 2,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.BREACHING,
    });
    notifyAlarms(this, props.alarmTopicArn, [this.failedAlarm, this.behindAlarm, this.errorsAlarm]);
  }

  /** What the function and, through it, DynamoDB's export need; nothing else. */
  private grantExports(usage: Table): void {
    const { tableArn } = usage;
    const role = this.function.role as Role;
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:ExportTableToPointInTime'], resources: [tableArn] }),
    );
    role.addToPrincipalPolicy(
      new PolicyStatement({ actions: ['dynamodb:DescribeExport'], resources: [`${tableArn}/export/*`] }),
    );
    role.addToPrincipalPolicy(new PolicyStatement({ actions: ['dynamodb:ListExports'], resources: ['*'] }));
    role.addToPrincipalPolicy(
      new PolicyStatement({
        actions: ['s3:PutObject', 's3:PutObjectAcl', 's3:AbortMultipartUpload'],
        resources: [this.bucket.arnForObjects(`${EXPORT_PREFIX}/*`)],
      }),
    );
    const arn = (construct: Construct) =>
      `<${Stack.of(this).getLogicalId(construct.node.defaultChild as CfnElement)}.Arn>`;
    Validations.of(role).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'dynamodb:ListExports has no resource-level permission, so it takes Resource "*"; it only lists export ' +
          'ARNs, and the run then describes each one through DescribeExport, which is limited to this table.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${arn(usage)}/export/*]`,
        reason:
          "DescribeExport on this table's exports only: an export's id is made by DynamoDB when it starts, so the " +
          'function cannot name it in advance.',
      },
      {
        id: `AwsSolutions-IAM5[Resource::${arn(this.bucket)}/${EXPORT_PREFIX}/*]`,
        reason:
          'The writes DynamoDB makes as the caller of ExportTableToPointInTime, under the export prefix of this ' +
          'bucket only; DynamoDB chooses the object keys (export id, data file names).',
      },
    );
  }
}
