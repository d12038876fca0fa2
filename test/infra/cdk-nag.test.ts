import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Validations } from 'aws-cdk-lib';
import type { QuotagateApp } from '../../infra/quotagate-app.ts';
import { buildQuotagate, synthQuotagate } from './support/synth-quotagate.ts';

interface Acknowledgement {
  path: string;
  id: string;
  reason: string;
}

/** Every `Validations.of(x).acknowledge()` in the app, with the construct it sits on. */
function acknowledgements(synth: QuotagateApp): Acknowledgement[] {
  const found: Acknowledgement[] = [];
  for (const construct of synth.app.node.findAll()) {
    for (const entry of construct.node.metadata) {
      if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
      for (const [qualifiedId, reason] of Object.entries(entry.data as Record<string, string>)) {
        const path = construct.node.path.split('/').slice(1).join('/');
        found.push({ path, id: qualifiedId.replace(/^annotation::/i, ''), reason });
      }
    }
  }
  return found.sort((a, b) => `${a.path} ${a.id}`.localeCompare(`${b.path} ${b.id}`));
}

describe('cdk-nag', () => {
  let synth: QuotagateApp;
  before(() => {
    synth = buildQuotagate({ stage: 'test' });
  });

  it('registers the AwsSolutions and Serverless packs on the app', () => {
    assert.deepEqual(synth.nagPacks.map((pack) => pack.readPackName).sort(), ['AwsSolutions', 'Serverless']);
  });

  it('reports no unacknowledged finding in either pack', () => {
    for (const pack of synth.nagPacks) {
      // Act
      const report = pack.validateScope(synth.app);

      // Assess
      const findings = report.violations.map(
        (violation) =>
          `${violation.ruleName} at ${violation.violatingResources.map((r) => r.constructPath).join(', ')}: ${violation.description}`,
      );
      assert.deepEqual(findings, [], `${pack.readPackName} findings:\n${findings.join('\n')}`);
    }
  });

  it('synthesises with both packs run as validation plugins', () => {
    // Synthesis runs the registered plugins after the tree is prepared and throws on any finding.
    assert.doesNotThrow(() => synthQuotagate({ stage: 'test' }));
  });

  it('acknowledges only the reviewed findings, each on the construct it is about', () => {
    assert.deepEqual(
      acknowledgements(synth).map(({ path, id }) => `${path} ${id}`),
      [
        'AdminApi/Function Serverless-LambdaDLQ',
        'AdminApi/Function Serverless-LambdaTracing',
        'FinanceSql/QueryPolicy AwsSolutions-IAM5[Resource::*]',
        'FinanceSql/QueryPolicy AwsSolutions-IAM5[Resource::<UsageExportsBucketDF2C699D.Arn>/athena-results/*]',
        'FinanceSql/QueryPolicy AwsSolutions-IAM5[Resource::<UsageExportsBucketDF2C699D.Arn>/usage/*]',
        'FinanceSql/QueryPolicy AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:glue:<AWS::Region>:<AWS::AccountId>:table/quotagate_test_usage/*]',
        'Gateway/Function Serverless-LambdaDLQ',
        'Gateway/Function Serverless-LambdaTracing',
        'Tables/State AwsSolutions-DDB3',
        'TokenRefresh/Function Serverless-LambdaAsyncFailureDestination',
        'TokenRefresh/Function Serverless-LambdaDLQ',
        'TokenRefresh/Function Serverless-LambdaTracing',
        'TokenRefresh/Schedule Serverless-EventBusDLQ',
        'Usage/DeadLetterQueue AwsSolutions-SQS3',
        'Usage/DeadLetterQueue Serverless-SQSRedrivePolicy',
        'Usage/Recorder Serverless-LambdaDLQ',
        'Usage/Recorder Serverless-LambdaTracing',
        'UsageExports/Bucket AwsSolutions-S1',
        'UsageExports/Function Serverless-LambdaAsyncFailureDestination',
        'UsageExports/Function Serverless-LambdaDLQ',
        'UsageExports/Function Serverless-LambdaTracing',
        'UsageExports/FunctionRole AwsSolutions-IAM5[Resource::*]',
        'UsageExports/FunctionRole AwsSolutions-IAM5[Resource::<TablesUsageA60E9525.Arn>/export/*]',
        'UsageExports/FunctionRole AwsSolutions-IAM5[Resource::<UsageExportsBucketDF2C699D.Arn>/usage/*]',
        'UsageExports/SchedulerRole AwsSolutions-IAM5[Resource::<UsageExportsFunction67B205DF.Arn>:*]',
      ],
    );
  });

  it('gives every acknowledgement a written reason', () => {
    for (const { path, id, reason } of acknowledgements(synth)) {
      assert.ok(reason.trim().split(/\s+/).length >= 15, `${id} on ${path} needs a reason, got "${reason}"`);
    }
  });
});
