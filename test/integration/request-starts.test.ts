import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DeleteCommand, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { ensureTables, type RunningDynalite, startDynalite } from '#local/dynalite.ts';
import { createDocumentClient } from '#shared/store/dynamo/client.ts';
import { createDynamoJsonClient, type DynamoJsonClient } from '#shared/store/dynamo/json-client.ts';
import type { SdkDocumentClient } from '#shared/store/dynamo/sdk-document-client.ts';
import { DynamoRequestStarts, STARTED_CLAIM_OWNER } from '#shared/store/dynamo/usage-ledger-started.ts';
import type { StartedRecord } from '#shared/store/request-starts.ts';
import { tableNamesForStage } from '#shared/tables/definitions.ts';
import { keys, usageRecordListing } from '#shared/tables/keys.ts';

const tables = tableNamesForStage('request-starts');
let db: RunningDynalite;
let client: SdkDocumentClient;
let requester: DynamoJsonClient;
let starts: DynamoRequestStarts;

function started(requestId: string): StartedRecord {
  return {
    kind: 'usage',
    eventVersion: 1,
    requestId,
    startedAt: '2026-12-03T13:40:00.000Z',
    day: '2026-12-03',
    userId: 'u_1',
    apiKeyId: 'k_1',
    groupId: 'g_1',
    billingMode: 'balance',
    rateMultiplier: 1.5,
    modelRequested: 'gpt-5',
    stream: true,
    route: 'responses',
    state: 'started',
    recordedAt: '2026-12-03T13:40:00.000Z',
  } as StartedRecord;
}

const stored = async (requestId: string) =>
  (
    await client.send(
      new GetCommand({ TableName: tables.usage, Key: keys.usageRecord(requestId), ConsistentRead: true }),
    )
  ).Item;

before(async () => {
  db = await startDynalite({ port: 0 });
  await ensureTables(db.endpoint, tables);
  client = createDocumentClient(db.endpoint);
  requester = createDynamoJsonClient(db.endpoint);
  starts = new DynamoRequestStarts(requester, tables.usage);
});

after(async () => {
  client.destroy();
  requester.destroy();
  await db.close();
});

describe('started records written by the gateway', { timeout: 30_000 }, () => {
  it('hold the record, its listings and the gateway claim, as the recorder reads them', async () => {
    const record = started('req_started_1');

    await starts.markStarted(record, 1_900_000_000_000);

    assert.deepEqual(await stored('req_started_1'), {
      ...keys.usageRecord('req_started_1'),
      ...usageRecordListing(record, true),
      ...record,
      leaseOwner: STARTED_CLAIM_OWNER,
      leaseUntil: 1_900_000_000_000,
    });
  });

  it('leave a record the recorder wrote first untouched', async () => {
    const recorded = { ...keys.usageRecord('req_started_2'), state: 'applied', costNano: 42 };
    await client.send(new PutCommand({ TableName: tables.usage, Item: recorded }));

    await starts.markStarted(started('req_started_2'), 1_900_000_000_000);

    assert.deepEqual(await stored('req_started_2'), recorded);
  });

  it('are forgotten only while still started', async () => {
    await starts.markStarted(started('req_started_3'), 1_900_000_000_000);
    const applied = { ...keys.usageRecord('req_started_4'), state: 'applied' };
    await client.send(new PutCommand({ TableName: tables.usage, Item: applied }));

    await starts.forget('req_started_3');
    await starts.forget('req_started_4');
    await starts.forget('req_never_started');

    assert.equal(await stored('req_started_3'), undefined);
    assert.deepEqual(await stored('req_started_4'), applied);
    await client.send(new DeleteCommand({ TableName: tables.usage, Key: keys.usageRecord('req_started_4') }));
  });
});
