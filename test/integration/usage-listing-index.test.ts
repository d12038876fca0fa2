/**
 * The Usage table's `listing` index copies only what an item has from its first write (a record's
 * user and key): a record's later writes (pending, applied) and an aggregate's (counters added,
 * markers set and cleared) write no index entry, counted by DynamoDB's billing rule in the
 * dynalite process (bench/index-writes.ts). Its readers then read the listed items whole: the
 * record listing filters user and key on the index and the account on the records read, parked
 * events come back oldest first, whole, at most `limit` of them.
 */
import assert from 'node:assert/strict';
import { before, describe, it } from 'node:test';
import { BatchWriteCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { startedRecordOf } from '#shared/recorder/request-start.ts';
import type { UsageRecord } from '#shared/recorder/usage-record.ts';
import { readListedItems } from '#shared/store/dynamo/listed-items.ts';
import { sdkRequester } from '#shared/store/dynamo/sdk-requester.ts';
import { DynamoRequestStarts } from '#shared/store/dynamo/usage-ledger-started.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { keys, shardOf, USAGE_SHARDS, usageRecordListing } from '#shared/tables/keys.ts';
import { listUsageRecords } from '#shared/usage/record-listing.ts';
import { countIndexWrites } from '../../bench/index-writes.ts';
import { KEYS, recorderWorldForSuite, T0, usageEvent } from './recorder-harness.ts';

// Before dynalite starts in this process: the counter wraps its index maintenance.
const indexWrites = countIndexWrites();
const world = recorderWorldForSuite();

/** Index write units on one index of the Usage table so far. */
const unitsOn = (index: string) => indexWrites.byIndex()[`${world.tables.usage}/${index}`] ?? 0;

/** `count` request ids that fall in one request shard, so they add to the same model day item. */
function idsOfOneShard(count: number): string[] {
  const ids: string[] = [];
  for (let n = 0; ids.length < count; n++) {
    const id = `req_listing_${n}`;
    if (shardOf(id, USAGE_SHARDS) === shardOf('req_listing_0', USAGE_SHARDS)) ids.push(id);
  }
  return ids;
}

describe('the Usage listing index', { timeout: 60_000 }, () => {
  it('gets an entry at an item’s first write and none at its later writes', async () => {
    const key = KEYS[0];
    assert.ok(key);
    const starts = new DynamoRequestStarts(sdkRequester(world.client), world.tables.usage);
    const recorder = world.runtime();
    const [first, second] = idsOfOneShard(2) as [string, string];
    const request = (requestId: string) => {
      const event = usageEvent(requestId, key);
      const start = {
        requestId,
        receivedAt: Date.parse(event.startedAt),
        userId: event.userId,
        apiKeyId: event.apiKeyId,
        groupId: event.groupId,
        billingMode: event.billingMode,
        rateMultiplier: event.rateMultiplier,
        modelRequested: event.modelRequested,
        stream: event.stream,
        route: 'responses',
      };
      return { event, started: startedRecordOf(start, T0 - 1900) };
    };

    // The gateway's `started` record puts the record's one entry.
    const one = request(first);
    let before = unitsOn('listing');
    await starts.markStarted(one.started, T0 + 60_000);
    assert.equal(unitsOn('listing') - before, 1);
    // Recording it (pending, charges, applied) adds the model day item's entry, nothing else.
    before = unitsOn('listing');
    assert.equal((await recorder.record(one.event)).outcome, 'recorded');
    assert.equal(unitsOn('listing') - before, 1);

    // A second request of the same shard, model, account and day: its record's entry only.
    const two = request(second);
    before = unitsOn('listing');
    await starts.markStarted(two.started, T0 + 60_000);
    assert.equal((await recorder.record(two.event)).outcome, 'recorded');
    assert.equal(unitsOn('listing') - before, 1);
    const day = await world.getItem(
      'usage',
      keys.modelAccountAggregate(
        one.event.modelSent,
        shardOf(first, USAGE_SHARDS),
        one.event.startedAt.slice(0, 10),
        'a_1',
      ),
    );
    assert.equal(day?.requests, 2);
    const records = await world.records();
    assert.deepEqual(
      records.filter((record) => [first, second].includes(record.requestId)).map((record) => record.state),
      ['applied', 'applied'],
    );
  });
});

describe('reading through the Usage listing index', { timeout: 60_000 }, () => {
  const DAY = '2026-12-01';
  /** Records of one day over several shards: id, minute, user, key, account (none: started). */
  const rows: [string, number, string, string, string | undefined][] = [
    ['r_a', 1, 'u_1', 'k_1', 'a_1'],
    ['r_b', 2, 'u_2', 'k_2', 'a_1'],
    ['r_c', 3, 'u_1', 'k_1', 'a_2'],
    ['r_d', 4, 'u_1', 'k_3', 'a_1'],
    ['r_e', 5, 'u_1', 'k_1', undefined],
    ['r_f', 6, 'u_2', 'k_2', 'a_2'],
    ['r_g', 7, 'u_1', 'k_1', 'a_1'],
  ];
  let reader: DynamoUsageReader;

  before(async () => {
    reader = new DynamoUsageReader(world.client, world.tables);
    for (const [requestId, minute, userId, apiKeyId, accountId] of rows) {
      const startedAt = `${DAY}T10:${String(minute).padStart(2, '0')}:00.000Z`;
      const record = {
        kind: 'usage',
        requestId,
        startedAt,
        day: DAY,
        userId,
        apiKeyId,
        state: accountId ? 'applied' : 'started',
        ...(accountId ? { accountId } : {}),
      };
      await world.client.send(
        new PutCommand({
          TableName: world.tables.usage,
          Item: { ...keys.usageRecord(requestId), ...usageRecordListing(record, !accountId), ...record },
        }),
      );
    }
  });

  const idsOf = async (filter: Parameters<DynamoUsageReader['recordPages']>[3]) => {
    const ids: string[] = [];
    for await (const page of reader.recordPages(DAY, `${DAY}T`, `${DAY}T\uffff`, filter)) {
      assert.ok(page.length > 0, 'no empty page');
      ids.push(...page.map((record: UsageRecord) => record.requestId));
    }
    return ids;
  };

  it('lists every record of the day in time order, whole', async () => {
    assert.deepEqual(await idsOf({}), ['r_a', 'r_b', 'r_c', 'r_d', 'r_e', 'r_f', 'r_g']);
    const [first] = await reader
      .recordPages(DAY, `${DAY}T`, `${DAY}T\uffff`, {})
      [Symbol.asyncIterator]()
      .next()
      .then((next) => next.value as UsageRecord[]);
    assert.deepEqual(first, {
      kind: 'usage',
      requestId: 'r_a',
      startedAt: `${DAY}T10:01:00.000Z`,
      day: DAY,
      userId: 'u_1',
      apiKeyId: 'k_1',
      state: 'applied',
      accountId: 'a_1',
    });
  });

  it('filters by user and key on the index, by account on the records read', async () => {
    assert.deepEqual(await idsOf({ userId: 'u_1' }), ['r_a', 'r_c', 'r_d', 'r_e', 'r_g']);
    assert.deepEqual(await idsOf({ apiKeyId: 'k_2' }), ['r_b', 'r_f']);
    assert.deepEqual(await idsOf({ accountId: 'a_1' }), ['r_a', 'r_b', 'r_d', 'r_g']);
    assert.deepEqual(await idsOf({ userId: 'u_1', accountId: 'a_2' }), ['r_c']);
    assert.deepEqual(await idsOf({ userId: 'u_1', apiKeyId: 'k_1', accountId: 'a_1' }), ['r_a', 'r_g']);
    assert.deepEqual(await idsOf({ accountId: 'a_9' }), []);
  });

  it('pages an account’s records with a cursor as before', async () => {
    const query = {
      from: Date.parse(`${DAY}T00:00:00.000Z`),
      to: Date.parse(`${DAY}T23:59:59.999Z`),
      limit: 3,
      accountId: 'a_1',
    };
    const page1 = await listUsageRecords(query, reader);
    assert.deepEqual(
      page1.data.map((record) => record.requestId),
      ['r_a', 'r_b', 'r_d'],
    );
    assert.equal(page1.nextCursor, `${DAY}T10:04:00.000Z#r_d`);
    const page2 = await listUsageRecords({ ...query, cursor: page1.nextCursor }, reader);
    assert.deepEqual(
      page2.data.map((record) => record.requestId),
      ['r_g'],
    );
    assert.equal(page2.nextCursor, undefined);
  });

  it('gives parked events oldest first, whole, at most limit', async () => {
    const parked = world.runtime().parked;
    const key = KEYS[0];
    assert.ok(key);
    const events = ['p_1', 'p_2', 'p_3'].map((id) => usageEvent(id, key));
    for (const event of events) {
      await parked.park(event, `reason of ${event.requestId}`);
      world.clock.advance(1000);
    }

    assert.deepEqual(
      (await parked.list(2)).map((event) => [event.requestId, event.reason, event.detail]),
      [
        ['p_1', 'reason of p_1', events[0]],
        ['p_2', 'reason of p_2', events[1]],
      ],
    );
    await parked.remove('p_1');
    assert.deepEqual(
      (await parked.list(10)).map((event) => event.requestId),
      ['p_2', 'p_3'],
    );
  });

  it('reads listed items past one wave of batch reads in the entries’ order, leaving out one gone', async () => {
    // 1,005 items: more than one wave (1,000 keys) and many requests of 100.
    const ids = Array.from({ length: 1005 }, (_, n) => `bulk_${String(1004 - n).padStart(4, '0')}`);
    for (let start = 0; start < ids.length; start += 25)
      await world.client.send(
        new BatchWriteCommand({
          RequestItems: {
            [world.tables.usage]: ids
              .slice(start, start + 25)
              .map((id) => ({ PutRequest: { Item: { pk: `BULK#${id}`, sk: 'BULK', n: id } } })),
          },
        }),
      );
    const entries = [...ids.slice(0, 700), 'bulk_gone', ...ids.slice(700)].map((id) => ({
      pk: `BULK#${id}`,
      sk: 'BULK',
    }));

    const items = await readListedItems(world.client, world.tables.usage, entries);

    assert.deepEqual(
      items.map((item) => item.n),
      ids,
    );
  });
});
