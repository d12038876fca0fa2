/**
 * The whole deployment in one stack: the three tables, the gateway behind its streaming Function
 * URL, the usage pipeline (bus, rule, recorder, dead-letter queue), the OAuth token-refresh
 * schedule, the Usage table's exports to S3 with the SQL finance runs over them, and the
 * monitoring. The stack is environment-agnostic (no account or region, no lookups), so
 * `cdk synth` runs offline; the CLI's profile picks where `cdk deploy` goes.
 *
 * @example
 * ```ts
 * new QuotagateStack(app, 'Quotagate-prod', { config: readStackConfig(app.node) });
 * ```
 */
import { CfnOutput, type CfnOutputProps, Fn, Stack, type StackProps, Tags } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { AdminApi } from './constructs/admin-api.ts';
import { Alerts } from './constructs/alerts.ts';
import { FinanceSql } from './constructs/finance-sql.ts';
import { Gateway } from './constructs/gateway.ts';
import { Monitoring } from './constructs/monitoring.ts';
import type { FunctionObservability } from './constructs/quotagate-function.ts';
import { QuotagateTables } from './constructs/quotagate-tables.ts';
import { SecretsKey } from './constructs/secrets-key.ts';
import { TokenRefresh } from './constructs/token-refresh.ts';
import { UsageExports } from './constructs/usage-exports.ts';
import { UsagePipeline } from './constructs/usage-pipeline.ts';
import type { StackConfig } from './stack-config.ts';

export interface QuotagateStackProps extends StackProps {
  readonly config: StackConfig;
}

export { stackNameForStage } from '#shared/tables/definitions.ts';

export class QuotagateStack extends Stack {
  readonly tables: QuotagateTables;
  readonly gateway: Gateway;
  readonly usage: UsagePipeline;
  readonly alerts: Alerts;
  readonly monitoring: Monitoring;
  readonly tokenRefresh: TokenRefresh;
  readonly admin: AdminApi;
  readonly usageExports: UsageExports;
  readonly financeSql: FinanceSql;
  readonly secrets: SecretsKey;

  constructor(scope: Construct, id: string, props: QuotagateStackProps) {
    const { config } = props;
    super(scope, id, { description: `quotagate (${config.stage}): metered OpenAI gateway`, ...props });
    Tags.of(this).add('project', 'quotagate');
    Tags.of(this).add('stage', config.stage);

    const observability: FunctionObservability = {
      stage: config.stage,
      logLevel: config.logLevel,
      logRetention: config.logRetention,
    };
    this.tables = new QuotagateTables(this, 'Tables', {
      stage: config.stage,
      keepLegacyConfigIndex: config.keepLegacyConfigIndex,
      keepLegacyUsageIndex: config.keepLegacyUsageIndex,
    });
    this.usage = new UsagePipeline(this, 'Usage', {
      observability,
      tables: this.tables,
      ...(config.usageExports.recordTtlDays !== undefined
        ? { usageRecordTtlDays: config.usageExports.recordTtlDays }
        : {}),
    });
    this.alerts = new Alerts(this, 'Alerts', {
      stage: config.stage,
      bus: this.usage.bus,
      deadLetterQueue: this.usage.deadLetterQueue,
    });
    this.gateway = new Gateway(this, 'Gateway', {
      observability,
      tables: this.tables,
      eventBus: this.usage.bus,
      runtimeEnvironment: config.gatewayEnvironment,
      ...(config.gatewayReservedConcurrency !== undefined
        ? { reservedConcurrency: config.gatewayReservedConcurrency }
        : {}),
    });
    this.tokenRefresh = new TokenRefresh(this, 'TokenRefresh', {
      observability,
      tables: this.tables,
      runtimeEnvironment: config.gatewayEnvironment,
      ...(config.alarmTopicArn ? { alarmTopicArn: config.alarmTopicArn } : {}),
    });
    this.admin = new AdminApi(this, 'AdminApi', { observability, tables: this.tables });
    this.usageExports = new UsageExports(this, 'UsageExports', {
      observability,
      tables: this.tables,
      infrequentAccessAfterDays: config.usageExports.infrequentAccessAfterDays,
      lagAlarmHours: config.usageExports.lagAlarmHours,
      ...(config.alarmTopicArn ? { alarmTopicArn: config.alarmTopicArn } : {}),
    });
    this.financeSql = new FinanceSql(this, 'FinanceSql', {
      stage: config.stage,
      bucket: this.usageExports.bucket,
    });
    this.secrets = new SecretsKey(this, 'Secrets', { stage: config.stage });
    // The gateway refreshes an expired OAuth token on demand, so it seals the new tokens too.
    this.secrets.grantOpenAndSeal(this.gateway.function);
    this.secrets.grantOpenAndSeal(this.tokenRefresh.function);
    this.secrets.grantSeal(this.admin.function);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stage: config.stage,
      gateway: this.gateway,
      usage: this.usage,
      tables: this.tables,
      alarmThresholds: config.alarmThresholds,
      ...(config.alarmTopicArn ? { alarmTopicArn: config.alarmTopicArn } : {}),
    });

    this.addOutputs();
  }

  /**
   * What an operator reads after a deploy (`cdk deploy --outputs-file`, `quotagate console`); each key is
   * an output's name, which scripts and docs use, so renaming one is a breaking change.
   */
  private addOutputs(): void {
    const outputs: Record<string, CfnOutputProps> = {
      GatewayUrl: { description: 'Function URL of the gateway', value: this.gateway.url.url },
      OpenAiBaseUrl: {
        description: 'Base URL for OpenAI clients and Codex (`base_url`)',
        value: Fn.join('', [this.gateway.url.url, 'openai/v1']),
      },
      ConfigTableName: { value: this.tables.byId.config.tableName },
      StateTableName: { value: this.tables.byId.state.tableName },
      UsageTableName: { value: this.tables.byId.usage.tableName },
      EventBusName: { value: this.usage.bus.eventBusName },
      AlertsTopicArn: {
        description: 'Subscribe to low-balance, key quota and budget alerts here',
        value: this.alerts.topic.topicArn,
      },
      SecretsKeyArn: {
        description: 'KMS key sealing upstream credentials (the CLI names it by its alias)',
        value: this.secrets.key.keyArn,
      },
      UsageDeadLetterQueueUrl: {
        description: 'Usage events that could not be recorded; redrive them once the cause is fixed',
        value: this.usage.deadLetterQueue.queueUrl,
      },
      DashboardName: { value: this.monitoring.dashboard.dashboardName },
      AdminApiUrl: {
        description: 'Function URL of the admin API (AWS_IAM: SigV4-signed requests only)',
        value: this.admin.url.url,
      },
      UsageExportBucket: {
        description: "Where the Usage table's exports (usage/) and Athena's results (athena-results/) land",
        value: this.usageExports.bucket.bucketName,
      },
      FinanceWorkGroup: {
        description: 'Athena workgroup holding the saved usage and billing queries',
        value: this.financeSql.workGroup.ref,
      },
      FinanceDatabase: { value: this.financeSql.database.ref },
      FinanceQueryPolicyArn: {
        description: 'Managed policy that lets a finance role run the saved queries',
        value: this.financeSql.queryPolicy.managedPolicyArn,
      },
      AdminApiInvokePolicyArn: {
        description: 'Managed policy that lets an IAM role or group call the admin API',
        value: this.admin.invokePolicy.managedPolicyArn,
      },
    };
    for (const [name, output] of Object.entries(outputs)) new CfnOutput(this, name, output);
  }
}
