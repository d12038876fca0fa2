import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { USAGE_EVENT_DETAIL_TYPE, USAGE_EVENT_SOURCE } from '#shared/events/usage-event.ts';
import { TABLES, type TableId, tableNamesForStage } from '#shared/tables/definitions.ts';
import {
  logicalIdByPath,
  resourcesOfType,
  type SynthesisedQuotagate,
  synthQuotagate,
} from './support/synth-quotagate.ts';

const STAGE = 'test';
const names = tableNamesForStage(STAGE);

describe('QuotagateStack resources', () => {
  let synth: SynthesisedQuotagate;
  before(() => {
    synth = synthQuotagate({ stage: STAGE, leaseSeconds: 45, logRetentionDays: 14 });
  });

  it('contains exactly the resources of the design, and no others', () => {
    // Act
    const counts = new Map<string, number>();
    for (const resource of Object.values(
      synth.template.toJSON().Resources as Record<string, { Type: string }>,
    )) {
      counts.set(resource.Type, (counts.get(resource.Type) ?? 0) + 1);
    }

    // Assess
    assert.deepEqual(Object.fromEntries([...counts].sort()), {
      'AWS::CloudWatch::Alarm': 4,
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::DynamoDB::Table': 3,
      'AWS::Events::EventBus': 1,
      'AWS::Events::Rule': 2,
      'AWS::IAM::Policy': 2,
      'AWS::IAM::Role': 2,
      'AWS::Lambda::EventInvokeConfig': 1,
      'AWS::Lambda::Function': 2,
      'AWS::Lambda::Permission': 4,
      'AWS::Lambda::Url': 1,
      'AWS::Logs::LogGroup': 2,
      'AWS::SQS::Queue': 1,
      'AWS::SQS::QueuePolicy': 1,
    });
  });

  describe('tables', () => {
    const physical: Record<TableId, string> = names;

    for (const id of Object.keys(TABLES) as TableId[]) {
      it(`builds the ${id} table from the shared definition, on-demand, string keys`, () => {
        const definition = TABLES[id];
        synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
          TableName: physical[id],
          BillingMode: 'PAY_PER_REQUEST',
          KeySchema: [
            { AttributeName: definition.partitionKey, KeyType: 'HASH' },
            { AttributeName: definition.sortKey, KeyType: 'RANGE' },
          ],
          AttributeDefinitions: Match.arrayWith([
            { AttributeName: definition.partitionKey, AttributeType: 'S' },
            { AttributeName: definition.sortKey, AttributeType: 'S' },
          ]),
          GlobalSecondaryIndexes:
            definition.indexes.length === 0
              ? Match.absent()
              : definition.indexes.map((index) => ({
                  IndexName: index.name,
                  KeySchema: [
                    { AttributeName: index.partitionKey, KeyType: 'HASH' },
                    { AttributeName: index.sortKey, KeyType: 'RANGE' },
                  ],
                  Projection: { ProjectionType: 'ALL' },
                })),
        });
      });
    }

    it('expires State items on expiresAt and no other table', () => {
      synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: names.state,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
      for (const table of [names.config, names.usage]) {
        synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
          TableName: table,
          TimeToLiveSpecification: Match.absent(),
        });
      }
    });

    it('keeps point-in-time recovery on Usage (for exports) and Config, off on State', () => {
      for (const [table, enabled] of [
        [names.usage, true],
        [names.config, true],
        [names.state, false],
      ] as const) {
        synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
          TableName: table,
          PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: enabled },
        });
      }
    });

    it('protects and retains Config and Usage, and lets State go with the stack', () => {
      for (const [table, retained] of [
        [names.config, true],
        [names.usage, true],
        [names.state, false],
      ] as const) {
        synth.template.hasResource('AWS::DynamoDB::Table', {
          Properties: Match.objectLike({ TableName: table, DeletionProtectionEnabled: retained }),
          DeletionPolicy: retained ? 'Retain' : 'Delete',
          UpdateReplacePolicy: retained ? 'Retain' : 'Delete',
        });
      }
    });
  });

  describe('gateway function', () => {
    it('runs Node.js 24 on ARM with the measured memory and the 15-minute streaming timeout', () => {
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('gateway'),
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        Handler: 'index.handler',
        MemorySize: 512,
        Timeout: 900,
        ReservedConcurrentExecutions: Match.absent(),
      });
    });

    it('is reached through a streaming Function URL that leaves authentication to the gateway', () => {
      const gatewayId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Gateway/Function/Resource');
      synth.template.hasResourceProperties('AWS::Lambda::Url', {
        TargetFunctionArn: { 'Fn::GetAtt': [gatewayId, 'Arn'] },
        AuthType: 'NONE',
        InvokeMode: 'RESPONSE_STREAM',
      });
      // A public Function URL needs both permissions; CDK adds them.
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunctionUrl',
        FunctionUrlAuthType: 'NONE',
        Principal: '*',
      });
      synth.template.hasResourceProperties('AWS::Lambda::Permission', {
        Action: 'lambda:InvokeFunction',
        InvokedViaFunctionUrl: true,
        Principal: '*',
      });
    });

    it('gets its tables, bus, tunables and Powertools settings from the environment', () => {
      const tableRef = (suffix: string) => ({
        Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', `Tables/${suffix}/Resource`),
      });
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('gateway'),
        Environment: {
          Variables: Match.objectEquals({
            QG_STAGE: STAGE,
            QG_CONFIG_TABLE: tableRef('Config'),
            QG_STATE_TABLE: tableRef('State'),
            QG_USAGE_TABLE: tableRef('Usage'),
            QG_EVENT_BUS_NAME: {
              Ref: logicalIdByPath(synth.template, 'AWS::Events::EventBus', 'Usage/Bus/Resource'),
            },
            QG_LEASE_SECONDS: '45',
            QG_BODY_LIMIT_BYTES: Match.anyValue(),
            QG_USER_WAIT_SECONDS: Match.anyValue(),
            QG_ACCOUNT_WAIT_SECONDS: Match.anyValue(),
            QG_ACCOUNT_MAX_WAITING: Match.anyValue(),
            QG_PING_INTERVAL_SECONDS: Match.anyValue(),
            QG_FIRST_BYTE_TIMEOUT_MS: Match.anyValue(),
            QG_IDLE_TIMEOUT_MS: Match.anyValue(),
            QG_RATE_LIMIT_COOLDOWN_SECONDS: Match.anyValue(),
            QG_OVERLOAD_COOLDOWN_SECONDS: Match.anyValue(),
            QG_CONFIG_CACHE_SECONDS: Match.anyValue(),
            QG_CHATGPT_BASE_URL: Match.anyValue(),
            POWERTOOLS_SERVICE_NAME: 'gateway',
            POWERTOOLS_METRICS_NAMESPACE: 'Quotagate',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    });

    it('reserves concurrency only when the context asks for it', () => {
      // Act
      const reserved = synthQuotagate({ stage: STAGE, gatewayReservedConcurrency: 25 });

      // Assess
      reserved.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('gateway'),
        ReservedConcurrentExecutions: 25,
      });
    });
  });

  describe('logging', () => {
    it('gives each function its own log group with the configured retention, JSON logs at the configured level', () => {
      for (const path of ['Gateway/Function', 'Usage/Recorder']) {
        const logGroupId = logicalIdByPath(synth.template, 'AWS::Logs::LogGroup', `${path}Logs/Resource`);
        synth.template.hasResource('AWS::Logs::LogGroup', {
          Properties: { RetentionInDays: 14 },
          Metadata: Match.objectLike({ 'aws:cdk:path': Match.stringLikeRegexp(`${path}Logs/Resource$`) }),
        });
        const functionId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', `${path}/Resource`);
        const fn = resourcesOfType(synth.template, 'AWS::Lambda::Function')[functionId];
        assert.deepEqual(fn?.Properties.LoggingConfig, {
          LogGroup: { Ref: logGroupId },
          LogFormat: 'JSON',
          ApplicationLogLevel: 'INFO',
          SystemLogLevel: 'WARN',
        });
      }
    });
  });

  describe('usage pipeline', () => {
    it('creates the stage bus and a rule on it that selects exactly the gateway usage events', () => {
      synth.template.hasResourceProperties('AWS::Events::EventBus', { Name: `quotagate-${STAGE}` });
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        EventBusName: { Ref: logicalIdByPath(synth.template, 'AWS::Events::EventBus', 'Usage/Bus/Resource') },
        EventPattern: Match.objectEquals({
          source: [USAGE_EVENT_SOURCE],
          'detail-type': [USAGE_EVENT_DETAIL_TYPE],
        }),
        State: 'ENABLED',
      });
    });

    it('targets the recorder with explicit retries, event age and the dead-letter queue', () => {
      const recorderId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Usage/Recorder/Resource');
      const queueId = logicalIdByPath(synth.template, 'AWS::SQS::Queue', 'Usage/DeadLetterQueue/Resource');
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        Targets: [
          {
            Arn: { 'Fn::GetAtt': [recorderId, 'Arn'] },
            Id: Match.anyValue(),
            RetryPolicy: { MaximumRetryAttempts: 185, MaximumEventAgeInSeconds: 86_400 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          },
        ],
      });
    });

    it('sets the recorder async retries and event age explicitly and sends failures to the dead-letter queue', () => {
      const recorderId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Usage/Recorder/Resource');
      const queueId = logicalIdByPath(synth.template, 'AWS::SQS::Queue', 'Usage/DeadLetterQueue/Resource');
      synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: { Ref: recorderId },
        Qualifier: '$LATEST',
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 21_600,
        DestinationConfig: { OnFailure: { Destination: { 'Fn::GetAtt': [queueId, 'Arn'] } } },
      });
    });

    it('lets only its two rules invoke the recorder', () => {
      const recorderId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Usage/Recorder/Resource');
      const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission')).filter(
        (permission) => JSON.stringify(permission.Properties.FunctionName).includes(recorderId),
      );
      assert.deepEqual(
        permissions
          .map((permission) => permission.Properties)
          .sort((a, b) => JSON.stringify(a).localeCompare(JSON.stringify(b))),
        ['Usage/DrainParkedRule/Resource', 'Usage/Rule/Resource'].map((path) => ({
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [recorderId, 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: { 'Fn::GetAtt': [logicalIdByPath(synth.template, 'AWS::Events::Rule', path), 'Arn'] },
        })),
      );
    });

    it('has the recorder drain parked usage events every five minutes, on the default bus', () => {
      const recorderId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Usage/Recorder/Resource');
      const queueId = logicalIdByPath(synth.template, 'AWS::SQS::Queue', 'Usage/DeadLetterQueue/Resource');
      synth.template.hasResourceProperties('AWS::Events::Rule', {
        Name: `quotagate-${STAGE}-drain-parked`,
        ScheduleExpression: 'rate(5 minutes)',
        EventBusName: Match.absent(),
        Targets: [
          {
            Arn: { 'Fn::GetAtt': [recorderId, 'Arn'] },
            Id: Match.anyValue(),
            RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
            DeadLetterConfig: { Arn: { 'Fn::GetAtt': [queueId, 'Arn'] } },
          },
        ],
      });
    });

    it('runs the recorder on Node.js 24 ARM with its own small memory and timeout', () => {
      synth.template.hasResourceProperties('AWS::Lambda::Function', {
        Description: Match.stringLikeRegexp('records usage'),
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 30,
        Environment: {
          Variables: Match.objectEquals({
            QG_STAGE: STAGE,
            QG_CONFIG_TABLE: {
              Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', 'Tables/Config/Resource'),
            },
            QG_USAGE_TABLE: {
              Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', 'Tables/Usage/Resource'),
            },
            POWERTOOLS_SERVICE_NAME: 'recorder',
            POWERTOOLS_METRICS_NAMESPACE: 'Quotagate',
            POWERTOOLS_LOG_LEVEL: 'INFO',
            NODE_OPTIONS: '--enable-source-maps',
          }),
        },
      });
    });

    it('encrypts the dead-letter queue, refuses plain HTTP and keeps messages 14 days', () => {
      synth.template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `quotagate-${STAGE}-usage-dlq`,
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 14 * 24 * 3600,
      });
      synth.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Action: 'sqs:*',
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            }),
          ]),
        },
      });
    });
  });

  describe('monitoring', () => {
    const alarms: Array<[string, string, string]> = [
      ['gateway-errors', 'AWS/Lambda', 'Errors'],
      ['gateway-throttles', 'AWS/Lambda', 'Throttles'],
      ['recorder-errors', 'AWS/Lambda', 'Errors'],
      ['usage-dead-letters', 'AWS/SQS', 'ApproximateNumberOfMessagesVisible'],
    ];
    for (const [name, namespace, metric] of alarms) {
      it(`alarms on the first ${name.replaceAll('-', ' ')}`, () => {
        synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
          AlarmName: `quotagate-${STAGE}-${name}`,
          Namespace: namespace,
          MetricName: metric,
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          TreatMissingData: 'notBreaching',
        });
      });
    }

    it('notifies the configured SNS topic, and nothing when none is configured', () => {
      // Prepare
      const topic = 'arn:aws:sns:eu-west-1:123456789012:quotagate-ops';

      // Act
      const withTopic = synthQuotagate({ stage: STAGE, alarmTopicArn: topic });

      // Assess
      withTopic.template.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [topic],
        OKActions: [topic],
      });
      synth.template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
    });

    it('builds a dashboard named after the stage', () => {
      synth.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `quotagate-${STAGE}`,
      });
    });
  });

  it('outputs the gateway URL, the OpenAI base URL, the table names and the bus name', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const urlId = logicalIdByPath(
      synth.template,
      'AWS::Lambda::Url',
      'Gateway/Function/FunctionUrl/Resource',
    );
    assert.deepEqual(outputs.GatewayUrl?.Value, { 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
    assert.deepEqual(outputs.OpenAiBaseUrl?.Value, {
      'Fn::Join': ['', [{ 'Fn::GetAtt': [urlId, 'FunctionUrl'] }, 'openai/v1']],
    });
    for (const [output, suffix] of [
      ['ConfigTableName', 'Config'],
      ['StateTableName', 'State'],
      ['UsageTableName', 'Usage'],
    ] as const) {
      assert.deepEqual(outputs[output]?.Value, {
        Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', `Tables/${suffix}/Resource`),
      });
    }
    assert.deepEqual(outputs.EventBusName?.Value, {
      Ref: logicalIdByPath(synth.template, 'AWS::Events::EventBus', 'Usage/Bus/Resource'),
    });
  });
});
