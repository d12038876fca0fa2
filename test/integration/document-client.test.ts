import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ScanCommand as SdkScanCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { batchGetItems, itemKeyId } from '#shared/store/dynamo/batch-get.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import {
  BatchGetCommand,
  DeleteCommand,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '#shared/store/dynamo/commands.ts';
import { isConditionFailure } from '#shared/store/dynamo/condition-failure.ts';
import { type DocumentClient, JsonDocumentClient } from '#shared/store/dynamo/document-client.ts';
import { createDynamoJsonClient, type DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import { queryAll } from '#shared/store/dynamo/query-pages.ts';
import { dynamoRequestCounter } from '#shared/store/dynamo/request-counter.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { type DynamoFaultFront, startDynamoFaultFront } from '../support/dynamo-fault-front.ts';

const tables = tableNamesForStage('document-client');
let db: RunningDynalite;
let sdk: SdkDocumentClient;
let requester: DynamoJsonClient;
let json: JsonDocumentClient;
let front: DynamoFaultFront;
let frontRequester: DynamoJsonClient;
let throughFront: JsonDocumentClient;
let n = 0;

/** A fresh partition per test, so tests never see each other's items. */
function freshPartition(): string {
  n += 1;
  return `DOCTEST#${n}`;
}

/** Every kind of value a store writes: what a usage record or a Config item holds. */
const VALUES = {
  text: 'gpt-5 “quoted” ✓',
  count: 42,
  negativeNano: -1_234_567_890_123,
  largeNano: 9_007_199_254_740_991,
  fraction: 0.25,
  yes: true,
  no: false,
  nothing: null,
  marks: new Set(['req_1', 'req_2']),
  nested: { window: { startedAt: 1_700_000_000_000, usedNano: 5 }, tags: ['a', 'b'], empty: {} },
  list: [1, 'two', { three: 3 }, [4]],
};

before(async () => {
  db = await startDynalite({ port: 0 });
  await ensureTables(db.endpoint, tables);
  sdk = createDocumentClient(db.endpoint);
  requester = createDynamoJsonClient(db.endpoint);
  json = new JsonDocumentClient(requester);
  front = await startDynamoFaultFront(db.endpoint);
  frontRequester = createDynamoJsonClient(front.url);
  throughFront = new JsonDocumentClient(frontRequester);
});

after(async () => {
  sdk.destroy();
  requester.destroy();
  frontRequester.destroy();
  await front.close();
  await db.close();
});

describe('JsonDocumentClient', { timeout: 60_000 }, () => {
  for (const [writer, reader] of [
    ['json', 'sdk'],
    ['sdk', 'json'],
  ] as const) {
    it(`writes with the ${writer} client an item the ${reader} client reads back as written`, async () => {
      const clients = { json, sdk } as Record<string, DocumentClient>;
      const key = { pk: freshPartition(), sk: 'item' };
      // An undefined attribute is left out, as `removeUndefinedValues` asks of both clients.
      await clients[writer]?.send(
        new PutCommand({ TableName: tables.state, Item: { ...key, ...VALUES, gone: undefined } }),
      );
      const read = await clients[reader]?.send(
        new GetCommand({ TableName: tables.state, Key: key, ConsistentRead: true }),
      );
      assert.deepEqual(read?.Item, { ...key, ...VALUES });
    });
  }

  it('answers an update with ALL_NEW as the SDK does: sets added to, counters summed', async () => {
    const answers = [];
    for (const client of [sdk, json] as DocumentClient[]) {
      const key = { pk: freshPartition(), sk: 'item' };
      await client.send(new PutCommand({ TableName: tables.state, Item: { ...key, balanceNano: 100 } }));
      const { Attributes } = await client.send(
        new UpdateCommand({
          TableName: tables.state,
          Key: key,
          UpdateExpression: 'ADD #marks :markSet, #balance :delta SET #seen = :seen',
          ConditionExpression: 'attribute_exists(pk) AND NOT contains(#marks, :mark)',
          ExpressionAttributeNames: { '#marks': 'usageMarks', '#balance': 'balanceNano', '#seen': 'seen' },
          ExpressionAttributeValues: {
            ':markSet': new Set(['req_9']),
            ':mark': 'req_9',
            ':delta': -30,
            ':seen': { at: 7 },
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      answers.push({ ...Attributes, pk: undefined });
    }
    assert.deepEqual(answers[1], answers[0]);
    assert.deepEqual(answers[1], {
      pk: undefined,
      sk: 'item',
      balanceNano: 70,
      usageMarks: new Set(['req_9']),
      seen: { at: 7 },
    });
  });

  it('fails a refused condition with an error isConditionFailure recognises, for both clients', async () => {
    for (const client of [sdk, json] as DocumentClient[]) {
      const key = { pk: freshPartition(), sk: 'item' };
      const put = () =>
        client.send(
          new PutCommand({
            TableName: tables.state,
            Item: key,
            ConditionExpression: 'attribute_not_exists(pk)',
          }),
        );
      await put();
      const refused = await put().then(
        () => undefined,
        (error: unknown) => error,
      );
      assert.ok(isConditionFailure(refused), `${String(refused)} is a condition failure`);
      const deleted = await client
        .send(
          new DeleteCommand({
            TableName: tables.state,
            Key: key,
            ConditionExpression: '#state = :pending',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':pending': 'pending' },
          }),
        )
        .then(
          () => 'deleted',
          (error: unknown) => (isConditionFailure(error) ? 'refused' : error),
        );
      assert.equal(deleted, 'refused');
    }
  });

  it('pages a Query through its start keys, giving every item once and in order', async () => {
    const pk = freshPartition();
    const sks = Array.from({ length: 7 }, (_, index) => `s#${String(index).padStart(2, '0')}`);
    for (const sk of sks)
      await json.send(new PutCommand({ TableName: tables.state, Item: { pk, sk, n: 1 } }));
    // Two items a page: four requests, three of them from a start key the client translated.
    const items = await queryAll(json, {
      TableName: tables.state,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': pk, ':prefix': 's#' },
      Limit: 2,
    });
    assert.deepEqual(
      items.map((item) => item.sk),
      sks,
    );
    const first = await json.send(
      new QueryCommand({
        TableName: tables.state,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': pk },
        Limit: 2,
      }),
    );
    assert.deepEqual(first.LastEvaluatedKey, { pk, sk: sks[1] });
  });

  it('reads several keys in one BatchGetItem, leaving out those that do not exist', async () => {
    const pk = freshPartition();
    await json.send(new PutCommand({ TableName: tables.state, Item: { pk, sk: 'a', v: 1 } }));
    await json.send(new PutCommand({ TableName: tables.state, Item: { pk, sk: 'b', v: new Set(['x']) } }));
    const keys = [
      { pk, sk: 'a' },
      { pk, sk: 'b' },
      { pk, sk: 'missing' },
    ];
    const found = await batchGetItems(json, tables.state, keys, { consistentRead: true });
    assert.deepEqual([...found.entries()].sort(), [
      [itemKeyId(keys[0] as never), { pk, sk: 'a', v: 1 }],
      [itemKeyId(keys[1] as never), { pk, sk: 'b', v: new Set(['x']) }],
    ]);
    const direct = await json.send(
      new BatchGetCommand({ RequestItems: { [tables.state]: { Keys: keys, ConsistentRead: true } } }),
    );
    assert.equal(direct.Responses?.[tables.state]?.length, 2);
  });

  it('gives unprocessed keys back in plain form, so a batch read asks for them again', async () => {
    const pk = freshPartition();
    const [first, second] = [
      { pk, sk: 'a' },
      { pk, sk: 'b' },
    ];
    for (const key of [first, second])
      await json.send(new PutCommand({ TableName: tables.state, Item: { ...key, v: key.sk } }));
    // DynamoDB answers the first key only and leaves the second unprocessed (typed, as on the wire).
    const unprocessedFirstTime = {
      kind: 'rewrite' as const,
      rewrite: (answer: Record<string, unknown>) => ({
        Responses: {
          [tables.state]: (
            (answer.Responses as Record<string, { sk: { S: string } }[]>)[tables.state] ?? []
          ).filter((item) => item.sk.S === 'a'),
        },
        UnprocessedKeys: {
          [tables.state]: { Keys: [{ pk: { S: pk }, sk: { S: 'b' } }], ConsistentRead: true },
        },
      }),
    };
    front.inject(unprocessedFirstTime);
    const direct = await throughFront.send(
      new BatchGetCommand({
        RequestItems: { [tables.state]: { Keys: [first, second], ConsistentRead: true } },
      }),
    );
    assert.deepEqual(direct.UnprocessedKeys?.[tables.state]?.Keys, [second]);
    assert.deepEqual(direct.Responses?.[tables.state], [{ ...first, v: 'a' }]);

    front.inject(unprocessedFirstTime);
    const found = await batchGetItems(throughFront, tables.state, [first, second], { consistentRead: true });
    assert.deepEqual(
      [...found.values()].sort((a, b) => String(a.sk).localeCompare(String(b.sk))),
      [
        { ...first, v: 'a' },
        { ...second, v: 'b' },
      ],
    );
  });

  it('counts each request under the command name the SDK client counts', async () => {
    const key = { pk: freshPartition(), sk: 'item' };
    const counted = [];
    for (const client of [sdk, json] as DocumentClient[]) {
      dynamoRequestCounter.reset();
      await client.send(new PutCommand({ TableName: tables.state, Item: key }));
      await client.send(new GetCommand({ TableName: tables.state, Key: key }));
      await client.send(
        new UpdateCommand({
          TableName: tables.state,
          Key: key,
          UpdateExpression: 'SET v = :v',
          ExpressionAttributeValues: { ':v': 1 },
        }),
      );
      counted.push({ total: dynamoRequestCounter.total, byCommand: new Map(dynamoRequestCounter.byCommand) });
    }
    const expected = {
      total: 3,
      byCommand: new Map([
        ['PutItemCommand', 1],
        ['GetItemCommand', 1],
        ['UpdateItemCommand', 1],
      ]),
    };
    assert.deepEqual(counted, [expected, expected]);
  });

  it('refuses a command it does not translate, before sending anything', async () => {
    dynamoRequestCounter.reset();
    const client = json as unknown as { send(command: unknown): Promise<unknown> };
    await assert.rejects(
      client.send(new ScanCommand({ TableName: tables.state })),
      /ScanCommand is not one of/,
    );
    await assert.rejects(
      client.send(new SdkScanCommand({ TableName: tables.state })),
      /ScanCommand is not one of/,
    );
    assert.equal(dynamoRequestCounter.total, 0);
  });
});

describe('SdkDocumentClient', { timeout: 60_000 }, () => {
  it("sends the stores' Scan and lib-dynamodb's own commands alike, each counted once", async () => {
    const key = { pk: freshPartition(), sk: 'scanned' };
    await sdk.send(new PutCommand({ TableName: tables.state, Item: { ...key, v: 7 } }));
    dynamoRequestCounter.reset();

    const filter = { FilterExpression: 'pk = :pk', ExpressionAttributeValues: { ':pk': key.pk } };
    const ours = await sdk.send(
      new ScanCommand({ TableName: tables.state, ConsistentRead: true, ...filter }),
    );
    const theirs = await sdk.send(
      new SdkScanCommand({ TableName: tables.state, ConsistentRead: true, ...filter }),
    );

    assert.deepEqual(ours.Items, [{ ...key, v: 7 }]);
    assert.deepEqual(theirs.Items, [{ ...key, v: 7 }]);
    assert.deepEqual(dynamoRequestCounter.byCommand, new Map([['ScanCommand', 2]]));
  });
});
