import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import type { Template } from 'aws-cdk-lib/assertions';
import { logicalIdByPath, resourcesOfType, synthQuotagate } from './support/synth-quotagate.ts';

interface Statement {
  Effect: 'Allow' | 'Deny';
  Action: string | string[];
  Resource: unknown;
  Principal?: unknown;
  Condition?: unknown;
}

const list = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

/** Construct path of a logical id, without the stack and the `/Resource` suffix: `Tables/Config`. */
function pathOf(template: Template, logicalId: string): string {
  const resource = (template.toJSON().Resources as Record<string, { Metadata?: Record<string, string> }>)[
    logicalId
  ];
  const path = resource?.Metadata?.['aws:cdk:path'];
  if (!path) throw new Error(`no construct path for ${logicalId}`);
  return path
    .split('/')
    .slice(1)
    .join('/')
    .replace(/\/Resource$/, '');
}

/** A policy resource in readable form: `Tables/Config.Arn/index/gsi1`. */
function describeResource(template: Template, value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  // Pseudo parameters (partition, region, account) read as nothing: `arn::glue:::table/…`.
  if ('Ref' in intrinsic)
    return String(intrinsic.Ref).startsWith('AWS::') ? '' : pathOf(template, String(intrinsic.Ref));
  if ('Fn::GetAtt' in intrinsic) {
    const [id, attribute] = intrinsic['Fn::GetAtt'] as [string, string];
    return `${pathOf(template, id)}.${attribute}`;
  }
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map((part) => describeResource(template, part)).join(separator);
  }
  throw new Error(`unexpected policy resource ${JSON.stringify(value)}`);
}

/** Every `action on resource` pair the role's identity policies allow, sorted. */
function grantsOfRole(template: Template, rolePath: string): string[] {
  const roleId = logicalIdByPath(template, 'AWS::IAM::Role', `${rolePath}/Resource`);
  const grants: string[] = [];
  for (const policy of Object.values(resourcesOfType(template, 'AWS::IAM::Policy'))) {
    const roles = policy.Properties.Roles as Array<{ Ref: string }>;
    if (!roles.some((role) => role.Ref === roleId)) continue;
    const document = policy.Properties.PolicyDocument as { Statement: Statement[] };
    for (const statement of document.Statement) {
      assert.equal(statement.Effect, 'Allow');
      for (const action of list(statement.Action)) {
        for (const resource of list(statement.Resource)) {
          grants.push(`${action} on ${describeResource(template, resource)}`);
        }
      }
    }
  }
  return grants.sort();
}

