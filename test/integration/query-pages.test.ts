import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { queryAll, queryPages, scanAll } from '#shared/store/dynamo/query-pages.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';

const tables = tableNamesForStage('pages');
const PARTITION = 'PAGES#test';

describe('reading a Query or a Scan to its end', () => {
  let db: RunningDynalite;
  let client: ReturnType<typeof createDocumentClient>;
  // `Limit` cuts pages after two items, as the 1 MB cap does on a large result.
  const query = () => ({
    TableName: tables.state,
    KeyConditionExpression: 'pk = :pk',
    ExpressionAttributeValues: { ':pk': PARTITION },
    Limit: 2,
  });

  before(async () => {
    db = await startDynalite({ port: 0 });
    await ensureTables(db.endpoint, tables);
    client = createDocumentClient(db.endpoint);
    for (const index of [1, 2, 3, 4, 5]) {
      await client.send(new PutCommand({ TableName: tables.state, Item: { pk: PARTITION, sk: `${index}` } }));
    }
  });
  after(async () => {
    client.destroy();
    await db.close();
  });

  it('follows LastEvaluatedKey and returns every item of a Query in key order', async () => {
    // Act
    const items = await queryAll(client, query());

    // Assess
    assert.deepEqual(
      items.map((item) => item.sk),
      ['1', '2', '3', '4', '5'],
    );
  });

  it('hands a Query over page by page', async () => {
    // Act
    const pages: unknown[][] = [];
    for await (const page of queryPages(client, query())) pages.push(page.map((item) => item.sk));

    // Assess
    assert.deepEqual(pages, [['1', '2'], ['3', '4'], ['5']]);
  });

  it('reads no further page once the reader stops', async () => {
    // Prepare
    const queriesBefore = dynamoRequestCounter.byCommand.get('QueryCommand') ?? 0;

    // Act
    for await (const page of queryPages(client, query())) if (page.length > 0) break;

    // Assess
    assert.equal((dynamoRequestCounter.byCommand.get('QueryCommand') ?? 0) - queriesBefore, 1);
  });

  it('follows LastEvaluatedKey through a whole Scan', async () => {
    // Act
    const items = await scanAll(client, { TableName: tables.state, Limit: 2 });

    // Assess
    assert.deepEqual(items.map((item) => item.sk).sort(), ['1', '2', '3', '4', '5']);
  });
});
