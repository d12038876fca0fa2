/**
 * A deployment upgraded with usage data in it: records in the unsharded day listing and account,
 * model and user day items as older versions wrote them, beside what this version records. Every
 * reader must still see each request once — records in time order across the old listing and
 * the shards, account and model days as old plus new items, user days as the keys' (the old user
 * items would count the old requests twice, so they are not read).
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKey } from '#shared/domain/types.ts';
import { DynamoUsageReader } from '#shared/store/dynamo/usage-reader.ts';
import { keys, USAGE_LIST } from '#shared/tables/keys.ts';
import { KEYS, type RecorderWorld, startRecorderWorld, T0, usageEvent } from './recorder-harness.ts';

const DAY = new Date(T0).toISOString().slice(0, 10);
const key = KEYS[0] as ApiKey;

/** What an older version stored for one request of `key` on account a_1, model gpt-5.1-codex. */
const OLD_COUNTERS = {
  requests: 1,
  inputTokens: 100,
  cachedInputTokens: 0,
  outputTokens: 10,
  reasoningTokens: 0,
  costNano: 700,
  chargeNano: 700,
  billedNano: 700,
  cutShortRequests: 0,
  failedRequests: 0,
};

describe('usage written by an older version, read beside new usage', () => {
  let world: RecorderWorld;
  let reader: DynamoUsageReader;
  let newBilled = 0;

  before(async () => {
    world = await startRecorderWorld();
    reader = new DynamoUsageReader(world.client, world.tables);
    const put = (item: Record<string, unknown>) =>
      world.client.send(new PutCommand({ TableName: world.tables.usage, Item: item }));
    // The old request: its record in the unsharded listing, started between the two new ones,
    // and its four day items (the old version also counted it in the key's day item).
    const oldStartedAt = new Date(T0 - 3000).toISOString();
    await put({
      ...keys.usageRecord('old-1'),
      gsi1pk: USAGE_LIST.legacyRecordsOfDay(DAY),
      gsi1sk: `${oldStartedAt}#old-1`,
      kind: 'usage',
      requestId: 'old-1',
      startedAt: oldStartedAt,
      day: DAY,
      state: 'applied',
      userId: key.userId,
      apiKeyId: key.id,
      accountId: 'a_1',
      modelRequested: 'gpt-5.1-codex',
      billedNano: 700,
    });
    for (const [dimension, subjectId] of [
      ['user', key.userId],
      ['key', key.id],
      ['account', 'a_1'],
      ['model', 'gpt-5.1-codex'],
    ] as const) {
      await put({
        ...keys.aggregate(dimension, subjectId, DAY),
        kind: 'aggregate',
        dimension,
        subjectId,
        day: DAY,
        ...OLD_COUNTERS,
      });
    }
    // Two new requests of the same key, account and model, one before and one after the old one.
    for (const [id, ms] of [
      ['new-1', T0 - 4000],
      ['new-2', T0 - 2000],
    ] as const) {
      const { record } = await world.runtime().record(
        usageEvent(id, key, {
          startedAt: new Date(ms).toISOString(),
          endedAt: new Date(ms + 500).toISOString(),
        }),
      );
      newBilled += record.billedNano;
    }
  });
  after(() => world.close());

  it('lists the old record among the new ones, in time order', async () => {
    const ids: string[] = [];
    for await (const page of reader.recordPages(DAY, DAY, `${DAY}~`, { apiKeyId: key.id })) {
      ids.push(...page.map((record) => record.requestId));
    }
    assert.deepEqual(ids, ['new-1', 'old-1', 'new-2']);
  });

  it('adds the old account and model day items to the new ones, and reads a user as its keys', async () => {
    // The old key day item is the one the new requests add to, so every reader sees 3 requests.
    for (const [dimension, id] of [
      ['account', 'a_1'],
      ['model', 'gpt-5.1-codex'],
      ['user', key.userId],
      ['key', key.id],
    ] as const) {
      const [day, ...more] = await reader.dailyAggregates(dimension, id, DAY, DAY);
      assert.equal(more.length, 0, dimension);
      assert.equal(day?.requests, 3, dimension);
      assert.equal(day?.billedNano, 700 + newBilled, dimension);
    }
  });
});
