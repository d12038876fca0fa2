/**
 * The local stack's tables: made from the shared definitions when missing, and an existing table
 * an older version made without one of today's indexes is refused with what to do, instead of the
 * stack failing on every query of that index later (dynalite cannot add an index to a table).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { CreateTableCommand, DescribeTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { createTableInput, ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { TABLES, tableNamesForStage } from '#shared/tables/definitions.ts';

describe('the local tables', { timeout: 60_000 }, () => {
  let db: RunningDynalite;
  let client: DynamoDBClient;
  before(async () => {
    db = await startDynalite({ port: 0 });
    client = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  });
  after(async () => {
    client.destroy();
    await db.close();
  });

  it('creates every table with its indexes, and leaves existing ones alone the second time', async () => {
    const names = tableNamesForStage('fresh');
    await ensureTables(db.endpoint, names);
    await ensureTables(db.endpoint, names);
    const { Table: usage } = await client.send(new DescribeTableCommand({ TableName: names.usage }));
    assert.deepEqual(usage?.GlobalSecondaryIndexes?.map((index) => index.IndexName).sort(), [
      'gsi1',
      'pending',
    ]);
  });

  it('refuses a Usage table an older version made without the pending index, saying what to do', async () => {
    const names = tableNamesForStage('older');
    const older = { ...TABLES.usage, indexes: TABLES.usage.indexes.filter((index) => index.name === 'gsi1') };
    await client.send(new CreateTableCommand(createTableInput(older, names.usage)));
    await assert.rejects(
      ensureTables(db.endpoint, names),
      /quotagate-older-usage .*lacks the index pending.*delete the local data folder/,
    );
  });
});
