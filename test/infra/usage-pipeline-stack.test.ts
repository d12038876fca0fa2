import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { USAGE_EVENT_DETAIL_TYPE, USAGE_EVENT_SOURCE } from '#shared/events/usage-event.ts';
import {
  logicalIdByPath,
  resourcesOfType,
  synthForSuite,
  synthTestStack,
  TEST_STAGE,
} from './support/synth-quotagate.ts';

describe('QuotagateStack: usage pipeline and monitoring', () => {
  const synth = synthForSuite();

  describe('usage pipeline', () => {
    it('creates the stage bus and a rule on it that selects exactly the gateway usage events', () => {
      synth.template.hasResourceProperties('AWS::Events::EventBus', { Name: `quotagate-${TEST_STAGE}` });
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
        Name: `quotagate-${TEST_STAGE}-drain-parked`,
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
            QG_STAGE: TEST_STAGE,
            QG_CONFIG_TABLE: {
              Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', 'Tables/Config/Resource'),
            },
            QG_USAGE_TABLE: {
              Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', 'Tables/Usage/Resource'),
            },
            QG_STATE_TABLE: {
              Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', 'Tables/State/Resource'),
            },
            QG_EVENT_BUS_NAME: {
              Ref: logicalIdByPath(synth.template, 'AWS::Events::EventBus', 'Usage/Bus/Resource'),
            },
            POWERTOOLS_SERVICE_NAME: 'recorder',
            POWERTOOLS_METRICS_NAMESPACE: 'Quotagate',
            POWERTOOLS_LOG_LEVEL: 'INFO',
          }),
        },
      });
    });

    it('encrypts the dead-letter queue, refuses plain HTTP and keeps messages 14 days', () => {
      synth.template.hasResourceProperties('AWS::SQS::Queue', {
        QueueName: `quotagate-${TEST_STAGE}-usage-dlq`,
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
          AlarmName: `quotagate-${TEST_STAGE}-${name}`,
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
      const withTopic = synthTestStack({ alarmTopicArn: topic });

      // Assess
      withTopic.template.allResourcesProperties('AWS::CloudWatch::Alarm', {
        AlarmActions: [topic],
        OKActions: [topic],
      });
      synth.template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: Match.absent() });
    });

    it('builds a dashboard named after the stage', () => {
      synth.template.hasResourceProperties('AWS::CloudWatch::Dashboard', {
        DashboardName: `quotagate-${TEST_STAGE}`,
      });
    });
  });
});
