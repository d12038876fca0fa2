import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { USAGE_RECORD_FIELD_NAMES, USAGE_RECORD_FIELDS } from '#shared/usage/record-fields.ts';
import {
  type CfnResource,
  logicalIdByPath,
  resourcesOfType,
  synthForSuite,
} from './support/synth-quotagate.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:finance';

/** How DynamoDB JSON holds each kind of field, written out by hand (not read from the code). */
const DYNAMO_JSON: Record<string, string> = {
  string: 'struct<s:string>',
  integer: 'struct<n:string>',
  decimal: 'struct<n:string>',
  boolean: 'struct<bool:boolean>',
  map: 'struct<m:map<string,struct<s:string>>>',
};

/** A template value with intrinsics spelled out: `{Ref: X}` → `<X>`, joins joined. */
function render(value: unknown): string {
  if (typeof value === 'string') return value;
  const intrinsic = value as Record<string, unknown>;
  if ('Ref' in intrinsic) return `<${intrinsic.Ref}>`;
  if ('Fn::GetAtt' in intrinsic) return `<${(intrinsic['Fn::GetAtt'] as string[]).join('.')}>`;
  if ('Fn::Join' in intrinsic) {
    const [separator, parts] = intrinsic['Fn::Join'] as [string, unknown[]];
    return parts.map(render).join(separator);
  }
  return JSON.stringify(value);
}

function only(resources: Record<string, CfnResource>): CfnResource {
  const values = Object.values(resources);
  assert.equal(values.length, 1);
  return values[0] as CfnResource;
}

