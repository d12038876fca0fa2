/**
 * The bench's index write counter (bench/index-writes.ts) is live on dynalite's own index
 * maintenance: writes to the Usage table through the SDK, as the recorder makes them, add the
 * units DynamoDB would bill, counted here by hand.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { countIndexWrites } from '../../bench/index-writes.ts';

const tables = tableNamesForStage('bench-index-writes');
const indexWrites = countIndexWrites();
let db: RunningDynalite;
let client: SdkDocumentClient;

before(async () => {
  db = await startDynalite({ port: 0 });
  await ensureTables(db.endpoint, tables);
  client = createDocumentClient(db.endpoint);
});
after(() => db.close());

describe('index writes counted in the dynalite process', () => {
  it('weighs each write by what DynamoDB bills for the Usage table indexes', {
    timeout: 30_000,
  }, async () => {
    const key = { pk: 'REQ#r1', sk: 'REQ' };
    const step = async (send: () => Promise<unknown>) => {
      const before = indexWrites.units();
      await send();
      return indexWrites.units() - before;
    };
    const record = {
      ...key,
      ...{ gsi1pk: 'REQS#2026-12-03#0', gsi1sk: 't1', pendingPk: 'PENDING#0', pendingSk: 't1' },
      state: 'pending',
    };
    // Both indexes gain an entry.
    assert.equal(await step(() => client.send(new PutCommand({ TableName: tables.usage, Item: record }))), 2);
    // The same item again: dynalite rewrites both entries, DynamoDB bills none.
    assert.equal(await step(() => client.send(new PutCommand({ TableName: tables.usage, Item: record }))), 0);
    // Applied: the pending entry goes (1); the day listing's entry (keys only here) is unchanged.
    const applied = new UpdateCommand({
      TableName: tables.usage,
      Key: key,
      UpdateExpression: 'SET #s = :s REMOVE pendingPk, pendingSk',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':s': 'applied' },
    });
    assert.equal(await step(() => client.send(applied)), 1);
    // A failed conditional write changes no index.
    const refused = new UpdateCommand({
      TableName: tables.usage,
      Key: key,
      UpdateExpression: 'SET #s = :s',
      ConditionExpression: '#s = :was',
      ExpressionAttributeNames: { '#s': 'state' },
      ExpressionAttributeValues: { ':s': 'x', ':was': 'pending' },
    });
    await assert.rejects(client.send(refused), { name: 'ConditionalCheckFailedException' });
    assert.equal(await step(async () => {}), 0);
    // A Config-table write outside its listing index: nothing.
    const user = { pk: 'USER#u1', sk: 'USER', balanceNano: 5 };
    assert.equal(await step(() => client.send(new PutCommand({ TableName: tables.config, Item: user }))), 0);
    // Deleted: the day listing's entry goes.
    assert.equal(await step(() => client.send(new DeleteCommand({ TableName: tables.usage, Key: key }))), 1);
  });
});
