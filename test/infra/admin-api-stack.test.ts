import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { logicalIdByPath, resourcesOfType, synthForSuite, TEST_STAGE } from './support/synth-quotagate.ts';

describe('QuotagateStack: the admin API', () => {
  const synth = synthForSuite();
  let adminId: string;
  before(() => {
    adminId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'AdminApi/Function/Resource');
  });

  it('is reached only through a buffered Function URL with AWS_IAM auth', () => {
    // Act
    const urls = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Url')).filter(
      (url) =>
        JSON.stringify(url.Properties.TargetFunctionArn) ===
        JSON.stringify({ 'Fn::GetAtt': [adminId, 'Arn'] }),
    );

    // Assess
    assert.equal(urls.length, 1);
    assert.equal(urls[0]?.Properties.AuthType, 'AWS_IAM');
    assert.equal(urls[0]?.Properties.InvokeMode, 'BUFFERED');
  });

  it('has no resource policy: no Lambda permission names the admin function', () => {
    const permissions = Object.values(resourcesOfType(synth.template, 'AWS::Lambda::Permission')).filter(
      (permission) => JSON.stringify(permission.Properties.FunctionName).includes(adminId),
    );
    assert.deepEqual(permissions, []);
  });

  it('runs Node.js 24 on ARM, 256 MB, 30 s, with the table names and Powertools settings', () => {
    const tableRef = (suffix: string) => ({
      Ref: logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', `Tables/${suffix}/Resource`),
    });
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('admin API'),
      Runtime: 'nodejs24.x',
      Architectures: ['arm64'],
      MemorySize: 256,
      Timeout: 30,
      Environment: {
        Variables: Match.objectEquals({
          QG_STAGE: TEST_STAGE,
          POWERTOOLS_SERVICE_NAME: 'admin',
          POWERTOOLS_METRICS_NAMESPACE: 'Quotagate',
          POWERTOOLS_LOG_LEVEL: 'INFO',
          QG_CONFIG_TABLE: tableRef('Config'),
          QG_STATE_TABLE: tableRef('State'),
          QG_USAGE_TABLE: tableRef('Usage'),
          // The admin seals upstream credentials it is given; it can never unseal them.
          QG_SECRETS_KEY_ID: {
            'Fn::GetAtt': [logicalIdByPath(synth.template, 'AWS::KMS::Key', 'Secrets/Key/Resource'), 'Arn'],
          },
        }),
      },
      LoggingConfig: Match.objectLike({ LogFormat: 'JSON' }),
    });
  });

  it('keeps its logs in a log group of its own with the configured retention', () => {
    const logsId = logicalIdByPath(synth.template, 'AWS::Logs::LogGroup', 'AdminApi/FunctionLogs/Resource');
    synth.template.hasResourceProperties('AWS::Logs::LogGroup', { RetentionInDays: 14 });
    synth.template.hasResourceProperties('AWS::Lambda::Function', {
      Description: Match.stringLikeRegexp('admin API'),
      LoggingConfig: Match.objectLike({ LogGroup: { Ref: logsId } }),
    });
  });

  it('offers a managed policy allowing exactly the two calls an IAM caller of the URL needs', () => {
    // Act
    // The finance stack adds a query policy of its own; this one is the admin API's.
    const policyId = logicalIdByPath(
      synth.template,
      'AWS::IAM::ManagedPolicy',
      'AdminApi/InvokePolicy/Resource',
    );
    const policies = [resourcesOfType(synth.template, 'AWS::IAM::ManagedPolicy')[policyId]];

    // Assess
    assert.ok(policies[0], 'the admin API offers an invoke policy');
    const document = policies[0]?.Properties.PolicyDocument as { Statement: unknown[] };
    const arn = { 'Fn::GetAtt': [adminId, 'Arn'] };
    assert.deepEqual(document.Statement, [
      {
        Action: 'lambda:InvokeFunctionUrl',
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'AWS_IAM' } },
        Effect: 'Allow',
        Resource: arn,
      },
      {
        Action: 'lambda:InvokeFunction',
        Condition: { Bool: { 'lambda:InvokedViaFunctionUrl': true } },
        Effect: 'Allow',
        Resource: arn,
      },
    ]);
    assert.equal(
      policies[0]?.Properties.Roles,
      undefined,
      'the policy is for admins to attach, not attached',
    );
  });

  it('outputs the admin URL and the invoke policy ARN', () => {
    const outputs = synth.template.toJSON().Outputs as Record<string, { Value: unknown }>;
    const urlId = logicalIdByPath(
      synth.template,
      'AWS::Lambda::Url',
      'AdminApi/Function/FunctionUrl/Resource',
    );
    const policyId = logicalIdByPath(
      synth.template,
      'AWS::IAM::ManagedPolicy',
      'AdminApi/InvokePolicy/Resource',
    );
    assert.deepEqual(outputs.AdminApiUrl?.Value, { 'Fn::GetAtt': [urlId, 'FunctionUrl'] });
    assert.deepEqual(outputs.AdminApiInvokePolicyArn?.Value, { Ref: policyId });
  });
});
