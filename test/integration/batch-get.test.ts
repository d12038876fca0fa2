import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { batchGetItems, itemKeyId, sendReadsThrough } from '#shared/store/dynamo/batch-get.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { DynamoConfigDirectory } from '#shared/store/dynamo/config-directory.ts';
import { DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { type DynamoFaultFront, startDynamoFaultFront } from '../support/dynamo-fault-front.ts';

const tables = tableNamesForStage('batch-get');
const USER = {
  pk: 'USER#u_batch',
  sk: 'USER',
  balanceNano: 1_500_000_000,
  limits: { daily: 3 },
  name: 'batch',
};
const STICKY = { pk: 'STICKY#g#h', sk: 'STICKY', accountId: 'acct_1', expiresAt: 1_900_000_000 };
let db: RunningDynalite;
let front: DynamoFaultFront;
let requester: DynamoJsonClient;
let routed: SdkDocumentClient;
let plain: SdkDocumentClient;

before(async () => {
  db = await startDynalite({ port: 0 });
  await ensureTables(db.endpoint, tables);
  front = await startDynamoFaultFront(db.endpoint);
  requester = new DynamoJsonClient({
    endpoint: front.url,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  routed = createDocumentClient(db.endpoint);
  sendReadsThrough(routed, requester);
  plain = createDocumentClient(db.endpoint);
  await plain.send(new PutCommand({ TableName: tables.config, Item: USER }));
  await plain.send(new PutCommand({ TableName: tables.state, Item: STICKY }));
});

after(async () => {
  requester.destroy();
  routed.destroy();
  plain.destroy();
  await front.close();
  await db.close();
});

beforeEach(() => {
  front.requests.splice(0);
});

const userKey = { pk: USER.pk, sk: USER.sk };
const stickyKey = { pk: STICKY.pk, sk: STICKY.sk };
const missingKey = { pk: 'USER#u_missing', sk: 'USER' };

describe('batch reads sent through the JSON client', { timeout: 30_000 }, () => {
  it('leave as one BatchGetItem for reads of two tables asked together, items as the document client reads them', async () => {
    const [config, state] = await Promise.all([
      batchGetItems(routed, tables.config, [userKey, missingKey], { consistentRead: true }),
      batchGetItems(routed, tables.state, [stickyKey], { attributes: ['accountId'] }),
    ]);

    assert.deepEqual(
      front.requests.map((request) => request.operation),
      ['BatchGetItem'],
    );
    assert.deepEqual(config.get(itemKeyId(userKey)), USER);
    assert.equal(config.has(itemKeyId(missingKey)), false);
    assert.deepEqual(state.get(itemKeyId(stickyKey)), { ...stickyKey, accountId: 'acct_1' });
  });

  it('leave as one BatchGetItem for reads of one table with different options, read as the most any asked', async () => {
    const [projected, whole] = await Promise.all([
      batchGetItems(routed, tables.config, [userKey], { attributes: ['name'] }),
      batchGetItems(routed, tables.config, [missingKey], { consistentRead: true }),
    ]);

    // One table, once: strongly consistent and whole, as the second reader asked.
    assert.equal(front.requests.length, 1);
    const sent = JSON.parse(front.requests[0]?.body ?? '{}') as {
      RequestItems: Record<string, Record<string, unknown>>;
    };
    assert.deepEqual(sent.RequestItems, {
      [tables.config]: {
        Keys: [
          { pk: { S: USER.pk }, sk: { S: USER.sk } },
          { pk: { S: 'USER#u_missing' }, sk: { S: 'USER' } },
        ],
        ConsistentRead: true,
      },
    });
    assert.deepEqual(projected.get(itemKeyId(userKey)), USER);
    assert.equal(whole.has(itemKeyId(missingKey)), false);
  });

  it('read the attributes every reader of a table asked for, when each named some', async () => {
    const [first, second] = await Promise.all([
      batchGetItems(routed, tables.config, [userKey], { attributes: ['name'] }),
      batchGetItems(routed, tables.config, [userKey], { attributes: ['balanceNano', 'name'] }),
    ]);

    assert.equal(front.requests.length, 1);
    const expected = { pk: USER.pk, sk: USER.sk, name: USER.name, balanceNano: USER.balanceNano };
    assert.deepEqual(first.get(itemKeyId(userKey)), expected);
    assert.deepEqual(second.get(itemKeyId(userKey)), expected);
  });

  it('ask again for the keys DynamoDB left unprocessed, and only for those', async () => {
    front.inject({
      kind: 'rewrite',
      rewrite: (answer) => {
        const responses = answer.Responses as Record<string, unknown[]>;
        return {
          Responses: { ...responses, [tables.state]: [] },
          UnprocessedKeys: { [tables.state]: { Keys: [{ pk: { S: STICKY.pk }, sk: { S: STICKY.sk } }] } },
        };
      },
    });

    const [config, state] = await Promise.all([
      batchGetItems(routed, tables.config, [userKey]),
      batchGetItems(routed, tables.state, [stickyKey]),
    ]);

    assert.equal(front.requests.length, 2);
    const retried = JSON.parse(front.requests[1]?.body ?? '{}') as {
      RequestItems: Record<string, { Keys: unknown[] }>;
    };
    assert.deepEqual(Object.keys(retried.RequestItems), [tables.state]);
    assert.deepEqual(retried.RequestItems[tables.state]?.Keys, [
      { pk: { S: STICKY.pk }, sk: { S: STICKY.sk } },
    ]);
    assert.deepEqual(config.get(itemKeyId(userKey)), USER);
    assert.deepEqual(state.get(itemKeyId(stickyKey)), STICKY);
  });

  it('read more than 100 keys asked at once in requests of at most 100 keys, every item found', async () => {
    // Two readers of one table asked in the same tick, overlapping on 50 keys (230 distinct), and
    // the user read beside them: 100 + 100 + 30 keys of the State table, the user's key with the 30.
    const many = Array.from({ length: 230 }, (_, i) => ({ pk: `BULK#${i}`, sk: 'BULK', n: i }));
    for (const item of many) await plain.send(new PutCommand({ TableName: tables.state, Item: item }));
    const keysOf = (items: typeof many) => items.map(({ pk, sk }) => ({ pk, sk }));

    const [first, second, config] = await Promise.all([
      batchGetItems(routed, tables.state, keysOf(many.slice(0, 150))),
      batchGetItems(routed, tables.state, keysOf(many.slice(100))),
      batchGetItems(routed, tables.config, [userKey]),
    ]);

    const sizes = front.requests.map((request) => {
      const body = JSON.parse(request.body) as { RequestItems: Record<string, { Keys: unknown[] }> };
      return Object.values(body.RequestItems).reduce((sum, table) => sum + table.Keys.length, 0);
    });
    assert.deepEqual(
      sizes.sort((a, b) => b - a),
      [100, 100, 31],
    );
    for (const item of many.slice(0, 150)) assert.deepEqual(first.get(itemKeyId(item)), item);
    for (const item of many.slice(100)) assert.deepEqual(second.get(itemKeyId(item)), item);
    assert.deepEqual(config.get(itemKeyId(userKey)), USER);
  });

  it('stay on the SDK for a document client with no requester', async () => {
    const found = await batchGetItems(plain, tables.config, [userKey]);

    assert.deepEqual(found.get(itemKeyId(userKey)), USER);
    assert.equal(front.requests.length, 0);
  });
});

describe("the config directory's key read and account listing through the JSON client", {
  timeout: 30_000,
}, () => {
  const KEY = { pk: 'KEY#h_dir', sk: 'KEY', id: 'k_dir', userId: 'u_batch', status: 'active' };
  const ACCOUNTS = [
    { pk: 'ACCOUNT#acct_b', sk: 'ACCOUNT', gsi1pk: 'ACCOUNTS', gsi1sk: 'acct_b', id: 'acct_b', priority: 2 },
    {
      pk: 'ACCOUNT#acct_a',
      sk: 'ACCOUNT',
      gsi1pk: 'ACCOUNTS',
      gsi1sk: 'acct_a',
      id: 'acct_a',
      priority: 1,
      health: { state: 'cooling', until: 1_900_000_000 },
      credentialsVersion: 3,
    },
  ];

  before(async () => {
    for (const item of [KEY, ...ACCOUNTS])
      await plain.send(new PutCommand({ TableName: tables.config, Item: item }));
  });

  it('read the key strongly consistent in one GetItem, the entity as the SDK reads it', async () => {
    const found = await new DynamoConfigDirectory(routed, tables.config).findApiKey('h_dir');

    assert.deepEqual(found, { id: 'k_dir', userId: 'u_batch', status: 'active' });
    assert.deepEqual(await new DynamoConfigDirectory(plain, tables.config).findApiKey('h_dir'), found);
    assert.deepEqual(
      front.requests.map((request) => [request.operation, JSON.parse(request.body).ConsistentRead]),
      [['GetItem', true]],
    );
    assert.equal(await new DynamoConfigDirectory(routed, tables.config).findApiKey('h_none'), undefined);
  });

  it('list the accounts in one Query, in id order, health and credentials version as the SDK reads them', async () => {
    const listed = await new DynamoConfigDirectory(routed, tables.config).listAccounts();

    assert.deepEqual(listed, [
      {
        id: 'acct_a',
        priority: 1,
        health: { state: 'cooling', until: 1_900_000_000 },
        credentialsVersion: 3,
      },
      { id: 'acct_b', priority: 2, health: { state: 'ok' }, credentialsVersion: 0 },
    ]);
    assert.deepEqual(await new DynamoConfigDirectory(plain, tables.config).listAccounts(), listed);
    assert.deepEqual(
      front.requests.map((request) => request.operation),
      ['Query'],
    );
  });
});