/** Every identity-policy statement in the template: role inline policies and AWS::IAM::Policy. */
function identityStatements(template: Template): Statement[] {
  const statements: Statement[] = [];
  for (const type of ['AWS::IAM::Policy', 'AWS::IAM::ManagedPolicy']) {
    for (const policy of Object.values(resourcesOfType(template, type))) {
      statements.push(...(policy.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
    }
  }
  for (const role of Object.values(resourcesOfType(template, 'AWS::IAM::Role'))) {
    for (const inline of (role.Properties.Policies as Array<{
      PolicyDocument: { Statement: Statement[] };
    }>) ?? []) {
      statements.push(...inline.PolicyDocument.Statement);
    }
  }
  return statements;
}

/** Text of a resource with intrinsics reduced to their literal parts, where a `*` would show. */
function literalText(value: unknown): string {
  if (typeof value === 'string') return value;
  if (Array.isArray(value)) return value.map(literalText).join('');
  if (value && typeof value === 'object') {
    const [key, inner] = Object.entries(value)[0] ?? [];
    if (key === 'Fn::Join') return literalText((inner as [string, unknown[]])[1]);
    if (key === 'Fn::Sub') return literalText(inner);
    return ''; // Ref / GetAtt name one resource exactly.
  }
  return '';
}

describe('IAM: least privilege', () => {
  let template: Template;
  before(() => {
    template = synthQuotagate({ stage: 'test' }).template;
  });

  it('lets the gateway use only its config reads and health updates, its leases, the bus, parking, started records and usage reads', () => {
    assert.deepEqual(grantsOfRole(template, 'Gateway/FunctionRole'), [
      'dynamodb:BatchGetItem on Tables/Config.Arn',
      'dynamodb:BatchGetItem on Tables/State.Arn',
      'dynamodb:DeleteItem on Tables/State.Arn',
      'dynamodb:DeleteItem on Tables/Usage.Arn',
      'dynamodb:GetItem on Tables/Config.Arn',
      'dynamodb:PutItem on Tables/State.Arn',
      'dynamodb:PutItem on Tables/Usage.Arn',
      'dynamodb:Query on Tables/Config.Arn/index/listing',
      'dynamodb:Query on Tables/State.Arn',
      'dynamodb:Query on Tables/Usage.Arn',
      'dynamodb:UpdateItem on Tables/Config.Arn',
      'dynamodb:UpdateItem on Tables/State.Arn',
      'events:PutEvents on Usage/Bus.Arn',
      'kms:Decrypt on Secrets/Key.Arn',
      'kms:GenerateDataKey on Secrets/Key.Arn',
      'logs:CreateLogStream on Gateway/FunctionLogs.Arn',
      'logs:PutLogEvents on Gateway/FunctionLogs.Arn',
    ]);
  });

  it('lets the recorder use only the usage ledger and parking, charges and alert claims in config, alert records, the bus and its dead-letter queue', () => {
    assert.deepEqual(grantsOfRole(template, 'Usage/RecorderRole'), [
      'dynamodb:BatchGetItem on Tables/Config.Arn',
      'dynamodb:BatchGetItem on Tables/Usage.Arn',
      'dynamodb:DeleteItem on Tables/State.Arn',
      'dynamodb:DeleteItem on Tables/Usage.Arn',
      'dynamodb:GetItem on Tables/Config.Arn',
      'dynamodb:GetItem on Tables/Usage.Arn',
      'dynamodb:PutItem on Tables/State.Arn',
      'dynamodb:PutItem on Tables/Usage.Arn',
      'dynamodb:Query on Tables/Config.Arn/index/listing',
      'dynamodb:Query on Tables/State.Arn',
      'dynamodb:Query on Tables/Usage.Arn',
      'dynamodb:Query on Tables/Usage.Arn/index/listing',
      'dynamodb:Query on Tables/Usage.Arn/index/pending',
      'dynamodb:UpdateItem on Tables/Config.Arn',
      'dynamodb:UpdateItem on Tables/State.Arn',
      'dynamodb:UpdateItem on Tables/Usage.Arn',
      'events:PutEvents on Usage/Bus.Arn',
      'logs:CreateLogStream on Usage/RecorderLogs.Arn',
      'logs:PutLogEvents on Usage/RecorderLogs.Arn',
      'sqs:SendMessage on Usage/DeadLetterQueue.Arn',
    ]);
  });

  it('lets the token refresher read accounts, write their tokens and hold refresh leases, nothing else', () => {
    assert.deepEqual(grantsOfRole(template, 'TokenRefresh/FunctionRole'), [
      'dynamodb:DeleteItem on Tables/State.Arn',
      'dynamodb:GetItem on Tables/Config.Arn',
      'dynamodb:PutItem on Tables/State.Arn',
      'dynamodb:Query on Tables/Config.Arn/index/listing',
      'dynamodb:UpdateItem on Tables/Config.Arn',
      'kms:Decrypt on Secrets/Key.Arn',
      'kms:GenerateDataKey on Secrets/Key.Arn',
      'logs:CreateLogStream on TokenRefresh/FunctionLogs.Arn',
      'logs:PutLogEvents on TokenRefresh/FunctionLogs.Arn',
    ]);
  });

  it('lets the admin API change config and read usage aggregates and records, slot leases and ops records, nothing else', () => {
    assert.deepEqual(grantsOfRole(template, 'AdminApi/FunctionRole'), [
      'dynamodb:BatchGetItem on Tables/Config.Arn',
      'dynamodb:BatchGetItem on Tables/Usage.Arn',
      'dynamodb:DeleteItem on Tables/Config.Arn',
      'dynamodb:GetItem on Tables/Config.Arn',
      'dynamodb:PutItem on Tables/Config.Arn',
      'dynamodb:Query on Tables/Config.Arn',
      'dynamodb:Query on Tables/Config.Arn/index/listing',
      'dynamodb:Query on Tables/State.Arn',
      'dynamodb:Query on Tables/Usage.Arn',
      'dynamodb:Query on Tables/Usage.Arn/index/listing',
      'dynamodb:UpdateItem on Tables/Config.Arn',
      'kms:GenerateDataKey on Secrets/Key.Arn',
      'logs:CreateLogStream on AdminApi/FunctionLogs.Arn',
      'logs:PutLogEvents on AdminApi/FunctionLogs.Arn',
    ]);
  });

  it('lets the usage-export function start and list the Usage table exports and write them under usage/ only', () => {
    assert.deepEqual(grantsOfRole(template, 'UsageExports/FunctionRole'), [
      'dynamodb:DescribeExport on Tables/Usage.Arn/export/*',
      'dynamodb:ExportTableToPointInTime on Tables/Usage.Arn',
      'dynamodb:ListExports on *',
      'logs:CreateLogStream on UsageExports/FunctionLogs.Arn',
      'logs:PutLogEvents on UsageExports/FunctionLogs.Arn',
      's3:AbortMultipartUpload on UsageExports/Bucket.Arn/usage/*',
      's3:PutObject on UsageExports/Bucket.Arn/usage/*',
      's3:PutObjectAcl on UsageExports/Bucket.Arn/usage/*',
    ]);
    assert.deepEqual(grantsOfRole(template, 'UsageExports/SchedulerRole'), [
      'lambda:InvokeFunction on UsageExports/Function.Arn',
      'lambda:InvokeFunction on UsageExports/Function.Arn:*',
    ]);
  });

  it('uses a wildcard action nowhere, and a wildcard resource only where an ARN cannot be named', () => {
    const statements = identityStatements(template);
    assert.ok(statements.length > 0);
    const wildcards: string[] = [];
    for (const statement of statements) {
      for (const action of list(statement.Action))
        assert.doesNotMatch(action, /\*/, `wildcard action ${action}`);
      for (const resource of list(statement.Resource)) {
        if (!literalText(resource).includes('*')) continue;
        for (const action of list(statement.Action)) {
          wildcards.push(`${action} on ${describeResource(template, resource)}`);
        }
      }
    }
    // ListExports and Athena's listings have no resource-level permission; export ids, data file
    // names, query ids and view names are chosen by AWS or at query time, under fixed prefixes.
    assert.deepEqual(wildcards.sort(), [
      'athena:ListDataCatalogs on *',
      'athena:ListWorkGroups on *',
      'dynamodb:DescribeExport on Tables/Usage.Arn/export/*',
      'dynamodb:ListExports on *',
      'glue:CreateTable on arn::glue:::table/quotagate_test_usage/*',
      'glue:GetDatabase on arn::glue:::table/quotagate_test_usage/*',
      'glue:GetDatabases on arn::glue:::table/quotagate_test_usage/*',
      'glue:GetTable on arn::glue:::table/quotagate_test_usage/*',
      'glue:GetTables on arn::glue:::table/quotagate_test_usage/*',
      'glue:UpdateTable on arn::glue:::table/quotagate_test_usage/*',
      'lambda:InvokeFunction on UsageExports/Function.Arn:*',
      's3:AbortMultipartUpload on UsageExports/Bucket.Arn/athena-results/*',
      's3:AbortMultipartUpload on UsageExports/Bucket.Arn/usage/*',
      's3:GetObject on UsageExports/Bucket.Arn/athena-results/*',
      's3:GetObject on UsageExports/Bucket.Arn/usage/*',
      's3:PutObject on UsageExports/Bucket.Arn/athena-results/*',
      's3:PutObject on UsageExports/Bucket.Arn/usage/*',
      's3:PutObjectAcl on UsageExports/Bucket.Arn/usage/*',
    ]);
  });

  it('attaches no managed policy to a role; Lambda assumes them, and Scheduler only its own', () => {
    for (const [id, role] of Object.entries(resourcesOfType(template, 'AWS::IAM::Role'))) {
      const service =
        pathOf(template, id) === 'UsageExports/SchedulerRole'
          ? 'scheduler.amazonaws.com'
          : 'lambda.amazonaws.com';
      assert.equal(role.Properties.ManagedPolicyArns, undefined);
      assert.deepEqual(role.Properties.AssumeRolePolicyDocument, {
        Statement: [{ Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: service } }],
        Version: '2012-10-17',
      });
    }
  });

  it('opens the gateway to anyone only through its Function URL', () => {
    const permissions = Object.values(resourcesOfType(template, 'AWS::Lambda::Permission'));
    const gatewayId = logicalIdByPath(template, 'AWS::Lambda::Function', 'Gateway/Function/Resource');
    const publicOnes = permissions.filter((permission) => permission.Properties.Principal === '*');
    assert.equal(publicOnes.length, 2);
    for (const permission of publicOnes) {
      assert.deepEqual(permission.Properties.FunctionName, { 'Fn::GetAtt': [gatewayId, 'Arn'] });
      const viaUrl =
        permission.Properties.FunctionUrlAuthType === 'NONE' ||
        permission.Properties.InvokedViaFunctionUrl === true;
      assert.ok(viaUrl, `public permission not bound to the Function URL: ${JSON.stringify(permission)}`);
    }
  });

  it('lets only the two recorder rules and the alerts rule send to the dead-letter queue, and only with sqs:SendMessage', () => {
    const queuePolicies = Object.values(resourcesOfType(template, 'AWS::SQS::QueuePolicy'));
    assert.equal(queuePolicies.length, 1);
    const document = queuePolicies[0]?.Properties.PolicyDocument as { Statement: Statement[] };
    const statements = document.Statement;
    const allows = statements.filter((statement) => statement.Effect === 'Allow');
    assert.deepEqual(
      allows.map(({ Action, Principal, Condition }) => ({ Action, Principal, Condition })),
      ['Usage/Rule/Resource', 'Usage/DrainParkedRule/Resource', 'Alerts/Rule/Resource'].map((path) => ({
        Action: 'sqs:SendMessage',
        Principal: { Service: 'events.amazonaws.com' },
        Condition: {
          ArnEquals: {
            'aws:SourceArn': { 'Fn::GetAtt': [logicalIdByPath(template, 'AWS::Events::Rule', path), 'Arn'] },
          },
        },
      })),
    );
  });
});