describe('QuotagateStack: usage exports and the SQL over them', () => {
  const synth = synthForSuite({
    alarmTopicArn: TOPIC,
    usageExportInfrequentAccessDays: 45,
    usageExportLagAlarmHours: 36,
    usageRecordTtlDays: 400,
  });
  let bucket: string;
  before(() => {
    bucket = logicalIdByPath(synth.template, 'AWS::S3::Bucket', 'UsageExports/Bucket/Resource');
  });

  it('keeps the exports in a private, encrypted, versioned bucket that outlives the stack', () => {
    const resource = only(resourcesOfType(synth.template, 'AWS::S3::Bucket'));
    assert.equal(resource.DeletionPolicy, 'Retain');
    assert.equal(resource.UpdateReplacePolicy, 'Retain');
    assert.deepEqual(resource.Properties.BucketEncryption, {
      ServerSideEncryptionConfiguration: [{ ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } }],
    });
    assert.deepEqual(resource.Properties.PublicAccessBlockConfiguration, {
      BlockPublicAcls: true,
      BlockPublicPolicy: true,
      IgnorePublicAcls: true,
      RestrictPublicBuckets: true,
    });
    assert.deepEqual(resource.Properties.VersioningConfiguration, { Status: 'Enabled' });
    assert.deepEqual(resource.Properties.OwnershipControls, {
      Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }],
    });
    synth.template.hasResourceProperties('AWS::S3::BucketPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
  });

  it('moves exports to Standard-IA after the configured days and expires Athena results after 30', () => {
    const rules = only(resourcesOfType(synth.template, 'AWS::S3::Bucket')).Properties
      .LifecycleConfiguration as {
      Rules: Record<string, unknown>[];
    };
    assert.deepEqual(
      rules.Rules.map((rule) => [rule.Prefix, rule.Transitions, rule.ExpirationInDays]),
      [
        ['usage/', [{ StorageClass: 'STANDARD_IA', TransitionInDays: 45 }], undefined],
        ['athena-results/', undefined, 30],
      ],
    );
  });

  it('runs the export function every hour from EventBridge Scheduler with the table, bucket and prefix', () => {
    const functionId = logicalIdByPath(
      synth.template,
      'AWS::Lambda::Function',
      'UsageExports/Function/Resource',
    );
    const schedule = only(resourcesOfType(synth.template, 'AWS::Scheduler::Schedule'));
    assert.equal(schedule.Properties.ScheduleExpression, 'cron(30 * * * ? *)');
    assert.equal(schedule.Properties.State, 'ENABLED');
    const target = schedule.Properties.Target as { Arn: unknown; RoleArn: unknown };
    assert.equal(render(target.Arn), `<${functionId}.Arn>`);
    const roleId = logicalIdByPath(synth.template, 'AWS::IAM::Role', 'UsageExports/SchedulerRole/Resource');
    assert.equal(render(target.RoleArn), `<${roleId}.Arn>`);
    const usageTable = logicalIdByPath(synth.template, 'AWS::DynamoDB::Table', 'Tables/Usage/Resource');
    const exporter = resourcesOfType(synth.template, 'AWS::Lambda::Function')[functionId];
    assert.ok(exporter);
    const { Variables: variables } = exporter.Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    assert.equal(render(variables.QG_USAGE_TABLE_ARN), `<${usageTable}.Arn>`);
    assert.equal(render(variables.QG_EXPORT_BUCKET), `<${bucket}>`);
    assert.equal(variables.QG_EXPORT_PREFIX, 'usage');
  });

  it('alarms when an export fails, when the exports fall behind the configured hours, and when a run fails', () => {
    const alarms = Object.values(resourcesOfType(synth.template, 'AWS::CloudWatch::Alarm'))
      .map((alarm) => alarm.Properties)
      .filter((alarm) => String(alarm.AlarmName).includes('usage-export'));
    const summary = alarms.map((alarm) => [
      alarm.AlarmName,
      alarm.MetricName,
      alarm.Threshold,
      alarm.ComparisonOperator,
      alarm.TreatMissingData,
    ]);
    assert.deepEqual(summary.sort(), [
      ['quotagate-test-usage-export-behind', 'UsageExportLagHours', 36, 'GreaterThanThreshold', 'breaching'],
      ['quotagate-test-usage-export-errors', 'Errors', 1, 'GreaterThanOrEqualToThreshold', 'notBreaching'],
      [
        'quotagate-test-usage-export-failed',
        'UsageExportFailures',
        1,
        'GreaterThanOrEqualToThreshold',
        'notBreaching',
      ],
    ]);
    for (const alarm of alarms) assert.deepEqual(alarm.AlarmActions, [TOPIC]);
  });

  it('has the recorder expire applied records after the configured days (off unless set)', () => {
    const recorderId = logicalIdByPath(synth.template, 'AWS::Lambda::Function', 'Usage/Recorder/Resource');
    const recorder = resourcesOfType(synth.template, 'AWS::Lambda::Function')[recorderId];
    assert.ok(recorder);
    const { Variables: variables } = recorder.Properties.Environment as {
      Variables: Record<string, unknown>;
    };
    assert.equal(variables.QG_USAGE_RECORD_TTL_DAYS, '400');
  });

  it('catalogs every usage record field in the Glue tables, as DynamoDB JSON', () => {
    const tables = Object.values(resourcesOfType(synth.template, 'AWS::Glue::Table')).map(
      (table) =>
        table.Properties.TableInput as {
          Name: string;
          StorageDescriptor: { Location: unknown; Columns: { Name: string; Type: string }[] };
        },
    );
    const full = tables.find((table) => table.Name === 'usage_full_export');
    const incremental = tables.find((table) => table.Name === 'usage_incremental_export');
    assert.ok(full && incremental);
    assert.equal(render(full.StorageDescriptor.Location), `s3://<${bucket}>/usage/full/AWSDynamoDB/`);
    assert.equal(
      render(incremental.StorageDescriptor.Location),
      `s3://<${bucket}>/usage/incremental/AWSDynamoDB/`,
    );
    assert.deepEqual(
      full.StorageDescriptor.Columns.map((column) => column.Name),
      ['item'],
    );
    assert.deepEqual(
      incremental.StorageDescriptor.Columns.map((column) => column.Name),
      ['metadata', 'keys', 'newimage', 'oldimage'],
    );
    const item = full.StorageDescriptor.Columns[0]?.Type ?? '';
    // Every record field, in definition order, then the key and aggregate attributes.
    const recordPart = USAGE_RECORD_FIELD_NAMES.map(
      (name) => `${name.toLowerCase()}:${DYNAMO_JSON[USAGE_RECORD_FIELDS[name].type]}`,
    ).join(',');
    assert.ok(item.startsWith(`struct<${recordPart},pk:struct<s:string>,sk:struct<s:string>,`), item);
    assert.ok(
      item.includes('billednano:struct<n:string>') && item.includes('modelrequested:struct<s:string>'),
    );
    const images = incremental.StorageDescriptor.Columns.slice(2).map((column) => column.Type);
    assert.deepEqual(images, [item, item]);
  });

  it('gives finance a workgroup writing encrypted results to the bucket, and the saved queries', () => {
    const workGroup = only(resourcesOfType(synth.template, 'AWS::Athena::WorkGroup')).Properties;
    assert.equal(workGroup.Name, 'quotagate-test-finance');
    const configuration = workGroup.WorkGroupConfiguration as {
      EnforceWorkGroupConfiguration: boolean;
      ResultConfiguration: { OutputLocation: unknown; EncryptionConfiguration: unknown };
    };
    assert.equal(configuration.EnforceWorkGroupConfiguration, true);
    assert.equal(
      render(configuration.ResultConfiguration.OutputLocation),
      `s3://<${bucket}>/athena-results/`,
    );
    assert.deepEqual(configuration.ResultConfiguration.EncryptionConfiguration, {
      EncryptionOption: 'SSE_S3',
    });

    const queries = Object.values(resourcesOfType(synth.template, 'AWS::Athena::NamedQuery')).map(
      (query) => query.Properties as { Name: string; Database: string; QueryString: string },
    );
    assert.ok(queries.every((query) => query.Database === 'quotagate_test_usage'));
    assert.deepEqual(queries.map((query) => query.Name).sort(), [
      '1. Create the usage_records view (run once first)',
      '2. Create the usage_daily_aggregates view (run once first)',
      'Daily totals for a month',
      "Month's bill per API key",
      "Month's bill per group",
      "Month's bill per model",
      "Month's bill per user",
      'Reconcile: billed per user by billing mode, with the overall total',
      'Reconcile: daily aggregates equal the sums of their records (expect no rows)',
      "Reconcile: every record's amounts follow the cost formula (expect no rows)",
      'Reconcile: lifetime billed per API key',
    ]);
    const view = queries.find((query) => query.Name.startsWith('1.'))?.QueryString ?? '';
    assert.match(view, /^CREATE OR REPLACE VIEW usage_records AS/);
    assert.match(view, /WHERE position = 1 AND image\.state\.s = 'applied'/);
    for (const column of [
      'request_id',
      'user_id',
      'billed_nano',
      'billed_usd',
      'cost_usd',
      'charge_usd',
      'model_requested',
    ]) {
      assert.match(view, new RegExp(` AS ${column},?\\n`), column);
    }
    // Money in exact decimals, never floating point.
    assert.match(view, /CAST\(image\.billednano\.n AS DECIMAL\(38,9\)\) \/ 1000000000 AS billed_usd/);
  });
});
