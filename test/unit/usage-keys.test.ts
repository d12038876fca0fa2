/**
 * The spelling of the Usage table's sharded keys: a request's record, pending entry and model
 * aggregate land in the shard its id hashes to, and a day's traffic spreads over all of them.
 * The FNV-1a values below were worked out apart from the code (Python, 32-bit).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { keys, shardOf, USAGE_SHARDS, usageRecordListing } from '#shared/tables/keys.ts';

describe('the Usage table keys', () => {
  it('hashes request ids to shards with FNV-1a', () => {
    // req_a → 0x7e9a3fbf, req_b → 0x7f9a4152, 01HZX → 0x9c3dab94.
    assert.equal(shardOf('req_a', 16), 15);
    assert.equal(shardOf('req_b', 16), 2);
    assert.equal(shardOf('01HZX', 16), 4);
    assert.equal(shardOf('req_a', 4), 3);
  });

  it('lists a pending record in its shard of the day and of the pending index, and an applied one only by day', () => {
    const record = { requestId: 'req_a', day: '2026-12-03', startedAt: '2026-12-03T10:00:00.000Z' };
    assert.deepEqual(usageRecordListing(record, true), {
      gsi1pk: 'REQS#2026-12-03#15',
      gsi1sk: '2026-12-03T10:00:00.000Z#req_a',
      pendingPk: 'PENDING#15',
      pendingSk: '2026-12-03T10:00:00.000Z#req_a',
    });
    assert.deepEqual(usageRecordListing(record, false), {
      gsi1pk: 'REQS#2026-12-03#15',
      gsi1sk: '2026-12-03T10:00:00.000Z#req_a',
    });
  });

  it('spreads a day of requests over every shard, none taking much more than its share', () => {
    const counts = new Array<number>(USAGE_SHARDS).fill(0);
    const requests = 16_000;
    for (let n = 0; n < requests; n += 1) {
      const id = `${n.toString(16).padStart(8, '0')}-4a1b-9c2d-${(n * 7919).toString(16)}`;
      counts[shardOf(id, USAGE_SHARDS)] = (counts[shardOf(id, USAGE_SHARDS)] ?? 0) + 1;
    }
    const share = requests / USAGE_SHARDS;
    for (const count of counts) assert.ok(count > share * 0.8 && count < share * 1.2, `${count} of ${share}`);
  });

  it("keys a model's usage through an account by shard and day", () => {
    assert.deepEqual(keys.modelAccountAggregate('gpt-5.5', 3, '2026-12-03', 'acct_1'), {
      pk: 'AGG#model#gpt-5.5#3',
      sk: '2026-12-03#acct_1',
    });
  });
});
