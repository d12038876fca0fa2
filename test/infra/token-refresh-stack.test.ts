import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { logicalIdByPath, resourcesOfType, synthForSuite, TEST_STAGE } from './support/synth-quotagate.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops';

describe('QuotagateStack: OAuth token refresh', () => {
  const synth = synthForSuite({
    alarmTopicArn: TOPIC,
    oauthTokenUrl: 'https://auth.example.test/oauth/token',
    oauthMaxFailures: 5,
  });
  let functionId: string;
  before(() => {
    functionId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'TokenRefresh/Function/Resource');
  });

  it('runs the token-refresh handler on Node 24 / ARM with the OAuth settings and the two tables it uses', () => {
    const tableRef = (suffix: string) => ({
      Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', `Tables/${suffix}/Resource`),
    });
    synth.template.hasResource('AWS::Lambda::Function', {
      Properties: Match.objectLike({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 256,
        Timeout: 120,
        Handler: 'index.handler',
        Environment: {
          Variables: Match.objectEquals({
            QG_STAGE: TEST_STAGE,
            QG_CONFIG_TABLE: tableRef('Config'),
            QG_STATE_TABLE: tableRef('State'),
            QG_SECRETS_KEY_ID: {
              'Fn::GetAtt': [logicalIdByPath(synth.template, 'AWS::KMS::Key', 'Secrets/Key/Resource'), 'Arn'],
            },
            // The OAuth tunables only (cdk.json's, two overridden); the gateway's others mean nothing here.
            QG_OAUTH_TOKEN_URL: 'https://auth.example.test/oauth/token',
            QG_OAUTH_CLIENT_ID: 'app_EMoamEEZ73f0CkXaXp7hrann',
            QG_OAUTH_REFRESH_BEFORE_SECONDS: '1800',
            QG_OAUTH_MAX_FAILURES: '5',
            QG_OAUTH_TIMEOUT_MS: '15000',
            POWERTOOLS_SERVICE_NAME: 'token-refresh',
            POWERTOOLS_METRICS_NAMESPACE: 'Quotagate',
            POWERTOOLS_LOG_LEVEL: 'INFO',
          }),
        },
      }),
      Metadata: Match.objectLike({
        'aws:cdk:path': `Quotagate-${TEST_STAGE}/TokenRefresh/Function/Resource`,
      }),
    });
  });

  it('hands the OAuth settings to the gateway too, which refreshes on demand', () => {
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'gateway',
          QG_OAUTH_TOKEN_URL: 'https://auth.example.test/oauth/token',
          QG_OAUTH_MAX_FAILURES: '5',
        }),
      },
    });
  });

  it('invokes the function every five minutes from the default bus, without retrying past the next tick', () => {
    const ruleId = logicalIdByPath(synth.template, 'AWS::Events::Rule', 'TokenRefresh/Schedule/Resource');
    const { Tags: _tags, ...properties } =
      resourcesOfType(synth.template, 'AWS::Events::Rule')[ruleId]?.Properties ?? {};
    assert.deepEqual(properties, {
      Name: `quotagate-${TEST_STAGE}-token-refresh`,
      Description: 'Has the token-refresh function refresh OAuth tokens that expire soon',
      ScheduleExpression: 'rate(5 minutes)',
      State: 'ENABLED',
      Targets: [
        {
          Arn: { 'Fn::GetAtt': [functionId, 'Arn'] },
          Id: 'Target0',
          RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 300 },
        },
      ],
    });
    synth.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
      FunctionName: { Ref: functionId },
      Qualifier: '$LATEST',
      MaximumRetryAttempts: 0,
      MaximumEventAgeInSeconds: 300,
    });
  });

  it('lets only its schedule invoke the function', () => {
    const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission')).filter(
      (permission) => JSON.stringify(permission.Properties.FunctionName).includes(functionId),
    );
    assert.deepEqual(
      permissions.map((permission) => permission.Properties),
      [
        {
          Action: 'lambda:InvokeFunction',
          FunctionName: { 'Fn::GetAtt': [functionId, 'Arn'] },
          Principal: 'events.amazonaws.com',
          SourceArn: {
            'Fn::GetAtt': [
              logicalIdByPath(synth.template, 'AWS::Events::Rule', 'TokenRefresh/Schedule/Resource'),
              'Arn',
            ],
          },
        },
      ],
    );
  });

  it('keeps its logs in a log group of its own with the configured retention', () => {
    const logGroupId = logicalIdByPath(
      synth.template,
      'AWS::Logs::LogGroup',
      'TokenRefresh/FunctionLogs/Resource',
    );
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: logGroupId }, LogFormat: 'JSON' }),
    });
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    assert.equal(
      resourcesOfType(synth.template, 'AWS::Logs::LogGroup')[logGroupId]?.DeletionPolicy,
      'Delete',
    );
  });

  it('alarms on the first failed run and notifies the alarm topic', () => {
    synth.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      AlarmName: `quotagate-${TEST_STAGE}-token-refresh-errors`,
      Namespace: 'AWS/Lambda',
      MetricName: 'Errors',
      Dimensions: [{ Name: 'FunctionName', Value: { Ref: functionId } }],
      Statistic: 'Sum',
      Period: 300,
      Threshold: 1,
      EvaluationPeriods: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      TreatMissingData: 'notBreaching',
      AlarmActions: [TOPIC],
      OKActions: [TOPIC],
    });
  });
});
