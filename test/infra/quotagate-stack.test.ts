import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Match } from 'aws-cdk-lib/assertions';
import { TABLES, type TableId, tableNamesForStage } from '#shared/tables/definitions.ts';
import { logicalIdByPath, synthForSuite, TEST_STAGE } from './support/synth-quotagate.ts';

const names = tableNamesForStage(TEST_STAGE);

describe('QuotagateStack: inventory, tables and outputs', () => {
  const synth = synthForSuite();

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
      'AWS::Athena::NamedQuery': 11,
      'AWS::Athena::WorkGroup': 1,
      'AWS::CloudWatch::Alarm': 10,
      'AWS::CloudWatch::Dashboard': 1,
      'AWS::DynamoDB::Table': 3,
      'AWS::Events::EventBus': 1,
      'AWS::Events::Rule': 4,
      'AWS::Glue::Database': 1,
      'AWS::Glue::Table': 2,
      'AWS::IAM::ManagedPolicy': 2,
      'AWS::IAM::Policy': 6,
      'AWS::IAM::Role': 6,
      'AWS::KMS::Alias': 2,
      'AWS::KMS::Key': 2,
      'AWS::Lambda::EventInvokeConfig': 3,
      'AWS::Lambda::Function': 5,
      'AWS::Lambda::Permission': 5,
      'AWS::Lambda::Url': 2,
      'AWS::Logs::LogGroup': 5,
      'AWS::S3::Bucket': 1,
      'AWS::S3::BucketPolicy': 1,
      'AWS::SNS::Topic': 1,
      'AWS::SNS::TopicPolicy': 1,
      'AWS::SQS::Queue': 1,
      'AWS::SQS::QueuePolicy': 1,
      'AWS::Scheduler::Schedule': 1,
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
                  Projection: Match.anyValue(),
                })),
        });
      });
    }

    it('lists usage records by day in a listing index of keys, user and key, and the records not yet applied in a sparse, narrow pending index', () => {
      synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: names.usage,
        GlobalSecondaryIndexes: [
          {
            IndexName: 'listing',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['userId', 'apiKeyId'] },
          },
          {
            IndexName: 'pending',
            KeySchema: [
              { AttributeName: 'pendingPk', KeyType: 'HASH' },
              { AttributeName: 'pendingSk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['state', 'leaseUntil'] },
          },
        ],
      });
    });

    it('expires State items and (when the record TTL is set) usage records on expiresAt, never Config', () => {
      for (const table of [names.state, names.usage]) {
        synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
          TableName: table,
          TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        });
      }
      synth.template.hasResourceProperties('AWS::DynamoDB::Table', {
        TableName: names.config,
        TimeToLiveSpecification: Match.absent(),
      });
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
