/**
 * The local stack's tables: made from the shared definitions when missing, and an existing table
 * an older version made without one of today's indexes is rebuilt with its items (dynalite cannot
 * add an index to a table), a rebuild cut short being finished by the next start.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import { createTableInput } from '#local/create-table-input.ts';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { spareTableName, tableDescription } from '#local/table-rebuild.ts';
import { LEGACY_LISTING_INDEX, TABLES, tableNamesForStage } from '#shared/tables/definitions.ts';

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
      'listing',
      'pending',
    ]);
  });

  const indexesOf = async (tableName: string) =>
    ((await tableDescription(client, tableName))?.GlobalSecondaryIndexes ?? [])
      .map((index) => index.IndexName)
      .sort();
  const itemsOf = async (tableName: string) =>
    ((await client.send(new ScanCommand({ TableName: tableName }))).Items ?? [])
      .map((item) => `${item.pk?.S}|${item.sk?.S}|${item.balanceNano?.N ?? ''}`)
      .sort();
  /** Items as an older version left them: an account with a credential and a user with a balance. */
  const putOlderItems = async (tableName: string) => {
    for (const item of [
      {
        pk: 'ACCOUNT#acc_1',
        sk: 'ACCOUNT',
        gsi1pk: 'ACCOUNTS',
        gsi1sk: 'acc_1',
        id: 'acc_1',
        credentials: 'sealed',
      },
      { pk: 'USER#u_1', sk: 'USER', gsi1pk: 'USERS', gsi1sk: 'u_1', id: 'u_1', balanceNano: '42' },
    ])
      await client.send(
        new PutItemCommand({
          TableName: tableName,
          Item: Object.fromEntries(
            Object.entries(item).map(([name, value]) => [
              name,
              name === 'balanceNano' ? { N: value } : { S: value },
            ]),
          ),
        }),
      );
  };

  it('rebuilds a Config table an older version made with gsi1 (ALL), keeping its items', async () => {
    const names = tableNamesForStage('older');
    const older = { ...TABLES.config, indexes: [LEGACY_LISTING_INDEX] };
    await client.send(new CreateTableCommand(createTableInput(older, names.config)));
    await putOlderItems(names.config);

    await ensureTables(db.endpoint, names);

    assert.deepEqual(await indexesOf(names.config), ['listing']);
    assert.deepEqual(await itemsOf(names.config), ['ACCOUNT#acc_1|ACCOUNT|', 'USER#u_1|USER|42']);
    assert.equal(await tableDescription(client, spareTableName(names.config)), undefined);
    const { Items: listed = [] } = await client.send(
      new QueryCommand({
        TableName: names.config,
        IndexName: 'listing',
        KeyConditionExpression: 'gsi1pk = :list',
        ExpressionAttributeValues: { ':list': { S: 'ACCOUNTS' } },
      }),
    );
    // The rebuilt index holds the listing, not the credential.
    assert.deepEqual(
      listed.map((item) => [item.id?.S, item.credentials]),
      [['acc_1', undefined]],
    );
  });

  it('finishes a rebuild an earlier start left with only the spare table', async () => {
    const names = tableNamesForStage('halfway');
    const spare = spareTableName(names.config);
    await client.send(new CreateTableCommand(createTableInput(TABLES.config, spare)));
    await putOlderItems(spare);

    await ensureTables(db.endpoint, names);

    assert.deepEqual(await itemsOf(names.config), ['ACCOUNT#acc_1|ACCOUNT|', 'USER#u_1|USER|42']);
    assert.equal(await tableDescription(client, spare), undefined);
  });

  for (const [layout, indexes] of [
    ['gsi1 (ALL) and pending', [LEGACY_LISTING_INDEX, TABLES.usage.indexes[1]]],
    ['gsi1 (ALL) without the pending index', [LEGACY_LISTING_INDEX]],
  ] as const)
    it(`rebuilds a Usage table an older version made with ${layout}, keeping its items`, async () => {
      const names = tableNamesForStage(`usage-${indexes.length}`);
      await client.send(
        new CreateTableCommand(createTableInput({ ...TABLES.usage, indexes: [...indexes] }, names.usage)),
      );
      const record = {
        pk: 'REQ#req_1',
        sk: 'REQ',
        gsi1pk: 'REQS#2026-12-03#5',
        gsi1sk: '2026-12-03T10:00:00.000Z#req_1',
        userId: 'u_1',
        apiKeyId: 'key_1',
        accountId: 'acc_1',
        state: 'applied',
      };
      await client.send(
        new PutItemCommand({
          TableName: names.usage,
          Item: Object.fromEntries(Object.entries(record).map(([name, value]) => [name, { S: value }])),
        }),
      );

      await ensureTables(db.endpoint, names);

      assert.deepEqual(await indexesOf(names.usage), ['listing', 'pending']);
      assert.deepEqual(await itemsOf(names.usage), ['REQ#req_1|REQ|']);
      const { Items: listed = [] } = await client.send(
        new QueryCommand({
          TableName: names.usage,
          IndexName: 'listing',
          KeyConditionExpression: 'gsi1pk = :day',
          ExpressionAttributeValues: { ':day': { S: record.gsi1pk } },
        }),
      );
      // The rebuilt listing names the record and holds its user and key, nothing that changes.
      assert.deepEqual(
        listed.map((entry) => Object.keys(entry).sort()),
        [['apiKeyId', 'gsi1pk', 'gsi1sk', 'pk', 'sk', 'userId']],
      );
    });
});
